"""Messages the page posts to `window.parent`, so a low-code CRM hosting it can react.

Format (version 1), always an object with `source` and `version`::

    {"source": "wazzup-chat-window", "version": 1, "type": "event",
     "event": {...the Wazzup event...}, "idempotencyKey": "deal-request-..."}
    {"source": ..., "type": "delivery", "idempotencyKey": ..., "kind": "contact",
     "status": "delivered" | "queued" | "failed", "error": null, "answer": {...}}
    {"source": ..., "type": "rejected", "reason": "..."}
    {"source": ..., "type": "ready"}

The chat link is never posted: it carries a token.
"""

from __future__ import annotations

from typing import Any

from .events import WazzupEvent
from .outbox import OutboxEntry

SOURCE = "wazzup-chat-window"
VERSION = 1


def _message(message_type: str, /, **fields: Any) -> dict[str, Any]:
    # Positional-only: the delivery message has a field called `kind` of its own.
    return {"source": SOURCE, "version": VERSION, "type": message_type, **fields}


def event_message(event: WazzupEvent, idempotency_key: str) -> dict[str, Any]:
    return _message("event", event=event.to_wire(), idempotencyKey=idempotency_key)


def delivery_message(entry: OutboxEntry) -> dict[str, Any]:
    return _message(
        "delivery",
        idempotencyKey=entry.key,
        kind=entry.record.kind,
        status=entry.status,
        error=entry.last_error,
        answer=entry.answer.to_wire() if entry.answer else None,
    )


def rejected_message(reason: str) -> dict[str, Any]:
    return _message("rejected", reason=reason)


def ready_message() -> dict[str, Any]:
    return _message("ready")
