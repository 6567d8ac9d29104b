"""The three window-message events the Wazzup chat window sends (wazzup-api.md §8).

One tagged union, one `TypeAdapter`::

    event = parse_event({"type": "WZ_CREATE_ENTITY", "data": {...}})
    event.data.chat_id

`data` may arrive as an object or a JSON string; ids as numbers or strings. Anything else
raises `EventRejected` with a reason fit to show on the page.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError, field_validator

from .chat import ChatType
from .errors import EventRejected
from .wire import WireId, WireModel

MAX_EVENT_BYTES = 16 * 1024
EVENT_TYPES = ("WZ_CREATE_ENTITY", "WZ_OPEN_ENTITY", "WZ_OUTPUT_MESSAGE")
MAX_EVENT_DEPTH = 32  # a real event nests 3 deep
TOO_DEEP = f"message is nested more than {MAX_EVENT_DEPTH} deep"
_JSON_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


class EventData(WireModel):
    chat_type: ChatType
    chat_id: WireId = Field(min_length=1, max_length=200)
    channel_id: WireId | None = Field(default=None, max_length=100)
    user_id: WireId = Field(min_length=1, max_length=200)
    integration_id: WireId | None = Field(default=None, max_length=100)


class Entity(WireModel):
    id: WireId = Field(min_length=1, max_length=100)
    name: str | None = Field(default=None, max_length=200)
    link: str | None = Field(default=None, max_length=2000)
    closed: bool = False
    responsible_user_name: str | None = Field(default=None, max_length=200)

    @field_validator("link")
    @classmethod
    def _safe_link(cls, link: str | None) -> str | None:
        # The page may open this link: only http(s) and the docs' placeholder "#".
        if link in (None, "", "#"):
            return None
        if not link.startswith(("https://", "http://")):
            raise ValueError("entity link must be an http(s) URL")
        return link


class OpenEntityData(EventData):
    entity: Entity


class OutputMessageData(EventData):
    message_id: WireId | None = Field(default=None, max_length=100)
    name: str | None = Field(default=None, max_length=200)
    username: str | None = Field(default=None, max_length=100)
    telephone: WireId | None = Field(default=None, max_length=40)


class CreateEntityEvent(WireModel):
    type: Literal["WZ_CREATE_ENTITY"] = "WZ_CREATE_ENTITY"
    data: EventData


class OpenEntityEvent(WireModel):
    type: Literal["WZ_OPEN_ENTITY"] = "WZ_OPEN_ENTITY"
    data: OpenEntityData


class OutputMessageEvent(WireModel):
    type: Literal["WZ_OUTPUT_MESSAGE"] = "WZ_OUTPUT_MESSAGE"
    data: OutputMessageData


WazzupEvent = Annotated[
    CreateEntityEvent | OpenEntityEvent | OutputMessageEvent, Field(discriminator="type")
]
EVENT_ADAPTER: TypeAdapter[WazzupEvent] = TypeAdapter(WazzupEvent)


def parse_event(message: Any) -> WazzupEvent:
    """Validate a window message; raise EventRejected with a readable reason."""
    if isinstance(message, str) and len(message) <= MAX_EVENT_BYTES and _shallow(message):
        # The common case in one call to pydantic-core: parse and validate together (bench:
        # event handling). Anything it refuses takes the path below, which says why, or
        # reads a `data` sent as a JSON string.
        try:
            return EVENT_ADAPTER.validate_json(message)
        except ValidationError:
            pass
    as_text = isinstance(message, str | bytes)
    if as_text:
        if len(message) > MAX_EVENT_BYTES:
            raise EventRejected(f"message is larger than {MAX_EVENT_BYTES} bytes")
        message = _load_json(message, "message is not JSON")
    if not isinstance(message, dict):
        raise EventRejected(f"message must be an object, got {type(message).__name__}")
    if not as_text:  # text was measured as it came (the page always hands over text)
        try:
            size = len(json.dumps(message, default=str))
        except RecursionError:
            raise EventRejected(TOO_DEEP) from None
        if size > MAX_EVENT_BYTES:
            raise EventRejected(f"message is larger than {MAX_EVENT_BYTES} bytes")
    kind = message.get("type")
    if kind not in EVENT_TYPES:
        raise EventRejected(f"unknown message type {str(kind)[:60]!r}")
    data = message.get("data")
    if isinstance(data, str):
        message = {**message, "data": _load_json(data, f"{kind}: data is not JSON")}
    try:
        return EVENT_ADAPTER.validate_python(message)
    except ValidationError as error:
        raise EventRejected(f"{kind}: {describe_validation_error(error)}") from None


def _load_json(text: str | bytes, not_json: str) -> Any:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    # Depth first: in the browser, json on a deep enough document overflows the JavaScript
    # stack, which is fatal to Pyodide, not a RecursionError (measured: 6,000 "[" in 16 KB).
    if not _shallow(text) and _nesting_depth(text) > MAX_EVENT_DEPTH:
        raise EventRejected(TOO_DEEP)
    try:
        return json.loads(text)
    except ValueError:
        raise EventRejected(not_json) from None


def _shallow(text: str) -> bool:
    """Fewer brackets than the depth limit cannot nest deeper than it: most events, no scan."""
    return text.count("[") + text.count("{") <= MAX_EVENT_DEPTH


def _nesting_depth(text: str) -> int:
    """How deep the JSON's arrays and objects nest, counted without parsing it."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_JSON_STRINGS.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def describe_validation_error(error: ValidationError, limit: int = 3) -> str:
    """'data.chatId: Field required; ...' — field paths as they appear on the wire."""
    parts = []
    for item in error.errors()[:limit]:
        path = ".".join(str(p) for p in item["loc"] if not _is_union_tag(p))
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{path}: {message}" if path else message)
    more = len(error.errors()) - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and part in EVENT_TYPES
