"""What the page shows for an event and a record, as plain text rows (no HTML here)."""

from __future__ import annotations

from .events import OpenEntityEvent, OutputMessageEvent, WazzupEvent
from .outbox import OutboxEntry

EVENT_TITLES = {
    "WZ_CREATE_ENTITY": "New deal requested",
    "WZ_OPEN_ENTITY": "Deal opened",
    "WZ_OUTPUT_MESSAGE": "Message sent",
}
STATUS_TEXT = {
    "queued": "queued",
    "sending": "sending…",
    "delivered": "delivered",
    "failed": "failed",
}


def event_rows(event: WazzupEvent) -> list[tuple[str, str]]:
    data = event.data
    rows = [
        ("Chat", f"{data.chat_type} {data.chat_id}"),
        ("Channel", data.channel_id or "—"),
        ("User", data.user_id),
    ]
    if isinstance(event, OpenEntityEvent):
        entity = event.data.entity
        state = "closed" if entity.closed else "open"
        rows.append(("Deal", f"{entity.name or entity.id} (id {entity.id}, {state})"))
        if entity.responsible_user_name:
            rows.append(("Responsible", entity.responsible_user_name))
    if isinstance(event, OutputMessageEvent):
        message = event.data
        rows.append(("Message", message.message_id or "—"))
        for label, value in (
            ("Contact", message.name),
            ("Username", message.username),
            ("Phone", message.telephone),
        ):
            if value:
                rows.append((label, value))
    return rows


def entry_status(entry: OutboxEntry) -> str:
    text = STATUS_TEXT[entry.status]
    if entry.status == "queued" and entry.attempts:
        text = f"retrying (attempt {entry.attempts + 1})"
    if entry.last_error and entry.status != "delivered":
        text = f"{text}: {entry.last_error}"
    if entry.note and entry.status == "delivered":
        text = f"{text} ({entry.note})"
    return text
