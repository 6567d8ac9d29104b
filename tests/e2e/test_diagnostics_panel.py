"""The diagnostics panel and the log exports in Chromium against the demo.

Events are posted from inside the sandbox's chat window frame (as in test_delivery_faults.py):
to the page they are the chat window's own events.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from conftest import Demo, chat_of, chat_window, new_user, own_card_query

from components.launch import LaunchClaims
from proxy.launch import sign_launch

PANEL = "#diagnostics"
PHONE = "+79161234567"
PHONE_MASKED = "+7 916 ***-**-67"


def masked_chat(user_id: str) -> str:
    chat = chat_of(user_id)
    return f"+7 999 ***-**-{chat[-2:]}"


def open_ready(page, url: str) -> None:
    page.goto(url)
    page.locator('body[data-ready="1"], #problem:not([hidden])').first.wait_for(timeout=90_000)


def fire(frame, user_id: str, event_type: str, **extra: str) -> None:
    data = {"chatType": "whatsapp", "chatId": chat_of(user_id), "userId": user_id, **extra}
    frame.evaluate("([type, data]) => parent.postMessage({type, data}, '*')", [event_type, data])


def check(page) -> dict[str, tuple[str, str]]:
    """Open (or re-run) the diagnostics; check → (state, the row's text)."""
    if page.locator(PANEL).is_hidden():
        button = page.locator("#diagnostics-button")
        assert button.is_visible(), page.locator("#problem").inner_text()
        button.click()
    else:
        page.click('[data-action="diagnostics-refresh"]')
    page.locator(f'{PANEL}[data-state="done"]').wait_for(timeout=15_000)
    rows = page.locator("#diagnostics-rows li")
    found = {}
    for index in range(rows.count()):
        row = rows.nth(index)
        found[row.get_attribute("data-check")] = (
            row.get_attribute("data-state"),
            row.inner_text(),
        )
    return found


def wait_for_status(page, status: str, timeout_s: float = 30) -> None:
    page.locator(f'#records li[data-status="{status}"]').first.wait_for(timeout=timeout_s * 1000)


@pytest.fixture
def crm(demo: Demo):
    demo.set_crm_fault("ok")
    yield demo
    demo.set_crm_fault("ok")


def test_diagnostics_show_a_healthy_page_with_its_last_event_and_no_secret(page, crm: Demo):
    user_id = new_user()
    open_ready(page, f"{crm.page_url}/{own_card_query(user_id)}")
    fire(chat_window(page, crm), user_id, "WZ_OUTPUT_MESSAGE", messageId="m1", telephone=PHONE)
    wait_for_status(page, "delivered")

    event = page.locator("#events li").first.inner_text()
    assert masked_chat(user_id) in event and PHONE_MASKED in event
    assert chat_of(user_id) not in event and PHONE not in event
    rows = check(page)

    assert list(rows) == ["proxy", "upstream", "framing", "permissions", "boot", "events", "outbox"]
    for name in ("proxy", "upstream", "framing", "permissions", "events", "outbox"):
        assert rows[name][0] == "ok", rows[name]
    assert rows["boot"][0] in ("ok", "warn")  # a shared CPU may start slowly
    assert "/api/health" in rows["proxy"][1]
    assert "opened on its own" in rows["framing"][1]
    assert "WZ_OUTPUT_MESSAGE" in rows["events"][1]
    assert "0 queued, 0 sending, 0 failed, 1 delivered" in rows["outbox"][1]
    panel = page.locator(PANEL).inner_text()
    for secret in crm.secrets:
        assert secret not in panel
    record = crm.records(user_id)[0]["record"]
    assert record["chat"]["chatId"] == chat_of(user_id)  # the CRM gets the real number
    assert record["event"]["data"]["telephone"] == PHONE


def test_failures_turn_rows_red_with_their_fix(page, crm: Demo):
    user_id = new_user()
    open_ready(page, f"{crm.page_url}/{own_card_query(user_id)}")
    assert check(page)["proxy"][0] == "ok"

    page.route("**/api/health", lambda route: route.abort("connectionrefused"))
    rows = check(page)
    assert rows["proxy"][0] == "bad"
    assert "proxyUrl in site.json" in rows["proxy"][1]
    assert rows["upstream"][0] == "warn"
    page.unroute("**/api/health")

    crm.post_json(
        f"{crm.sandbox_url}/_sandbox/faults",
        {"path": "/v3/channels", "status": 401, "body": {"error": {"code": "x"}}, "times": 1},
    )
    rows = check(page)
    assert rows["proxy"][0] == "ok"
    assert rows["upstream"][0] == "bad"
    assert "WAZZUP_API_KEY" in rows["upstream"][1]

    crm.set_crm_fault("422")
    fire(chat_window(page, crm), user_id, "WZ_CREATE_ENTITY")
    wait_for_status(page, "failed")
    rows = check(page)
    assert rows["outbox"][0] == "bad"
    assert "1 failed" in rows["outbox"][1]
    assert "Retry" in rows["outbox"][1]


def download(page, export: str) -> str:
    with page.expect_download() as info:
        page.click(f'[data-export="{export}"]')
    assert info.value.suggested_filename.startswith(f"wazzup-{export.split('-')[0]}-")
    return Path(info.value.path()).read_text(encoding="utf-8-sig")


def test_exports_download_the_logs_with_phones_masked(page, crm: Demo):
    user_id = new_user()
    open_ready(page, f"{crm.page_url}/{own_card_query(user_id)}")
    fire(chat_window(page, crm), user_id, "WZ_OUTPUT_MESSAGE", messageId="m1", telephone=PHONE)
    wait_for_status(page, "delivered")
    check(page)

    events_csv = download(page, "events-csv")
    events_json = json.loads(download(page, "events-json"))
    records_csv = download(page, "deliveries-csv")
    records_json = json.loads(download(page, "deliveries-json"))

    assert events_csv.startswith("receivedAt,key,type,")
    assert f"'{masked_chat(user_id)}" in events_csv  # a leading + is not run as a formula
    assert [row["chatId"] for row in events_json] == [masked_chat(user_id)]
    assert [row["phone"] for row in events_json] == [PHONE_MASKED]
    assert [(row["kind"], row["status"]) for row in records_json] == [("contact", "delivered")]
    assert records_json[0]["phone"] == PHONE_MASKED
    assert "delivered" in records_csv
    for text in (events_csv, json.dumps(events_json), records_csv, json.dumps(records_json)):
        assert chat_of(user_id) not in text
        assert PHONE.removeprefix("+") not in text


def test_mask_off_shows_and_exports_numbers_in_full(page, crm: Demo):
    user_id = new_user()
    open_ready(page, f"{crm.page_url}/{own_card_query(user_id, '&mask=off')}")
    fire(chat_window(page, crm), user_id, "WZ_OUTPUT_MESSAGE", messageId="m1", telephone=PHONE)
    page.locator("#events li").first.wait_for()

    assert chat_of(user_id) in page.locator("#events li").first.inner_text()
    check(page)
    assert json.loads(download(page, "events-json"))[0]["chatId"] == chat_of(user_id)


def test_the_panel_never_shows_the_launch_token(page, demo: Demo):
    now = int(time.time())
    claims = {
        "sub": new_user(),
        "scope": "card",
        "chats": ["whatsapp:79991234567:Anthony Stone"],
        "events": ["deals", "messages"],
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    token = sign_launch(LaunchClaims.model_validate(claims), kid="e2e", secret="x" * 32)
    open_ready(page, f"{demo.page_url}/?launch={token}")

    check(page)
    panel = page.locator(PANEL).inner_text()
    assert token not in panel
    assert token.split(".")[2] not in panel
    for secret in demo.secrets:
        assert secret not in panel


def inner_page(page, demo: Demo, host_url: str):
    """Open a CRM page that embeds ours; our page's Frame once it is ready."""
    page.goto(host_url)
    host = page.frame_locator('iframe[data-testid="chat-page"]')
    host.locator('body[data-ready="1"]').wait_for(timeout=90_000)
    return next(frame for frame in page.frames if frame.url.startswith(demo.page_url))


def test_framed_by_the_crm_page_names_its_origin(page, crm: Demo):
    frame = inner_page(page, crm, f"{crm.crm_url}/embed{own_card_query(new_user())}")

    rows = check(frame)

    assert rows["framing"][0] == "ok"
    assert f"inside {crm.crm_url}, as parentOrigin says" in rows["framing"][1]
    assert rows["permissions"][0] == "ok"


def test_a_host_iframe_without_allow_is_red_and_says_what_to_add(page, crm: Demo):
    inner_page(page, crm, f"{crm.crm_url}/embed{own_card_query(new_user())}")
    # The same host page, its <iframe> tag written without allow="microphone; clipboard-write".
    page.evaluate(
        """() => {
            const old = document.querySelector('iframe[data-testid="chat-page"]');
            const bare = document.createElement("iframe");
            bare.src = old.src;
            bare.title = old.title;
            bare.dataset.testid = "chat-page";
            old.replaceWith(bare);
        }"""
    )
    page.frame_locator('iframe[data-testid="chat-page"]').locator('body[data-ready="1"]').wait_for(
        timeout=90_000
    )
    frame = next(frame for frame in page.frames if frame.url.startswith(crm.page_url))

    rows = check(frame)

    assert rows["framing"][0] == "ok"
    state, text = rows["permissions"]
    assert state == "bad"
    assert "microphone" in text
    assert 'allow="microphone; clipboard-write"' in text
