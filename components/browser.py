"""Browser-only adapters (Pyodide): fetch, localStorage, Web Locks. Imports `js` lazily, so
CPython can import this module (and pytest can collect it) without a browser."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, MutableMapping
from contextlib import asynccontextmanager

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
        headers_out = {key.lower(): value for key, value in dict(response.headers).items()}
        declared = headers_out.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
            controller.abort()  # do not download a body we will not read
            return HttpResult(response.status, b"", headers_out, truncated=True)
        data = await response.bytes()
    except Exception as error:  # AbortError, TypeError: Failed to fetch (network or CORS)
        name = getattr(error, "name", "") or type(error).__name__
        reason = f"no answer within {timeout:g} s" if "Abort" in str(error) + name else str(error)
        raise TransportFailure(reason[:200]) from None
    finally:
        js.clearTimeout(timer)
    truncated = len(data) > MAX_ANSWER_BYTES
    return HttpResult(response.status, data[:MAX_ANSWER_BYTES], headers_out, truncated)


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


def has_web_locks() -> bool:
    """Web Locks work in secure contexts (https, http on localhost/127.0.0.1) with a real
    origin: a sandboxed iframe's opaque origin ("null") refuses them."""
    import js

    usable_origin = bool(js.isSecureContext) and str(js.location.origin) != "null"
    return usable_origin and bool(getattr(js.navigator, "locks", None))


@asynccontextmanager
async def web_lock(name: str) -> AsyncIterator[bool]:
    """Hold the Web Lock `name`, shared by every tab of the origin, if it is free.

        async with web_lock("wz-deliver:" + key) as held:
            if held: ...   # no other tab holds it until this block ends

    Yields False at once when another tab holds it (`ifAvailable`), so tabs share the work
    instead of queueing behind each other. The browser frees the lock if the tab goes away.
    """
    import js
    from pyodide.ffi import JsNull, create_once_callable, to_js

    granted: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    release: list = []  # the resolve function of the promise that keeps the lock held

    def keep_until_released(resolve, _reject) -> None:
        release.append(resolve)

    def on_grant(lock):
        if lock is None or isinstance(lock, JsNull):
            granted.set_result(False)
            return None
        granted.set_result(True)
        return js.Promise.new(create_once_callable(keep_until_released))

    options = to_js({"ifAvailable": True}, dict_converter=js.Object.fromEntries)
    # Settles once the lock is released, or at once if the browser refuses the request.
    settled = asyncio.ensure_future(
        js.navigator.locks.request(name, options, create_once_callable(on_grant))
    )
    await asyncio.wait([granted, settled], return_when=asyncio.FIRST_COMPLETED)
    # Refused outright (granted never came): go on as if this were the only tab.
    held = granted.result() if granted.done() else True
    try:
        yield held
    finally:
        if release:
            release[0]()
        await asyncio.wait([settled])
        if not settled.cancelled():
            settled.exception()  # retrieved, so a refusal is not reported as unhandled
