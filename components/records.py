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
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

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
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

RecordKind = Literal["deal_request", "deal_opened", "contact"]
RECORD_KIND_BY_EVENT: dict[type, RecordKind] = {
    CreateEntityEvent: "deal_request",
    OpenEntityEvent: "deal_opened",
    OutputMessageEvent: "contact",
}


class RecordChat(WireModel):
    """The chat the event happened in."""

    chat_type: ChatType = Field(description="Messenger of the chat: whatsapp, telegram, ...")
    chat_id: WireId = Field(description="The chat's id in that messenger (phone, username, id).")
    channel_id: WireId | None = Field(
        default=None, description="The Wazzup channel (the company's number or account)."
    )


class CrmRecord(WireModel):
    """One record per accepted chat-window event, POSTed to the CRM URL as JSON.

    The CRM must store each `idempotencyKey` once: the same record may arrive again after a
    retry, a reload or from a second tab, always with the same key (also sent as the
    `Idempotency-Key` header). See docs/records.md.
    """

    model_config = ConfigDict(title="CrmRecord")

    schema_version: Literal[1] = Field(
        default=RECORD_SCHEMA_VERSION,
        description="Version of this format; a change that breaks readers bumps it.",
    )
    kind: RecordKind = Field(
        description="deal_request (WZ_CREATE_ENTITY: create a deal), deal_opened "
        "(WZ_OPEN_ENTITY: a deal was opened), contact (WZ_OUTPUT_MESSAGE: the chat's contact)."
    )
    idempotency_key: str = Field(
        min_length=8,
        max_length=100,
        description="Deterministic key of this record: store it once, answer repeats with "
        "the first answer. Contacts: one key per chat; deal records: one key per event.",
    )
    occurred_at: datetime = Field(description="When the page received the event (UTC).")
    user_id: WireId = Field(description="The CRM user the chat window was opened for.")
    chat: RecordChat
    contact_name: str | None = Field(
        default=None, max_length=200, description="The client's name, when the event has it."
    )
    entity: Entity | None = Field(
        default=None, description="deal_opened only: the deal that was opened."
    )
    event: dict = Field(description="The validated Wazzup event, as it arrived (camelCase).")


class CrmAnswer(WireModel):
    """What the CRM answers on 2xx; `deal`/`contact` are what it created, in Wazzup's shape.

    Every field is optional: an empty body still means "stored". The page pushes `deal` and
    `contact` to Wazzup (the chat window's Deals dropdown) and shows `link`.
    """

    model_config = ConfigDict(title="CrmAnswer")

    status: Literal["created", "duplicate", "ok"] = Field(
        default="ok", description="created, duplicate (key seen before), or ok."
    )
    record_id: WireId | None = Field(default=None, description="The CRM's id of the record.")
    link: str | None = Field(
        default=None, max_length=2000, description="http(s) page of what was created."
    )
    deal: Deal | None = Field(default=None, description="The deal created for a deal_request.")
    contact: Contact | None = Field(default=None, description="The chat's contact.")

    @field_validator("link")
    @classmethod
    def _only_web_links(cls, link: str | None) -> str | None:
        # The page renders it as <a href>: a javascript: link must not get there.
        if link and not link.startswith(("https://", "http://")):
            return None
        return link or None


def record_from_event(
    event: WazzupEvent, *, received_at: datetime | None = None, receipt_id: str = ""
) -> CrmRecord:
    """Build the CRM record for an accepted event.

    `receipt_id` tells apart two clicks that carry identical data (two "+" presses make two
    deal requests); it is made once when the event is received and stored with the record.
    Contacts ignore it: every message of a chat maps to the same contact record.
    """
    wire = record_wire(event, received_at=received_at, receipt_id=receipt_id)
    return CrmRecord.model_validate(wire)


def record_wire(
    event: WazzupEvent, *, received_at: datetime | None = None, receipt_id: str = ""
) -> dict[str, Any]:
    """The record of `record_from_event` in its wire form, as `CrmRecord.to_wire()` writes it
    (field for field and in the same order: tests/unit/test_records.py). The page sends this
    to the CRM before it builds the model, which costs as much again (bench: event handling).
    """
    kind = RECORD_KIND_BY_EVENT[type(event)]
    data = event.data
    event_wire = event.to_wire()
    chat = {"chatType": event_wire["data"]["chatType"], "chatId": data.chat_id}
    if data.channel_id is not None:
        chat["channelId"] = data.channel_id
    wire: dict[str, Any] = {
        "schemaVersion": RECORD_SCHEMA_VERSION,
        "kind": kind,
        "idempotencyKey": idempotency_key(
            kind, data.user_id, data.chat_type, data.chat_id, receipt_id
        ),
        "occurredAt": _as_pydantic_writes_it(received_at or datetime.now(UTC)),
        "userId": data.user_id,
        "chat": chat,
    }
    name = getattr(data, "name", None)
    if name is not None:
        wire["contactName"] = name
    entity = event_wire["data"].get("entity")
    if entity is not None:
        wire["entity"] = entity
    wire["event"] = event_wire
    return wire


def _as_pydantic_writes_it(moment: datetime) -> str:
    text = moment.isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def keyed_by_receipt(kind: RecordKind) -> bool:
    """Whether a `kind` record's idempotency key holds its receipt id, so that a fresh receipt
    makes a key no stored record has; a contact's key is its chat's alone."""
    return kind != "contact"


def idempotency_key(
    kind: RecordKind, user_id: str, chat_type: str, chat_id: str, receipt_id: str
) -> str:
    parts: list[str] = [kind, chat_type, chat_id]
    if keyed_by_receipt(kind):
        parts += [user_id, receipt_id]
    digest = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]
    return f"{kind.replace('_', '-')}-{digest}"


def record_json_schema() -> dict:
    """The published JSON Schema of a CRM record (served by the proxy)."""
    return {"$schema": JSON_SCHEMA_DIALECT, **CrmRecord.model_json_schema(by_alias=True)}


def answer_json_schema() -> dict:
    """The published JSON Schema of the CRM's 2xx answer."""
    return {"$schema": JSON_SCHEMA_DIALECT, **CrmAnswer.model_json_schema(by_alias=True)}
