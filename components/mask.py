"""Phone numbers as the page shows and exports them: masked, unless the integrator says not to.

    mask_phone("79998887766")                   # "+7 999 ***-**-66"
    mask_chat_id("whatsapp", "79998887766")     # the same: a WhatsApp chat id is a phone
    mask_chat_id("telegram", "anthony_stone")   # left alone

Only what the page shows (the event log, the diagnostics panel) and exports is masked; the
records sent to the CRM and the messages posted to the host page carry the real number.
`site.json`'s `maskPhones: false` or the URL parameter `mask=off` shows numbers in full.
"""

from __future__ import annotations

import re

from .chat import PHONE_CHAT_TYPES

_PHONE = re.compile(r"\+?[0-9 ().-]+")
MIN_PHONE_DIGITS = 5  # the shortest chat id Wazzup takes for a phone chat
KEEP_HEAD = 4  # country code and the start of the area code: where the number is from
KEEP_TAIL = 2  # enough to tell two of a client's numbers apart


def mask_phone(text: str) -> str:
    """`text` with all but a few digits hidden; text that is no phone number comes back as is."""
    raw = text.strip()
    digits = "".join(ch for ch in raw if ch in "0123456789")
    if not _PHONE.fullmatch(raw) or len(digits) < MIN_PHONE_DIGITS:
        return text
    head_length = min(KEEP_HEAD, max(0, len(digits) - 7))  # a local number keeps no head
    head, tail = digits[:head_length], digits[-KEEP_TAIL:]
    stars = "*" * (len(digits) - head_length - KEEP_TAIL)
    if len(stars) >= 4:
        stars = f"{stars[:-2]}-{stars[-2:]}"  # ***-**-66, like the number is written
    domestic = len(digits) == 11 and digits[0] == "8"  # 8 916 …: a Russian number dialled at home
    if len(digits) == 11 and digits[0] in "78":
        head = f"{head[0]} {head[1:]}"  # +7 999: Russia and Kazakhstan
    plus = "+" if raw.startswith("+") or (len(digits) >= 11 and not domestic) else ""
    return f"{plus}{head} {stars}-{tail}" if head else f"{plus}{stars}-{tail}"


def mask_chat_id(chat_type: str, chat_id: str) -> str:
    """The chat id as shown: masked when the chat type names chats by phone number."""
    return mask_phone(chat_id) if chat_type in PHONE_CHAT_TYPES else chat_id


def shown_phone(text: str | None, mask: bool) -> str | None:
    return mask_phone(text) if text and mask else text


def shown_chat_id(chat_type: str, chat_id: str, mask: bool) -> str:
    return mask_chat_id(chat_type, chat_id) if mask else chat_id
