"""The event log and the delivery log as files to download: JSON or CSV, phones masked.

    log = EventLog()
    log.add(key, event)                                  # every event the page shows
    rows = event_table(log.items(), mask_phones=True)    # flat dicts, one per event
    rows = delivery_table(outbox.entries(), mask_phones=True)
    file = export_file("events", "csv", rows, now)       # .filename, .mime, .text

CSV is written for spreadsheets: UTF-8 with a byte-order mark (Excel reads Cyrillic right),
RFC 4180 quoting, and a cell that starts with = + - @ (or a tab or CR) gets a leading ' so a
spreadsheet never runs it as a formula (OWASP "CSV injection"). Only what leaves the page as a
file is masked: the CRM gets the real numbers.
"""

from __future__ import annotations

import csv
import io
import json
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from .events import OpenEntityEvent, OutputMessageEvent, WazzupEvent
from .mask import shown_chat_id, shown_phone
from .outbox import OutboxEntry

Table = Literal["events", "deliveries"]
Format = Literal["json", "csv"]
KEEP_EVENTS = 1000  # the log of one open; older events stay in the CRM, not on the page
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_BOM = "\ufeff"
MIME = {"json": "application/json", "csv": "text/csv;charset=utf-8"}

EVENT_COLUMNS = (
    "receivedAt",
    "key",
    "type",
    "chatType",
    "chatId",
    "channelId",
    "userId",
    "contactName",
    "username",
    "phone",
    "messageId",
    "dealId",
    "dealName",
)
DELIVERY_COLUMNS = (
    "key",
    "kind",
    "status",
    "attempts",
    "occurredAt",
    "updatedAt",
    "userId",
    "chatType",
    "chatId",
    "channelId",
    "contactName",
    "phone",
    "dealId",
    "lastError",
    "note",
    "crmRecordId",
    "crmLink",
)
COLUMNS: dict[Table, tuple[str, ...]] = {"events": EVENT_COLUMNS, "deliveries": DELIVERY_COLUMNS}


@dataclass(frozen=True)
class LoggedEvent:
    key: str
    received_at: datetime
    event: WazzupEvent


class EventLog:
    """The events shown on the page since it opened (the newest `limit`), and how many
    messages were rejected."""

    def __init__(self, limit: int = KEEP_EVENTS) -> None:
        self._items: deque[LoggedEvent] = deque(maxlen=limit)
        self.rejected = 0

    def add(self, key: str, event: WazzupEvent, at: datetime | None = None) -> None:
        self._items.append(LoggedEvent(key, at or datetime.now(UTC), event))

    def items(self) -> list[LoggedEvent]:
        return list(self._items)

    def last(self) -> LoggedEvent | None:
        return self._items[-1] if self._items else None


@dataclass(frozen=True)
class ExportFile:
    filename: str
    mime: str
    text: str


def event_table(items: list[LoggedEvent], *, mask_phones: bool = True) -> list[dict[str, str]]:
    return [_event_row(item, mask_phones) for item in items]


def _event_row(item: LoggedEvent, mask: bool) -> dict[str, str]:
    event, data = item.event, item.event.data
    message = data if isinstance(event, OutputMessageEvent) else None
    entity = data.entity if isinstance(event, OpenEntityEvent) else None
    return {
        "receivedAt": _time(item.received_at),
        "key": item.key,
        "type": event.type,
        "chatType": str(data.chat_type),
        "chatId": shown_chat_id(data.chat_type, data.chat_id, mask),
        "channelId": data.channel_id or "",
        "userId": data.user_id,
        "contactName": (message.name if message else None) or "",
        "username": (message.username if message else None) or "",
        "phone": shown_phone(message.telephone if message else None, mask) or "",
        "messageId": (message.message_id if message else None) or "",
        "dealId": entity.id if entity else "",
        "dealName": (entity.name if entity else None) or "",
    }


def delivery_table(
    entries: list[OutboxEntry], *, mask_phones: bool = True
) -> list[dict[str, str | int]]:
    return [_delivery_row(entry, mask_phones) for entry in entries]


def _delivery_row(entry: OutboxEntry, mask: bool) -> dict[str, str | int]:
    record, answer = entry.record, entry.answer
    data = record.event.get("data")
    phone = data.get("telephone") if isinstance(data, dict) else None
    return {
        "key": entry.key,
        "kind": record.kind,
        "status": entry.status,
        "attempts": entry.attempts,
        "occurredAt": _time(record.occurred_at),
        "updatedAt": _time(datetime.fromtimestamp(entry.updated_at, UTC))
        if entry.updated_at
        else "",
        "userId": record.user_id,
        "chatType": str(record.chat.chat_type),
        "chatId": shown_chat_id(record.chat.chat_type, record.chat.chat_id, mask),
        "channelId": record.chat.channel_id or "",
        "contactName": record.contact_name or "",
        "phone": shown_phone(str(phone), mask) if phone else "",
        "dealId": record.entity.id if record.entity else "",
        "lastError": entry.last_error or "",
        "note": entry.note or "",
        "crmRecordId": (answer.record_id if answer else None) or "",
        "crmLink": (answer.link if answer else None) or "",
    }


def to_json(rows: list[dict]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


def to_csv(rows: list[dict], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(column, "")) for column in columns])
    return out.getvalue()


def safe_cell(value: object) -> str:
    """The cell as text that a spreadsheet shows and never evaluates."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def export_file(table: Table, fmt: Format, rows: list[dict], now: datetime) -> ExportFile:
    stamp = now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    filename = f"wazzup-{table}-{stamp}.{fmt}"
    text = to_json(rows) if fmt == "json" else CSV_BOM + to_csv(rows, COLUMNS[table])
    return ExportFile(filename, MIME[fmt], text)


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
