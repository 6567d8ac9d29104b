"""A lean HTTP/1.1 keep-alive transport for the proxy's calls to Wazzup.

    http = httpx.AsyncClient(transport=KeepAliveTransport(), follow_redirects=False)

httpx's default transport (httpcore, h11, anyio) spent more CPU on one call to Wazzup than the
rest of a link request did (profiled with py-spy: two socket writes per request, a liveness
probe of every pooled socket per request, several locks and events). This one keeps the httpx
API (event hooks, timeouts, errors, content decoding all stay httpx's) and does only what a
JSON API call needs: the request head and body in one write, the answer read whole
(Content-Length, chunked, or until the connection closes), the connection kept for the next
call unless either side said `Connection: close`.

Connections are pooled per origin (scheme, host, port), at most `max_connections` open at once,
an idle one dropped after `keepalive_expiry_s` (uvicorn's and most servers' keep-alive is 5 s).
A request on a reused connection that the server had already closed (no byte of an answer came
back) is sent again once on a new connection, as browsers do; every Wazzup call the proxy makes
(link, user/contact/deal upsert) is safe to repeat.

Errors are httpx's: ConnectTimeout/ReadTimeout/WriteTimeout/PoolTimeout, ConnectError,
ReadError/WriteError, RemoteProtocolError; so callers map them as before (timeout → 504,
anything else → 502).
"""

from __future__ import annotations

import asyncio
import ssl
import time
import urllib.request
from typing import Any

import httpx

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024
DEFAULT_PORTS = {b"http": 80, b"https": 443}
NO_BODY_STATUSES = frozenset({204, 304})

Origin = tuple[bytes, str, int]


class _Connection:
    __slots__ = ("idle_since", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    def usable(self, now: float, expiry_s: float) -> bool:
        return (
            now - self.idle_since < expiry_s
            and not self.reader.at_eof()
            and not self.writer.is_closing()
        )

    def close(self) -> None:
        self.writer.close()


class _ServerClosed(Exception):
    """A reused connection was closed by the server before any byte of an answer."""


class KeepAliveTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        *,
        max_connections: int = 100,
        keepalive_expiry_s: float = 5.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._idle: dict[Origin, list[_Connection]] = {}
        self._slots = asyncio.Semaphore(max_connections)
        self._keepalive_expiry_s = keepalive_expiry_s
        self._ssl_context = ssl_context
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the transport is closed")
        url = request.url
        scheme = url.raw_scheme
        if scheme not in DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(
                f"unsupported URL scheme {url.scheme!r}", request=request
            )
        origin: Origin = (scheme, url.host, url.port or DEFAULT_PORTS[scheme])
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        message = _encode_request(request, await request.aread())

        await self._acquire(request, timeouts.get("pool"))
        try:
            try:
                answer = await self._send(request, origin, message, timeouts, reuse=True)
            except _ServerClosed:  # a stale keep-alive connection: once more, on a new one
                answer = await self._send(request, origin, message, timeouts, reuse=False)
        finally:
            self._slots.release()
        status, reason, headers, body = answer
        return httpx.Response(
            status,
            headers=headers,
            stream=httpx.ByteStream(body),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )

    async def _send(
        self,
        request: httpx.Request,
        origin: Origin,
        message: bytes,
        timeouts: dict[str, float | None],
        *,
        reuse: bool,
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]], bytes]:
        connection = self._idle_connection(origin) if reuse else None
        reused = connection is not None
        if connection is None:
            connection = await self._connect(request, origin, timeouts)
        try:
            status, reason, headers, body, keep = await _exchange(
                request, connection, message, timeouts
            )
        except _ServerClosed:
            connection.close()
            if reused:
                raise
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        except BaseException:
            connection.close()  # mid-answer (an error, a timeout, a cancel): unusable
            raise
        if keep and not self._closed:
            connection.idle_since = time.monotonic()
            self._idle.setdefault(origin, []).append(connection)
        else:
            connection.close()
        return status, reason, headers, body

    async def aclose(self) -> None:
        self._closed = True
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    async def _acquire(self, request: httpx.Request, timeout: float | None) -> None:
        if not self._slots.locked():
            await self._slots.acquire()
            return
        try:
            async with asyncio.timeout(timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout(
                "No free connection to Wazzup in time.", request=request
            ) from None

    def _idle_connection(self, origin: Origin) -> _Connection | None:
        connections = self._idle.get(origin)
        now = time.monotonic()
        while connections:
            connection = connections.pop()  # the most recently used: the least likely stale
            if connection.usable(now, self._keepalive_expiry_s):
                return connection
            connection.close()
        return None

    async def _connect(
        self, request: httpx.Request, origin: Origin, timeouts: dict[str, float | None]
    ) -> _Connection:
        scheme, host, port = origin
        tls: ssl.SSLContext | None = None
        if scheme == b"https":
            if self._ssl_context is None:
                self._ssl_context = httpx.create_ssl_context()
            tls = self._ssl_context
        try:
            async with asyncio.timeout(timeouts.get("connect")):
                reader, writer = await asyncio.open_connection(
                    host,
                    port,
                    ssl=tls,
                    server_hostname=host if tls else None,
                    limit=MAX_HEAD_BYTES,
                )
        except TimeoutError:
            raise httpx.ConnectTimeout("Timed out connecting.", request=request) from None
        except (OSError, ssl.SSLError) as error:
            raise httpx.ConnectError(str(error) or type(error).__name__, request=request) from None
        return _Connection(reader, writer)


def _encode_request(request: httpx.Request, body: bytes) -> bytes:
    headers = request.headers.raw
    chunked = any(
        name.lower() == b"transfer-encoding" and b"chunked" in value.lower()
        for name, value in headers
    )
    if chunked and body:  # a streamed body, now read whole: send it as one chunk
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    elif chunked:
        body = b"0\r\n\r\n"
    lines = [b"%s %s HTTP/1.1" % (request.method.encode("ascii"), request.url.raw_path)]
    lines.extend(name + b": " + value for name, value in headers)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def _exchange(
    request: httpx.Request,
    connection: _Connection,
    message: bytes,
    timeouts: dict[str, float | None],
) -> tuple[int, bytes, list[tuple[bytes, bytes]], bytes, bool]:
    """Send the request; (status, reason, headers, body, keep the connection)."""
    writer, reader = connection.writer, connection.reader
    try:
        writer.write(message)
        if writer.transport.get_write_buffer_size():
            async with asyncio.timeout(timeouts.get("write")):
                await writer.drain()
    except TimeoutError:
        raise httpx.WriteTimeout("Timed out sending the request.", request=request) from None
    except OSError as error:
        raise httpx.WriteError(str(error) or type(error).__name__, request=request) from None
    try:
        async with asyncio.timeout(timeouts.get("read")):
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError as error:
                    if not error.partial:
                        raise _ServerClosed from None
                    raise
                except ConnectionResetError:
                    raise _ServerClosed from None
                status, reason, headers, version = _parse_head(head, request)
                if not 100 <= status < 200 or status == 101:
                    break  # 1xx (say, 100 Continue) is followed by the real answer
            body, keep = await _read_body(reader, request, status, headers, version)
    except TimeoutError:
        raise httpx.ReadTimeout("Timed out waiting for the answer.", request=request) from None
    except asyncio.IncompleteReadError:
        raise httpx.RemoteProtocolError(
            "The connection closed in the middle of the answer.", request=request
        ) from None
    except asyncio.LimitOverrunError:
        raise httpx.RemoteProtocolError(
            "The answer's head is too large.", request=request
        ) from None
    except OSError as error:
        raise httpx.ReadError(str(error) or type(error).__name__, request=request) from None
    return status, reason, headers, body, keep


def _parse_head(
    head: bytes, request: httpx.Request
) -> tuple[int, bytes, list[tuple[bytes, bytes]], bytes]:
    status_line, *lines = head[:-4].split(b"\r\n")
    version, _, rest = status_line.partition(b" ")
    code, _, reason = rest.partition(b" ")
    if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise httpx.RemoteProtocolError("Not an HTTP/1.x answer.", request=request)
    headers = []
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise httpx.RemoteProtocolError("A malformed header in the answer.", request=request)
        headers.append((name, value.strip()))
    return int(code), reason, headers, version


async def _read_body(
    reader: asyncio.StreamReader,
    request: httpx.Request,
    status: int,
    headers: list[tuple[bytes, bytes]],
    version: bytes,
) -> tuple[bytes, bool]:
    length: bytes | None = None
    chunked = False
    close = version != b"HTTP/1.1"
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"content-length":
            if length is not None and length != value:
                raise httpx.RemoteProtocolError("Conflicting Content-Length.", request=request)
            length = value
        elif lowered == b"transfer-encoding":
            chunked = _tokens(value)[-1:] == [b"chunked"]
            close = close or not chunked  # another coding last: the body ends with the connection
        elif lowered == b"connection":
            tokens = _tokens(value)
            close = b"keep-alive" not in tokens if version != b"HTTP/1.1" else b"close" in tokens
    if request.method == "HEAD" or status in NO_BODY_STATUSES or 100 <= status < 200:
        return b"", not close
    if chunked:
        return await _read_chunked(reader, request), not close
    if length is not None:
        if not length.isdigit():
            raise httpx.RemoteProtocolError("A malformed Content-Length.", request=request)
        size = int(length)
        if size > MAX_BODY_BYTES:
            raise httpx.RemoteProtocolError("The answer is too large.", request=request)
        return await reader.readexactly(size), not close
    body = await reader.read(MAX_BODY_BYTES + 1)  # no length: the body ends with the connection
    while body and len(body) <= MAX_BODY_BYTES:
        more = await reader.read(MAX_BODY_BYTES + 1 - len(body))
        if not more:
            break
        body += more
    if len(body) > MAX_BODY_BYTES:
        raise httpx.RemoteProtocolError("The answer is too large.", request=request)
    return body, False


async def _read_chunked(reader: asyncio.StreamReader, request: httpx.Request) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_line = (await reader.readuntil(b"\r\n"))[:-2]
        size_text = size_line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise httpx.RemoteProtocolError("A malformed chunk size.", request=request) from None
        if size < 0:
            raise httpx.RemoteProtocolError("A malformed chunk size.", request=request)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, ignored
                pass
            return b"".join(parts)
        total += size
        if total > MAX_BODY_BYTES:
            raise httpx.RemoteProtocolError("The answer is too large.", request=request)
        chunk = await reader.readexactly(size + 2)
        if chunk[-2:] != b"\r\n":
            raise httpx.RemoteProtocolError("A malformed chunk.", request=request)
        parts.append(chunk[:-2])


def _tokens(value: bytes) -> list[bytes]:
    return [token.strip().lower() for token in value.split(b",") if token.strip()]


class UpstreamClient(httpx.AsyncClient):
    """httpx's AsyncClient on a `KeepAliveTransport`, sending straight to it.

    `request()`/`build_request()` are httpx's (URL, headers, JSON, timeouts); `send()` runs the
    event hooks and the transport, then reads the answer, as httpx's does for what the proxy's
    Wazzup calls use: no auth, no redirects, no cookies (Wazzup sets none). Skipping httpx's
    auth/redirect/cookie machinery halves the client's CPU per call.
    """

    def __init__(self, transport: KeepAliveTransport | None = None) -> None:
        self._keep_alive = transport or KeepAliveTransport()
        super().__init__(transport=self._keep_alive, follow_redirects=False)

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        if auth is not httpx.USE_CLIENT_DEFAULT and auth is not None:
            raise NotImplementedError("UpstreamClient sends no auth; put it in the headers")
        if follow_redirects is True:
            raise NotImplementedError("UpstreamClient follows no redirects")
        if self.is_closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        for hook in self.event_hooks["request"]:
            await hook(request)
        response = await self._keep_alive.handle_async_request(request)
        response.request = request
        try:
            for hook in self.event_hooks["response"]:
                await hook(response)
            if not stream:
                await response.aread()
        except BaseException:
            await response.aclose()
            raise
        return response


def upstream_client() -> httpx.AsyncClient:
    """The client for Wazzup: an `UpstreamClient`, unless the environment names an HTTP proxy
    (HTTPS_PROXY, ALL_PROXY, ...), which only httpx's own transport goes through."""
    if urllib.request.getproxies():
        return httpx.AsyncClient(follow_redirects=False)
    return UpstreamClient()
