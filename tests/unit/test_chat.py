"""Chat types and the documented chat-id rules (wazzup-api.md §7)."""

from __future__ import annotations

import pytest

from components.chat import (
    MAX_CHAT_ID_LENGTH,
    V2_FIELDS,
    V3_FIELDS,
    ChatFields,
    ChatType,
    check_chat_id,
    check_chat_ref,
    check_phone_digits,
    check_telegram_username,
)


def test_chat_types_are_the_ten_documented_ones() -> None:
    assert {t.value for t in ChatType} == {
        "whatsapp",
        "whatsgroup",
        "viber",
        "instagram",
        "telegram",
        "telegroup",
        "vk",
        "avito",
        "max",
        "maxgroup",
    }


@pytest.mark.parametrize("chat_type", ["whatsapp", "viber", ChatType.WHATSAPP])
def test_phone_chat_id_of_digits_is_returned(chat_type: str) -> None:
    assert check_chat_id(chat_type, "79011112233") == "79011112233"


@pytest.mark.parametrize("chat_id", ["+79011112233", "7 901 111", "7901", "x" * 10, "1" * 21])
def test_phone_chat_id_that_is_not_5_to_20_digits_is_refused(chat_id: str) -> None:
    with pytest.raises(ValueError, match="digits only") as caught:
        check_chat_id("whatsapp", chat_id)
    assert repr(chat_id) in str(caught.value)


def test_empty_chat_id_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        check_chat_id("vk", "")


def test_too_long_chat_id_is_refused() -> None:
    with pytest.raises(ValueError, match=str(MAX_CHAT_ID_LENGTH)):
        check_chat_id("vk", "1" * (MAX_CHAT_ID_LENGTH + 1))


@pytest.mark.parametrize("chat_type", ["whatsgroup", "telegroup", "vk", "avito", "telegram", "max"])
def test_chat_ids_taken_from_webhooks_are_free_form(chat_type: str) -> None:
    chat_id = "120363-abc@g.us"

    assert check_chat_id(chat_type, chat_id) == chat_id


def test_instagram_account_with_at_is_refused_with_its_own_message() -> None:
    with pytest.raises(ValueError, match="must not start with '@'"):
        check_chat_id("instagram", "@acc")


def test_instagram_account_with_spaces_is_refused() -> None:
    with pytest.raises(ValueError, match="account name"):
        check_chat_id("instagram", "my account")


def test_telegram_username_with_at_is_refused() -> None:
    with pytest.raises(ValueError, match="must not start with '@'"):
        check_telegram_username("@my_tg_user")


@pytest.mark.parametrize("username", ["abcd", "a" * 33, "dash-ed", "dot.ted"])
def test_telegram_username_outside_telegram_rules_is_refused(username: str) -> None:
    with pytest.raises(ValueError, match="5-32"):
        check_telegram_username(username)


def test_telegram_username_inside_the_rules_is_returned() -> None:
    assert check_telegram_username("My_TG_user_01") == "My_TG_user_01"


def test_phone_digits_refuse_a_plus_sign() -> None:
    with pytest.raises(ValueError, match="without '\\+'"):
        check_phone_digits("+79011112233")
    assert check_phone_digits("79011112233") == "79011112233"


def test_a_named_field_leads_the_message() -> None:
    with pytest.raises(ValueError, match=r"^chatId of a whatsapp chat must be digits only"):
        check_chat_id("whatsapp", "+7901", "chatId")
    with pytest.raises(ValueError, match=r"^chat_id of an instagram chat must not start"):
        check_chat_id("instagram", "@acc", "chat_id")


@pytest.mark.parametrize(
    ("args", "fields", "message"),
    [
        (
            ("whatsapp", None, "my_tg_user", None),
            V3_FIELDS,
            "username is allowed only for chatType",
        ),
        (
            ("whatsapp", None, "my_tg_user", None),
            V2_FIELDS,
            "username is allowed only for chat_type",
        ),
        (
            ("vk", None, None, "79011112233"),
            V3_FIELDS,
            "phone is allowed only for chatType 'telegram'",
        ),
        (("telegram", None, None, "79011112233"), V2_FIELDS, "phone cannot open a telegram chat"),
        (("telegram", None, None, None), V3_FIELDS, "needs chatId or username \\(or phone\\)"),
        (("telegram", None, None, None), V2_FIELDS, "needs chat_id or username$"),
        (("avito", None, None, None), V2_FIELDS, "chat_id is required for chat_type 'avito'"),
    ],
)
def test_chat_reference_rules_name_the_fields_of_each_api(
    args: tuple, fields: ChatFields, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check_chat_ref(*args, fields)


def test_a_telegram_chat_may_be_named_by_id_username_or_phone_in_v3() -> None:
    for args in [("1670185", None, None), (None, "my_tg_user", None), (None, None, "79011112233")]:
        check_chat_ref("telegram", *args)
