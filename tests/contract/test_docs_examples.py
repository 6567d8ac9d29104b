"""Every example of the two seed docs pages, taken literally, is accepted where its intent is clear.

Sources: seed 000 = S-IF3 (https://wazzup24.com/help/api-en/chat-window-iframe/), seed 001 =
S-IF2 (https://wazzup24.com/help/api/iframe-chats/). The examples are copied below as text,
character for character. Two kinds were not JSON as printed:

- the event examples are JavaScript-ish (`chatType: whatsapp`, `id: clientId3`, `link: #`):
  `quote_js` quotes them the way JavaScript would read them if the bare words were strings —
  keys and bare words get double quotes, '…' becomes "…", and numbers (`chatId: 79998887766`)
  and booleans stay what they are; the resulting value types are asserted below;
- the v3 error example lacks its closing brace: the one fix is marked where it is made.

Each request example is sent to the sandbox route it was written for, and through the proxy;
each answer and error example is read by the model the client reads them with.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from servers import SANDBOX_KEY, SANDBOX_TOKEN, Stack

from components.chat import ChatType
from components.events import CreateEntityEvent, OpenEntityEvent, OutputMessageEvent, parse_event
from components.link import LinkResponse, PartnerLinkResponse, parse_link_request
from components.problems import FIXES, explain_upstream_error

# --- seed 000: POST /v3/iframe ------------------------------------------------------------

V3_REQUEST = """
{
"user": {
"id": "222555",
"name": "User Name"
},
"scope": "card",
"filter": [
{
"chatType": "whatsapp",
"chatId": "79998887766"
}
],
"activeChat": {
"chatType": "whatsapp",
"chatId": "79998887766"
}
}
"""

V3_RESPONSE = """
{
"url": "https://12345678.wazzup24.com/chat/0e812899-e25b-4a18-a3e4-d1f5890f9de7?token=${token}"
}
"""

# Printed as `{ "error": { "code": "NO_SUCH_ACCOUNT" }`: the closing brace is ours.
V3_ERROR = """ { "error": { "code": "NO_SUCH_ACCOUNT" }""" + " }"

# --- seed 000: events, as printed ---------------------------------------------------------

V3_CREATE_ENTITY = """
{
  type: 'WZ_CREATE_ENTITY',
  data: {
    chatType: whatsapp,
    chatId: 79998887766,
    channelId: c16tc1c-9f20-4rda-46jd-q92ty4j6s36888,
    userId: test_id,
    integrationId: 608df5ye-45hj-j6k7-l77k-qe5t88j4h1222
  }
}
"""

V3_OPEN_ENTITY = """
{
  type: 'WZ_OPEN_ENTITY',
  data: {
    chatType: whatsapp,
    chatId: 79998887766,
    channelId: c16tc1c-9f20-4rda-46jd-q92ty4j6s36888,
    userId: test_id,
    integrationId: 608df5ye-45hj-j6k7-l77k-qe5t88j4h1222,
    entity: {
      closed: false,
      id: clientId3,
      link: #,
      name: TestDeal,
      responsibleUserName: TestUser
    }
  }
}
"""

# messageId is printed with a Cyrillic "о" in "7886о490": kept.
V3_OUTPUT_MESSAGE = """
{
  type: 'WZ_OUTPUT_MESSAGE',
  data: {
    chatType: whatsapp,
    chatId: 79998887766,
    channelId: c16tc1c-9f20-4rda-46jd-q92ty4j6s36888,
    userId: test_id,
    integrationId: 608df5ye-45hj-j6k7-l77k-qe5t88j4h1222,
    messageId: 7886о490-49df-8hj3-3jkj-wes4xc54fwd
  }
}
"""

# --- seed 001: POST /v2/iframe-links/chats -------------------------------------------------

V2_CARD_REQUEST = """
{
"user_id": "crm-user-id-123",
"author_name": "John Smith",
"scope": "card",
"chats": [
{
"contact_name": "Anthony Stone",
"chat_type": "whatsapp",
"chat_id": "37111234567"
},
{
"contact_name": "Anthony Stone",
"chat_type": "telegram",
"username": "my_tg_user"
},
{
"contact_name": "Anthony Stone",
"chat_type": "telegram",
"chat_id": "1670185"
}
],
"active_chat": {
"channel_id": "string",
"chat_type": "whatsapp",
"chat_id": "37111234567"
},
"use_events": {
"deals": false,
"messages": false
}
}
"""

V2_GLOBAL_REQUEST = """
{
"user_id": "crm-user-1",
"scope": "global"
}
"""

# "Example request for creating a Telegram chat using a username": a v3-shaped body.
V2_TELEGRAM_USERNAME_REQUEST = """
{
"user": {
"id": "crm-user-id-123",
"name": "John Smith"
},
"scope": "card",
"filter": [
{
"chatType": "telegram",
"username": "best_client"
}]
}
"""

V2_RESPONSE = """
{
"data": {
"link": "https://app.wazzup24.com/1234-1234/chat/telegram/1670185301/123?token=token"
},
"meta": {
"timestamp": 1764849838
}
}
"""

V2_ERROR = """
{
"code": "VALIDATION_FAILED",
"title": "Validation Failed",
"status": 400,
"detail": "One or more fields did not pass validation.",
"instance": "/v2/iframe-links/chats",
"method": "POST",
"errors": [
"user_id should not be empty",
"scope must be a valid enum value"
]
}
"""

# --- seed 001: events, as printed ---------------------------------------------------------

V2_CREATE_ENTITY = """
{
type: 'WZ_CREATE_ENTITY',
data: {
chatType: whatsapp,
chatId: 37198887766,
channelId: c16tc1c-9f20-4rda-46jd-q92ty4j6s36888,
userId: test_id,
integrationId: 608df5ye-45hj-j6k7-l77k-qe5t88j4h1222
}
}
"""

V2_OPEN_ENTITY = """
{
type: 'WZ_OPEN_ENTITY',
data: {
chatType: whatsapp,
chatId: 37198887766,
channelId: c16tc1c-9f20-4rda-46jd-q92ty4j6s36888,
userId: test_id,
integrationId: 608df5ye-45hj-j6k7-l77k-qe5t88j4h1222,
entity: {
closed: false,
id: clientId3,
link: #,
name: TestDeal,
responsibleUserName: TestUser
}
}
}
"""

_JS_LINE = re.compile(r"^(\s*)(\w+):\s*(.*?)(,?)\s*$")
_JS_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def quote_js(text: str) -> str:
    """The docs' JavaScript-ish example as JSON: keys and bare words quoted, numbers kept."""
    lines = []
    for line in text.strip().splitlines():
        match = _JS_LINE.match(line)
        if match is None:
            lines.append(line)
            continue
        indent, key, value, comma = match.groups()
        if value.startswith("'") and value.endswith("'"):
            value = json.dumps(value[1:-1])
        elif value not in ("{", "[", "true", "false", "null") and not _JS_NUMBER.match(value):
            value = json.dumps(value)
        lines.append(f'{indent}"{key}": {value}{comma}')
    return "\n".join(lines)


def test_quoting_keeps_numbers_and_booleans_and_quotes_bare_words() -> None:
    data = json.loads(quote_js(V3_OPEN_ENTITY))["data"]

    assert data["chatId"] == 79998887766  # a number, as JavaScript reads it
    assert data["userId"] == "test_id"
    assert data["entity"] == {
        "closed": False,
        "id": "clientId3",
        "link": "#",
        "name": "TestDeal",
        "responsibleUserName": "TestUser",
    }


# --- link requests ------------------------------------------------------------------------


def sandbox_link(stack: Stack, path: str, body: str, credential: str) -> httpx.Response:
    return httpx.post(
        f"{stack.sandbox_url}{path}",
        content=body.encode(),
        headers={"Authorization": f"Bearer {credential}", "Content-Type": "application/json"},
    )


def test_v3_request_example_gets_a_link_from_the_sandbox_and_through_the_proxy(
    stack: Stack,
) -> None:
    request = parse_link_request(json.loads(V3_REQUEST))
    assert request.user.id == "222555" and request.user.name == "User Name"
    assert request.active_chat is not None and request.active_chat.chat_id == "79998887766"

    direct = sandbox_link(stack, "/v3/iframe", V3_REQUEST, SANDBOX_KEY)
    assert direct.status_code == 200, direct.text
    assert LinkResponse.model_validate(direct.json()).url.startswith(stack.sandbox_url)

    for proxy in (stack.proxy_v3_url, stack.proxy_v2_url):
        proxied = httpx.post(f"{proxy}/api/link", content=V3_REQUEST, headers=JSON)
        assert proxied.status_code == 200, proxied.text


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "example",
    [V2_CARD_REQUEST, V2_GLOBAL_REQUEST, V2_TELEGRAM_USERNAME_REQUEST],
    ids=["card", "global", "v3-shaped-telegram-username"],
)
def test_v2_request_examples_get_a_partner_link_from_the_sandbox_and_through_the_proxy(
    stack: Stack, example: str
) -> None:
    direct = sandbox_link(stack, "/v2/iframe-links/chats", example, SANDBOX_TOKEN)
    assert direct.status_code == 200, direct.text
    answer = PartnerLinkResponse.model_validate(direct.json())
    assert answer.data.link.startswith(stack.sandbox_url)
    assert answer.meta is not None and isinstance(answer.meta.timestamp, int)

    for proxy in (stack.proxy_v2_url, stack.proxy_v3_url):
        proxied = httpx.post(f"{proxy}/api/link", content=example, headers=JSON)
        assert proxied.status_code == 200, proxied.text


def test_v2_card_example_means_what_it_says() -> None:
    request = parse_link_request(json.loads(V2_CARD_REQUEST))

    assert (request.user.id, request.user.name, request.scope) == (
        "crm-user-id-123",
        "John Smith",
        "card",
    )
    assert request.filter is not None
    assert [
        (chat.chat_type, chat.chat_id, chat.username, chat.name) for chat in request.filter
    ] == [
        (ChatType.WHATSAPP, "37111234567", None, "Anthony Stone"),
        (ChatType.TELEGRAM, None, "my_tg_user", "Anthony Stone"),
        (ChatType.TELEGRAM, "1670185", None, "Anthony Stone"),
    ]
    assert request.active_chat is not None
    assert request.active_chat.channel_id == "string"  # the docs' placeholder, taken as is
    assert not request.use_deals_events and not request.use_message_events
    assert request.to_v2() == json.loads(V2_CARD_REQUEST)


def test_v2_example_with_a_v3_body_means_a_telegram_chat_by_username() -> None:
    request = parse_link_request(json.loads(V2_TELEGRAM_USERNAME_REQUEST))

    assert request.filter is not None
    assert (request.filter[0].chat_type, request.filter[0].username) == ("telegram", "best_client")
    assert request.to_v2()["chats"] == [{"chat_type": "telegram", "username": "best_client"}]
    assert request.to_v2()["user_id"] == "crm-user-id-123"


# --- answers and errors -------------------------------------------------------------------


def test_v3_response_example_is_a_link_even_with_its_template_token() -> None:
    answer = LinkResponse.model_validate_json(V3_RESPONSE)

    assert answer.url.endswith("?token=${token}")


def test_v2_response_example_becomes_the_same_link_answer() -> None:
    answer = PartnerLinkResponse.model_validate_json(V2_RESPONSE)

    assert answer.to_link_response().url == json.loads(V2_RESPONSE)["data"]["link"]
    assert answer.meta is not None and answer.meta.timestamp == 1764849838


def test_v3_error_example_gives_its_fix() -> None:
    problem = explain_upstream_error(400, V3_ERROR)

    assert problem.code == "NO_SUCH_ACCOUNT"
    assert problem.detail == FIXES["NO_SUCH_ACCOUNT"]


def test_v2_error_example_gives_its_fix_and_its_messages() -> None:
    problem = explain_upstream_error(400, V2_ERROR)

    assert problem.code == "VALIDATION_FAILED"
    assert problem.detail == FIXES["VALIDATION_FAILED"]
    assert problem.errors == ["user_id should not be empty", "scope must be a valid enum value"]


def test_v2_error_example_is_the_shape_the_sandbox_answers(stack: Stack) -> None:
    refused = sandbox_link(
        stack, "/v2/iframe-links/chats", '{"scope": "everything"}', SANDBOX_TOKEN
    )

    documented, answered = json.loads(V2_ERROR), refused.json()
    assert refused.status_code == documented["status"]
    assert set(answered) == set(documented)
    assert {key: answered[key] for key in ("code", "title", "status", "detail", "method")} == {
        key: documented[key] for key in ("code", "title", "status", "detail", "method")
    }
    assert "user_id should not be empty" in answered["errors"]
    assert "scope must be a valid enum value" in answered["errors"]


# --- events -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("example", "model", "chat_id"),
    [
        (V3_CREATE_ENTITY, CreateEntityEvent, "79998887766"),
        (V3_OPEN_ENTITY, OpenEntityEvent, "79998887766"),
        (V3_OUTPUT_MESSAGE, OutputMessageEvent, "79998887766"),
        (V2_CREATE_ENTITY, CreateEntityEvent, "37198887766"),
        (V2_OPEN_ENTITY, OpenEntityEvent, "37198887766"),
    ],
    ids=["v3-create", "v3-open", "v3-output", "v2-create", "v2-open"],
)
def test_event_examples_parse_with_their_documented_value_types(
    example: str, model: type, chat_id: str
) -> None:
    message: dict[str, Any] = json.loads(quote_js(example))
    assert isinstance(message["data"]["chatId"], int)  # the docs' bare number

    event = parse_event(message)

    assert isinstance(event, model)
    assert event.data.chat_type is ChatType.WHATSAPP
    assert event.data.chat_id == chat_id
    assert event.data.user_id == "test_id"  # typed Number, printed as a word: a string
    assert event.data.channel_id == "c16tc1c-9f20-4rda-46jd-q92ty4j6s36888"
    assert event.data.integration_id == "608df5ye-45hj-j6k7-l77k-qe5t88j4h1222"


@pytest.mark.parametrize("example", [V3_OPEN_ENTITY, V2_OPEN_ENTITY], ids=["v3", "v2"])
def test_open_entity_example_keeps_its_entity_and_drops_the_placeholder_link(example: str) -> None:
    event = parse_event(json.loads(quote_js(example)))

    assert isinstance(event, OpenEntityEvent)
    entity = event.data.entity
    assert (entity.id, entity.name, entity.closed) == ("clientId3", "TestDeal", False)
    assert entity.responsible_user_name == "TestUser"
    assert entity.link is None  # "#": "Link to the entity. There can be nothing"


def test_output_message_example_keeps_its_message_id_as_printed() -> None:
    event = parse_event(json.loads(quote_js(V3_OUTPUT_MESSAGE)))

    assert isinstance(event, OutputMessageEvent)
    assert event.data.message_id == "7886о490-49df-8hj3-3jkj-wes4xc54fwd"


def test_event_examples_also_arrive_as_json_strings() -> None:
    for example in (V3_CREATE_ENTITY, V3_OPEN_ENTITY, V3_OUTPUT_MESSAGE):
        assert parse_event(quote_js(example)) == parse_event(json.loads(quote_js(example)))
