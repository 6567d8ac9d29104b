"""Rate limits of the proxy: one per client on the API, and one budget shared by all upstream calls.

    limiter = FixedWindowLimiter(limit=500, window_s=5.0)
    limiter.hit("upstream")       # None while allowed, else whole seconds until the reset

`ClientRateLimit` answers 429 (problem details, Retry-After) to a client IP that sends too many
API requests. `upstream_budget_hook` keeps the proxy within Wazzup's own limit (500 requests
per 5 s per key), so a flood of page requests is refused here instead of locking the key out.

The client is the connection's peer address. Behind a reverse proxy, let uvicorn take the real
address from X-Forwarded-For (`--forwarded-allow-ips`); the app itself never reads that header.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from components.problems import Problem

from .security import problem_response
from .upstream import UpstreamProblem

Clock = Callable[[], float]
API_PREFIXES = ("/api/", "/v3/", "/v2/")


class RateLimiter(Protocol):
    def hit(self, key: str) -> int | None:
        """Count one request for `key`; None if allowed, else seconds until it would be."""
        ...


class FixedWindowLimiter:
    """`limit` requests per `window_s` per key, counted in fixed windows (as Wazzup counts)."""

    def __init__(self, limit: int, window_s: float, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._window = -1
        self._counts: dict[str, int] = {}

    def hit(self, key: str) -> int | None:
        now = self._clock()
        window = math.floor(now / self.window_s)
        if window != self._window:  # a new window: every count starts again
            self._window, self._counts = window, {}
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        if count <= self.limit:
            return None
        return max(1, math.ceil((window + 1) * self.window_s - now))


def too_many_requests(retry_after: int, detail: str) -> Problem:
    problem = Problem(
        title="Too many requests", status=429, detail=detail, code="TOO_MANY_REQUESTS"
    )
    return problem.model_copy(update={"retry_after": retry_after})


class ClientRateLimit:
    """ASGI middleware: API requests per client IP; the page's static files are not counted,
    nor paths under `exempt_prefixes` (Wazzup's webhooks: their pace is Wazzup's)."""

    def __init__(
        self, app: ASGIApp, limiter: RateLimiter, exempt_prefixes: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.exempt_prefixes = tuple(exempt_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._counted(scope):
            client = scope.get("client")
            retry_after = self.limiter.hit(client[0] if client else "unknown")
            if retry_after is not None:
                problem = too_many_requests(
                    retry_after, f"Too many requests from this client; wait {retry_after} s."
                )
                response = problem_response(problem, {"Retry-After": str(retry_after)})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _counted(self, scope: Scope) -> bool:
        path = scope["path"]
        if self.exempt_prefixes and path.startswith(self.exempt_prefixes):
            return False
        return path.startswith(API_PREFIXES) or scope["method"] not in ("GET", "HEAD")


def upstream_budget_hook(
    limiter: RateLimiter, upstream_urls: Iterable[str]
) -> Callable[[httpx.Request], Awaitable[None]]:
    """An httpx request hook that refuses a Wazzup call beyond the shared budget.

    Calls to other hosts on the same client (the CRM relay) are not counted.
    """
    upstream_hosts = {httpx.URL(url).netloc for url in upstream_urls}

    async def spend_budget(request: httpx.Request) -> None:
        if request.url.netloc not in upstream_hosts:
            return
        retry_after = limiter.hit("upstream")
        if retry_after is not None:
            raise UpstreamProblem(
                too_many_requests(
                    retry_after,
                    "The proxy's budget of Wazzup requests (Wazzup allows 500 per 5 s) is used "
                    f"up; try again in {retry_after} s.",
                ),
                str(retry_after),
            )

    return spend_budget
