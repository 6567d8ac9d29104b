"""Messages to window.parent: the versioned format documented in docs/bridge.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from components import bridge
from components.errors import PermanentDelivery
from components.events import parse_event
from components.outbox import Outbox
from components.records import CrmAnswer, record_from_event

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "bridge.md"
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
        bridge.problem_message("http:503", "The proxy answered 503", chat_kept=False),
    ]

    for message in messages:
        assert (message["source"], message["version"]) == ("wazzup-chat-window", 1)
        assert json.loads(json.dumps(message)) == message  # structured-clone and JSON safe
    assert [m["type"] for m in messages] == ["ready", "event", "delivery", "rejected", "problem"]


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


def test_problem_message_carries_the_code_and_title_but_not_the_detail() -> None:
    message = bridge.problem_message("NO_SUCH_ACCOUNT", "Wazzup refused", chat_kept=False)

    assert message == {
        "source": "wazzup-chat-window",
        "version": 1,
        "type": "problem",
        "code": "NO_SUCH_ACCOUNT",
        "title": "Wazzup refused",
        "chatKept": False,
    }


def test_the_bridge_imports_without_pydantic_for_problems_before_it_loads() -> None:
    # page_view posts a problem before pydantic is loaded (main.py): bridge must not need it.
    script = (
        "import sys; sys.modules['pydantic'] = None\n"
        "from components import bridge\n"
        "print(bridge.problem_message('internal', 'x', chat_kept=True)['type'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert (done.returncode, done.stdout.strip()) == (0, "problem"), done.stderr


def test_the_documented_format_lists_every_message_type_and_field() -> None:
    outbox, key = queued_entry()
    text = DOCS.read_text()
    messages = [
        bridge.ready_message(),
        bridge.event_message(parse_event(CREATE), key),
        bridge.delivery_message(outbox.get(key)),
        bridge.rejected_message("why"),
        bridge.problem_message("internal", "Unexpected error", chat_kept=True),
    ]

    for message in messages:
        assert f'"type": "{message["type"]}"' in text
        for name in message:
            assert f"`{name}`" in text, f"docs/bridge.md does not explain `{name}`"
