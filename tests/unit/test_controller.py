"""The harness's behaviour without a DOM: a list-backed view, a fake network, a fake clock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import pytest

from components import bridge
from components.config import PageConfig, load_page_config
from components.controller import (
    CRM_RELAY_PATH,
    LOCK_PREFIX,
    MIN_WAIT_S,
    REHEARSAL_MESSAGE,
    Controller,
    DeliveryLock,
    only_this_tab,
    rehearse_event_path,
)
from components.events import WazzupEvent, parse_event
from components.http import HttpResult, TransportFailure
from components.outbox import PREFIX, STALE_SENDING_S, Outbox, OutboxEntry
from components.records import IDEMPOTENCY_HEADER

PROXY = "https://proxy.example.com"
CRM = "https://crm.example.com/records"
LINK = "https://12345678.wazzup24.com/chat/0e812899?token=TOKEN"
ORIGIN = "https://12345678.wazzup24.com"
DEAL = {"id": "501", "responsibleUserId": "1", "name": "Deal #501", "contacts": ["1"]}
CONTACT = {
    "id": "1",
    "responsibleUserId": "1",
    "name": "Anthony",
    "contactData": [{"chatType": "whatsapp", "chatId": "79998887766"}],
}


def chat(**extra: Any) -> dict:
    return {"chatType": "whatsapp", "chatId": 79998887766, "userId": "u1", **extra}


CREATE = {"type": "WZ_CREATE_ENTITY", "data": chat()}


def message(message_id: str) -> dict:
    return {"type": "WZ_OUTPUT_MESSAGE", "data": chat(messageId=message_id, name="Anthony")}


@dataclass
class ListView:
    events: list[tuple[str, str, list[tuple[str, str]]]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    entries: list[OutboxEntry] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    parent: list[dict[str, Any]] = field(default_factory=list)

    def show_event(self, key: str, event: WazzupEvent, rows: list[tuple[str, str]]) -> None:
        self.events.append((key, event.type, rows))

    def show_rejected(self, reason: str) -> None:
        self.rejected.append(reason)

    def show_entry(self, entry: OutboxEntry) -> None:
        self.entries.append(entry)

    def forget_entry(self, key: str) -> None:
        self.forgotten.append(key)

    def show_note(self, text: str) -> None:
        self.notes.append(text)

    def open_link(self, url: str) -> None:
        self.opened.append(url)

    def post_to_parent(self, message: dict[str, Any]) -> None:
        self.parent.append(message)


@dataclass
class FakeNetwork:
    """Scripted answers per URL; anything unscripted answers 200 {}."""

    scripts: dict[str, list[HttpResult | Exception]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def script(self, url: str, *answers: HttpResult | Exception) -> None:
        self.scripts.setdefault(url, []).extend(answers)

    async def __call__(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float
    ) -> HttpResult:
        self.requests.append(
            {"method": method, "url": url, "json": json.loads(body or b"null"), "headers": headers}
        )
        queue = self.scripts.get(url) or []
        answer = queue.pop(0) if queue else HttpResult(200, b"{}")
        if isinstance(answer, Exception):
            raise answer
        return answer

    def to(self, url: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["url"] == url]


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def answer(status: int, body: object = None, **headers: str) -> HttpResult:
    raw = b"" if body is None else json.dumps(body).encode()
    return HttpResult(status, raw, {k.replace("_", "-"): v for k, v in headers.items()})


def page_config(crm_mode: str = "direct", crm_url: str | None = CRM) -> PageConfig:
    site = {
        "proxyUrl": PROXY,
        "crmUrl": crm_url,
        "crmMode": crm_mode,
        "crmTimeoutS": 4,
        "defaults": {"userId": "u1", "scope": "global"},
    }
    return load_page_config(json.dumps(site), "https://chat.example.com/index.html")


@dataclass
class Harness:
    controller: Controller
    view: ListView
    network: FakeNetwork
    clock: Clock
    storage: dict[str, str]

    def deliver(self) -> None:
        asyncio.run(self.controller.deliver_due())


def open_page(
    config: PageConfig | None = None,
    storage: dict[str, str] | None = None,
    *,
    tab: str = "tab",
    lock: DeliveryLock = only_this_tab,
    clock: Clock | None = None,
    stale_sending_s: float = STALE_SENDING_S,
    send_at_once: bool = False,
) -> Harness:
    view, network, clock = ListView(), FakeNetwork(), clock or Clock()
    storage = {} if storage is None else storage
    receipts = iter(range(1000))
    controller = Controller(
        config or page_config(),
        Outbox(storage, clock=clock, jitter=lambda: 1.0, stale_sending_s=stale_sending_s),
        network,
        view,
        new_receipt_id=lambda: f"{tab}-receipt-{next(receipts)}",
        lock=lock,
        send_at_once=send_at_once,
    )
    controller.chat_opened(LINK)
    return Harness(controller, view, network, clock, storage)


@pytest.fixture
def harness() -> Harness:
    return open_page()


def test_accepted_event_is_shown_posted_to_the_parent_and_queued(harness: Harness) -> None:
    assert harness.controller.handle_message(ORIGIN, True, CREATE) is True

    ((key, event_type, rows),) = harness.view.events
    assert event_type == "WZ_CREATE_ENTITY"
    assert ("Chat", "whatsapp +7 999 ***-**-66") in rows  # shown masked (components/mask.py)
    assert harness.view.parent[0] == bridge.event_message(parse_event(CREATE), key)
    (entry,) = harness.view.entries
    assert (entry.key, entry.status) == (key, "queued")
    assert harness.view.parent[1]["type"] == "delivery"
    assert harness.view.parent[1]["status"] == "queued"
    assert [e.key for e in harness.controller.outbox.due()] == [key]
    assert harness.view.rejected == []


def test_queued_record_is_delivered_to_the_crm(harness: Harness) -> None:
    harness.network.script(CRM, answer(201, {"status": "created", "recordId": "r9"}))
    harness.controller.handle_message(ORIGIN, True, CREATE)
    key = harness.view.events[0][0]

    harness.deliver()

    (request,) = harness.network.to(CRM)
    assert request["headers"][IDEMPOTENCY_HEADER] == key
    assert request["json"]["kind"] == "deal_request"
    assert request["json"]["chat"]["chatId"] == "79998887766"
    assert [e.status for e in harness.view.entries] == ["queued", "sending", "delivered"]
    delivered = harness.view.parent[-1]
    assert (delivered["type"], delivered["status"], delivered["idempotencyKey"]) == (
        "delivery",
        "delivered",
        key,
    )
    assert delivered["answer"]["recordId"] == "r9"
    assert harness.controller.outbox.depth() == 0


def test_message_from_another_origin_is_shown_rejected_and_nothing_is_queued(
    harness: Harness,
) -> None:
    accepted = harness.controller.handle_message("https://evil.example.com", True, CREATE)

    assert accepted is False
    assert len(harness.view.rejected) == 1
    assert "evil.example.com" in harness.view.rejected[0]
    assert harness.view.parent == [bridge.rejected_message(harness.view.rejected[0])]
    assert harness.view.events == [] and harness.view.entries == []
    assert harness.storage == {}


def test_malformed_message_is_rejected_and_the_page_keeps_working(harness: Harness) -> None:
    assert harness.controller.handle_message(ORIGIN, True, {"type": "WZ_NOPE"}) is False
    assert harness.controller.handle_message(ORIGIN, True, CREATE) is True

    assert len(harness.view.rejected) == 1
    assert len(harness.view.events) == 1


def test_the_rehearsal_takes_an_event_the_page_would_handle(harness: Harness) -> None:
    rehearse_event_path()  # raises if a step refuses the made-up event

    assert harness.controller.handle_message(ORIGIN, True, REHEARSAL_MESSAGE) is True
    assert len(harness.view.events) == 1


def test_message_before_the_chat_opens_is_rejected() -> None:
    view = ListView()
    controller = Controller(page_config(), Outbox({}), FakeNetwork(), view)

    assert controller.handle_message(ORIGIN, True, CREATE) is False
    assert view.rejected == ["no chat window is open yet"]


def test_message_from_a_second_frame_of_the_same_origin_is_rejected(harness: Harness) -> None:
    assert harness.controller.handle_message(ORIGIN, False, CREATE) is False
    assert harness.storage == {}


def test_two_messages_of_one_chat_make_one_contact_record(harness: Harness) -> None:
    harness.controller.handle_message(ORIGIN, True, message("m1"))
    harness.controller.handle_message(ORIGIN, True, message("m2"))
    harness.deliver()
    harness.controller.handle_message(ORIGIN, True, message("m3"))
    harness.deliver()

    assert len(harness.view.events) == 3  # every message is shown
    assert len({key for key, _, _ in harness.view.events}) == 1
    assert len(harness.controller.outbox.entries()) == 1
    (request,) = harness.network.to(CRM)
    assert request["json"]["kind"] == "contact"
    assert request["json"]["contactName"] == "Anthony"


def test_two_deal_requests_make_two_records(harness: Harness) -> None:
    harness.controller.handle_message(ORIGIN, True, CREATE)
    harness.controller.handle_message(ORIGIN, True, CREATE)
    harness.deliver()

    assert len(harness.network.to(CRM)) == 2
    keys = {r["headers"][IDEMPOTENCY_HEADER] for r in harness.network.to(CRM)}
    assert len(keys) == 2


def test_created_deal_is_pushed_to_wazzup_through_the_proxy(harness: Harness) -> None:
    harness.network.script(CRM, answer(201, {"status": "created", "deal": DEAL}))
    harness.controller.handle_message(ORIGIN, True, CREATE)

    harness.deliver()

    (push,) = harness.network.to(f"{PROXY}/api/deals")
    assert push["method"] == "POST"
    assert push["json"] == [{**DEAL, "closed": False}]
    assert harness.view.notes == ["Sent deal 501 to Wazzup"]
    assert harness.network.to(f"{PROXY}/api/contacts") == []


def test_created_contact_and_deal_are_both_pushed_contact_first(harness: Harness) -> None:
    harness.network.script(CRM, answer(201, {"contact": CONTACT, "deal": DEAL}))
    harness.controller.handle_message(ORIGIN, True, message("m1"))

    harness.deliver()

    pushed = [r["url"] for r in harness.network.requests if r["url"].startswith(PROXY)]
    assert pushed == [f"{PROXY}/api/contacts", f"{PROXY}/api/deals"]


def test_refused_push_is_noted_with_its_status(harness: Harness) -> None:
    harness.network.script(CRM, answer(201, {"deal": DEAL}))
    harness.network.script(f"{PROXY}/api/deals", answer(502, {"title": "x"}))
    harness.controller.handle_message(ORIGIN, True, CREATE)

    harness.deliver()

    assert harness.view.notes == ["Wazzup did not take deal 501 (HTTP 502)"]
    assert harness.view.entries[-1].status == "delivered"


def test_unreachable_proxy_during_a_push_is_noted(harness: Harness) -> None:
    harness.network.script(CRM, answer(201, {"deal": DEAL}))
    harness.network.script(f"{PROXY}/api/deals", TransportFailure("offline"))
    harness.controller.handle_message(ORIGIN, True, CREATE)

    harness.deliver()

    assert harness.view.notes == ["Could not send deal 501 to Wazzup: no answer"]


def test_crm_error_then_success_delivers_once_after_the_backoff(harness: Harness) -> None:
    harness.network.script(
        CRM, answer(500, {"detail": "db down"}), answer(201, {"status": "created"})
    )
    harness.controller.handle_message(ORIGIN, True, CREATE)

    harness.deliver()
    failed = harness.view.entries[-1]
    assert (failed.status, failed.attempts) == ("queued", 1)
    assert failed.last_error == "CRM answered 500: db down"
    assert harness.view.parent[-1]["error"] == "CRM answered 500: db down"

    harness.deliver()  # not due yet: nothing is sent
    assert len(harness.network.to(CRM)) == 1

    harness.clock.now = failed.next_attempt_at
    harness.deliver()
    harness.deliver()

    assert len(harness.network.to(CRM)) == 2
    statuses = [m["status"] for m in harness.view.parent if m["type"] == "delivery"]
    assert statuses.count("delivered") == 1
    assert harness.view.entries[-1].attempts == 2
    keys = {r["headers"][IDEMPOTENCY_HEADER] for r in harness.network.to(CRM)}
    assert len(keys) == 1


def test_crm_429_waits_for_retry_after(harness: Harness) -> None:
    harness.network.script(CRM, answer(429, None, retry_after="30"))
    harness.controller.handle_message(ORIGIN, True, CREATE)
    harness.deliver()

    harness.clock.now += 29
    harness.deliver()
    assert len(harness.network.to(CRM)) == 1

    harness.clock.now += 1
    harness.deliver()
    assert len(harness.network.to(CRM)) == 2


def test_permanent_failure_waits_for_a_manual_retry(harness: Harness) -> None:
    harness.network.script(CRM, answer(422, {"detail": "missing 'email'"}))
    harness.controller.handle_message(ORIGIN, True, CREATE)
    harness.deliver()
    key = harness.view.events[0][0]
    assert harness.view.entries[-1].status == "failed"
    assert harness.view.entries[-1].last_error == "CRM answered 422: missing 'email'"

    harness.clock.now += 3600
    harness.deliver()
    assert len(harness.network.to(CRM)) == 1

    harness.controller.retry(key)
    harness.deliver()

    assert len(harness.network.to(CRM)) == 2
    assert harness.view.entries[-1].status == "delivered"


def test_discarded_record_is_never_sent(harness: Harness) -> None:
    harness.controller.handle_message(ORIGIN, True, CREATE)

    harness.controller.discard(harness.view.events[0][0])
    harness.deliver()

    assert harness.network.requests == []


def test_opened_deal_with_a_link_opens_it() -> None:
    harness = open_page()
    entity = {"id": "d1", "name": "Deal", "link": "https://crm.example.com/deals/1"}

    opened = {"type": "WZ_OPEN_ENTITY", "data": chat(entity=entity)}

    harness.controller.handle_message(ORIGIN, True, opened)

    assert harness.view.opened == ["https://crm.example.com/deals/1"]


def test_without_a_crm_events_are_shown_but_not_queued() -> None:
    harness = open_page(page_config(crm_mode="direct", crm_url=None))

    assert harness.controller.crm_target is None
    assert harness.controller.handle_message(ORIGIN, True, CREATE) is True
    harness.deliver()

    assert len(harness.view.events) == 1
    assert harness.view.entries == [] and harness.storage == {}
    assert harness.network.requests == []


def test_proxy_mode_delivers_to_the_proxys_relay() -> None:
    harness = open_page(page_config(crm_mode="proxy", crm_url=None))
    harness.controller.handle_message(ORIGIN, True, CREATE)

    harness.deliver()

    assert [r["url"] for r in harness.network.requests] == [f"{PROXY}{CRM_RELAY_PATH}"]


def test_records_left_by_a_previous_page_are_delivered_after_a_reload() -> None:
    storage: dict[str, str] = {}
    first = open_page(storage=storage)
    first.controller.handle_message(ORIGIN, True, CREATE)

    second = open_page(storage=storage)
    second.deliver()

    assert len(second.network.to(CRM)) == 1
    assert second.view.entries[-1].status == "delivered"


def test_background_delivery_wakes_for_a_new_record(harness: Harness) -> None:
    async def scenario() -> None:
        task = asyncio.create_task(harness.controller.run_delivery())
        await asyncio.sleep(0)
        harness.controller.handle_message(ORIGIN, True, CREATE)
        for _ in range(100):
            if harness.network.to(CRM):
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())

    assert len(harness.network.to(CRM)) == 1
    assert harness.view.entries[-1].status == "delivered"


def test_delivery_messages_to_the_parent_name_the_record_kind_and_never_the_link(
    harness: Harness,
) -> None:
    harness.controller.handle_message(ORIGIN, True, message("m1"))
    harness.deliver()

    deliveries = [m for m in harness.view.parent if m["type"] == "delivery"]
    assert [m["status"] for m in deliveries] == ["queued", "sending", "delivered"]
    for posted in harness.view.parent:
        assert (posted["source"], posted["version"]) == (bridge.SOURCE, bridge.VERSION)
    assert {m["kind"] for m in deliveries} == {"contact"}
    assert "TOKEN" not in json.dumps(harness.view.parent)


# --- recovery, several tabs ----------------------------------------------------------------


class TabLocks:
    """Web Locks as the tabs of one origin share them: `ifAvailable`, so a busy name yields
    False at once. `before_next_grant` runs once, just before the next request is decided."""

    def __init__(self) -> None:
        self.held: set[str] = set()
        self.requested: list[str] = []
        self.before_next_grant: Callable[[], Awaitable[None]] | None = None

    @asynccontextmanager
    async def __call__(self, name: str) -> AsyncIterator[bool]:
        self.requested.append(name)
        if self.before_next_grant is not None:
            hook, self.before_next_grant = self.before_next_grant, None
            await hook()
        if name in self.held:
            yield False
            return
        self.held.add(name)
        try:
            yield True
        finally:
            self.held.discard(name)


@dataclass
class HangingCrm:
    """A send that holds CRM requests until released."""

    release: asyncio.Event = field(default_factory=asyncio.Event)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    calls: int = 0

    async def __call__(self, *_args: Any) -> HttpResult:
        self.calls += 1
        self.started.set()
        await self.release.wait()
        return answer(201, {"status": "created"})


def test_a_success_makes_the_records_waiting_on_backoff_due_at_once(harness: Harness) -> None:
    harness.network.script(CRM, *[answer(503, {"detail": "down"})] * 5)
    harness.controller.handle_message(ORIGIN, True, CREATE)
    for _ in range(5):
        harness.deliver()
        harness.clock.now = harness.view.entries[-1].next_attempt_at
    waiting = harness.view.entries[-1]
    harness.clock.now += 1  # well before the 16 s backoff runs out

    harness.controller.handle_message(ORIGIN, True, CREATE)  # the CRM is back: this one works
    harness.deliver()
    harness.deliver()

    assert len(harness.network.to(CRM)) == 7
    assert harness.controller.outbox.get(waiting.key).status == "delivered"
    assert harness.controller.outbox.depth() == 0


def test_back_online_retries_waiting_records_now(harness: Harness) -> None:
    harness.network.script(CRM, TransportFailure("offline"), TransportFailure("offline"))
    harness.controller.handle_message(ORIGIN, True, CREATE)
    harness.deliver()
    harness.clock.now = harness.view.entries[-1].next_attempt_at
    harness.deliver()
    harness.deliver()
    assert len(harness.network.to(CRM)) == 2

    harness.controller.retry_now()
    harness.deliver()

    assert len(harness.network.to(CRM)) == 3
    assert harness.view.entries[-1].status == "delivered"


def test_background_delivery_goes_on_with_hurried_records_without_a_new_event(
    harness: Harness,
) -> None:
    harness.network.script(CRM, answer(503), answer(503))
    harness.controller.handle_message(ORIGIN, True, CREATE)
    harness.controller.handle_message(ORIGIN, True, CREATE)
    harness.deliver()  # both fail and wait a second
    harness.clock.now += 0.5

    async def scenario() -> None:
        harness.controller.retry_now()
        task = asyncio.create_task(harness.controller.run_delivery())
        for _ in range(200):
            if harness.controller.outbox.depth() == 0:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())

    assert harness.controller.outbox.depth() == 0
    assert len(harness.network.to(CRM)) == 4


def test_a_record_another_tab_is_sending_is_skipped_not_sent_twice() -> None:
    storage: dict[str, str] = {}
    locks, clock = TabLocks(), Clock()
    tab_a = open_page(storage=storage, tab="a", lock=locks, clock=clock, stale_sending_s=0)
    tab_b = open_page(storage=storage, tab="b", lock=locks, clock=clock, stale_sending_s=0)
    hanging = HangingCrm()
    tab_a.controller._send = hanging
    tab_a.controller.handle_message(ORIGIN, True, CREATE)

    async def scenario() -> None:
        sending = asyncio.create_task(tab_a.controller.deliver_due())
        await hanging.started.wait()
        clock.now += 1  # "sending" for a while: only the lock says tab A is still at it
        await tab_b.controller.deliver_due()
        hanging.release.set()
        await sending
        await tab_b.controller.deliver_due()

    asyncio.run(scenario())

    assert hanging.calls == 1
    assert tab_b.network.requests == []
    (key,) = [e.key for e in tab_a.controller.outbox.entries()]
    assert tab_a.controller.outbox.get(key).status == "delivered"
    assert locks.requested.count(LOCK_PREFIX + key) == 2


def test_a_record_another_tab_delivered_after_this_tab_listed_it_is_not_sent_again() -> None:
    storage: dict[str, str] = {}
    locks = TabLocks()
    tab_a = open_page(storage=storage, tab="a", lock=locks)
    tab_b = open_page(storage=storage, tab="b", lock=locks)
    tab_a.controller.handle_message(ORIGIN, True, CREATE)

    async def tab_a_delivers_it_first() -> None:
        tab_a.controller._lock = only_this_tab
        await tab_a.controller.deliver_due()

    locks.before_next_grant = tab_a_delivers_it_first  # after tab B listed it as due

    asyncio.run(tab_b.controller.deliver_due())

    assert len(tab_a.network.to(CRM)) == 1
    assert tab_b.network.requests == []


@dataclass
class DedupingCrm:
    """A CRM both tabs post to: down for the first `down_for` requests, then it stores keys."""

    down_for: int
    clock: Clock
    stored: list[str] = field(default_factory=list)
    repeats: int = 0
    calls: int = 0

    async def __call__(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float
    ) -> HttpResult:
        self.calls += 1
        self.clock.now += 0.5  # a request takes time...
        await asyncio.sleep(0)  # ...in which the other tab runs
        if not url.startswith(CRM):
            return answer(200, {})
        if self.calls <= self.down_for:
            return answer(503, {"detail": "down"})
        key = headers[IDEMPOTENCY_HEADER]
        if key in self.stored:
            self.repeats += 1
        else:
            self.stored.append(key)
        return answer(201, {"status": "created"})


def test_two_tabs_deliver_each_record_of_both_exactly_once() -> None:
    storage: dict[str, str] = {}
    locks, clock = TabLocks(), Clock()
    crm = DedupingCrm(down_for=6, clock=clock)
    tabs = [
        open_page(storage=storage, tab=name, lock=locks, clock=clock, stale_sending_s=0)
        for name in ("a", "b")
    ]
    for tab in tabs:
        tab.controller._send = crm
        for n in range(5):
            tab.controller.handle_message(ORIGIN, True, CREATE)
            tab.controller.handle_message(ORIGIN, True, message(f"m{n}"))  # one chat: 1 contact

    async def scenario() -> None:
        for _ in range(6):
            await asyncio.gather(*(tab.controller.deliver_due() for tab in tabs))
            clock.now += 60

    asyncio.run(scenario())

    assert len(crm.stored) == 11  # 10 deal requests and 1 contact
    assert crm.repeats == 0
    assert tabs[0].controller.outbox.depth() == 0


def test_a_record_left_sending_by_a_closed_tab_is_taken_over_when_its_lock_is_free() -> None:
    storage: dict[str, str] = {}
    locks, clock = TabLocks(), Clock()
    closed = open_page(storage=storage, tab="a", lock=locks, clock=clock, stale_sending_s=0)
    closed.controller.handle_message(ORIGIN, True, CREATE)
    (entry,) = closed.controller.outbox.entries()
    closed.controller.outbox.sending(entry.key)  # and then the tab was closed
    clock.now += 1

    other = open_page(storage=storage, tab="b", lock=locks, clock=clock, stale_sending_s=0)
    other.deliver()

    assert len(other.network.to(CRM)) == 1
    assert other.controller.outbox.get(entry.key).status == "delivered"


def test_a_change_made_by_another_tab_is_shown() -> None:
    storage: dict[str, str] = {}
    tab_a, tab_b = open_page(storage=storage, tab="a"), open_page(storage=storage, tab="b")
    tab_a.controller.handle_message(ORIGIN, True, CREATE)
    tab_a.deliver()
    (key,) = [e.key for e in tab_a.controller.outbox.entries()]

    tab_b.controller.storage_changed(PREFIX + key)
    tab_a.controller.discard(key)
    tab_b.controller.storage_changed(PREFIX + key)
    tab_b.controller.storage_changed("someone-elses-key")
    tab_b.controller.storage_changed(None)  # localStorage.clear()

    assert [(e.key, e.status) for e in tab_b.view.entries] == [(key, "delivered")]
    assert tab_b.view.forgotten == [key]
    assert tab_b.view.parent == []  # the other tab tells its own host page


def test_discard_forgets_the_record_on_the_page(harness: Harness) -> None:
    harness.controller.handle_message(ORIGIN, True, CREATE)
    key = harness.view.events[0][0]

    harness.controller.discard(key)

    assert harness.view.forgotten == [key]
    assert harness.controller.outbox.get(key) is None


def test_unreadable_crm_answer_is_delivered_with_a_note_shown_and_posted(
    harness: Harness,
) -> None:
    harness.network.script(CRM, HttpResult(201, b"<html><title>Saved</title>", {}))
    harness.controller.handle_message(ORIGIN, True, CREATE)

    harness.deliver()

    entry = harness.view.entries[-1]
    assert entry.status == "delivered"
    assert entry.note == "answer not read: not JSON (an HTML page: Saved)"
    assert harness.view.parent[-1]["note"] == entry.note
    assert harness.network.to(f"{PROXY}/api/deals") == []


def test_the_same_contact_is_pushed_to_wazzup_once_per_page(harness: Harness) -> None:
    second_deal = {**DEAL, "id": "502", "name": "Deal #502"}
    harness.network.script(
        CRM,
        answer(201, {"contact": CONTACT, "deal": DEAL}),
        answer(201, {"contact": CONTACT, "deal": second_deal}),
        answer(201, {"contact": {**CONTACT, "name": "Anthony Stone"}}),
    )
    for _ in range(2):
        harness.controller.handle_message(ORIGIN, True, CREATE)
    harness.controller.handle_message(ORIGIN, True, message("m1"))

    harness.deliver()

    assert len(harness.network.to(f"{PROXY}/api/deals")) == 2
    contacts = harness.network.to(f"{PROXY}/api/contacts")
    assert [c["json"][0]["name"] for c in contacts] == ["Anthony", "Anthony Stone"]


def test_an_unexpected_error_while_sending_keeps_the_record_and_the_others_go_on(
    harness: Harness,
) -> None:
    harness.network.script(CRM, RuntimeError("bug in a send adapter"))
    harness.controller.handle_message(ORIGIN, True, CREATE)
    harness.controller.handle_message(ORIGIN, True, CREATE)

    harness.deliver()

    first, second = harness.controller.outbox.entries()
    assert (first.status, first.last_error) == (
        "queued",
        "page error: RuntimeError('bug in a send adapter')",
    )
    assert second.status == "delivered"


def test_the_delivery_loop_outlives_a_failing_storage(harness: Harness) -> None:
    calls = []

    async def broken(**_options: object) -> None:
        calls.append(1)
        raise OSError("QuotaExceededError")

    harness.controller.deliver_due = broken  # type: ignore[method-assign]

    async def scenario() -> None:
        task = asyncio.create_task(harness.controller.run_delivery())
        for _ in range(50):
            await asyncio.sleep(0.01)
            harness.controller._wake.set()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())

    assert len(calls) > 1
    assert harness.view.notes[0] == "Delivery paused by an error: OSError('QuotaExceededError')"


class FullStorage(dict):
    def __setitem__(self, key: str, value: str) -> None:
        raise OSError("QuotaExceededError: the quota has been exceeded")


def test_a_record_that_cannot_be_stored_is_said_so_on_the_page() -> None:
    harness = open_page(storage=FullStorage())

    assert harness.controller.handle_message(ORIGIN, True, CREATE) is True

    assert len(harness.view.events) == 1
    assert harness.view.notes == [
        "Could not keep the CRM record of this event: "
        "OSError('QuotaExceededError: the quota has been exceeded')"
    ]


def test_sent_at_once_a_record_that_cannot_be_stored_still_goes_out_once() -> None:
    page = open_page(storage=FullStorage(), send_at_once=True)

    async def scenario() -> None:
        page.controller.handle_message(ORIGIN, True, CREATE)
        await settled()

    asyncio.run(scenario())

    (request,) = page.network.to(CRM)  # its request had left before storing failed
    assert request["json"]["kind"] == "deal_request"
    assert page.view.notes == [
        "Could not keep the CRM record of this event (sent once, not retried): "
        "OSError('QuotaExceededError: the quota has been exceeded')"
    ]


def test_a_record_stored_while_another_is_sent_is_sent_without_waiting_for_a_timeout(
    harness: Harness,
) -> None:
    hanging = HangingCrm()
    harness.controller._send = hanging

    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        task = asyncio.create_task(harness.controller.run_delivery())
        harness.controller.handle_message(ORIGIN, True, CREATE)
        await hanging.started.wait()
        harness.controller.handle_message(ORIGIN, True, CREATE)  # during the first send
        hanging.release.set()
        started = loop.time()
        while hanging.calls < 2 and loop.time() - started < 5:
            await asyncio.sleep(0.001)
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        return loop.time() - started

    waited = asyncio.run(scenario())

    assert hanging.calls == 2
    assert waited < MIN_WAIT_S / 2  # the wake-up was not lost to the loop's own clear()


async def settled() -> None:
    for _ in range(20):  # let the first attempt's task run to its end
        await asyncio.sleep(0)


def test_sent_at_once_a_new_record_goes_out_from_the_event_itself() -> None:
    page = open_page(send_at_once=True)

    async def scenario() -> None:
        page.controller.handle_message(ORIGIN, True, CREATE)
        (entry,) = page.controller.outbox.entries()
        assert (entry.status, entry.attempts) == ("sending", 1)  # stored before it is sent
        await settled()

    asyncio.run(scenario())

    assert len(page.network.to(CRM)) == 1  # no delivery loop ran
    (entry,) = page.controller.outbox.entries()
    assert entry.status == "delivered"


def test_sent_at_once_a_record_is_followed_to_its_answer_even_if_showing_the_event_fails() -> None:
    page = open_page(send_at_once=True)

    def broken(*_: Any) -> None:
        raise RuntimeError("the page could not show it")

    page.view.show_event = broken  # type: ignore[method-assign]

    async def scenario() -> None:
        with pytest.raises(RuntimeError):
            page.controller.handle_message(ORIGIN, True, CREATE)
        await settled()

    asyncio.run(scenario())

    assert len(page.network.to(CRM)) == 1
    (entry,) = page.controller.outbox.entries()
    assert entry.status == "delivered"  # not left "sending" for another tab to send again


def test_sent_at_once_the_delivery_lock_is_asked_for_as_the_request_leaves() -> None:
    asked: list[str] = []
    locks = TabLocks()

    def lock(name: str):
        asked.append(name)
        return locks(name)

    page = open_page(lock=lock, send_at_once=True)

    async def scenario() -> str:
        page.controller.handle_message(ORIGIN, True, CREATE)
        (entry,) = page.controller.outbox.entries()
        assert asked == [LOCK_PREFIX + entry.key]  # in the event's own turn
        await settled()
        await page.controller.deliver_due()
        return entry.key

    key = asyncio.run(scenario())

    assert asked == [LOCK_PREFIX + key]  # delivered: the loop asked for no second lock
    assert locks.held == set()  # let go once the answer was stored
    assert len(page.network.to(CRM)) == 1


def test_a_first_attempt_that_fails_is_retried_by_the_loop() -> None:
    page = open_page(send_at_once=True)
    page.network.script(CRM, answer(503, {"detail": "down"}))

    async def scenario() -> None:
        page.controller.handle_message(ORIGIN, True, CREATE)
        await settled()
        (entry,) = page.controller.outbox.entries()
        assert (entry.status, entry.attempts) == ("queued", 1)
        page.clock.now += 3600
        await page.controller.deliver_due()

    asyncio.run(scenario())

    assert len(page.network.to(CRM)) == 2
    assert page.controller.outbox.entries()[0].status == "delivered"


def test_another_tab_leaves_a_fresh_first_attempt_alone() -> None:
    storage: dict[str, str] = {}
    locks, clock = TabLocks(), Clock()
    first = open_page(storage=storage, tab="a", lock=locks, clock=clock, send_at_once=True)
    other = open_page(storage=storage, tab="b", lock=locks, clock=clock, stale_sending_s=5)

    async def scenario() -> None:
        first.controller.handle_message(ORIGIN, True, CREATE)  # its task has not run yet
        await other.controller.deliver_due()
        assert other.network.to(CRM) == []  # "sending" for less than the grace
        await settled()

    asyncio.run(scenario())

    assert len(first.network.to(CRM)) == 1
    clock.now += 60
    other.deliver()
    assert other.network.to(CRM) == []  # delivered meanwhile: nothing left to take over


class ReadLog(dict):
    """Storage that notes the keys it is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    def get(self, key: str, default: str | None = None) -> str | None:
        self.reads.append(key)
        return super().get(key, default)


def test_sent_at_once_a_deal_request_is_not_looked_up_before_its_request() -> None:
    # Its key holds a fresh receipt id, so no stored record can have it: the one read is the
    # outbox's own, as it stores the record after the request. A contact's key is its chat's
    # alone, so it is looked up before the request too, and a second message sends nothing.
    storage = ReadLog()
    page = open_page(storage=storage, send_at_once=True)

    async def scenario() -> list[list[str]]:
        reads = []
        for data in (CREATE, message("m1"), message("m2")):
            storage.reads.clear()
            page.controller.handle_message(ORIGIN, True, data)
            reads.append(list(storage.reads))
            await settled()
        return reads

    deal, contact, again = asyncio.run(scenario())

    assert len(deal) == 1 and deal[0].startswith(PREFIX + "deal-request-")
    assert len(contact) == 2 and contact[0] == contact[1]
    assert again == contact  # found both times: neither sent nor stored again
    assert [r["json"]["kind"] for r in page.network.to(CRM)] == ["deal_request", "contact"]
