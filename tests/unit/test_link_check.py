"""`POST /api/link/check`: the proxy tells the page whether its chat link still opens."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from proxy.app import create_app
from proxy.linkcheck import checkable, status_of
from proxy.sandbox import SandboxSettings, create_sandbox_app
from proxy.settings import Settings

SANDBOX_URL = "http://sandbox.test"
KEY = "sandbox-key-0123456789abcdef"
CARD = {
    "user": {"id": "222555"},
    "scope": "card",
    "filter": [{"chatType": "whatsapp", "chatId": "79998887766"}],
}


def proxy_with_sandbox() -> tuple[TestClient, Any]:
    sandbox = create_sandbox_app(
        SandboxSettings(api_key=KEY, partner_token="partner-0123456789", public_url=SANDBOX_URL)
    )
    settings = Settings(
        wazzup_api_key=KEY,
        wazzup_base_url=SANDBOX_URL,
        allow_unsigned=True,
        upsert_users=False,
        upstream_retry_max_wait_s=0,
    )
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox))
    return TestClient(create_app(settings, http=http)), sandbox


def test_a_fresh_link_is_valid_and_an_expired_one_is_expired() -> None:
    proxy, sandbox = proxy_with_sandbox()
    with proxy, TestClient(sandbox) as control:
        url = proxy.post("/api/link", json=CARD).json()["url"]
        fresh = proxy.post("/api/link/check", json={"url": url})
        assert control.post("/_sandbox/links/expire", json={"userId": "222555"}).json() == {
            "expired": 1
        }
        stale = proxy.post("/api/link/check", json={"url": url})
        forged = proxy.post("/api/link/check", json={"url": url.replace("token=", "token=x")})

    assert fresh.json() == {"state": "valid", "status": 200}
    assert stale.json() == {"state": "expired", "status": 401}
    assert forged.json() == {"state": "expired", "status": 403}
    assert fresh.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # not a chat window: no open relay
        "https://evil.example.com/chat/1?token=t",
        "http://12345678.wazzup24.com/chat/1",  # Wazzup, but not https
        "https://user:pass@app.wazzup24.com/chat/1",
        "ftp://app.wazzup24.com/chat/1",
        "",
    ],
)
def test_only_chat_window_links_are_opened(url: str) -> None:
    proxy, _ = proxy_with_sandbox()
    with proxy:
        response = proxy.post("/api/link/check", json={"url": url})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


def test_wazzup_and_upstream_origins_are_checkable() -> None:
    settings = Settings(wazzup_api_key=KEY, wazzup_base_url=SANDBOX_URL, allow_unsigned=True)
    assert checkable("https://12345678.wazzup24.com/chat/x?token=t", settings, set())
    assert checkable(f"{SANDBOX_URL}/chat/x?token=t", settings, set())
    assert checkable("https://chat.other.example/x", settings, {"https://chat.other.example"})
    assert not checkable("https://wazzup24.com.evil.example/x", settings, set())


@pytest.mark.parametrize(
    ("code", "state"),
    [
        (200, "valid"),
        (204, "valid"),
        (302, "expired"),
        (401, "expired"),
        (403, "expired"),
        (404, "expired"),
        (410, "expired"),
        (429, "unknown"),
        (500, "unknown"),
        (502, "unknown"),
    ],
)
def test_statuses_map_to_what_the_page_does(code: int, state: str) -> None:
    assert status_of(code).state == state
