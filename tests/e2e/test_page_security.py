"""Security in Chromium: signed launches against the proxy in production mode (`python -m proxy`,
what `make serve` runs) with the demo's sandbox behind it, the page's CSP, the unsigned banner,
forged window messages, and no secret or launch token in any response, console or server log."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, Demo, _wait_until_up, chat_window, free_port, open_page

from components.launch import LaunchClaims, b64url_decode, b64url_encode
from proxy.launch import sign_launch

FRAME = 'iframe[data-testid="chat-frame"]'
CHAT_ID = "79991234567"
SECRET = "e2e-launch-" + os.urandom(16).hex()


@dataclass
class SignedProxy:
    page_url: str
    log_path: Path

    def launch_url(self, kid: str = "e2e", secret: str = SECRET, **changes: object) -> str:
        now = int(time.time())
        claims = {
            "sub": f"e2e-{uuid.uuid4().hex[:10]}",
            "name": "E2E Manager",
            "scope": "card",
            "chats": [f"whatsapp:{CHAT_ID}:Anthony Stone"],
            "events": ["deals", "messages"],
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        } | changes
        token = sign_launch(LaunchClaims.model_validate(claims), kid=kid, secret=secret)
        return f"{self.page_url}/?launch={token}"


@pytest.fixture(scope="module")
def signed_proxy(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedProxy]:
    workdir = tmp_path_factory.mktemp("signed")
    site = json.loads((ROOT / "site.json").read_text())
    site.update(crmUrl=f"{demo.crm_url}/records", allowedCrmUrls=[f"{demo.crm_url}/records"])
    (workdir / "site.json").write_text(json.dumps(site))
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("ALLOW_UNSIGNED", "DEMO", "LAUNCH_KEYS", "CRM_URL")
    } | {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WAZZUP_API_KEY": demo.api_key,
        "WAZZUP_BASE_URL": demo.sandbox_url,
        "LAUNCH_KEYS": f"e2e:{SECRET}",
        "FRAME_ORIGINS": demo.sandbox_url,
        "CONNECT_ORIGINS": demo.crm_url,
        "SITE_CONFIG": str(workdir / "site.json"),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = workdir / "proxy.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "proxy"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    proxy = SignedProxy(page_url=f"http://127.0.0.1:{port}", log_path=log_path)
    _wait_until_up([f"{proxy.page_url}/api/mode"], process, log_path)
    yield proxy
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def open_url(page, url: str):
    page.goto(url)
    page.wait_for_function(
        "document.body.dataset.ready === '1' || !document.getElementById('problem').hidden",
        timeout=90_000,
    )
    return page


def problem_code(page) -> str | None:
    return page.locator("#problem").get_attribute("data-problem")


def test_a_signed_launch_opens_the_chat_under_the_pages_csp(
    page, demo, signed_proxy, network
) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    response = page.goto(signed_proxy.launch_url())
    open_url(page, page.url)

    policy = response.headers["content-security-policy"]
    assert f"frame-src {demo.sandbox_url};" in policy
    assert "script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval';" in policy
    assert response.headers["referrer-policy"] == "no-referrer"
    assert page.locator("body").get_attribute("data-ready") == "1"
    assert page.locator(FRAME).get_attribute("src").startswith(f"{demo.sandbox_url}/chat/")
    assert page.get_by_test_id("unsigned-banner").is_hidden()
    # A window message gets through under the policy too.
    chat = page.frame_locator(FRAME)
    chat.locator('[data-testid="deals-toggle"]').click()
    chat.locator('[data-testid="deal-create"]').click()
    page.locator('#events li[data-event-type="WZ_CREATE_ENTITY"]').wait_for()
    assert not [line for line in console if "Content Security Policy" in line]
    assert network.foreign == []


def test_the_csp_lets_no_other_origin_into_a_frame(page, demo) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    open_page(page, demo, f"?user=e2e-{uuid.uuid4().hex[:8]}&scope=global")

    page.evaluate(
        """url => { const f = document.createElement('iframe'); f.src = url;
                    document.body.append(f); }""",
        f"{demo.crm_url}/",
    )

    for _ in range(20):  # the browser reports the refusal on the console
        refusals = [line for line in console if "Content Security Policy" in line]
        if refusals:
            break
        page.wait_for_timeout(250)
    assert refusals and "frame-src" in refusals[0]


def test_reloading_a_used_launch_is_refused_as_a_replay(page, signed_proxy) -> None:
    open_url(page, signed_proxy.launch_url())
    assert page.locator("body").get_attribute("data-ready") == "1"

    page.reload()
    open_url(page, page.url)

    assert problem_code(page) == "LAUNCH_REPLAYED"
    assert "Open the chat again from the CRM" in page.locator("#problem").inner_text()
    assert page.locator(FRAME).count() == 0


def tampered(url: str) -> str:
    """The same launch for another user, its signature kept."""
    base, token = url.split("?launch=")
    header, payload, signature = token.split(".")
    claims = json.loads(b64url_decode(payload)) | {"sub": "someone-else"}
    return f"{base}?launch={header}.{b64url_encode(json.dumps(claims).encode())}.{signature}"


@pytest.mark.parametrize(
    ("make_url", "code"),
    [
        (lambda proxy: tampered(proxy.launch_url()), "LAUNCH_BAD_SIGNATURE"),
        (lambda proxy: proxy.launch_url(exp=int(time.time()) - 120), "LAUNCH_EXPIRED"),
        (lambda proxy: proxy.launch_url(kid="gone", secret="x" * 40), "LAUNCH_UNKNOWN_KEY"),
        (lambda proxy: f"{proxy.page_url}/?user=e2e-1&scope=global", "LAUNCH_REQUIRED"),
    ],
    ids=["tampered", "expired", "unknown-key", "no-launch"],
)
def test_a_refused_launch_is_explained_on_the_page(page, signed_proxy, make_url, code) -> None:
    open_url(page, make_url(signed_proxy))

    assert problem_code(page) == code
    assert page.locator(FRAME).count() == 0


def test_the_demo_warns_loudly_that_it_runs_unsigned(page, demo) -> None:
    open_page(page, demo, f"?user=e2e-{uuid.uuid4().hex[:8]}&scope=card&chat=whatsapp:{CHAT_ID}")

    banner = page.get_by_test_id("unsigned-banner")
    banner.wait_for()
    assert "Unsigned mode" in banner.inner_text()


def test_forged_messages_are_listed_as_rejected_and_never_reach_the_crm(page, demo) -> None:
    user_id = f"e2e-{uuid.uuid4().hex[:10]}"
    open_page(page, demo, f"?user={user_id}&scope=card&chat=whatsapp:{CHAT_ID}&events=deals")
    event = {"chatType": "whatsapp", "chatId": CHAT_ID, "userId": user_id}
    # A stranger (here: the host page itself) posts a 5 MB object: rejected unread.
    page.evaluate(
        """event => window.postMessage(
            {type: 'WZ_CREATE_ENTITY', data: event, pad: 'x'.repeat(5 * 1024 * 1024)}, '*')""",
        event,
    )
    window = chat_window(page, demo)
    forgeries = [
        "event => parent.postMessage({type: 'WZ_DROP_TABLES', data: event}, '*')",
        "event => parent.postMessage({type: 'WZ_CREATE_ENTITY', data: event, "
        "pad: 'x'.repeat(20000)}, '*')",
        'event => parent.postMessage(\'{"type": "WZ_CREATE_ENTITY", "data": \' '
        "+ '['.repeat(6000) + ']'.repeat(6000) + '}', '*')",
        "event => parent.postMessage('not json at all', '*')",
        "event => { const cyclic = {type: 'WZ_CREATE_ENTITY', data: event}; "
        "cyclic.self = cyclic; parent.postMessage(cyclic, '*'); }",
    ]
    for forgery in forgeries:
        window.evaluate(forgery, event)

    page.locator("#rejected li").nth(len(forgeries)).wait_for()
    reasons = page.locator("#rejected li").all_inner_texts()
    expected = [
        "not the chat window's origin",
        "unknown message type 'WZ_DROP_TABLES'",
        "larger than 16384 bytes",
        "nested more than 32 deep",
        "message is not JSON",
        "must be an object, got NoneType",
    ]
    # The list shows the newest first.
    for reason, part in zip(reversed(reasons), expected, strict=True):
        assert part in reason
    assert page.locator("#events li").count() == 0
    # The page keeps working: a genuine event still gets through.
    page.frame_locator(FRAME).locator('[data-testid="deals-toggle"]').click()
    page.frame_locator(FRAME).locator('[data-testid="deal-create"]').click()
    page.locator('#events li[data-event-type="WZ_CREATE_ENTITY"]').wait_for()
    deadline = time.monotonic() + 20
    while len(demo.records(user_id)) < 1 and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert [row["kind"] for row in demo.records(user_id)] == ["deal_request"]


def test_no_secret_or_launch_token_leaks_in_a_signed_flow(page, demo, signed_proxy) -> None:
    seen: list[str] = []

    def capture(response) -> None:
        seen.append(str(response.headers))
        with contextlib.suppress(Exception):  # binary bodies (wasm) and redirects
            seen.append(response.text())

    page.on("response", capture)
    page.on("console", lambda message: seen.append(message.text))
    url = signed_proxy.launch_url()
    token = url.split("?launch=")[1]
    open_url(page, url)
    chat = page.frame_locator(FRAME)
    chat.locator('[data-testid="deals-toggle"]').click()
    chat.locator('[data-testid="deal-create"]').click()
    page.locator('#events li[data-event-type="WZ_CREATE_ENTITY"]').wait_for()
    page.reload()  # a refused replay is logged too
    open_url(page, page.url)

    seen.append(page.content())
    seen.append(page.evaluate("JSON.stringify({...localStorage, ...sessionStorage})"))
    everything = "\n".join(seen)
    logs = signed_proxy.log_path.read_text(errors="replace") + demo.log_path.read_text(
        errors="replace"
    )
    assert len(everything) > 10_000
    for secret in [*demo.secrets, SECRET]:
        assert secret not in everything
        assert secret not in logs
    # uvicorn's access log line, redacted and still formatted
    assert '"GET /?launch=[REDACTED] HTTP/1.1" 200 OK' in logs
    assert "Logging error" not in logs
    assert token not in logs
