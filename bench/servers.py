"""The demo's three servers for the benchmark, one process each, plus the comparison pages.

    PORT=9000 SANDBOX_PORT=9001 CRM_PORT=9002 CRM_DB=/tmp/crm.sqlite3 \\
        python -m bench.servers page|sandbox|crm

Like `python -m demo`, with three differences: each server runs in its own process (Wazzup is
another machine in production, so the proxy must not share a core with the sandbox); the
sandbox's rate limit is lifted (the load test sends thousands of link requests); and the page
server also serves `/bench/pages/*` (bench/pages/) and `/bench/stock/*` (the runtime exactly as
npm ships it, build/stock/), with the same caching and encodings as the page's own runtime, so
every page is served alike and only what the pages and their runtimes do differs.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from demo.apps import crm_service, proxy_app, sandbox_app
from demo.config import DemoConfig
from demo.servers import Service, serve_all
from proxy.static import IMMUTABLE_SUFFIXES, RUNTIME_CACHE, file_response

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "bench" / "pages"
STOCK = ROOT / "build" / "stock"
NO_RATE_LIMIT = 10**9


class BenchPages:
    """`/bench/...` from bench/pages and build/stock; everything else goes to the page app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/bench/"):
            await self.app(scope, receive, send)
            return
        response = bench_file(Request(scope), path.removeprefix("/bench/"))
        await response(scope, receive, send)


def bench_file(request: Request, path: str) -> Response:
    kind, _, rest = path.partition("/")
    roots = {"pages": PAGES, "stock": STOCK}
    if kind not in roots or ".." in rest.split("/"):
        return Response("Not found", status_code=404)
    if rest.endswith("/"):
        rest += "index.html"
    file = (roots[kind] / rest).resolve()
    if not file.is_relative_to(roots[kind]) or not file.is_file():
        return Response("Not found", status_code=404)
    # The stock runtime gets what the page's own runtime gets: immutable code, revalidated data.
    code = kind == "stock" and file.suffix in IMMUTABLE_SUFFIXES
    return file_response(request, file, RUNTIME_CACHE if code else "no-cache")


def service(role: str, config: DemoConfig) -> Service:
    if role == "page":
        return Service("Page + proxy", BenchPages(proxy_app(config)), config.port, "PORT")
    if role == "sandbox":
        app = sandbox_app(config)
        state = app.state.sandbox
        state.settings = state.settings.model_copy(update={"rate_limit": NO_RATE_LIMIT})
        state.reset()  # rebuilds the rate limiter from the settings
        return Service("Wazzup sandbox", app, config.sandbox_port, "SANDBOX_PORT")
    if role == "crm":
        return crm_service(config)
    raise SystemExit(f"usage: python -m bench.servers page|sandbox|crm (got {role!r})")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        raise SystemExit("usage: python -m bench.servers page|sandbox|crm")
    config = DemoConfig.from_env(os.environ)
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        return runner.run(serve_all([service(argv[0], config)], host=config.host))


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (as `uvicorn.run` picks it), else asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
