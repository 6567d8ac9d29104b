"""The proxy's lean HTTP/1.1 transport to Wazzup, against a scripted server on a real socket."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from proxy.settings import Settings
from proxy.transport import KeepAliveTransport, UpstreamClient, upstream_client
from proxy.upstream import UpstreamProblem, WazzupClient

# (request head, body) → bytes to write back, or None to close without answering
Answer = Callable[[bytes, bytes], Awaitable[bytes | None]]


class Server:
    """Reads HTTP/1.1 requests (Content-Length bodies) and writes what `answer` returns."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[tuple[bytes, bytes]] = []
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *_: Any) -> None:
        for writer in self.writers:
            writer.close()
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                self.requests.append((head, body))
                answer = await self.answer(head, body)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


def answer(status: str = "200 OK", body: bytes = b'{"ok":true}', **headers: str) -> Answer:
    async def reply(_head: bytes, _body: bytes) -> bytes:
        lines = [f"HTTP/1.1 {status}"]
        lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
        if "Content_Length" not in headers and "Transfer_Encoding" not in headers:
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    return reply


def run(coroutine: Awaitable[Any]) -> Any:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def test_a_json_call_is_one_request_and_the_connection_is_kept() -> None:
    async def scenario() -> None:
        server = Server(answer(Content_Type="application/json"))
        async with server as url, UpstreamClient() as client:
            for _ in range(3):
                response = await client.post(
                    f"{url}/v3/iframe", json={"a": 1}, headers={"Authorization": "Bearer k"}
                )
                assert response.status_code == 200
                assert response.json() == {"ok": True}
        assert server.connections == 1
        head, body = server.requests[0]
        assert head.startswith(b"POST /v3/iframe HTTP/1.1\r\n")
        assert b"\r\nAuthorization: Bearer k\r\n" in head
        assert b"\r\nHost: 127.0.0.1:" in head
        assert json.loads(body) == {"a": 1}

    run(scenario())


def test_query_strings_and_other_methods_are_sent_as_given() -> None:
    async def scenario() -> None:
        server = Server(answer())
        async with server as url, UpstreamClient() as client:
            assert (await client.get(f"{url}/v3/channels?x=1&y=2")).status_code == 200
        assert server.requests[0][0].startswith(b"GET /v3/channels?x=1&y=2 HTTP/1.1\r\n")

    run(scenario())


def test_chunked_and_gzip_answers_are_decoded() -> None:
    payload = gzip.compress(b'{"url":"https://x/chat"}')
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload)
    reply = answer(body=chunked, Transfer_Encoding="chunked", Content_Encoding="gzip")

    async def scenario() -> None:
        server = Server(reply)
        async with server as url, UpstreamClient() as client:
            for _ in range(2):
                assert (await client.post(url, json={})).json() == {"url": "https://x/chat"}
        assert server.connections == 1  # a chunked answer ends at its last chunk

    run(scenario())


def test_an_answer_ending_with_the_connection_is_read_whole_and_not_reused() -> None:
    async def reply(_head: bytes, _body: bytes) -> bytes | None:
        return b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"x" * 100_000

    async def scenario() -> None:
        server = Server(reply)

        async def closing(head: bytes, body: bytes) -> bytes | None:
            answer_bytes = await reply(head, body)
            server.writers[-1].write(answer_bytes or b"")
            return None  # then close

        server.answer = closing
        async with server as url, UpstreamClient() as client:
            for _ in range(2):
                assert (await client.post(url, json={})).content == b"x" * 100_000
        assert server.connections == 2

    run(scenario())


def test_a_connection_the_server_closed_while_idle_is_replaced() -> None:
    async def scenario() -> None:
        server = Server(answer())
        async with server as url, UpstreamClient() as client:
            assert (await client.post(url, json={})).status_code == 200
            for writer in server.writers:  # the server drops its idle keep-alive connection
                writer.close()
            await asyncio.sleep(0.05)
            assert (await client.post(url, json={})).status_code == 200
        assert server.connections == 2

    run(scenario())


def test_a_stale_connection_that_still_looks_open_is_retried_once_on_a_new_one() -> None:
    calls = 0

    async def first_then_silent_close(head: bytes, body: bytes) -> bytes | None:
        nonlocal calls
        calls += 1
        if calls == 2:
            return None  # the request on the reused connection gets no answer
        return await answer()(head, body)

    async def scenario() -> None:
        server = Server(first_then_silent_close)
        async with server as url, UpstreamClient() as client:
            assert (await client.post(url, json={})).status_code == 200
            assert (await client.post(url, json={})).status_code == 200
        assert calls == 3
        assert server.connections == 2

    run(scenario())


def test_a_fresh_connection_closed_without_an_answer_is_a_protocol_error() -> None:
    async def silent(_head: bytes, _body: bytes) -> bytes | None:
        return None

    async def scenario() -> None:
        async with Server(silent) as url, UpstreamClient() as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.post(url, json={})

    run(scenario())


def test_an_answer_cut_short_is_a_protocol_error() -> None:
    async def scenario() -> None:
        server = Server(answer(body=b"short", Content_Length="100"))

        async def then_close(head: bytes, body: bytes) -> bytes | None:
            server.writers[-1].write(await answer(body=b"short", Content_Length="100")(head, body))
            return None

        server.answer = then_close
        async with server as url, UpstreamClient() as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.post(url, json={})

    run(scenario())


def test_no_answer_in_time_is_a_read_timeout() -> None:
    async def never(_head: bytes, _body: bytes) -> bytes | None:
        await asyncio.sleep(10)
        return None

    async def scenario() -> None:
        async with Server(never) as url, UpstreamClient() as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.post(url, json={}, timeout=0.2)

    run(scenario())


def test_nobody_listening_is_a_connect_error() -> None:
    async def scenario() -> None:
        async with Server(answer()) as url:
            pass  # closed again: its port refuses connections
        async with UpstreamClient() as client:
            with pytest.raises(httpx.ConnectError):
                await client.post(url, json={})

    run(scenario())


def test_malformed_answers_are_protocol_errors() -> None:
    async def garbage(_head: bytes, _body: bytes) -> bytes:
        return b"SMTP ready\r\n\r\n"

    async def scenario() -> None:
        async with Server(garbage) as url, UpstreamClient() as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.post(url, json={})

    run(scenario())


def test_request_hooks_run_and_can_refuse_the_call() -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)
        if request.url.path == "/refused":
            raise RuntimeError("over budget")

    async def scenario() -> None:
        server = Server(answer())
        async with server as url, UpstreamClient() as client:
            client.event_hooks["request"] = [hook]
            assert (await client.post(f"{url}/ok", json={})).status_code == 200
            with pytest.raises(RuntimeError, match="over budget"):
                await client.post(f"{url}/refused", json={})
        assert seen == ["/ok", "/refused"]
        assert len(server.requests) == 1

    run(scenario())


def test_connections_are_limited_and_waiting_for_one_can_time_out() -> None:
    release = asyncio.Event()

    async def slow(head: bytes, body: bytes) -> bytes:
        await release.wait()
        return await answer()(head, body)

    async def scenario() -> None:
        server = Server(slow)
        transport = KeepAliveTransport(max_connections=1)
        async with server as url, UpstreamClient(transport) as client:
            first = asyncio.create_task(client.post(url, json={}))
            await asyncio.sleep(0.05)
            with pytest.raises(httpx.PoolTimeout):
                await client.post(url, json={}, timeout=httpx.Timeout(5, pool=0.1))
            release.set()
            assert (await first).status_code == 200
            assert (await client.post(url, json={})).status_code == 200
        assert server.connections == 1

    run(scenario())


def test_a_closed_client_sends_nothing() -> None:
    async def scenario() -> None:
        async with Server(answer()) as url:
            client = UpstreamClient()
            await client.aclose()
            with pytest.raises(RuntimeError):
                await client.post(url, json={})

    run(scenario())


def test_an_environment_proxy_keeps_httpx_own_transport(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(upstream_client(), UpstreamClient)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    assert not isinstance(upstream_client(), UpstreamClient)


def test_wazzup_errors_still_reach_the_page_as_problems() -> None:
    """Timeouts are 504 and refused connections 502 through the lean transport, as before."""

    async def never(_head: bytes, _body: bytes) -> bytes | None:
        await asyncio.sleep(10)
        return None

    async def scenario() -> tuple[int, int]:
        async with Server(never) as url:
            settings = Settings(
                wazzup_api_key="0123456789abcdef0123456789abcdef",
                wazzup_base_url=url,
                upstream_timeout_s=0.2,
            )
            async with UpstreamClient() as client:
                with pytest.raises(UpstreamProblem) as timed_out:
                    await WazzupClient(settings, client).check()
        async with UpstreamClient() as client:
            with pytest.raises(UpstreamProblem) as refused:
                await WazzupClient(settings, client).check()
        return timed_out.value.problem.status, refused.value.problem.status

    assert run(scenario()) == (504, 502)
