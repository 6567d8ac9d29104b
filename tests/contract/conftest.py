"""Contract fixtures: the sandbox and the proxy on real sockets, and real Wazzup when configured.

The same cases run against every `wazzup` target: the sandbox always, and real Wazzup only
when these are set (read-only and harmless calls only; nothing is ever deleted)::

    WAZZUP_CONTRACT_BASE_URL=https://api.wazzup24.com
    WAZZUP_CONTRACT_API_KEY=<a v3 API key>
    WAZZUP_CONTRACT_PARTNER_TOKEN=<a v2 client access token>        (optional)
    WAZZUP_CONTRACT_PARTNER_BASE_URL=https://tech.wazzup24.com      (optional)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from servers import (
    SANDBOX_KEY,
    SANDBOX_TOKEN,
    SKIP_REAL,
    Stack,
    Target,
    proxy_settings,
    real_wazzup,
    sandbox_server,
    serve,
)

from proxy.app import create_app


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/contract" in str(item.path):
            item.add_marker(pytest.mark.contract)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """The sandbox and two proxies in front of it, one per link API generation."""
    with sandbox_server() as sandbox_url:
        v3 = proxy_settings(sandbox_url)
        v2 = proxy_settings(sandbox_url, wazzup_api="v2", wazzup_api_key=None)
        with (
            serve(lambda _: create_app(v3)) as proxy_v3_url,
            serve(lambda _: create_app(v2)) as proxy_v2_url,
        ):
            yield Stack(sandbox_url, proxy_v3_url, proxy_v2_url)


@pytest.fixture(params=["sandbox", "wazzup"])
def wazzup(request: pytest.FixtureRequest, stack: Stack) -> Target:
    if request.param == "sandbox":
        return Target(
            "sandbox", stack.sandbox_url, SANDBOX_KEY, stack.sandbox_url, SANDBOX_TOKEN, True
        )
    real = real_wazzup()
    if real is None:
        pytest.skip(SKIP_REAL)
    return real
