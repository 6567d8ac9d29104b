"""Link requests: the documented v3 and v2 bodies, conversions, and the chat-id rules."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from components.chat import ChatType
from components.link import (
    LinkRequest,
    LinkResponse,
    PartnerLinkRequest,
    PartnerLinkResponse,
    parse_link_request,
)
from tests.wazzup_docs import DOCS_V2_REQUEST, DOCS_V3_REQUEST


def card(chat: dict, **extra: object) -> dict:
    return {"user": {"id": "7"}, "scope": "card", "filter": [chat], **extra}


def test_v3_example_parses_and_emits_itself_unchanged() -> None:
    request = parse_link_request(copy.deepcopy(DOCS_V3_REQUEST))

    assert request.user.id == "222555"
    assert request.filter is not None and request.filter[0].chat_type is ChatType.WHATSAPP
    assert request.use_deals_events and request.use_message_events
    assert request.to_v3() == DOCS_V3_REQUEST


def test_v3_example_converts_to_the_v2_partner_body() -> None:
    body = parse_link_request(DOCS_V3_REQUEST).to_v2()

    assert body == {
        "user_id": "222555",
        "author_name": "User Name",
        "scope": "card",
        "chats": [{"chat_type": "whatsapp", "chat_id": "79998887766", "contact_name": "Anthony"}],
        "active_chat": {"chat_type": "whatsapp", "chat_id": "79998887766"},
        "use_events": {"deals": True, "messages": True},
    }


def test_v2_example_parses_into_the_canonical_request() -> None:
    request = parse_link_request(copy.deepcopy(DOCS_V2_REQUEST))

    assert request.user.id == "crm-user-id-123"
    assert request.user.name == "John Smith"
    assert request.filter is not None
    whatsapp, telegram = request.filter
    assert (whatsapp.chat_id, whatsapp.name) == ("37111234567", "Anthony Stone")
    assert (telegram.chat_type, telegram.username, telegram.chat_id) == (
        ChatType.TELEGRAM,
        "my_tg_user",
        None,
    )
    assert request.active_chat is not None and request.active_chat.chat_id == "37111234567"
    assert not request.use_deals_events and not request.use_message_events


def test_v2_example_emits_itself_unchanged() -> None:
    assert parse_link_request(DOCS_V2_REQUEST).to_v2() == DOCS_V2_REQUEST


def test_v3_shaped_body_is_accepted_as_a_v2_partner_request() -> None:
    partner = PartnerLinkRequest.model_validate(copy.deepcopy(DOCS_V3_REQUEST))

    assert partner.user_id == "222555"
    assert partner.author_name == "User Name"
    assert partner.chats is not None
    assert partner.chats[0].contact_name == "Anthony"
    assert partner.chats[0].chat_id == "79998887766"
    assert partner.active_chat is not None and partner.active_chat.chat_type is ChatType.WHATSAPP
    assert partner.use_events is not None
    assert partner.use_events.deals and partner.use_events.messages
    assert partner.to_link_request() == parse_link_request(DOCS_V3_REQUEST)


def test_v2_user_as_object_and_as_user_id_mean_the_same() -> None:
    flat = parse_link_request({"user_id": "42", "author_name": "Ann", "scope": "global"})
    nested = PartnerLinkRequest.model_validate(
        {"user": {"id": "42", "name": "Ann"}, "scope": "global"}
    ).to_link_request()

    assert flat.user == nested.user
    assert flat.user.id == "42" and flat.user.name == "Ann"


@pytest.mark.parametrize("example", [DOCS_V3_REQUEST, DOCS_V2_REQUEST], ids=["v3", "v2"])
def test_round_trips_through_both_wire_forms_keep_the_request(example: dict) -> None:
    request = parse_link_request(example)

    assert parse_link_request(request.to_v2()) == request
    assert parse_link_request(request.to_v3()) == request
    assert parse_link_request(parse_link_request(request.to_v2()).to_v3()).to_v2() == (
        request.to_v2()
    )


def test_v2_global_scope_emits_no_chats() -> None:
    body = parse_link_request({"user": {"id": "7"}, "scope": "global"}).to_v2()

    assert body["scope"] == "global"
    assert "chats" not in body


@pytest.mark.parametrize(
    "body",
    [
        {"user": {"id": "7"}, "scope": "card"},
        {"user": {"id": "7"}, "scope": "card", "filter": []},
        {"user_id": "7", "scope": "card"},
        {"user_id": "7", "scope": "card", "chats": []},
    ],
    ids=["v3-missing", "v3-empty", "v2-missing", "v2-empty"],
)
def test_card_scope_needs_at_least_one_chat(body: dict) -> None:
    with pytest.raises(ValidationError, match="at least one chat"):
        parse_link_request(body)


def test_v2_global_scope_refuses_chats() -> None:
    with pytest.raises(ValidationError, match="chats must be absent"):
        parse_link_request(
            {
                "user_id": "7",
                "scope": "global",
                "chats": [{"chat_type": "whatsapp", "chat_id": "79998887766"}],
            }
        )


def test_unknown_scope_is_refused() -> None:
    with pytest.raises(ValidationError, match="scope"):
        parse_link_request({"user": {"id": "7"}, "scope": "everything"})


def test_missing_user_id_is_refused_in_both_forms() -> None:
    with pytest.raises(ValidationError):
        parse_link_request({"user": {"name": "Ann"}, "scope": "global"})
    with pytest.raises(ValidationError):
        parse_link_request({"user_id": "", "scope": "global"})


def test_ids_given_as_numbers_become_strings() -> None:
    request = parse_link_request(
        card(
            {"chatType": "whatsapp", "chatId": 79998887766},
            user={"id": 222555},
            activeChat={"chatType": "whatsapp", "chatId": 79998887766},
        )
    )

    assert request.user.id == "222555"
    assert request.filter is not None and request.filter[0].chat_id == "79998887766"
    assert request.active_chat is not None and request.active_chat.chat_id == "79998887766"
    assert request.to_v3()["user"]["id"] == "222555"


def test_v2_numeric_user_id_becomes_a_string() -> None:
    assert parse_link_request({"user_id": 42, "scope": "global"}).user.id == "42"


@pytest.mark.parametrize("username", ["my_tg_user", "Abcde", "a" * 32])
def test_telegram_username_that_follows_telegram_rules_is_accepted(username: str) -> None:
    request = parse_link_request(card({"chatType": "telegram", "username": username}))

    assert request.filter is not None and request.filter[0].username == username


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("@my_tg_user", "must not start with '@'"),
        ("abcd", "5-32"),
        ("a" * 33, "5-32"),
        ("has-dash", "5-32"),
        ("has space", "5-32"),
    ],
)
def test_telegram_username_that_breaks_the_rules_is_refused(username: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_link_request(card({"chatType": "telegram", "username": username}))


def test_username_is_refused_for_non_telegram_chats() -> None:
    with pytest.raises(ValidationError, match="only for chatType 'telegram'"):
        parse_link_request(card({"chatType": "whatsapp", "username": "my_tg_user"}))


def test_v2_username_is_refused_for_non_telegram_chats() -> None:
    with pytest.raises(ValidationError, match="only for chat_type 'telegram'"):
        parse_link_request(
            {
                "user_id": "7",
                "scope": "card",
                "chats": [{"chat_type": "whatsapp", "username": "my_tg_user"}],
            }
        )


@pytest.mark.parametrize("chat_type", ["whatsapp", "viber"])
@pytest.mark.parametrize("chat_id", ["+79998887766", "7 999 888 77 66", "7999-888", "abc", "123"])
def test_phone_chat_ids_must_be_digits_only(chat_type: str, chat_id: str) -> None:
    with pytest.raises(ValidationError, match="digits only"):
        parse_link_request(card({"chatType": chat_type, "chatId": chat_id}))


def test_whatsapp_chat_id_with_country_code_digits_is_accepted() -> None:
    request = parse_link_request(card({"chatType": "whatsapp", "chatId": "79011112233"}))

    assert request.filter is not None and request.filter[0].chat_id == "79011112233"


def test_instagram_account_with_at_sign_is_refused() -> None:
    with pytest.raises(ValidationError, match="must not start with '@'"):
        parse_link_request(card({"chatType": "instagram", "chatId": "@some.account"}))


def test_instagram_account_name_is_accepted() -> None:
    request = parse_link_request(card({"chatType": "instagram", "chatId": "some.account_1"}))

    assert request.filter is not None and request.filter[0].chat_id == "some.account_1"


def test_phone_is_accepted_for_telegram() -> None:
    request = parse_link_request(card({"chatType": "telegram", "phone": "79011112233"}))

    assert request.filter is not None and request.filter[0].phone == "79011112233"


@pytest.mark.parametrize("chat_type", ["whatsapp", "viber", "instagram", "vk"])
def test_phone_is_refused_for_every_chat_type_but_telegram(chat_type: str) -> None:
    with pytest.raises(ValidationError, match="phone is allowed only for chatType 'telegram'"):
        parse_link_request(card({"chatType": chat_type, "chatId": "79011112233", "phone": "7901"}))


def test_telegram_phone_must_be_digits() -> None:
    with pytest.raises(ValidationError, match="international digits"):
        parse_link_request(card({"chatType": "telegram", "phone": "+79011112233"}))


def test_telegram_chat_needs_an_id_or_username() -> None:
    with pytest.raises(ValidationError, match="telegram chat needs chatId or username"):
        parse_link_request(card({"chatType": "telegram", "name": "Anthony"}))


def test_whatsapp_chat_needs_an_id() -> None:
    with pytest.raises(ValidationError, match="chatId is required for chatType 'whatsapp'"):
        parse_link_request(card({"chatType": "whatsapp", "name": "Anthony"}))


def test_unknown_chat_type_is_refused() -> None:
    with pytest.raises(ValidationError, match="chatType"):
        parse_link_request(card({"chatType": "sms", "chatId": "79011112233"}))


def test_active_chat_with_an_id_needs_a_chat_type() -> None:
    with pytest.raises(ValidationError, match="chatType is required"):
        parse_link_request(
            card(
                {"chatType": "whatsapp", "chatId": "79998887766"},
                activeChat={"chatId": "79998887766"},
            )
        )


def test_active_chat_may_name_only_a_channel() -> None:
    request = parse_link_request(
        card({"chatType": "whatsapp", "chatId": "79998887766"}, activeChat={"channelId": "c-1"})
    )

    assert request.active_chat is not None
    assert request.to_v3()["activeChat"] == {"channelId": "c-1"}
    assert request.to_v2()["active_chat"] == {"channel_id": "c-1"}


def test_more_than_one_hundred_chats_are_refused() -> None:
    chats = [{"chatType": "whatsapp", "chatId": f"7999888{i:04d}"} for i in range(101)]

    with pytest.raises(ValidationError, match="at most 100"):
        parse_link_request({"user": {"id": "7"}, "scope": "card", "filter": chats})


def test_link_request_is_immutable() -> None:
    request = parse_link_request(DOCS_V3_REQUEST)

    with pytest.raises(ValidationError):
        request.scope = "global"  # type: ignore[misc]


def test_canonical_request_is_also_a_link_request_model() -> None:
    assert isinstance(parse_link_request(DOCS_V2_REQUEST), LinkRequest)


def test_v3_link_response_takes_the_documented_url() -> None:
    url = "https://12345678.wazzup24.com/chat/0e812899-e25b-4a18-a3e4-d1f5890f9de7?token=TOKEN"

    assert LinkResponse.model_validate({"url": url}).url == url


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x.example/", ""])
def test_link_response_refuses_anything_but_http_urls(url: str) -> None:
    with pytest.raises(ValidationError):
        LinkResponse.model_validate({"url": url})


def test_v2_link_response_converts_to_the_url_answer() -> None:
    answer = {
        "data": {"link": "https://app.wazzup24.com/1234-1234/chat/telegram/1670185301/123?token=t"},
        "meta": {"timestamp": 1764849838},
    }

    converted = PartnerLinkResponse.model_validate(answer).to_link_response()

    assert converted.to_wire() == {"url": answer["data"]["link"]}


# --- every documented field (wazzup-api.md §1, §2) ------------------------------------------

V3_EVERY_FIELD = {
    "user": {"id": "222555", "name": "User Name"},
    "scope": "card",
    "filter": [
        {"chatType": "whatsapp", "chatId": "79998887766", "name": "Anthony"},
        {"chatType": "telegram", "username": "my_tg_user", "name": "Tg by username"},
        {"chatType": "telegram", "phone": "79011112233"},  # older pages only
        {"chatType": "instagram", "chatId": "some.account"},
    ],
    "activeChat": {
        "channelId": "c16tc1c-9f20-4rda-46jd-q92ty4j6s36888",
        "chatType": "telegram",
        "username": "my_tg_user",
    },
    "options": {"clientType": "my-crm", "useDealsEvents": True, "useMessageEvents": False},
}

V2_EVERY_FIELD = {
    "user_id": "crm-user-id-123",
    "author_name": "John Smith",
    "scope": "card",
    "chats": [
        {"contact_name": "Anthony Stone", "chat_type": "whatsapp", "chat_id": "37111234567"},
        {"contact_name": "Anthony Stone", "chat_type": "telegram", "username": "my_tg_user"},
        {"chat_type": "telegram", "chat_id": "1670185"},
    ],
    "active_chat": {"channel_id": "c-1", "chat_type": "telegram", "username": "my_tg_user"},
    "use_events": {"deals": True, "messages": False},
    "client_type": "my-crm",
}


def test_every_documented_v3_field_is_kept_through_the_canonical_model() -> None:
    request = parse_link_request(V3_EVERY_FIELD)

    assert request.to_v3() == V3_EVERY_FIELD
    assert request.options is not None and request.options.client_type == "my-crm"
    assert request.active_chat is not None and request.active_chat.username == "my_tg_user"


def test_every_documented_v2_field_is_kept_through_the_canonical_model() -> None:
    request = parse_link_request(V2_EVERY_FIELD)

    assert request.to_v2() == V2_EVERY_FIELD
    assert request.to_v3()["options"] == {
        "clientType": "my-crm",
        "useDealsEvents": True,
        "useMessageEvents": False,
    }
    assert request.to_v3()["activeChat"] == {
        "channelId": "c-1",
        "chatType": "telegram",
        "username": "my_tg_user",
    }


def test_v2_user_object_with_name_is_the_same_as_user_id_and_author_name() -> None:
    nested = {**V2_EVERY_FIELD, "user": {"id": "crm-user-id-123", "name": "John Smith"}}
    del nested["user_id"], nested["author_name"]

    assert parse_link_request(nested).to_v2() == V2_EVERY_FIELD


def test_a_telegram_chat_named_only_by_phone_cannot_be_sent_as_v2() -> None:
    request = parse_link_request(card({"chatType": "telegram", "phone": "79011112233"}))

    with pytest.raises(ValidationError, match="phone cannot open a telegram chat in the v2"):
        request.to_v2()


def test_a_telegram_chat_with_an_id_and_a_phone_drops_the_phone_in_v2() -> None:
    chat = {"chatType": "telegram", "chatId": "1670185", "phone": "79011112233"}

    assert parse_link_request(card(chat)).to_v2()["chats"] == [
        {"chat_type": "telegram", "chat_id": "1670185"}
    ]


@pytest.mark.parametrize(
    ("active", "words"),
    [
        ({"chat_type": "whatsapp", "username": "my_tg_user"}, "username is allowed only for"),
        ({"chat_type": "whatsapp", "chat_id": "+7999"}, "chat_id of a whatsapp chat"),
        ({"chat_id": "79998887766"}, "chat_type is required"),
        ({"chat_type": "telegram", "phone": "79011112233"}, "phone cannot open"),
    ],
)
def test_v2_active_chat_follows_the_chat_rules_in_v2_names(active: dict, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        PartnerLinkRequest.model_validate(
            {"user_id": "7", "scope": "global", "active_chat": active}
        )


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (card({"chatType": "whatsapp", "chatId": "+7999"}), "chatId of a whatsapp chat"),
        (card({"chatType": "viber", "chatId": "7 999"}), "chatId of a viber chat"),
        (card({"chatType": "instagram", "chatId": "@acc"}), "chatId of an instagram chat"),
        (card({"chatType": "telegram", "username": "@tg_user"}), "username must not start"),
        (
            {
                "user_id": "7",
                "scope": "card",
                "chats": [{"chat_type": "whatsapp", "chat_id": "+7"}],
            },
            "chat_id of a whatsapp chat",
        ),
    ],
    ids=["v3-whatsapp", "v3-viber", "v3-instagram", "v3-telegram", "v2-whatsapp"],
)
def test_chat_rule_messages_name_the_wire_field(body: dict, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        parse_link_request(body)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"user_id": "u" * 65, "scope": "global"}, "user_id"),
        ({"user_id": "7", "author_name": "n" * 151, "scope": "global"}, "author_name"),
        ({"user": {"id": "u" * 201}, "scope": "global"}, "user.id"),
        ({"user": {"id": "7", "name": "n" * 201}, "scope": "global"}, "user.name"),
    ],
)
def test_user_fields_keep_their_documented_lengths(body: dict, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_link_request(body)

    locations = {".".join(str(p) for p in error["loc"]) for error in caught.value.errors()}
    assert any(words in location for location in locations)
