"""Browser-only adapters (Pyodide): fetch, localStorage. Imports `js` lazily, so CPython can
import this module (and pytest can collect it) without a browser."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping

from .http import MAX_ANSWER_BYTES, HttpResult, TransportFailure


async def fetch_send(
    method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float
) -> HttpResult:
    """Non-blocking HTTP with a timeout, for CRM delivery (a hanging CRM must not freeze)."""
    import js
    from pyodide.ffi import create_once_callable
    from pyodide.http import pyfetch

    controller = js.AbortController.new()
    timer = js.setTimeout(create_once_callable(lambda: controller.abort()), int(timeout * 1000))
    try:
        response = await pyfetch(
            url,
            method=method,
            headers=headers,
            body=body.decode() if body is not None else None,
            signal=controller.signal,
            credentials="omit",
            cache="no-store",
        )
        data = await response.bytes()
    except Exception as error:  # AbortError, TypeError: Failed to fetch (network or CORS)
        name = getattr(error, "name", "") or type(error).__name__
        reason = f"no answer within {timeout:g} s" if "Abort" in str(error) + name else str(error)
        raise TransportFailure(reason[:200]) from None
    finally:
        js.clearTimeout(timer)
    headers_out = {key.lower(): value for key, value in dict(response.headers).items()}
    return HttpResult(response.status, data[:MAX_ANSWER_BYTES], headers_out)


class LocalStorage(MutableMapping[str, str]):
    """`window.localStorage` as a mapping (survives reloads; shared by the origin's tabs)."""

    def __init__(self) -> None:
        import js

        self._storage = js.localStorage

    def __getitem__(self, key: str) -> str:
        value = self._storage.getItem(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: str) -> None:
        self._storage.setItem(key, value)

    def __delitem__(self, key: str) -> None:
        self._storage.removeItem(key)

    def __iter__(self) -> Iterator[str]:
        return iter([self._storage.key(i) for i in range(self._storage.length)])

    def __len__(self) -> int:
        return self._storage.length
