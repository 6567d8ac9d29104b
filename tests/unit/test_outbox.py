"""The outbox: stored before the first attempt, retried with backoff, kept until delivered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from components import outbox as outbox_module
from components.errors import PermanentDelivery, TransientDelivery
from components.events import parse_event
from components.outbox import (
    BASE_DELAY_S,
    MAX_DELAY_S,
    PREFIX,
    STALE_SENDING_S,
    Outbox,
    OutboxEntry,
)
from components.records import CrmAnswer, CrmRecord, record_from_event

START = datetime(2025, 1, 1, tzinfo=UTC)


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def deal_request(n: int) -> CrmRecord:
    event = parse_event(
        {
            "type": "WZ_CREATE_ENTITY",
            "data": {"chatType": "whatsapp", "chatId": "79998887766", "userId": "u1"},
        }
    )
    return record_from_event(event, receipt_id=f"r-{n}", received_at=START + timedelta(seconds=n))


def contact(chat_id: str, n: int = 0, message_id: str = "m") -> CrmRecord:
    event = parse_event(
        {
            "type": "WZ_OUTPUT_MESSAGE",
            "data": {
                "chatType": "telegram",
                "chatId": chat_id,
                "userId": "u1",
                "messageId": message_id,
            },
        }
    )
    return record_from_event(event, received_at=START + timedelta(seconds=n))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def storage() -> dict[str, str]:
    return {}


@pytest.fixture
def box(storage: dict[str, str], clock: Clock) -> Outbox:
    # jitter 1.0 makes the delay exactly the exponential step: 0.5 + 1.0 / 2 == 1.
    return Outbox(storage, clock=clock, jitter=lambda: 1.0)


def fail_transient(box: Outbox, key: str, retry_after: float | None = None) -> OutboxEntry:
    box.sending(key)
    return box.failed(key, TransientDelivery("CRM answered 503: busy", retry_after=retry_after))


def test_added_record_is_stored_queued_and_due_at_once(
    box: Outbox, storage: dict[str, str], clock: Clock
) -> None:
    record = deal_request(1)

    entry = box.add(record)

    assert entry is not None
    assert (entry.status, entry.attempts, entry.updated_at) == ("queued", 0, clock.now)
    assert PREFIX + record.idempotency_key in storage
    assert [e.key for e in box.due()] == [record.idempotency_key]
    assert box.depth() == 1
    assert box.next_wake() == 0.0


def test_same_record_twice_is_stored_once(box: Outbox, storage: dict[str, str]) -> None:
    record = deal_request(1)

    assert box.add(record) is not None
    assert box.add(record) is None
    assert len(storage) == 1


def test_second_message_of_a_delivered_chat_makes_no_new_contact(box: Outbox) -> None:
    first = contact("1670185", message_id="m1")
    box.add(first)
    box.sending(first.idempotency_key)
    box.delivered(first.idempotency_key, CrmAnswer(status="created"))

    assert box.add(contact("1670185", message_id="m2")) is None
    assert box.due() == []


def test_due_lists_entries_oldest_first(box: Outbox) -> None:
    for n in (3, 1, 2):
        box.add(deal_request(n))

    assert [e.record.occurred_at.second for e in box.due()] == [1, 2, 3]


def test_sending_counts_the_attempt_and_is_not_due(box: Outbox) -> None:
    record = deal_request(1)
    box.add(record)

    entry = box.sending(record.idempotency_key)

    assert (entry.status, entry.attempts) == ("sending", 1)
    assert box.due() == []


def test_delivered_keeps_the_answer_and_leaves_the_queue(box: Outbox) -> None:
    record = deal_request(1)
    box.add(record)
    box.sending(record.idempotency_key)

    entry = box.delivered(record.idempotency_key, CrmAnswer(status="created", record_id="r9"))

    assert entry.status == "delivered"
    assert entry.answer is not None and entry.answer.record_id == "r9"
    assert box.due() == [] and box.depth() == 0
    assert box.next_wake() is None


def test_transient_failure_requeues_after_the_backoff(box: Outbox, clock: Clock) -> None:
    record = deal_request(1)
    box.add(record)

    entry = fail_transient(box, record.idempotency_key)

    assert entry.status == "queued"
    assert entry.last_error == "CRM answered 503: busy"
    assert entry.next_attempt_at == clock.now + BASE_DELAY_S
    assert box.due() == []
    assert box.next_wake() == BASE_DELAY_S
    clock.now += BASE_DELAY_S
    assert [e.key for e in box.due()] == [record.idempotency_key]


def test_backoff_doubles_with_each_attempt_up_to_the_cap(box: Outbox) -> None:
    delays = [box.backoff(attempts) for attempts in range(1, 10)]

    assert delays[:6] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
    assert delays[6:] == [MAX_DELAY_S] * 3


def test_repeated_transient_failures_wait_longer_each_time(box: Outbox, clock: Clock) -> None:
    record = deal_request(1)
    box.add(record)
    waits = []
    for _ in range(4):
        entry = fail_transient(box, record.idempotency_key)
        waits.append(entry.next_attempt_at - clock.now)
        clock.now = entry.next_attempt_at

    assert waits == [1.0, 2.0, 4.0, 8.0]


@pytest.mark.parametrize(("jitter", "factor"), [(0.0, 0.5), (0.5, 0.75), (1.0, 1.0)])
def test_jitter_keeps_at_least_half_the_delay(
    storage: dict[str, str], clock: Clock, jitter: float, factor: float
) -> None:
    box = Outbox(storage, clock=clock, jitter=lambda: jitter)

    assert box.backoff(3) == 4.0 * factor


def test_retry_after_longer_than_the_backoff_is_honoured(box: Outbox, clock: Clock) -> None:
    record = deal_request(1)
    box.add(record)

    entry = fail_transient(box, record.idempotency_key, retry_after=30.0)

    assert entry.next_attempt_at == clock.now + 30.0
    clock.now += 29.0
    assert box.due() == []
    clock.now += 1.0
    assert len(box.due()) == 1


def test_retry_after_shorter_than_the_backoff_does_not_shorten_it(box: Outbox) -> None:
    assert box.backoff(4, retry_after=0.1) == 8.0


def test_permanent_failure_stays_failed_until_retried(box: Outbox, clock: Clock) -> None:
    record = deal_request(1)
    key = record.idempotency_key
    box.add(record)
    box.sending(key)

    entry = box.failed(key, PermanentDelivery("CRM answered 422: missing 'email'", status=422))

    assert (entry.status, entry.last_error) == ("failed", "CRM answered 422: missing 'email'")
    clock.now += 10 * STALE_SENDING_S
    assert box.due() == []
    assert box.next_wake() is None
    assert box.depth() == 1

    retried = box.retry(key)

    assert retried.status == "queued"
    assert [e.key for e in box.due()] == [key]


def test_discard_removes_the_entry(box: Outbox, storage: dict[str, str]) -> None:
    record = deal_request(1)
    box.add(record)

    box.discard(record.idempotency_key)

    assert box.get(record.idempotency_key) is None
    assert storage == {}
    assert box.due() == []


def test_stale_sending_entry_becomes_due_again(box: Outbox, clock: Clock) -> None:
    record = deal_request(1)
    box.add(record)
    box.sending(record.idempotency_key)

    clock.now += STALE_SENDING_S
    assert box.due() == []
    clock.now += 1
    assert [e.key for e in box.due()] == [record.idempotency_key]


def test_a_new_outbox_over_the_same_storage_sees_every_entry(
    box: Outbox, storage: dict[str, str], clock: Clock
) -> None:
    queued, failed = deal_request(1), deal_request(2)
    box.add(queued)
    box.add(failed)
    box.sending(failed.idempotency_key)
    box.failed(failed.idempotency_key, PermanentDelivery("CRM answered 400: no"))

    reloaded = Outbox(storage, clock=clock, jitter=lambda: 1.0)

    assert reloaded.get(queued.idempotency_key) == box.get(queued.idempotency_key)
    assert [e.key for e in reloaded.due()] == [queued.idempotency_key]
    restored = reloaded.get(failed.idempotency_key)
    assert restored is not None and restored.record == failed
    assert (restored.status, restored.attempts) == ("failed", 1)
    assert reloaded.add(queued) is None


def test_unreadable_stored_entry_is_skipped(box: Outbox, storage: dict[str, str]) -> None:
    record = deal_request(1)
    box.add(record)
    storage[PREFIX + "broken"] = "{not json"
    storage["someone-else"] = "untouched"

    assert [e.key for e in box.entries()] == [record.idempotency_key]
    assert storage["someone-else"] == "untouched"


def test_updating_an_unknown_key_raises_key_error(box: Outbox) -> None:
    with pytest.raises(KeyError, match="no outbox record 'nope'"):
        box.sending("nope")


def test_trimming_drops_the_oldest_delivered_deals_but_keeps_contacts(
    box: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "KEEP_DELIVERED", 3)
    records = [contact("100", 0), deal_request(1), deal_request(2), contact("200", 3)]
    records += [deal_request(4), deal_request(5)]
    for record in records:
        box.add(record)
        box.sending(record.idempotency_key)
        box.delivered(record.idempotency_key, CrmAnswer())

    kept = {e.key for e in box.entries()}

    assert len(kept) == 3
    assert records[0].idempotency_key in kept and records[3].idempotency_key in kept
    assert records[5].idempotency_key in kept
    assert records[1].idempotency_key not in kept and records[2].idempotency_key not in kept


def test_trimming_never_drops_undelivered_entries(
    box: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "KEEP_DELIVERED", 1)
    waiting = deal_request(0)
    box.add(waiting)
    for n in (1, 2, 3):
        record = deal_request(n)
        box.add(record)
        box.sending(record.idempotency_key)
        box.delivered(record.idempotency_key, CrmAnswer())

    statuses = sorted(e.status for e in box.entries())

    assert statuses == ["delivered", "queued"]
    assert box.get(waiting.idempotency_key) is not None


def test_trimming_keeps_every_contact_even_over_the_limit(
    box: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "KEEP_DELIVERED", 1)
    chats = [contact(str(1000 + n), n) for n in range(4)]
    for record in chats:
        box.add(record)
        box.sending(record.idempotency_key)
        box.delivered(record.idempotency_key, CrmAnswer())

    assert {e.key for e in box.entries()} == {r.idempotency_key for r in chats}


# --- claiming, hurrying, several tabs ------------------------------------------------------


def test_claim_marks_a_due_entry_sending_and_counts_the_attempt(box: Outbox) -> None:
    record = deal_request(1)
    box.add(record)

    claimed = box.claim(record.idempotency_key)

    assert claimed is not None
    assert (claimed.status, claimed.attempts) == ("sending", 1)
    assert box.claim(record.idempotency_key) is None  # not due while it is being sent


def test_claim_reads_the_storage_not_a_stale_copy(
    box: Outbox, storage: dict[str, str], clock: Clock
) -> None:
    record = deal_request(1)
    box.add(record)
    listed = box.due()
    other_tab = Outbox(storage, clock=clock)
    other_tab.sending(record.idempotency_key)
    other_tab.delivered(record.idempotency_key, CrmAnswer(status="created"))

    assert [e.key for e in listed] == [record.idempotency_key]
    assert box.claim(record.idempotency_key) is None


def test_claim_of_a_discarded_or_failed_entry_is_none(box: Outbox) -> None:
    gone, failed = deal_request(1), deal_request(2)
    for record in (gone, failed):
        box.add(record)
    box.discard(gone.idempotency_key)
    box.sending(failed.idempotency_key)
    box.failed(failed.idempotency_key, PermanentDelivery("CRM answered 422: no"))

    assert box.claim(gone.idempotency_key) is None
    assert box.claim(failed.idempotency_key) is None


def test_with_a_shared_lock_an_abandoned_sending_entry_is_due_at_once(
    storage: dict[str, str], clock: Clock
) -> None:
    box = Outbox(storage, clock=clock, stale_sending_s=0)
    record = deal_request(1)
    box.add(record)
    box.sending(record.idempotency_key)  # then the tab was reloaded

    clock.now += 0.5

    claimed = box.claim(record.idempotency_key)
    assert claimed is not None and claimed.attempts == 2


def test_delivered_keeps_a_note_about_an_unreadable_answer(box: Outbox) -> None:
    record = deal_request(1)
    box.add(record)
    box.sending(record.idempotency_key)

    entry = box.delivered(record.idempotency_key, CrmAnswer(), "answer not read: not JSON")

    assert (entry.status, entry.note) == ("delivered", "answer not read: not JSON")


def test_hurry_makes_waiting_entries_due_now(box: Outbox, clock: Clock) -> None:
    records = [deal_request(n) for n in range(3)]
    for record in records:
        box.add(record)
        for _ in range(5):  # five failures: the next wait is 16 s
            fail_transient(box, record.idempotency_key)
    assert box.due() == []

    hurried = box.hurry()

    assert len(hurried) == 3
    assert [e.key for e in box.due()] == [r.idempotency_key for r in records]
    assert {e.attempts for e in box.due()} == {5}  # the backoff goes on from where it was


def test_hurry_still_honours_retry_after(box: Outbox, clock: Clock) -> None:
    throttled, waiting = deal_request(1), deal_request(2)
    box.add(throttled)
    box.add(waiting)
    fail_transient(box, throttled.idempotency_key, retry_after=30.0)
    for _ in range(4):
        fail_transient(box, waiting.idempotency_key)

    box.hurry()

    assert [e.key for e in box.due()] == [waiting.idempotency_key]
    assert box.get(throttled.idempotency_key).next_attempt_at == clock.now + 30.0


def test_hurry_leaves_failed_and_delivered_entries_alone(box: Outbox) -> None:
    failed, delivered = deal_request(1), deal_request(2)
    for record in (failed, delivered):
        box.add(record)
        box.sending(record.idempotency_key)
    box.failed(failed.idempotency_key, PermanentDelivery("CRM answered 400: no"))
    box.delivered(delivered.idempotency_key, CrmAnswer())

    assert box.hurry() == []
    assert box.get(failed.idempotency_key).status == "failed"


def test_retry_by_hand_forgets_an_old_retry_after(box: Outbox, clock: Clock) -> None:
    record = deal_request(1)
    box.add(record)
    fail_transient(box, record.idempotency_key, retry_after=600.0)

    box.retry(record.idempotency_key)

    assert [e.key for e in box.due()] == [record.idempotency_key]


def test_an_entry_rewritten_by_another_tab_is_read_again(
    box: Outbox, storage: dict[str, str], clock: Clock
) -> None:
    record = deal_request(1)
    box.add(record)
    assert box.get(record.idempotency_key).status == "queued"  # now cached

    other_tab = Outbox(storage, clock=clock)
    other_tab.sending(record.idempotency_key)
    other_tab.delivered(record.idempotency_key, CrmAnswer(status="created"))

    assert box.get(record.idempotency_key).status == "delivered"
    assert box.due() == []


def test_an_entry_removed_by_another_tab_is_gone(
    box: Outbox, storage: dict[str, str], clock: Clock
) -> None:
    record = deal_request(2)
    box.add(record)
    Outbox(storage, clock=clock).discard(record.idempotency_key)

    assert box.get(record.idempotency_key) is None
    assert box.entries() == []


class CountingStorage(dict):
    """A storage that counts full scans (`keys()`), the cost that grew with every event."""

    scans = 0

    def keys(self):  # type: ignore[override]
        self.scans += 1
        return super().keys()


def test_the_hot_path_does_not_scan_the_whole_storage(clock: Clock) -> None:
    storage = CountingStorage()
    box = Outbox(storage, clock=clock, jitter=lambda: 1.0)
    for n in range(20):
        record = deal_request(n)
        box.add(record)
        assert [e.key for e in box.due()] == [record.idempotency_key]
        box.claim(record.idempotency_key)
        box.delivered(record.idempotency_key, CrmAnswer())
        assert box.next_wake() is None
        box.hurry()

    assert storage.scans == 1  # the first look only; then the index
    box.rescan(older_than_s=60)
    assert storage.scans == 1
    clock.now += 60
    box.rescan(older_than_s=60)
    assert storage.scans == 2


def test_a_rescan_finds_what_another_tab_stored_and_forgets_what_it_removed(
    box: Outbox, storage: dict[str, str], clock: Clock
) -> None:
    mine, theirs = deal_request(1), deal_request(2)
    box.add(mine)
    assert [e.key for e in box.due()] == [mine.idempotency_key]
    other_tab = Outbox(storage, clock=clock)
    other_tab.add(theirs)
    other_tab.discard(mine.idempotency_key)

    box.rescan()

    assert [e.key for e in box.due()] == [theirs.idempotency_key]
