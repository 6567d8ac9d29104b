"""Servers for the contract tests: the sandbox and the proxy on real sockets, in threads.

with sandbox_server() as sandbox_url, serve(lambda _: create_app(settings)) as proxy_url:
    ...
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from proxy.sandbox import SandboxSettings, create_sandbox_app
from proxy.settings import Settings

SANDBOX_KEY = "contract-api-key-0123456789abcdef"
SANDBOX_TOKEN = "contract-partner-token-0123456789"
REAL_ENV = ("WAZZUP_CONTRACT_BASE_URL", "WAZZUP_CONTRACT_API_KEY")
SKIP_REAL = (
    "real Wazzup is not configured: set WAZZUP_CONTRACT_BASE_URL and WAZZUP_CONTRACT_API_KEY "
    "(and WAZZUP_CONTRACT_PARTNER_TOKEN for the v2 cases) to run these against it"
)


@contextmanager
def serve(make_app: Callable[[str], Any]) -> Iterator[str]:
    """Serve `make_app(url)` with uvicorn on a free loopback port, in a thread; yield the URL.

    The socket is bound first, so an app (the sandbox) can know its own URL.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(make_app(url), log_level="warning", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the server for {url} did not start")
        time.sleep(0.02)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def sandbox_settings(url: str, **changes: Any) -> SandboxSettings:
    return SandboxSettings(
        api_key=SANDBOX_KEY, partner_token=SANDBOX_TOKEN, public_url=url, **changes
    )


def sandbox_server(**changes: Any) -> AbstractContextManager[str]:
    return serve(lambda url: create_sandbox_app(sandbox_settings(url, **changes)))


def proxy_settings(sandbox_url: str, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "wazzup_api_key": SANDBOX_KEY,
        "wazzup_partner_token": SANDBOX_TOKEN,
        "wazzup_base_url": sandbox_url,
        "wazzup_partner_base_url": sandbox_url,
        "allow_unsigned": True,
        "demo": True,
        # Not about the proxy's own client limit: allow all the requests these tests send.
        "client_rate_limit": 1_000_000,
    } | changes
    return Settings(**values)


@dataclass(frozen=True)
class Stack:
    sandbox_url: str
    proxy_v3_url: str  # WAZZUP_API=v3 with the API key
    proxy_v2_url: str  # WAZZUP_API=v2 with the partner token only

    def fault(self, path: str, status: int, body: Any = None, **extra: Any) -> None:
        response = httpx.post(
            f"{self.sandbox_url}/_sandbox/faults",
            json={"path": path, "status": status, "body": body, **extra},
        )
        response.raise_for_status()

    def clear_faults(self) -> None:
        httpx.delete(f"{self.sandbox_url}/_sandbox/faults").raise_for_status()


@dataclass(frozen=True)
class Target:
    """A Wazzup to run the contract against."""

    name: str
    base_url: str
    api_key: str
    partner_base_url: str
    partner_token: str | None
    is_sandbox: bool

    def v3(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.api_key}", **kwargs.pop("headers", {})}
        url = f"{self.base_url}{path}"
        return httpx.request(method, url, headers=headers, timeout=30, **kwargs)

    def v2(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self.partner_token is None:
            pytest.skip("set WAZZUP_CONTRACT_PARTNER_TOKEN to run the v2 cases against Wazzup")
        headers = {"Authorization": f"Bearer {self.partner_token}", **kwargs.pop("headers", {})}
        url = f"{self.partner_base_url}{path}"
        return httpx.request(method, url, headers=headers, timeout=30, **kwargs)


def real_wazzup() -> Target | None:
    """Real Wazzup as configured in the environment, or None."""
    if not all(os.environ.get(name) for name in REAL_ENV):
        return None
    return Target(
        "wazzup",
        os.environ["WAZZUP_CONTRACT_BASE_URL"].rstrip("/"),
        os.environ["WAZZUP_CONTRACT_API_KEY"],
        os.environ.get("WAZZUP_CONTRACT_PARTNER_BASE_URL", "https://tech.wazzup24.com").rstrip("/"),
        os.environ.get("WAZZUP_CONTRACT_PARTNER_TOKEN") or None,
        False,
    )
