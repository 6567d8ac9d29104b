"""The whole loop in Chromium: page → proxy → sandbox link → chat window events → sample CRM."""

from __future__ import annotations

import contextlib
import time

import pytest
from conftest import ONLINE_LISTENER_THROWS, Demo, chat_of, chat_window, new_user, open_page

CHAT = "whatsapp:79991234567:Anthony Stone"
FRAME = 'iframe[data-testid="chat-frame"]'


def card_query(user_id: str, events: str = "deals,messages", chat: str = CHAT) -> str:
    return f"?user={user_id}&userName=E2E%20Manager&scope=card&chat={chat}&events={events}"


def own_chat(user_id: str) -> str:
    """A chat no other test writes to: its contact record is this test's alone."""
    return f"whatsapp:{chat_of(user_id)}:Anthony Stone"


def wait_for_records(page, demo: Demo, user_id: str, count: int, timeout: float = 30) -> list:
    # Poll with page.wait_for_timeout, not time.sleep: Playwright's sync API serves the
    # network guard's route handlers only while the test is inside a Playwright call.
    deadline = time.monotonic() + timeout
    rows = demo.records(user_id)
    while len(rows) < count and time.monotonic() < deadline:
        page.wait_for_timeout(250)
        rows = demo.records(user_id)
    return rows


def test_page_boots_offline_and_embeds_the_chat_link_from_the_proxy(page, demo, network):
    open_page(page, demo, card_query(new_user()))

    frame = page.locator(FRAME)
    assert page.locator("body").get_attribute("data-ready") == "1"
    assert frame.get_attribute("allow") == "microphone *; clipboard-write *"
    assert frame.get_attribute("referrerpolicy") == "no-referrer"
    assert frame.get_attribute("src").startswith(f"{demo.sandbox_url}/chat/")
    assert network.foreign == []


def test_each_event_becomes_one_record_in_the_crm(page, demo, network):
    user_id = new_user()
    open_page(page, demo, card_query(user_id, chat=own_chat(user_id)))
    chat = page.frame_locator(FRAME)

    chat.locator('[data-testid="message-input"]').fill("Hello from the test")
    chat.locator('[data-testid="message-send"]').click()
    chat.locator('[data-testid="deals-toggle"]').click()
    chat.locator('[data-testid="deal-create"]').click()
    # The CRM creates the deal, the page pushes it to Wazzup, the dropdown lists it.
    deal = chat.locator('[data-testid="deal-item"]').first
    deal.wait_for(timeout=30_000)
    with page.context.expect_page() as opened:
        deal.click()

    rows = wait_for_records(page, demo, user_id, 3)
    assert sorted(row["kind"] for row in rows) == ["contact", "deal_opened", "deal_request"]
    for event_type in ("WZ_OUTPUT_MESSAGE", "WZ_CREATE_ENTITY", "WZ_OPEN_ENTITY"):
        assert page.locator(f'#events li[data-event-type="{event_type}"]').count() == 1
    deal_request = next(row for row in rows if row["kind"] == "deal_request")
    deal_uri = deal_request["answer"]["deal"]["uri"]
    opened_record = next(row for row in rows if row["kind"] == "deal_opened")
    assert opened_record["record"]["entity"]["link"] == deal_uri
    assert opened.value.url == deal_uri
    page.locator('#records li[data-status="delivered"]').nth(2).wait_for()
    assert network.foreign == []


def test_repeated_messages_in_one_chat_make_one_contact(page, demo):
    user_id = new_user()
    open_page(page, demo, card_query(user_id, events="messages"))
    chat = page.frame_locator(FRAME)
    for text in ("one", "two", "three"):
        chat.locator('[data-testid="message-input"]').fill(text)
        chat.locator('[data-testid="message-send"]').click()

    page.locator('#events li[data-event-type="WZ_OUTPUT_MESSAGE"]').nth(2).wait_for()
    page.locator('#records li[data-status="delivered"]').first.wait_for(timeout=30_000)
    contacts = [
        row
        for row in demo.records()
        if row["kind"] == "contact" and row["record"]["chat"]["chatId"] == "79991234567"
    ]
    assert len(contacts) == 1


def test_message_from_another_origin_is_rejected_and_not_recorded(page, demo):
    user_id = new_user()
    open_page(page, demo, card_query(user_id))
    forged = {
        "type": "WZ_CREATE_ENTITY",
        "data": {"chatType": "whatsapp", "chatId": "79991234567", "userId": user_id},
    }
    # From the page's own origin (a script in the host page)...
    page.evaluate("message => window.postMessage(message, '*')", forged)
    # ...and from a window on the CRM's origin (the page's CSP lets no such frame in).
    with page.expect_popup() as popup:
        page.evaluate("url => window.open(url)", f"{demo.crm_url}/")
    popup.value.wait_for_load_state()
    popup.value.evaluate("message => opener.postMessage(message, '*')", forged)

    rejected = page.locator("#rejected li")
    rejected.nth(1).wait_for()
    reasons = rejected.all_inner_texts()
    assert all("is not the chat window's origin" in reason for reason in reasons)
    assert page.locator("#events li").count() == 0
    page.wait_for_timeout(1000)
    assert demo.records(user_id) == []


def test_message_from_the_chat_origin_but_another_window_is_rejected(page, demo):
    user_id = new_user()
    open_page(page, demo, card_query(user_id))
    page.evaluate(
        """url => { const f = document.createElement('iframe'); f.src = url; f.id = 'twin';
                    document.body.append(f); }""",
        f"{demo.sandbox_url}/chat/not-a-session?token=x",
    )
    page.frame_locator("#twin").locator("body").wait_for()
    twin = next(frame for frame in page.frames if "not-a-session" in frame.url)
    twin.evaluate(
        """userId => parent.postMessage({type: 'WZ_CREATE_ENTITY', data: {chatType: 'whatsapp',
            chatId: '79991234567', userId}}, '*')""",
        user_id,
    )
    page.locator("#rejected li").first.wait_for()
    assert "other than the chat window" in page.locator("#rejected li").first.inner_text()
    assert demo.records(user_id) == []


def test_malformed_message_from_the_chat_window_is_rejected_and_the_page_keeps_working(page, demo):
    user_id = new_user()
    open_page(page, demo, card_query(user_id))
    chat_window(page, demo).evaluate(
        "() => parent.postMessage({type: 'WZ_CREATE_ENTITY', data: {chatType: 'fax'}}, '*')"
    )
    page.locator("#rejected li").first.wait_for()
    assert "chatType" in page.locator("#rejected li").first.inner_text()

    chat = page.frame_locator(FRAME)
    chat.locator('[data-testid="deals-toggle"]').click()
    chat.locator('[data-testid="deal-create"]').click()
    assert len(wait_for_records(page, demo, user_id, 1)) == 1


def test_api_keys_never_reach_the_browser(page, demo):
    seen: list[str] = []

    def capture(response) -> None:
        seen.append(str(response.headers))
        seen.append(response.url)
        with contextlib.suppress(Exception):  # binary bodies (wasm) and redirects
            seen.append(response.text())

    page.on("response", capture)
    page.on("console", lambda message: seen.append(message.text))
    user_id = new_user()
    open_page(page, demo, card_query(user_id))
    chat = page.frame_locator(FRAME)
    chat.locator('[data-testid="deals-toggle"]').click()
    chat.locator('[data-testid="deal-create"]').click()
    wait_for_records(page, demo, user_id, 1)

    seen.append(page.content())
    for frame in page.frames:
        seen.append(frame.content())
    seen.append(
        page.evaluate("JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})")
    )
    seen.append(str(page.context.cookies()))
    seen.append(demo.log_path.read_text(errors="replace"))
    everything = "\n".join(seen)
    assert len(everything) > 10_000  # the scan really saw the traffic
    for secret in demo.secrets:
        assert secret not in everything


def test_invalid_parameter_is_named_on_the_page(page, demo):
    open_page(page, demo, "?user=u1&scope=card&chat=whatsapp:%2B7999")

    problem = page.locator("#problem")
    assert problem.get_attribute("data-problem") == "config:chat"
    assert "'chat'" in problem.inner_text()
    assert "digits only" in problem.inner_text()
    assert page.locator(FRAME).count() == 0


def test_unknown_parameter_is_named_with_the_known_ones(page, demo):
    open_page(page, demo, "?user=u1&scop=card")
    assert page.locator("#problem").get_attribute("data-problem") == "config:scop"
    assert "known ones are" in page.locator("#problem").inner_text()


def test_unreachable_proxy_says_what_to_check(page, demo):
    page.route("**/api/link", lambda route: route.abort("connectionrefused"))
    open_page(page, demo, card_query(new_user()))
    text = page.locator("#problem").inner_text()
    assert "proxy is unreachable" in text
    assert "proxyUrl" in text
    assert page.locator("#problem").get_attribute("data-problem") == "proxy-unreachable"
    assert page.locator(FRAME).count() == 0  # no chat: its place says so


def test_upstream_refusal_is_explained_in_plain_words(page, demo):
    demo.post_json(
        f"{demo.sandbox_url}/_sandbox/faults",
        {
            "path": "/v3/iframe",
            "status": 400,
            "body": {"error": {"code": "NO_SUCH_ACCOUNT"}},
            "times": 1,
        },
    )
    open_page(page, demo, card_query(new_user()))
    problem = page.locator("#problem")
    assert "NO_SUCH_ACCOUNT" in problem.inner_text()
    assert "WAZZUP_API_KEY" in problem.inner_text()


@pytest.mark.parametrize(
    "served_alone",
    ["pydantic_core-*.wasm", "pure-packages.zip"],
    ids=["webassembly", "pure-packages"],
)
def test_missing_runtime_file_is_named_on_the_page(page, demo, served_alone):
    # pydantic-core's WebAssembly and the pure-Python packages' zip are files of their own
    # (scripts/vendor_runtime.py): a host that did not copy one gets it named, not a page
    # that never gets ready.
    page.route(f"**/{served_alone}", lambda route: route.fulfill(status=404, body="gone"))
    open_page(page, demo, card_query(new_user()))
    detail = page.locator("#problem-detail").inner_text()
    assert served_alone.split("*")[0] in detail and "HTTP 404" in detail
    assert "make setup" in detail
    assert page.locator("#status").get_attribute("data-state") == "error"
    # The chat was set before pydantic failed to load, and still works: it stays, and the
    # problem says what does not.
    assert page.locator(FRAME).count() == 1
    assert "events are not recorded" in detail


def test_a_failure_after_events_are_handled_keeps_the_chat_and_does_not_say_they_are_lost(
    page, demo
):
    page.add_init_script(ONLINE_LISTENER_THROWS)
    open_page(page, demo, card_query(new_user()))
    detail = page.locator("#problem-detail").inner_text()
    assert "listener refused by the test" in detail
    assert page.locator(FRAME).count() == 1
    assert "events are not recorded" not in detail


def test_configuration_page_names_missing_runtime_webassembly(page, demo):
    page.route("**/pydantic_core-*.wasm", lambda route: route.fulfill(status=404, body="gone"))
    page.goto(f"{demo.page_url}/config.html")
    status = page.locator('#status[data-state="error"]')
    status.wait_for(timeout=60_000)
    assert "HTTP 404" in status.inner_text()
