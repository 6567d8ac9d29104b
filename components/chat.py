"""Chat types and the documented rules for their ids (wazzup-api.md §7).

    check_chat_id("whatsapp", "+7 999")  # raises ValueError naming the rule
"""

from __future__ import annotations

import re
from enum import StrEnum


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


PHONE_CHAT_TYPES = frozenset({ChatType.WHATSAPP, ChatType.VIBER})
USERNAME_CHAT_TYPES = frozenset({ChatType.TELEGRAM})

_DIGITS = re.compile(r"^[0-9]{5,20}$")
# Telegram's own rule (5-32 of a-z, 0-9, _); Wazzup only says "without the leading @".
_TELEGRAM_USERNAME = re.compile(r"^[A-Za-z0-9_]{5,32}$")
_INSTAGRAM_ACCOUNT = re.compile(r"^[A-Za-z0-9._]{1,100}$")

MAX_CHAT_ID_LENGTH = 200


def check_chat_id(chat_type: ChatType | str, chat_id: str) -> str:
    """Return chat_id when it follows the documented format for chat_type, else raise ValueError."""
    if not chat_id:
        raise ValueError("chat id must not be empty")
    if len(chat_id) > MAX_CHAT_ID_LENGTH:
        raise ValueError(f"chat id must be at most {MAX_CHAT_ID_LENGTH} characters")
    if chat_type in PHONE_CHAT_TYPES and not _DIGITS.match(chat_id):
        raise ValueError(
            f"{chat_type} chat id must be digits only with the country code, "
            f"no '+' or spaces (like 79011112233), got {chat_id!r}"
        )
    if chat_type == ChatType.INSTAGRAM:
        if chat_id.startswith("@"):
            raise ValueError(f"instagram account must not start with '@', got {chat_id!r}")
        if not _INSTAGRAM_ACCOUNT.match(chat_id):
            raise ValueError(f"instagram chat id must be an account name, got {chat_id!r}")
    return chat_id


def check_telegram_username(username: str) -> str:
    if username.startswith("@"):
        raise ValueError(f"telegram username must not start with '@', got {username!r}")
    if not _TELEGRAM_USERNAME.match(username):
        raise ValueError(
            f"telegram username must be 5-32 letters, digits or '_', got {username!r}"
        )
    return username


def check_phone_digits(phone: str) -> str:
    if not _DIGITS.match(phone):
        raise ValueError(
            f"phone must be international digits without '+' (like 79011112233), got {phone!r}"
        )
    return phone
