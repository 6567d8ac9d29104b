"""An expired chat link is replaced by a fresh one on the same chat, and nothing is lost."""

from __future__ import annotations

import time
import uuid

from conftest import Demo, chat_window, open_page

FRAME = 'iframe[data-testid="chat-frame"]'
WHATSAPP = "79990001122"
TELEGRAM = "1670185"


def open_card(page, demo: Demo, user_id: str) -> None:
    # Check the link every second here; the shipped default is every 5 minutes.
    def fast_checks(route) -> None:
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), "linkCheckS": 1})

    page.route(f"{demo.page_url}/site.json", fast_checks)
    query = (
        f"?user={user_id}&scope=card&chat=whatsapp:{WHATSAPP}:Anthony%20Stone"
        f"&chat=telegram:{TELEGRAM}:Maria%20Petrova&events=deals,messages"
    )
    open_page(page, demo, query)
    assert page.locator("body").get_attribute("data-ready") == "1"


def wait_for_new_src(page, old: str, timeout_s: float = 30) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        src = page.locator(FRAME).get_attribute("src")
        if src != old:
            return src
        page.wait_for_timeout(200)
    raise AssertionError("the expired chat link was never replaced")


def test_an_expired_link_reopens_the_last_chat_and_keeps_the_log(page, demo: Demo) -> None:
    user_id = f"e2e-{uuid.uuid4().hex[:10]}"
    open_card(page, demo, user_id)
    old_src = page.locator(FRAME).get_attribute("src")
    chat = chat_window(page, demo)
    # The person moves to the Telegram chat and writes there: that is where they are now.
    chat.locator(".chat-item", has_text="Maria Petrova").click()
    chat.get_by_test_id("message-input").fill("hello")
    chat.get_by_test_id("message-send").click()
    page.locator('#events li[data-event-type="WZ_OUTPUT_MESSAGE"]').wait_for()
    page.locator('#records li[data-status="delivered"]').first.wait_for(timeout=20_000)
    events_before = page.locator("#events li").count()

    demo.post_json(f"{demo.sandbox_url}/_sandbox/links/expire", {"userId": user_id})
    new_src = wait_for_new_src(page, old_src)

    assert new_src.startswith(f"{demo.sandbox_url}/chat/") and new_src != old_src
    fresh = chat_window(page, demo)
    active = fresh.locator('.chat-item[aria-current="true"]')
    assert "Maria Petrova" in active.inner_text()
    assert page.locator("#events li").count() == events_before  # the log is kept
    assert page.locator("#notes li").first.inner_text().startswith("The chat link had expired")
    # The fresh window's events are accepted like the first one's.
    fresh.get_by_test_id("message-input").fill("still here")
    fresh.get_by_test_id("message-send").click()
    page.locator('#events li[data-event-type="WZ_OUTPUT_MESSAGE"]').nth(1).wait_for()
    assert page.locator("#rejected li").count() == 0


def test_a_link_that_still_opens_is_left_alone(page, demo: Demo) -> None:
    open_card(page, demo, f"e2e-{uuid.uuid4().hex[:10]}")
    src = page.locator(FRAME).get_attribute("src")
    checks: list[str] = []
    page.on("request", lambda r: checks.append(r.url) if r.url.endswith("/link/check") else None)

    page.wait_for_timeout(7_000)  # a check every second, the loop looks every 5 s

    assert checks  # it did look
    assert page.locator(FRAME).get_attribute("src") == src
