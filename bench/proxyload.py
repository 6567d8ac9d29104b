"""Link requests per second through the proxy and straight to the sandbox, same concurrency.

`concurrency` HTTP/1.1 keep-alive connections, one request in flight on each, send until
`count` requests are done, all on 127.0.0.1; the clock starts once every connection is open.
The proxy path is page → proxy → sandbox; the direct path is the same request to the sandbox's
own `POST /v3/iframe` with the API key. Latency is measured twice: under that load, and one
request at a time (the hop's own cost, without queueing).

The client is raw asyncio: each request is one prepared write, each answer a head read up to
its blank line and a Content-Length body. The load generator shares the 2 cores with the
servers; httpx cost ~2.5 ms of CPU per request at 20 in flight (more than either server), so
the client, not the servers, set both paths' pace and hid what the proxy costs.
"""

from __future__ import annotations

import asyncio
import json
import math
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

LINK_REQUEST = {
    "user": {"id": "bench-user", "name": "Bench"},
    "scope": "card",
    "filter": [{"chatType": "whatsapp", "chatId": "79990000001"}],
    "options": {"useDealsEvents": True, "useMessageEvents": False},
}


@dataclass
class Run:
    requests: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q% of values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


async def _run(url: str, headers: dict[str, str], count: int, concurrency: int) -> Run:
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.hostname and parts.port, url
    request = _encode(parts.netloc, parts.path or "/", headers)
    connections = [
        await asyncio.open_connection(parts.hostname, parts.port) for _ in range(concurrency)
    ]
    latencies: list[float] = []
    remaining = count

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            start = time.perf_counter()
            writer.write(request)
            status, body = await _read_answer(reader)
            latencies.append((time.perf_counter() - start) * 1000)
            if status != 200:
                raise RuntimeError(f"{url}: HTTP {status}: {body[:200]!r}")

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker(reader, writer) for reader, writer in connections))
        return Run(count, time.perf_counter() - started, latencies)
    finally:
        for _, writer in connections:
            writer.close()


def _encode(netloc: str, path: str, headers: dict[str, str]) -> bytes:
    body = json.dumps(LINK_REQUEST).encode()
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {netloc}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise RuntimeError(f"an answer without Content-Length: {head[:200]!r}")
    return status, await reader.readexactly(length)


@dataclass
class Target:
    url: str
    headers: dict[str, str]


def compare(
    proxy: Target, direct: Target, *, count: int, concurrency: int, rounds: int = 2
) -> dict[str, dict[str, Run]]:
    """{"loaded"|"single": {"proxy"|"direct": best Run}}, rounds alternating the two paths."""

    def best(runs: list[Run]) -> Run:
        return max(runs, key=lambda run: run.per_second)

    async def main() -> dict[str, dict[str, Run]]:
        for target in (proxy, direct):  # warm up connections, caches and the JIT-free paths
            await _run(target.url, target.headers, 100, concurrency)
        loaded: dict[str, list[Run]] = {"proxy": [], "direct": []}
        single: dict[str, list[Run]] = {"proxy": [], "direct": []}
        for _ in range(rounds):
            for name, target in (("direct", direct), ("proxy", proxy)):
                loaded[name].append(await _run(target.url, target.headers, count, concurrency))
                single[name].append(await _run(target.url, target.headers, count // 5, 1))
        return {
            "loaded": {name: best(runs) for name, runs in loaded.items()},
            "single": {
                name: min(runs, key=lambda run: statistics.median(run.latencies_ms))
                for name, runs in single.items()
            },
        }

    return asyncio.run(main())
