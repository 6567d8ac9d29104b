"""CRM records: one kind per event, idempotency keys, and the published schema."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.events import parse_event
from components.http import json_body
from components.records import (
    RECORD_SCHEMA_VERSION,
    CrmAnswer,
    CrmRecord,
    answer_json_schema,
    record_from_event,
    record_json_schema,
    record_wire,
)
from tests.event_strategies import wazzup_events

WHEN = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def chat_data(chat_id: str = "79998887766", user_id: str = "u1", **extra: object) -> dict:
    return {"chatType": "whatsapp", "chatId": chat_id, "userId": user_id, **extra}


def message_event(message_id: str, chat_id: str = "79998887766", **extra: object):
    return parse_event(
        {"type": "WZ_OUTPUT_MESSAGE", "data": chat_data(chat_id, messageId=message_id, **extra)}
    )


def create_event(chat_id: str = "79998887766", user_id: str = "u1"):
    return parse_event({"type": "WZ_CREATE_ENTITY", "data": chat_data(chat_id, user_id)})


def open_event(entity_id: str = "d1"):
    return parse_event(
        {
            "type": "WZ_OPEN_ENTITY",
            "data": chat_data(entity={"id": entity_id, "name": "Deal", "closed": True}),
        }
    )


def test_each_event_maps_to_its_record_kind() -> None:
    assert record_from_event(create_event(), receipt_id="r").kind == "deal_request"
    assert record_from_event(open_event(), receipt_id="r").kind == "deal_opened"
    assert record_from_event(message_event("m1"), receipt_id="r").kind == "contact"


def test_contact_key_is_the_same_for_every_message_of_one_chat() -> None:
    first = record_from_event(message_event("m1"), receipt_id="a", received_at=WHEN)
    second = record_from_event(message_event("m2", name="Ann"), receipt_id="b")

    assert first.idempotency_key == second.idempotency_key
    assert first.idempotency_key.startswith("contact-")


def test_contact_key_differs_between_chats() -> None:
    one = record_from_event(message_event("m1", chat_id="79998887766"))
    other = record_from_event(message_event("m1", chat_id="79998887700"))

    assert one.idempotency_key != other.idempotency_key


def test_deal_request_key_differs_per_receipt() -> None:
    event = create_event()

    first = record_from_event(event, receipt_id="receipt-1")
    second = record_from_event(event, receipt_id="receipt-2")

    assert first.idempotency_key != second.idempotency_key
    assert first.idempotency_key.startswith("deal-request-")


def test_deal_request_key_is_stable_for_the_same_receipt() -> None:
    event = create_event()

    first = record_from_event(event, receipt_id="receipt-1", received_at=WHEN)
    again = record_from_event(event, receipt_id="receipt-1")

    assert first.idempotency_key == again.idempotency_key


def test_deal_request_key_differs_per_user() -> None:
    assert (
        record_from_event(create_event(user_id="u1"), receipt_id="r").idempotency_key
        != record_from_event(create_event(user_id="u2"), receipt_id="r").idempotency_key
    )


def test_record_carries_chat_user_time_and_the_event() -> None:
    event = message_event("m1", name="Anthony", channelId="ch-1")

    record = record_from_event(event, received_at=WHEN)

    assert record.schema_version == RECORD_SCHEMA_VERSION
    assert record.occurred_at == WHEN
    assert record.user_id == "u1"
    assert (record.chat.chat_type, record.chat.chat_id, record.chat.channel_id) == (
        "whatsapp",
        "79998887766",
        "ch-1",
    )
    assert record.contact_name == "Anthony"
    assert record.entity is None
    assert record.event == event.to_wire()


def test_deal_opened_record_carries_the_entity() -> None:
    record = record_from_event(open_event("d7"), receipt_id="r")

    assert record.entity is not None
    assert (record.entity.id, record.entity.closed) == ("d7", True)


def test_record_without_a_time_gets_the_current_utc_time() -> None:
    before = datetime.now(UTC)
    record = record_from_event(create_event(), receipt_id="r")

    assert before <= record.occurred_at <= datetime.now(UTC)


def test_record_wire_form_is_camel_case_and_parses_back() -> None:
    record = record_from_event(message_event("m1"), received_at=WHEN)

    wire = record.to_wire()

    assert {"schemaVersion", "kind", "idempotencyKey", "occurredAt", "userId", "chat"} <= set(wire)
    assert wire["chat"]["chatId"] == "79998887766"
    assert CrmRecord.model_validate(wire) == record


def test_schema_lists_the_record_fields_by_their_wire_names() -> None:
    schema = record_json_schema()

    properties = schema["properties"]
    for name in (
        "schemaVersion",
        "kind",
        "idempotencyKey",
        "occurredAt",
        "userId",
        "chat",
        "event",
    ):
        assert name in properties
    assert set(schema["required"]) >= {"kind", "idempotencyKey", "occurredAt", "userId", "chat"}
    assert set(properties["kind"]["enum"]) == {"deal_request", "deal_opened", "contact"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"status": "created", "recordId": 501, "link": "https://crm.example.com/deals/501"},
        {
            "status": "created",
            "deal": {
                "id": "501",
                "responsibleUserId": "1",
                "name": "Deal #501",
                "contacts": ["1"],
            },
        },
    ],
)
def test_crm_answer_accepts_its_documented_forms(body: dict) -> None:
    answer = CrmAnswer.model_validate(body)

    assert answer.status == body.get("status", "ok")
    if "recordId" in body:
        assert answer.record_id == "501"
    if "deal" in body:
        assert answer.deal is not None and answer.deal.contacts == ["1"]


def test_published_schemas_name_their_dialect_and_describe_every_record_field() -> None:
    schema = record_json_schema()

    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "idempotencyKey" in schema["description"]
    undocumented = [
        name
        for name, field in schema["properties"].items()
        if "description" not in field and "$ref" not in field
    ]
    assert undocumented == []
    assert answer_json_schema()["$schema"] == schema["$schema"]
    assert set(answer_json_schema()["properties"]) == {
        "status",
        "recordId",
        "link",
        "deal",
        "contact",
    }


def test_the_record_docs_name_every_field_and_kind() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "records.md").read_text()

    for name in record_json_schema()["properties"]:
        assert f"`{name}`" in text, f"docs/records.md does not explain `{name}`"
    for name in answer_json_schema()["properties"]:
        assert f"`{name}`" in text, f"docs/records.md does not explain the answer's `{name}`"
    for kind in ("deal_request", "deal_opened", "contact"):
        assert f"`{kind}`" in text
    assert "Idempotency-Key" in text


@pytest.mark.parametrize("link", ["javascript:alert(1)", "data:text/html,x", "", "#"])
def test_crm_answer_drops_a_link_that_is_not_a_web_page(link: str) -> None:
    assert CrmAnswer.model_validate({"link": link}).link is None


@settings(max_examples=300, deadline=None)
@given(
    message=wazzup_events(), receipt=st.text(max_size=20), when=st.datetimes(timezones=st.just(UTC))
)
def test_the_wire_form_sent_first_is_the_one_the_model_writes(
    message: dict, receipt: str, when: datetime
) -> None:
    # The page sends record_wire's dict before it builds the model; a retry sends the
    # model's to_wire(): the CRM must get the same bytes both times.
    wire = record_wire(parse_event(message), received_at=when, receipt_id=receipt)

    record = CrmRecord.model_validate(wire)

    assert json_body(record.to_wire()) == json_body(wire)
