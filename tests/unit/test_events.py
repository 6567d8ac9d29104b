"""Window-message events: the three documented examples and every way a message can be bad."""

from __future__ import annotations

import json
import typing

import pytest
from hypothesis import assume, given, settings

from components.chat import ChatType
from components.errors import EventRejected
from components.events import (
    EVENT_ADAPTER,
    EVENT_TYPES,
    MAX_EVENT_BYTES,
    CreateEntityEvent,
    OpenEntityEvent,
    OutputMessageEvent,
    WazzupEvent,
    parse_event,
)
from components.records import RECORD_KIND_BY_EVENT
from tests.event_strategies import window_messages

CHANNEL = "c16tc1c-9f20-4rda-46jd-q92ty4j6s36888"
INTEGRATION = "608df5ye-45hj-j6k7-l77k-qe5t88j4h1222"

# wazzup-api.md §8, with the chat id as the number a JS page may hand over.
CREATE_ENTITY = {
    "type": "WZ_CREATE_ENTITY",
    "data": {
        "chatType": "whatsapp",
        "chatId": 79998887766,
        "channelId": CHANNEL,
        "userId": "test_id",
        "integrationId": INTEGRATION,
    },
}
OPEN_ENTITY = {
    "type": "WZ_OPEN_ENTITY",
    "data": {
        "chatType": "whatsapp",
        "chatId": 79998887766,
        "channelId": CHANNEL,
        "userId": "test_id",
        "integrationId": INTEGRATION,
        "entity": {
            "closed": False,
            "id": "clientId3",
            "link": "#",
            "name": "TestDeal",
            "responsibleUserName": "TestUser",
        },
    },
}
OUTPUT_MESSAGE = {
    "type": "WZ_OUTPUT_MESSAGE",
    "data": {
        "chatType": "telegram",
        "chatId": "1670185",
        "channelId": CHANNEL,
        "userId": "test_id",
        "integrationId": INTEGRATION,
        "messageId": "7886o490-49df-8hj3-3jkj-wes4xc54fwd",
        "name": "Anthony",
        "username": "my_tg_user",
        "telephone": "37111234567",
    },
}


def rejection(message: object) -> str:
    with pytest.raises(EventRejected) as caught:
        parse_event(message)
    return caught.value.reason


def test_create_entity_example_parses_with_a_numeric_chat_id() -> None:
    event = parse_event(CREATE_ENTITY)

    assert isinstance(event, CreateEntityEvent)
    assert event.data.chat_type is ChatType.WHATSAPP
    assert event.data.chat_id == "79998887766"
    assert event.data.channel_id == CHANNEL
    assert event.data.user_id == "test_id"
    assert event.data.integration_id == INTEGRATION


def test_open_entity_example_parses_and_drops_the_placeholder_link() -> None:
    event = parse_event(OPEN_ENTITY)

    assert isinstance(event, OpenEntityEvent)
    assert event.data.chat_id == "79998887766"
    entity = event.data.entity
    assert (entity.id, entity.name, entity.closed) == ("clientId3", "TestDeal", False)
    assert entity.responsible_user_name == "TestUser"
    assert entity.link is None  # "#" is the docs' placeholder, not a place to go


def test_output_message_example_parses_every_field() -> None:
    event = parse_event(OUTPUT_MESSAGE)

    assert isinstance(event, OutputMessageEvent)
    data = event.data
    assert data.chat_type is ChatType.TELEGRAM
    assert data.message_id == "7886o490-49df-8hj3-3jkj-wes4xc54fwd"
    assert (data.name, data.username, data.telephone) == ("Anthony", "my_tg_user", "37111234567")


def test_open_entity_without_a_link_is_accepted() -> None:
    message = json.loads(json.dumps(OPEN_ENTITY))
    del message["data"]["entity"]["link"]

    assert parse_event(message).data.entity.link is None  # type: ignore[union-attr]


def test_open_entity_with_an_http_link_keeps_it() -> None:
    message = json.loads(json.dumps(OPEN_ENTITY))
    message["data"]["entity"]["link"] = "https://crm.example.com/deals/3"

    assert parse_event(message).data.entity.link == "https://crm.example.com/deals/3"  # type: ignore[union-attr]


def test_open_entity_with_a_javascript_link_is_rejected() -> None:
    message = json.loads(json.dumps(OPEN_ENTITY))
    message["data"]["entity"]["link"] = "javascript:alert(1)"

    assert "entity.link" in rejection(message)


def test_whole_message_as_a_json_string_is_parsed() -> None:
    event = parse_event(json.dumps(CREATE_ENTITY))

    assert isinstance(event, CreateEntityEvent)
    assert event.data.chat_id == "79998887766"


def test_data_as_a_json_string_is_parsed() -> None:
    message = {"type": "WZ_OUTPUT_MESSAGE", "data": json.dumps(OUTPUT_MESSAGE["data"])}

    event = parse_event(message)

    assert isinstance(event, OutputMessageEvent)
    assert event.data.username == "my_tg_user"


def test_data_that_is_a_broken_json_string_is_rejected() -> None:
    assert rejection({"type": "WZ_CREATE_ENTITY", "data": "{chatType:"}) == (
        "WZ_CREATE_ENTITY: data is not JSON"
    )


def test_numeric_user_and_channel_ids_become_strings() -> None:
    message = json.loads(json.dumps(CREATE_ENTITY))
    message["data"]["userId"] = 42
    message["data"]["channelId"] = 7

    event = parse_event(message)

    assert (event.data.user_id, event.data.channel_id) == ("42", "7")


def test_unknown_type_is_rejected_naming_the_type() -> None:
    reason = rejection({"type": "WZ_SOMETHING_NEW", "data": CREATE_ENTITY["data"]})

    assert "unknown message type" in reason
    assert "WZ_SOMETHING_NEW" in reason


def test_message_without_a_type_is_rejected() -> None:
    assert "unknown message type" in rejection({"data": CREATE_ENTITY["data"]})


def test_very_long_unknown_type_is_cut_in_the_reason() -> None:
    reason = rejection({"type": "X" * 5000})

    assert len(reason) < 120


def test_missing_fields_are_named_as_on_the_wire() -> None:
    reason = rejection({"type": "WZ_CREATE_ENTITY", "data": {"chatType": "whatsapp"}})

    assert reason.startswith("WZ_CREATE_ENTITY: ")
    assert "data.chatId: Field required" in reason
    assert "data.userId: Field required" in reason


def test_missing_data_is_rejected() -> None:
    assert "data" in rejection({"type": "WZ_CREATE_ENTITY"})


def test_open_entity_without_an_entity_is_rejected() -> None:
    message = {"type": "WZ_OPEN_ENTITY", "data": CREATE_ENTITY["data"]}

    assert "data.entity" in rejection(message)


def test_unknown_chat_type_is_rejected() -> None:
    message = {"type": "WZ_CREATE_ENTITY", "data": {**CREATE_ENTITY["data"], "chatType": "sms"}}

    assert "data.chatType" in rejection(message)


def test_many_errors_are_summarised() -> None:
    reason = rejection({"type": "WZ_OPEN_ENTITY", "data": {"chatType": "nope"}})

    assert "more" in reason


def test_oversized_object_is_rejected() -> None:
    message = {"type": "WZ_CREATE_ENTITY", "data": {**CREATE_ENTITY["data"], "pad": "x" * 20000}}

    assert rejection(message) == f"message is larger than {MAX_EVENT_BYTES} bytes"


def test_oversized_string_is_rejected_before_parsing() -> None:
    assert "larger than" in rejection("[" * (MAX_EVENT_BYTES + 1))


def test_message_just_under_the_limit_is_accepted() -> None:
    message = {"type": "WZ_CREATE_ENTITY", "data": dict(CREATE_ENTITY["data"])}
    room = MAX_EVENT_BYTES - len(json.dumps({**message, "pad": ""})) - 10
    message["pad"] = "x" * room

    assert isinstance(parse_event(message), CreateEntityEvent)


@pytest.mark.parametrize(
    ("message", "kind"),
    [([CREATE_ENTITY], "list"), (42, "int"), (None, "NoneType"), ("[1, 2]", "list")],
)
def test_non_object_is_rejected_naming_its_type(message: object, kind: str) -> None:
    assert rejection(message) == f"message must be an object, got {kind}"


def test_text_that_is_not_json_is_rejected() -> None:
    assert rejection("hello from another frame") == "message is not JSON"


def test_event_adapter_union_has_exactly_the_three_documented_events() -> None:
    union = typing.get_args(WazzupEvent)[0]
    members = set(typing.get_args(union))

    assert members == {CreateEntityEvent, OpenEntityEvent, OutputMessageEvent}
    tags = {member.model_fields["type"].default for member in members}
    assert tags == set(EVENT_TYPES)


def test_dispatch_table_covers_every_member_of_the_union() -> None:
    union = typing.get_args(WazzupEvent)[0]

    assert set(RECORD_KIND_BY_EVENT) == set(typing.get_args(union))
    assert len(set(RECORD_KIND_BY_EVENT.values())) == len(RECORD_KIND_BY_EVENT)


@pytest.mark.parametrize("example", [CREATE_ENTITY, OPEN_ENTITY, OUTPUT_MESSAGE])
def test_event_adapter_parses_each_example_to_its_member(example: dict) -> None:
    event = EVENT_ADAPTER.validate_python(example)

    assert event.type == example["type"]
    assert type(event) in RECORD_KIND_BY_EVENT


@pytest.mark.parametrize("example", [CREATE_ENTITY, OPEN_ENTITY, OUTPUT_MESSAGE])
def test_event_wire_form_parses_back_to_the_same_event(example: dict) -> None:
    event = parse_event(example)

    assert parse_event(event.to_wire()) == event


def _outcome(message: object) -> tuple[str, object]:
    try:
        return "accepted", parse_event(message).model_dump()
    except EventRejected as rejected:
        return "rejected", rejected.reason


@settings(max_examples=400, deadline=None)
@given(message=window_messages())
def test_a_message_as_text_is_read_as_the_same_message_as_an_object(message: object) -> None:
    # The page hands every message over as JSON text, which takes a shorter path
    # (validate_json); it must accept and refuse exactly as the path for objects does.
    assume(not isinstance(message, str))  # a string is read as text either way
    as_text = json.dumps(message)

    assert _outcome(as_text) == _outcome(json.loads(as_text))
