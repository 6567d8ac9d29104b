"""Webhook mode in Chromium: "+" in the chat window → Wazzup's webhooks → proxy → CRM → dropdown.

The demo's sandbox account starts subscribed to contactsAndDealsCreation at the proxy's
secret webhook URL (demo/apps.py). A link without deal events (`events=messages`) makes "+"
a webhook call instead of a WZ_CREATE_ENTITY event (wazzup-api.md §5).
"""

from __future__ import annotations

import random
import time
import uuid

from conftest import Demo, open_page

FRAME = 'iframe[data-testid="chat-frame"]'


def webhook_rows(page, demo: Demo, user_id: str, count: int, timeout: float = 30) -> list[dict]:
    """The CRM's webhook records for user_id, once there are `count` of them."""

    def rows() -> list[dict]:
        return [
            row
            for row in demo.records()
            if row["kind"].startswith("webhook_")
            and next(iter(row["record"].values()))["responsibleUserId"] == user_id
        ]

    deadline = time.monotonic() + timeout
    found = rows()
    while len(found) < count and time.monotonic() < deadline:
        page.wait_for_timeout(250)  # not time.sleep: the network guard runs inside Playwright
        found = rows()
    return found


def open_webhook_card(page, demo: Demo) -> tuple[str, str]:
    user_id = f"e2e-hook-{uuid.uuid4().hex[:8]}"
    phone = f"7999{random.randrange(10**7):07d}"
    open_page(
        page,
        demo,
        f"?user={user_id}&userName=Hook%20Manager&scope=card"
        f"&chat=whatsapp:{phone}:Webhook%20Client&events=messages",
    )
    return user_id, phone


def test_plus_without_deal_events_creates_contact_and_deal_through_webhooks(page, demo, network):
    user_id, phone = open_webhook_card(page, demo)
    chat = page.frame_locator(FRAME)

    chat.locator('[data-testid="deals-toggle"]').click()
    chat.locator('[data-testid="deal-create"]').click()

    chat.locator('[data-testid="window-status"][data-webhook="ok"]').wait_for(timeout=30_000)
    deal_item = chat.locator('[data-testid="deal-item"]')
    deal_item.first.wait_for(timeout=30_000)
    rows = webhook_rows(page, demo, user_id, 2)
    assert [row["kind"] for row in rows] == ["webhook_create_contact", "webhook_create_deal"]
    contact, deal = rows[0]["answer"], rows[1]["answer"]
    assert contact["name"] == "Webhook Client"
    assert contact["contactData"] == [{"chatType": "whatsapp", "chatId": phone}]
    assert deal["contacts"] == [contact["id"]]
    assert deal_item.count() == 1
    assert deal_item.first.get_attribute("data-deal-id") == deal["id"]
    # Deals came by webhook, not by event: the page saw none and recorded none.
    assert page.locator('#events li[data-event-type="WZ_CREATE_ENTITY"]').count() == 0
    assert demo.records(user_id) == []

    # Without deal events, a deal in the dropdown opens its uri in the CRM.
    with page.context.expect_page() as opened:
        deal_item.first.click()
    opened.value.wait_for_load_state()
    assert opened.value.url == deal["uri"]
    assert network.foreign == []


def test_a_second_plus_asks_only_for_a_deal_for_the_known_contact(page, demo):
    user_id, _ = open_webhook_card(page, demo)
    chat = page.frame_locator(FRAME)
    chat.locator('[data-testid="deals-toggle"]').click()

    for count in (1, 2):
        chat.locator('[data-testid="deal-create"]').click()
        chat.locator('[data-testid="deal-item"]').nth(count - 1).wait_for(timeout=30_000)

    rows = webhook_rows(page, demo, user_id, 3)
    assert [row["kind"] for row in rows] == [
        "webhook_create_contact",
        "webhook_create_deal",
        "webhook_create_deal",
    ]
    assert rows[1]["answer"]["id"] != rows[2]["answer"]["id"]
