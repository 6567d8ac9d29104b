"""The three window-message events the Wazzup chat window sends (wazzup-api.md §8).

One tagged union, one `TypeAdapter`::

    event = parse_event({"type": "WZ_CREATE_ENTITY", "data": {...}})
    event.data.chat_id

`data` may arrive as an object or a JSON string; ids as numbers or strings. Anything else
raises `EventRejected` with a reason fit to show on the page.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError, field_validator

from .chat import ChatType
from .errors import EventRejected
from .wire import WireId, WireModel

MAX_EVENT_BYTES = 16 * 1024
EVENT_TYPES = ("WZ_CREATE_ENTITY", "WZ_OPEN_ENTITY", "WZ_OUTPUT_MESSAGE")


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
    if isinstance(message, str | bytes):
        if len(message) > MAX_EVENT_BYTES:
            raise EventRejected(f"message is larger than {MAX_EVENT_BYTES} bytes")
        try:
            message = json.loads(message)
        except ValueError:
            raise EventRejected("message is not JSON") from None
    if not isinstance(message, dict):
        raise EventRejected(f"message must be an object, got {type(message).__name__}")
    if len(json.dumps(message, default=str)) > MAX_EVENT_BYTES:
        raise EventRejected(f"message is larger than {MAX_EVENT_BYTES} bytes")
    kind = message.get("type")
    if kind not in EVENT_TYPES:
        raise EventRejected(f"unknown message type {str(kind)[:60]!r}")
    data = message.get("data")
    if isinstance(data, str):
        try:
            message = {**message, "data": json.loads(data)}
        except ValueError:
            raise EventRejected(f"{kind}: data is not JSON") from None
    try:
        return EVENT_ADAPTER.validate_python(message)
    except ValidationError as error:
        raise EventRejected(f"{kind}: {describe_validation_error(error)}") from None


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
