"""Messages to window.parent: the versioned format documented in docs/bridge.md."""

from __future__ import annotations

import json
from pathlib import Path

from components import bridge
from components.errors import PermanentDelivery
from components.events import parse_event
from components.outbox import Outbox
from components.records import CrmAnswer, record_from_event

DOCS = Path(__file__).resolve().parents[2] / "docs" / "bridge.md"
CREATE = {
    "type": "WZ_CREATE_ENTITY",
    "data": {"chatType": "whatsapp", "chatId": "79998887766", "userId": "u1"},
}


def queued_entry():
    outbox = Outbox({})
    record = record_from_event(parse_event(CREATE), receipt_id="r1")
    outbox.add(record)
    return outbox, record.idempotency_key


def test_every_message_names_its_source_version_and_type() -> None:
    outbox, key = queued_entry()
    messages = [
        bridge.ready_message(),
        bridge.event_message(parse_event(CREATE), key),
        bridge.delivery_message(outbox.get(key)),
        bridge.rejected_message("no chat window is open yet"),
    ]

    for message in messages:
        assert (message["source"], message["version"]) == ("wazzup-chat-window", 1)
        assert json.loads(json.dumps(message)) == message  # structured-clone and JSON safe
    assert [m["type"] for m in messages] == ["ready", "event", "delivery", "rejected"]


def test_event_message_carries_the_event_as_it_arrived_and_the_records_key() -> None:
    event = parse_event(CREATE)

    message = bridge.event_message(event, "deal-request-abc")

    assert message["event"] == {"type": "WZ_CREATE_ENTITY", "data": event.data.to_wire()}
    assert message["idempotencyKey"] == "deal-request-abc"


def test_delivery_message_follows_the_record_through_its_states() -> None:
    outbox, key = queued_entry()

    queued = bridge.delivery_message(outbox.get(key))
    outbox.sending(key)
    failed = bridge.delivery_message(outbox.failed(key, PermanentDelivery("CRM answered 422: x")))
    outbox.retry(key)
    outbox.sending(key)
    answer = CrmAnswer(status="created", record_id="r9", link="https://crm.example.com/d/9")
    delivered = bridge.delivery_message(outbox.delivered(key, answer, "a note"))

    assert queued == {
        "source": "wazzup-chat-window",
        "version": 1,
        "type": "delivery",
        "idempotencyKey": key,
        "kind": "deal_request",
        "status": "queued",
        "attempts": 0,
        "error": None,
        "answer": None,
        "note": None,
    }
    assert (failed["status"], failed["error"], failed["attempts"]) == (
        "failed",
        "CRM answered 422: x",
        1,
    )
    assert (delivered["status"], delivered["attempts"], delivered["note"]) == (
        "delivered",
        2,
        "a note",
    )
    assert delivered["answer"] == answer.to_wire()


def test_the_documented_format_lists_every_message_type_and_field() -> None:
    outbox, key = queued_entry()
    text = DOCS.read_text()
    messages = [
        bridge.ready_message(),
        bridge.event_message(parse_event(CREATE), key),
        bridge.delivery_message(outbox.get(key)),
        bridge.rejected_message("why"),
    ]

    for message in messages:
        assert f'"type": "{message["type"]}"' in text
        for name in message:
            assert f"`{name}`" in text, f"docs/bridge.md does not explain `{name}`"
