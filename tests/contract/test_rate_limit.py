"""Wazzup's 500 requests per 5 s (wazzup-api.md §9): the proxy waits Retry-After and retries once.

A sandbox with a limit of 1 request per second stands in for the real limit, so the waits are
short; the proxy never waits longer than UPSTREAM_RETRY_MAX_WAIT_S (6 s) in one request.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from servers import Stack, proxy_settings, sandbox_server, serve

from proxy.app import create_app

GLOBAL = {"user": {"id": "rate-limited-user"}, "scope": "global"}


@pytest.fixture(scope="module")
def limited() -> Iterator[tuple[str, str]]:
    """(sandbox URL, proxy URL): a sandbox allowing 1 request per 1-s window."""
    with sandbox_server(rate_limit=1, rate_window_s=1.0) as sandbox_url:
        settings = proxy_settings(sandbox_url)
        with serve(lambda _: create_app(settings)) as proxy_url:
            yield sandbox_url, proxy_url


def test_a_429_is_waited_out_and_retried_once(limited: tuple[str, str]) -> None:
    _, proxy_url = limited

    started = time.monotonic()
    answers = [httpx.post(f"{proxy_url}/api/link", json=GLOBAL, timeout=20) for _ in range(3)]
    took = time.monotonic() - started

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert 1.0 <= took < 3 * 6  # at least one window was waited out, none over the bound


def test_a_second_429_reaches_the_page_with_retry_after(stack: Stack) -> None:
    stack.clear_faults()
    stack.fault("/v3/iframe", 429, None, headers={"Retry-After": "1"}, times=2)

    started = time.monotonic()
    response = httpx.post(f"{stack.proxy_v3_url}/api/link", json=GLOBAL, timeout=20)

    assert time.monotonic() - started >= 1.0  # it waited once...
    assert response.status_code == 429  # ...and gave up after the one retry
    assert response.headers["retry-after"] == "1"
    assert response.json()["code"] == "TOO_MANY_REQUESTS"


def test_a_retry_after_beyond_the_bound_is_not_waited(stack: Stack) -> None:
    stack.clear_faults()
    stack.fault("/v3/iframe", 429, None, headers={"Retry-After": "60"})

    started = time.monotonic()
    response = httpx.post(f"{stack.proxy_v3_url}/api/link", json=GLOBAL, timeout=20)

    assert time.monotonic() - started < 2
    assert (response.status_code, response.headers["retry-after"]) == (429, "60")
