"""Browser-only adapters (Pyodide): fetch, localStorage, Web Locks. Imports `js` lazily, so
CPython can import this module (and pytest can collect it) without a browser."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, MutableMapping

from .http import MAX_ANSWER_BYTES, HttpResult, TransportFailure


async def fetch_send(
    method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float
) -> HttpResult:
    """Non-blocking HTTP with a timeout, for CRM delivery (a hanging CRM must not freeze).
    The request leaves before the first wait: a task started eagerly sends it at once."""
    import js

    from .early import browser_fetch

    text = body.decode() if body is not None else None
    try:
        response = await browser_fetch(method, url, text, headers, timeout, cache="no-store")
        entries = js.Object.fromEntries(response.headers).to_py()
        headers_out = {key.lower(): value for key, value in entries.items()}
        declared = headers_out.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
            if response.body:
                response.body.cancel()  # do not download a body we will not read
            return HttpResult(response.status, b"", headers_out, truncated=True)
        data = (await response.arrayBuffer()).to_bytes()
    except Exception as error:  # TimeoutError, TypeError: Failed to fetch (network or CORS)
        name = getattr(error, "name", "") or type(error).__name__
        timed_out = "Timeout" in str(error) + name
        reason = f"no answer within {timeout:g} s" if timed_out else str(error)
        raise TransportFailure(reason[:200]) from None
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

    def get(self, key: str, default: str | None = None) -> str | None:
        # One call and no KeyError: the outbox asks for every new record (bench: event handling).
        value = self._storage.getItem(key)
        return default if value is None else value

    def __setitem__(self, key: str, value: str) -> None:
        self._storage.setItem(key, value)

    def __delitem__(self, key: str) -> None:
        self._storage.removeItem(key)

    def __iter__(self) -> Iterator[str]:
        import js

        # One call for every name, not one `key(i)` call each across the JS boundary.
        return iter(js.Object.keys(self._storage).to_py())

    def __len__(self) -> int:
        return self._storage.length


def has_web_locks() -> bool:
    """Web Locks work in secure contexts (https, http on localhost/127.0.0.1) with a real
    origin: a sandboxed iframe's opaque origin ("null") refuses them."""
    import js

    usable_origin = bool(js.isSecureContext) and str(js.location.origin) != "null"
    return usable_origin and bool(getattr(js.navigator, "locks", None))


class web_lock:
    """Hold the Web Lock `name`, shared by every tab of the origin, if it is free.

        async with web_lock("wz-deliver:" + key) as held:
            if held: ...   # no other tab holds it until this block ends

    Yields False at once when another tab holds it (`ifAvailable`), so tabs share the work
    instead of queueing behind each other. The browser frees the lock if the tab goes away.
    The request starts when the object is made, so a caller can ask early and enter later
    (the controller asks as a new record's first request leaves: the browser answers
    meanwhile).
    """

    def __init__(self, name: str) -> None:
        import js
        from pyodide.ffi import create_once_callable, create_proxy, to_js

        # Plain futures settled from the browser's callbacks: no task wrapping the request's
        # promise and no asyncio.wait, which cost a few event-loop turns on every record.
        loop = asyncio.get_event_loop()
        self._granted: asyncio.Future[bool] = loop.create_future()
        self._release: list = []  # resolves the promise that keeps the lock held
        self._settled = create_proxy(self._on_settled)
        options = to_js({"ifAvailable": True}, dict_converter=js.Object.fromEntries)
        request = js.navigator.locks.request(name, options, create_once_callable(self._on_grant))
        request.then(self._settled, self._settled)  # a refusal is handled, not unhandled

    def _on_grant(self, lock):
        import js
        from pyodide.ffi import JsNull, create_once_callable

        if lock is None or isinstance(lock, JsNull):
            if not self._granted.done():
                self._granted.set_result(False)
            return None
        if not self._granted.done():
            self._granted.set_result(True)
        return js.Promise.new(
            create_once_callable(lambda resolve, _: self._release.append(resolve))
        )

    def _on_settled(self, *_outcome) -> None:
        # Once the lock is released, or at once if the browser refuses the request: then
        # granted never came, and this tab goes on as if it were the only one.
        if not self._granted.done():
            self._granted.set_result(True)
        # The request is over (then or catch ran, once): its callback may go. Not from
        # inside its own call.
        asyncio.get_event_loop().call_soon(self._settled.destroy)

    async def __aenter__(self) -> bool:
        return await self._granted

    async def __aexit__(self, *_exc: object) -> None:
        # Let the lock go without waiting for the browser to say it has: the record's state
        # is stored already, and the next record has a lock of its own. Waiting for that
        # round trip to the browser process held up the next event's delivery (bench: up to
        # 300 ms on a busy machine, the largest part of event handling's p99).
        if self._release:
            self._release[0]()
