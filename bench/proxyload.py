"""Link requests per second through the proxy and straight to the sandbox, same concurrency.

An httpx async client keeps `concurrency` requests in flight until `count` are done, all on
127.0.0.1. The proxy path is page → proxy → sandbox; the direct path is the same request to
the sandbox's own `POST /v3/iframe` with the API key. Latency is measured twice: under that
load, and one request at a time (the hop's own cost, without queueing).
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from dataclasses import dataclass

import httpx

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
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    remaining = count

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                start = time.perf_counter()
                response = await client.post(url, json=LINK_REQUEST, headers=headers)
                latencies.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"{url}: HTTP {response.status_code}: {response.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return Run(count, time.perf_counter() - started, latencies)


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
