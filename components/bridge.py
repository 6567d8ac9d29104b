"""Messages the page posts to `window.parent`, so a low-code CRM hosting it can react.

Sent only when site.json names `parentOrigin` (the host page's origin, or "*" if you must),
and only to that origin. Format version 1, documented in docs/bridge.md; every message is an
object with `source`, `version` and `type`::

    {"source": "wazzup-chat-window", "version": 1, "type": "ready"}
    {"source": ..., "type": "event", "idempotencyKey": "deal-request-...",
     "event": {...the Wazzup event as it arrived...}}
    {"source": ..., "type": "delivery", "idempotencyKey": ..., "kind": "contact",
     "status": "queued" | "sending" | "delivered" | "failed", "attempts": 1,
     "error": null, "answer": {...the CRM's answer...}, "note": null}
    {"source": ..., "type": "rejected", "reason": "..."}
    {"source": ..., "type": "problem", "code": "http:503", "title": "...", "chatKept": false}

New fields may be added within a version; a change that breaks readers bumps `version`.
The chat link is never posted: it carries a token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the problem message is posted before pydantic has loaded, too
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
        attempts=entry.attempts,
        answer=entry.answer.to_wire() if entry.answer else None,
        note=entry.note,
    )


def rejected_message(reason: str) -> dict[str, Any]:
    return _message("rejected", reason=reason)


def ready_message() -> dict[str, Any]:
    return _message("ready")


def problem_message(code: str, title: str, *, chat_kept: bool) -> dict[str, Any]:
    """What the page shows in its problem box, for the host to react to: `code` for programs
    (`http:503`, `NO_SUCH_ACCOUNT`, `config:crm`, `internal`), `title` for people. Not the
    detail: it may quote URLs, and the page shows it."""
    return _message("problem", code=code, title=title, chatKept=chat_kept)
