"""Chat types and the documented rules for their ids (wazzup-api.md §7).

Every message names the wire field and the rule it breaks::

    check_chat_id("whatsapp", "+7 999", "chatId")
    # ValueError: chatId of a whatsapp chat must be digits only with the country code, ...

The v2 partner API names the same fields in snake_case: pass `fields=V2_FIELDS`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NamedTuple


class ChatType(StrEnum):
    WHATSAPP = "whatsapp"
    WHATSGROUP = "whatsgroup"
    VIBER = "viber"
    INSTAGRAM = "instagram"
    TELEGRAM = "telegram"
    TELEGROUP = "telegroup"
    VK = "vk"
    AVITO = "avito"
    MAX = "max"
    MAXGROUP = "maxgroup"


class ChatFields(NamedTuple):
    """The wire names of a chat reference's fields, for messages that name them."""

    chat_type: str
    chat_id: str
    username: str = "username"
    phone: str | None = "phone"  # None: this API cannot name a chat by phone


V3_FIELDS = ChatFields("chatType", "chatId")
# "It is not possible to create a Telegram dialog via the Chat Window API using a phone
# number" (S-IF2): the v2 partner API has no phone field.
V2_FIELDS = ChatFields("chat_type", "chat_id", phone=None)

PHONE_CHAT_TYPES = frozenset({ChatType.WHATSAPP, ChatType.VIBER})
USERNAME_CHAT_TYPES = frozenset({ChatType.TELEGRAM})

_DIGITS = re.compile(r"^[0-9]{5,20}$")
# Telegram's own rule (5-32 of a-z, 0-9, _); Wazzup only says "without the leading @".
_TELEGRAM_USERNAME = re.compile(r"^[A-Za-z0-9_]{5,32}$")
_INSTAGRAM_ACCOUNT = re.compile(r"^[A-Za-z0-9._]{1,100}$")

MAX_CHAT_ID_LENGTH = 200


def check_chat_id(chat_type: ChatType | str, chat_id: str, field: str | None = None) -> str:
    """Return chat_id when it follows the documented format for chat_type, else raise ValueError.

    With `field` ("chatId", "chat_id") the message starts with it; without, it says
    "<type> chat id", for callers whose error path already names the field.
    """
    name = field or "chat id"
    article = "an" if str(chat_type)[:1] in "aeiou" else "a"
    subject = f"{field} of {article} {chat_type} chat" if field else f"{chat_type} chat id"
    if not chat_id:
        raise ValueError(f"{name} must not be empty")
    if len(chat_id) > MAX_CHAT_ID_LENGTH:
        raise ValueError(f"{name} must be at most {MAX_CHAT_ID_LENGTH} characters")
    if chat_type in PHONE_CHAT_TYPES and not _DIGITS.match(chat_id):
        raise ValueError(
            f"{subject} must be digits only with the country code, "
            f"no '+' or spaces (like 79011112233), got {chat_id!r}"
        )
    if chat_type == ChatType.INSTAGRAM:
        if chat_id.startswith("@"):
            raise ValueError(f"{subject} must not start with '@', got {chat_id!r}")
        if not _INSTAGRAM_ACCOUNT.match(chat_id):
            raise ValueError(
                f"{subject} must be an account name (letters, digits, '.', '_'), got {chat_id!r}"
            )
    return chat_id


def check_telegram_username(username: str, field: str = "username") -> str:
    if username.startswith("@"):
        raise ValueError(f"{field} must not start with '@', got {username!r}")
    if not _TELEGRAM_USERNAME.match(username):
        raise ValueError(
            f"{field} must be 5-32 letters, digits or '_' (Telegram's rule), got {username!r}"
        )
    return username


def check_phone_digits(phone: str, field: str = "phone") -> str:
    if not _DIGITS.match(phone):
        raise ValueError(
            f"{field} must be international digits without '+' (like 79011112233), got {phone!r}"
        )
    return phone


def check_chat_ref(
    chat_type: ChatType | str,
    chat_id: str | None,
    username: str | None,
    phone: str | None,
    fields: ChatFields = V3_FIELDS,
) -> None:
    """A chat is named by its id, or (Telegram only) by a username or phone."""
    if username is not None:
        if chat_type != ChatType.TELEGRAM:
            raise ValueError(f"{fields.username} is allowed only for {fields.chat_type} 'telegram'")
        check_telegram_username(username, fields.username)
    if phone is not None:
        if fields.phone is None:
            raise ValueError(
                "phone cannot open a telegram chat in the v2 partner API; "
                f"give {fields.chat_id} or {fields.username}"
            )
        if chat_type != ChatType.TELEGRAM:
            raise ValueError(f"{fields.phone} is allowed only for {fields.chat_type} 'telegram'")
        check_phone_digits(phone, fields.phone)
    if chat_id is not None:
        check_chat_id(chat_type, chat_id, fields.chat_id)
    elif username is None and phone is None:
        if chat_type == ChatType.TELEGRAM:
            also = f" (or {fields.phone})" if fields.phone else ""
            raise ValueError(f"telegram chat needs {fields.chat_id} or {fields.username}{also}")
        raise ValueError(f"{fields.chat_id} is required for {fields.chat_type} '{chat_type}'")
