"""What the page shows for a record's status."""

from __future__ import annotations

from components.errors import PermanentDelivery, TransientDelivery
from components.events import parse_event
from components.outbox import Outbox
from components.records import CrmAnswer, record_from_event
from components.render import entry_status

CREATE = {
    "type": "WZ_CREATE_ENTITY",
    "data": {"chatType": "whatsapp", "chatId": "79998887766", "userId": "u1"},
}


def outbox_with_one() -> tuple[Outbox, str]:
    outbox = Outbox({})
    record = record_from_event(parse_event(CREATE), receipt_id="r1")
    outbox.add(record)
    return outbox, record.idempotency_key


def test_each_status_reads_plainly() -> None:
    outbox, key = outbox_with_one()

    assert entry_status(outbox.get(key)) == "queued"
    assert entry_status(outbox.sending(key)) == "sending…"
    assert entry_status(outbox.delivered(key, CrmAnswer())) == "delivered"


def test_a_retry_says_which_attempt_and_why() -> None:
    outbox, key = outbox_with_one()
    outbox.sending(key)

    entry = outbox.failed(key, TransientDelivery("CRM answered 503: down"))

    assert entry_status(entry) == "retrying (attempt 2): CRM answered 503: down"


def test_a_failure_shows_the_crms_reason() -> None:
    outbox, key = outbox_with_one()
    outbox.sending(key)

    entry = outbox.failed(key, PermanentDelivery("CRM answered 422: email: field required"))

    assert entry_status(entry) == "failed: CRM answered 422: email: field required"


def test_a_delivery_with_an_unreadable_answer_says_so() -> None:
    outbox, key = outbox_with_one()
    outbox.sending(key)

    entry = outbox.delivered(key, CrmAnswer(), "answer not read: not JSON (an HTML page)")

    assert entry_status(entry) == "delivered (answer not read: not JSON (an HTML page))"
