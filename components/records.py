"""CRM records: what the page sends the CRM for each accepted event, and what the CRM answers.

One record kind per event; the idempotency key is a pure function of the record's content,
so a retry, a reload or a second tab sends the same key and the CRM can deduplicate::

    record = record_from_event(event, received_at=now, receipt_id="k3f9")
    record.idempotency_key     # "contact-5f1c..." – same for every message in one chat
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Literal

from pydantic import Field

from .chat import ChatType
from .entities import Contact, Deal
from .events import (
    CreateEntityEvent,
    Entity,
    OpenEntityEvent,
    OutputMessageEvent,
    WazzupEvent,
)
from .wire import WireId, WireModel

RECORD_SCHEMA_VERSION = 1
IDEMPOTENCY_HEADER = "Idempotency-Key"

RecordKind = Literal["deal_request", "deal_opened", "contact"]
RECORD_KIND_BY_EVENT: dict[type, RecordKind] = {
    CreateEntityEvent: "deal_request",
    OpenEntityEvent: "deal_opened",
    OutputMessageEvent: "contact",
}


class RecordChat(WireModel):
    chat_type: ChatType
    chat_id: WireId
    channel_id: WireId | None = None


class CrmRecord(WireModel):
    """One record per accepted event, POSTed to the CRM URL as JSON."""

    schema_version: Literal[1] = RECORD_SCHEMA_VERSION
    kind: RecordKind
    idempotency_key: str = Field(min_length=8, max_length=100)
    occurred_at: datetime
    user_id: WireId
    chat: RecordChat
    contact_name: str | None = Field(default=None, max_length=200)
    entity: Entity | None = None
    event: dict = Field(description="The validated Wazzup event, as it arrived (camelCase).")


class CrmAnswer(WireModel):
    """What the CRM answers; `deal`/`contact` are the entity it created, in Wazzup's shape."""

    status: Literal["created", "duplicate", "ok"] = "ok"
    record_id: WireId | None = None
    link: str | None = Field(default=None, max_length=2000)
    deal: Deal | None = None
    contact: Contact | None = None


def record_from_event(
    event: WazzupEvent, *, received_at: datetime | None = None, receipt_id: str = ""
) -> CrmRecord:
    """Build the CRM record for an accepted event.

    `receipt_id` tells apart two clicks that carry identical data (two "+" presses make two
    deal requests); it is made once when the event is received and stored with the record.
    Contacts ignore it: every message of a chat maps to the same contact record.
    """
    kind = RECORD_KIND_BY_EVENT[type(event)]
    data = event.data
    chat = RecordChat(chat_type=data.chat_type, chat_id=data.chat_id, channel_id=data.channel_id)
    return CrmRecord(
        kind=kind,
        idempotency_key=idempotency_key(kind, data.user_id, chat, receipt_id),
        occurred_at=received_at or datetime.now(UTC),
        user_id=data.user_id,
        chat=chat,
        contact_name=getattr(data, "name", None),
        entity=getattr(data, "entity", None),
        event=event.to_wire(),
    )


def idempotency_key(kind: RecordKind, user_id: str, chat: RecordChat, receipt_id: str) -> str:
    parts: list[str] = [kind, chat.chat_type, chat.chat_id]
    if kind != "contact":
        parts += [user_id, receipt_id]
    digest = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]
    return f"{kind.replace('_', '-')}-{digest}"


def record_json_schema() -> dict:
    """The published JSON Schema of a CRM record (served by the proxy)."""
    return CrmRecord.model_json_schema(by_alias=True)
