"""Pydantic validation errors, told the way each Wazzup API generation tells them.

Field paths are wire paths (`filter.0.chatId`, `chats.0.chat_id`). The shared models check
a chat as a whole (`check_chat_ref`), so pydantic reports `filter.0`; `_chat_field` finds
which key of that chat broke the rule, so the path names the field to fix::

    problems = field_problems(error, payload)
    describe(problems)       # "filter.0.chatId: whatsapp chat id must be digits only ..."
    class_validator_messages(error, payload)   # ["user_id should not be empty", ...]
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails

from components.chat import ChatType, check_phone_digits, check_telegram_username

_LEADING_FIELD = re.compile(r"^([a-z][A-Za-z_]*) (must|should|is) ")


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str

    def to_wire(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}

    def __str__(self) -> str:
        if not self.field or self.message.startswith(f"{self.field} "):
            return self.message
        # "chatId of a whatsapp chat must ..." at filter.0.chatId: say the path once.
        parent, _, leaf = self.field.rpartition(".")
        if parent and self.message.startswith(f"{leaf} "):
            return f"{parent}.{self.message}"
        return f"{self.field}: {self.message}"


class BodyNotJson(ValueError):
    pass


def parse_json(raw: bytes) -> Any:
    if not raw.strip():
        raise BodyNotJson("the request body is empty; send JSON")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BodyNotJson("the request body is not valid JSON") from None


def field_problems(error: ValidationError, payload: Any) -> list[FieldProblem]:
    return [_problem(item, payload) for item in error.errors()]


def describe(problems: list[FieldProblem], limit: int = 3) -> str:
    parts = [str(problem) for problem in problems[:limit]]
    if len(problems) > limit:
        parts.append(f"and {len(problems) - limit} more")
    return "; ".join(parts)


def snake_case_keys(
    payload: Any, hints: Mapping[str, str] | None = None, path: str = ""
) -> list[FieldProblem]:
    """Keys v3 would not understand: snake_case ones, and those named in hints (with why).

    Wazzup would ignore a snake_case key, but the shared models also accept Python names,
    so without this check a client bug such as `active_chat` on `/v3/iframe` would pass
    the sandbox and then fail against Wazzup.
    """
    hints = hints or {}
    found: list[FieldProblem] = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            here = f"{path}.{key}" if path else str(key)
            if here in hints:
                found.append(FieldProblem(here, hints[here]))
            elif "_" in str(key).strip("_"):
                found.append(FieldProblem(here, f"v3 fields are camelCase; use '{to_camel(key)}'"))
            else:
                found += snake_case_keys(value, hints, here)
    elif isinstance(payload, list):
        for index, value in enumerate(payload):
            found += snake_case_keys(value, hints, f"{path}.{index}" if path else str(index))
    return found


def class_validator_messages(error: ValidationError, payload: Any) -> list[str]:
    """The v2 partner API's per-field messages, e.g. "scope must be a valid enum value"."""
    messages = []
    for item in error.errors():
        problem = _problem(item, payload)
        phrase = _class_validator_phrase(item)
        if phrase is None:
            messages.append(str(problem))
        else:
            messages.append(f"{problem.field or 'body'} {phrase}")
    return messages


def _problem(item: ErrorDetails, payload: Any) -> FieldProblem:
    loc = [str(part) for part in item["loc"]]
    message = item["msg"].removeprefix("Value error, ")
    if item["type"] == "value_error":
        if not loc:
            leading = _LEADING_FIELD.match(message)
            return FieldProblem(leading.group(1) if leading else "", message)
        raw = _lookup(payload, item["loc"])
        if isinstance(raw, dict):
            loc.append(_chat_field(raw))
    return FieldProblem(".".join(loc), message)


def _lookup(payload: Any, loc: tuple[int | str, ...]) -> Any:
    for part in loc:
        if isinstance(payload, dict) and isinstance(part, str):
            payload = payload.get(part)
        elif isinstance(payload, list) and isinstance(part, int) and part < len(payload):
            payload = payload[part]
        else:
            return None
    return payload


def _chat_field(chat: dict[str, Any]) -> str:
    """Which key of a chat reference broke `check_chat_ref` (same order of checks)."""
    camel = "chatType" in chat or "chatId" in chat
    type_key, id_key = ("chatType", "chatId") if camel else ("chat_type", "chat_id")
    chat_type = chat.get(type_key)
    if chat_type is None:
        return type_key
    telegram = chat_type == ChatType.TELEGRAM
    username, phone = chat.get("username"), chat.get("phone")
    if username is not None and not (telegram and _passes(check_telegram_username, username)):
        return "username"
    if phone is not None and not (telegram and _passes(check_phone_digits, phone)):
        return "phone"
    return id_key


def _passes(check: Callable[[str], object], value: Any) -> bool:
    try:
        check(str(value))
    except ValueError:
        return False
    return True


def _class_validator_phrase(item: ErrorDetails) -> str | None:
    kind, ctx = item["type"], item.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return "should not be empty"
    phrases = {
        "string_too_short": f"must be longer than or equal to {ctx.get('min_length')} characters",
        "string_too_long": f"must be shorter than or equal to {ctx.get('max_length')} characters",
        "literal_error": "must be a valid enum value",
        "enum": "must be a valid enum value",
        "string_type": "must be a string",
        "bool_type": "must be a boolean value",
        "bool_parsing": "must be a boolean value",
        "list_type": "must be an array",
        "too_long": f"must contain no more than {ctx.get('max_length')} elements",
        "too_short": f"must contain at least {ctx.get('min_length')} elements",
        "model_type": "must be an object",
        "dict_type": "must be an object",
    }
    return phrases.get(kind)
