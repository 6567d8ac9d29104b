"""CRM delivery under faults, in Chromium against the demo: nothing lost, nothing doubled.

The sample CRM is switched between fault modes (`POST /_faults`); its SQLite file is read
directly, so "exactly one row per event" is checked where it matters. Events are posted from
inside the sandbox's chat window frame, which has the chat window's origin and is the frame
the page embedded: to the page they are the chat window's own events.
"""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from conftest import (
    ONLINE_LISTENER_THROWS,
    Demo,
    chat_of,
    chat_window,
    new_user,
    own_card_query,
)

CHAT_TYPE = "whatsapp"
FRAME = 'iframe[data-testid="chat-frame"]'
RECORDS = "#records li"
OUTBOX_PREFIX = "wz-outbox:"


def fire(frame, user_id: str, count: int, event_type: str = "WZ_CREATE_ENTITY") -> None:
    """Post `count` events from the chat window frame, as fast as it can."""
    frame.evaluate(
        """([count, type, data]) => {
            for (let i = 0; i < count; i++) {
                const extra = type === "WZ_OUTPUT_MESSAGE" ? {messageId: "m-" + i} : {};
                parent.postMessage({type, data: {...data, ...extra}}, "*");
            }
        }""",
        [count, event_type, {"chatType": CHAT_TYPE, "chatId": chat_of(user_id), "userId": user_id}],
    )


def stored_keys(demo: Demo, user_id: str) -> list[str]:
    """The idempotency keys of the user's rows, straight from the CRM's SQLite file."""
    with sqlite3.connect(f"file:{demo.crm_db}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT idempotency_key FROM records WHERE user_id = ? AND answer IS NOT NULL",
            (user_id,),
        ).fetchall()
    return [key for (key,) in rows]


def wait_for_rows(page, demo: Demo, user_id: str, count: int, timeout: float = 60) -> list[str]:
    # page.wait_for_timeout, not time.sleep: Playwright serves route handlers only in its calls.
    deadline = time.monotonic() + timeout
    keys = stored_keys(demo, user_id)
    while len(keys) < count and time.monotonic() < deadline:
        page.wait_for_timeout(250)
        keys = stored_keys(demo, user_id)
    return keys


def wait_for_count(page, selector: str, count: int, timeout_ms: float = 30_000) -> None:
    # Locators, not wait_for_function: the page's CSP forbids the eval that the latter needs.
    page.locator(selector).nth(count - 1).wait_for(timeout=timeout_ms)


def open_ready(page, url: str) -> None:
    """Go to the page (or a page that embeds it) and wait until it is ready."""
    page.goto(url)
    wait_ready(page)


def wait_ready(page) -> None:
    page.locator('body[data-ready="1"], #problem:not([hidden])').first.wait_for(timeout=90_000)
    assert page.locator("body").get_attribute("data-ready") == "1"


def wait_all_delivered(page, count: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    statuses = outbox_statuses(page)
    while not (len(statuses) == count and set(statuses.values()) == {"delivered"}):
        assert time.monotonic() < deadline, f"not all {count} delivered: {statuses}"
        page.wait_for_timeout(250)
        statuses = outbox_statuses(page)


def outbox_statuses(page) -> dict[str, str]:
    """key → status of every record in the page's localStorage outbox."""
    raw = page.evaluate(
        """prefix => Object.keys(localStorage).filter(k => k.startsWith(prefix))
                  .map(k => localStorage.getItem(k))""",
        OUTBOX_PREFIX,
    )
    entries = [json.loads(item) for item in raw]
    return {entry["record"]["idempotency_key"]: entry["status"] for entry in entries}


def shown_event_keys(page) -> list[str]:
    return page.eval_on_selector_all("#events li", "items => items.map(i => i.dataset.key)")


def crm_stats(demo: Demo) -> dict[str, int]:
    return demo.get_json(f"{demo.crm_url}/_stats")


@pytest.fixture
def crm(demo: Demo):
    """The sample CRM, back to "ok" after the test whatever happened."""
    demo.set_crm_fault("ok")
    yield demo
    demo.set_crm_fault("ok")


def test_events_fired_while_the_crm_is_down_survive_a_reload_and_arrive_once_each(page, crm: Demo):
    """120 deal requests and 6 messages of one chat, a reload halfway: 121 rows."""
    user_id, half = new_user(), 60
    stats_before = crm_stats(crm)
    crm.set_crm_fault("down")
    open_ready(page, f"{crm.page_url}/{own_card_query(user_id)}")

    fire(chat_window(page, crm), user_id, half)
    fire(chat_window(page, crm), user_id, 3, "WZ_OUTPUT_MESSAGE")
    wait_for_count(page, "#events li", half + 3)
    first_keys = set(shown_event_keys(page))
    assert len(first_keys) == half + 1  # every message of the chat is the same contact record
    wait_for_count(page, RECORDS, half + 1)
    assert set(outbox_statuses(page)) == first_keys  # stored before any delivery

    page.reload()
    wait_ready(page)
    wait_for_count(page, RECORDS, half + 1)  # the outbox came back from localStorage
    fire(chat_window(page, crm), user_id, 3, "WZ_OUTPUT_MESSAGE")
    fire(chat_window(page, crm), user_id, half)
    wait_for_count(page, "#events li", half + 3)
    all_keys = first_keys | set(shown_event_keys(page))
    assert len(all_keys) == 2 * half + 1  # the contact after the reload is the same record
    wait_for_count(page, RECORDS, 2 * half + 1)
    assert stored_keys(crm, user_id) == []

    crm.set_crm_fault("ok")
    back_up = time.monotonic()
    keys = wait_for_rows(page, crm, user_id, 2 * half + 1)
    took = time.monotonic() - back_up

    assert sorted(keys) == sorted(all_keys)  # exactly one row per record
    # The page lists the newest delivered records only (components/page_view.py LOG_ROWS);
    # the outbox in localStorage holds every one.
    wait_all_delivered(page, 2 * half + 1)
    assert page.locator(f'{RECORDS}:not([data-status="delivered"])').count() == 0
    page.wait_for_timeout(1000)
    assert len(stored_keys(crm, user_id)) == 2 * half + 1
    repeats = crm_stats(crm)["duplicates"] - stats_before["duplicates"]
    print(
        f"\n{len(keys)} records delivered {took:.1f} s after the CRM came back; {repeats} repeats"
    )


def test_a_hanging_crm_does_not_stop_the_page_and_every_event_arrives_later(page, crm: Demo):
    """The CRM hangs for 30 s; events keep coming every 3 s and each shows at once."""
    user_id = new_user()
    open_ready(page, f"{crm.page_url}/{own_card_query(user_id)}")
    frame = chat_window(page, crm)
    crm.set_crm_fault("hang")
    hang_started = time.monotonic()

    fire(frame, user_id, 1)
    sending = page.locator(f'{RECORDS}[data-status="sending"]')
    sending.wait_for()
    # The tab holds that record's Web Lock while it sends: no other tab may send it now.
    held = page.evaluate("async () => (await navigator.locks.query()).held.map(l => l.name)")
    assert held == [f"wz-deliver:{sending.get_attribute('data-key')}"]
    fired, slowest = 1, 0.0
    while time.monotonic() - hang_started < 30:
        fire(frame, user_id, 5)
        fired += 5
        shown = time.monotonic()
        wait_for_count(page, "#events li", fired, timeout_ms=2_000)
        wait_for_count(page, RECORDS, fired, timeout_ms=2_000)
        slowest = max(slowest, time.monotonic() - shown)
        page.wait_for_timeout(3_000)
    # The page's own timeout (crmTimeoutS, 15 s) ended the first attempt; it is retried later.
    assert page.locator(RECORDS, has_text="no answer within 15 s").count() >= 1
    assert stored_keys(crm, user_id) == []

    crm.set_crm_fault("ok")
    keys = wait_for_rows(page, crm, user_id, fired)

    assert sorted(keys) == sorted(shown_event_keys(page))
    wait_for_count(page, f'{RECORDS}[data-status="delivered"]', fired)
    page.wait_for_timeout(1000)
    assert len(stored_keys(crm, user_id)) == fired
    print(f"\n{fired} events while the CRM hung; slowest to show: {slowest * 1000:.0f} ms")


def test_a_refused_record_is_shown_kept_and_delivered_once_when_retried_by_hand(page, crm: Demo):
    user_id = new_user()
    crm.set_crm_fault("422")
    open_ready(page, f"{crm.page_url}/{own_card_query(user_id)}")
    frame = chat_window(page, crm)

    fire(frame, user_id, 2)
    failed = page.locator(f'{RECORDS}[data-status="failed"]')
    failed.nth(1).wait_for(timeout=20_000)
    assert "CRM answered 422: email: field required (fault injected)" in failed.first.inner_text()
    page.wait_for_timeout(3_000)  # a refusal is not retried by itself
    assert failed.count() == 2
    assert set(outbox_statuses(page).values()) == {"failed"}

    page.reload()  # still there after a reload, still failed
    wait_ready(page)
    failed.nth(1).wait_for()
    retried_key = failed.first.get_attribute("data-key")
    discarded_key = failed.nth(1).get_attribute("data-key")

    crm.set_crm_fault("ok")
    failed.nth(1).locator('button[data-action="discard"]').click()
    page.locator(f'{RECORDS}[data-key="{discarded_key}"]').wait_for(state="detached")
    page.locator(f'{RECORDS}[data-key="{retried_key}"] button[data-action="retry"]').click()
    page.locator(f'{RECORDS}[data-key="{retried_key}"][data-status="delivered"]').wait_for(
        timeout=20_000
    )

    assert wait_for_rows(page, crm, user_id, 1) == [retried_key]
    assert outbox_statuses(page) == {retried_key: "delivered"}
    page.wait_for_timeout(1000)
    assert stored_keys(crm, user_id) == [retried_key]


def test_throttling_and_server_errors_are_retried_until_the_crm_takes_the_record(page, crm: Demo):
    user_id = new_user()
    open_ready(page, f"{crm.page_url}/{own_card_query(user_id)}")
    frame = chat_window(page, crm)
    record = page.locator(RECORDS).first

    crm.set_crm_fault("500")
    fire(frame, user_id, 1)
    page.locator(RECORDS, has_text="CRM answered 500: CRM failed").wait_for(timeout=15_000)
    crm.set_crm_fault("429")
    page.locator(RECORDS, has_text="CRM answered 429: Too many requests").wait_for(timeout=15_000)
    assert record.get_attribute("data-status") in ("queued", "sending")
    crm.set_crm_fault("ok")

    page.locator(f'{RECORDS}[data-status="delivered"]').wait_for(timeout=30_000)
    assert len(wait_for_rows(page, crm, user_id, 1)) == 1


def test_an_unreadable_crm_answer_is_delivered_with_a_note_and_nothing_lost(page, crm: Demo):
    user_id = new_user()
    open_ready(page, f"{crm.page_url}/{own_card_query(user_id)}")
    frame = chat_window(page, crm)

    crm.set_crm_fault("notjson")
    fire(frame, user_id, 1)
    page.locator(RECORDS, has_text="answer not read: not JSON (an HTML page: Saved)").wait_for(
        timeout=15_000
    )
    crm.set_crm_fault("huge")
    fire(frame, user_id, 1)
    page.locator(RECORDS, has_text="answer not read: larger than 256 KiB").wait_for(timeout=15_000)

    assert page.locator(f'{RECORDS}[data-status="delivered"]').count() == 2
    assert sorted(stored_keys(crm, user_id)) == sorted(shown_event_keys(page))


def test_two_tabs_of_one_user_deliver_every_record_exactly_once(page, crm: Demo):
    user_id, per_tab = new_user(), 30
    stats_before = crm_stats(crm)
    crm.set_crm_fault("down")
    tabs = [page, page.context.new_page()]
    for tab in tabs:
        open_ready(tab, f"{crm.page_url}/{own_card_query(user_id)}")

    for tab in tabs:
        frame = chat_window(tab, crm)
        fire(frame, user_id, per_tab)
        fire(frame, user_id, 3, "WZ_OUTPUT_MESSAGE")  # one chat: one contact for both tabs
    expected = per_tab * 2 + 1
    for tab in tabs:  # each tab shows the other's records too (the "storage" event)
        wait_for_count(tab, RECORDS, expected)
    event_keys = {key for tab in tabs for key in shown_event_keys(tab)}
    assert len(event_keys) == expected

    crm.set_crm_fault("ok")
    keys = wait_for_rows(page, crm, user_id, expected)

    assert sorted(keys) == sorted(event_keys)
    for tab in tabs:
        wait_for_count(tab, f'{RECORDS}[data-status="delivered"]', expected)
    tabs[1].wait_for_timeout(1000)
    assert len(stored_keys(crm, user_id)) == expected
    # The Web Lock per record kept the tabs from even sending one record twice.
    assert crm_stats(crm)["duplicates"] == stats_before["duplicates"]


HOST_PAGE = """<!doctype html><title>Someone else's page</title>
<iframe id="chat" src="SRC" style="width:900px;height:600px"></iframe>
<script>
  window.received = [];
  addEventListener("message", (event) => {
    if (event.data && event.data.source === "wazzup-chat-window") window.received.push(event.data);
  });
</script>"""


def test_host_page_on_the_configured_origin_hears_every_event_and_delivery(page, crm: Demo):
    user_id = new_user()
    page.goto(f"{crm.crm_url}/embed{own_card_query(user_id)}")
    host = page.frame_locator('iframe[data-testid="chat-page"]')
    host.locator('body[data-ready="1"]').wait_for(timeout=90_000)
    chat = chat_window(page, crm)

    fire(chat, user_id, 1)
    page.locator('#bridge li[data-type="delivery"]', has_text="delivered").wait_for(timeout=20_000)
    messages = page.evaluate("window.bridgeMessages")

    assert all((m["source"], m["version"]) == ("wazzup-chat-window", 1) for m in messages)
    assert [m["type"] for m in messages][:2] == ["ready", "event"]
    event = messages[1]
    assert event["event"]["type"] == "WZ_CREATE_ENTITY"
    statuses = [m["status"] for m in messages if m["type"] == "delivery"]
    assert statuses == ["sending", "delivered"]  # sent at once, from the event
    delivered = messages[-1]
    assert delivered["idempotencyKey"] == event["idempotencyKey"]
    assert delivered["answer"]["deal"]["uri"].startswith(f"{crm.crm_url}/deals/")
    assert stored_keys(crm, user_id) == [event["idempotencyKey"]]
    assert "token" not in json.dumps(messages)


def heard_by_host(page, crm: Demo, query: str) -> list[dict]:
    """Open the sample CRM's host page on `query`; what it heard, once a problem came."""
    page.goto(f"{crm.crm_url}/embed{query}")
    page.locator('#bridge li[data-type="problem"]').wait_for(timeout=90_000)
    return page.evaluate("window.bridgeMessages")


def test_host_page_hears_a_problem_with_its_code_and_title_but_not_its_detail(page, crm: Demo):
    refusal = {
        "type": "about:blank",
        "title": "Wazzup is busy",
        "status": 503,
        "detail": "Try again later; see https://proxy.example.internal/status",
        "code": "UPSTREAM_UNAVAILABLE",
    }
    page.route(
        f"{crm.page_url}/api/link",
        lambda route: route.fulfill(
            status=503, content_type="application/problem+json", body=json.dumps(refusal)
        ),
    )
    messages = heard_by_host(page, crm, own_card_query(new_user()))

    assert messages == [
        {
            "source": "wazzup-chat-window",
            "version": 1,
            "type": "problem",
            "code": "UPSTREAM_UNAVAILABLE",
            "title": "Wazzup is busy",
            "chatKept": False,
        }
    ]
    host = page.frame_locator('iframe[data-testid="chat-page"]')
    assert host.locator("#problem-detail").inner_text().startswith("Try again later")


def test_host_page_hears_of_a_wrong_url_parameter(page, crm: Demo):
    messages = heard_by_host(page, crm, f"?user={new_user()}&scope=cards")

    assert [(m["type"], m["code"], m["chatKept"]) for m in messages] == [
        ("problem", "config:scope", False)
    ]
    assert "scope" in messages[0]["title"]


def test_host_page_hears_that_the_chat_stayed_after_a_later_failure(page, crm: Demo):
    page.add_init_script(ONLINE_LISTENER_THROWS)  # in every frame; the host adds no such listener
    messages = heard_by_host(page, crm, own_card_query(new_user()))

    assert [(m["type"], m["code"], m["chatKept"]) for m in messages] == [
        ("problem", "internal", True)
    ]
    assert (
        page.frame_locator('iframe[data-testid="chat-page"]')
        .locator('iframe[data-testid="chat-frame"]')
        .count()
        == 1
    )


def test_host_page_on_another_origin_hears_nothing(page, crm: Demo):
    user_id = new_user()
    # Not the configured parentOrigin (the sample CRM's), yet allowed to frame the page.
    foreign = f"{crm.page_url}/a-host-page.html"
    page.route(
        foreign,
        lambda route: route.fulfill(
            content_type="text/html",
            body=HOST_PAGE.replace("SRC", f"{crm.page_url}/{own_card_query(user_id)}"),
        ),
    )
    page.goto(foreign)
    embedded = page.frame_locator("#chat")
    embedded.locator('body[data-ready="1"]').wait_for(timeout=90_000)
    chat = chat_window(page, crm)

    fire(chat, user_id, 1)
    wait_for_rows(page, crm, user_id, 1)
    embedded.locator(f'{RECORDS}[data-status="delivered"]').wait_for(timeout=20_000)

    assert page.evaluate("window.received") == []


def test_in_proxy_mode_records_go_through_the_relay_with_the_crms_own_answers(page, crm: Demo):
    def proxy_mode(route) -> None:
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), "crmMode": "proxy"})

    page.route(f"{crm.page_url}/site.json", proxy_mode)
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    user_id = new_user()
    open_ready(page, f"{crm.page_url}/{own_card_query(user_id)}")
    frame = chat_window(page, crm)

    fire(frame, user_id, 1)
    page.locator(f'{RECORDS}[data-status="delivered"]').wait_for(timeout=20_000)
    crm.set_crm_fault("422")
    fire(frame, user_id, 1)
    failed = page.locator(f'{RECORDS}[data-status="failed"]')
    failed.wait_for(timeout=20_000)

    assert "CRM answered 422: email: field required (fault injected)" in failed.inner_text()
    assert f"{crm.page_url}/api/crm/records" in posted
    assert not any(url.startswith(crm.crm_url) for url in posted)  # never straight to the CRM
    assert len(stored_keys(crm, user_id)) == 1
