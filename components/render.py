"""What the page shows for an event and a record, as plain text rows (no HTML here), in the
page's language (components/i18n.py)."""

from __future__ import annotations

from .events import OpenEntityEvent, OutputMessageEvent, WazzupEvent
from .i18n import t
from .mask import shown_chat_id, shown_phone
from .outbox import OutboxEntry


def event_title(event_type: str) -> str:
    return t(f"event.{event_type}")


def kind_label(kind: str) -> str:
    """A record kind ("deal_request") as words ("deal request")."""
    return t(f"kind.{kind}")


def event_rows(event: WazzupEvent, *, mask_phones: bool = True) -> list[tuple[str, str]]:
    """Phone numbers masked unless `mask_phones` is False (components/mask.py)."""
    data = event.data
    rows = [
        (
            t("row.chat"),
            f"{data.chat_type} {shown_chat_id(data.chat_type, data.chat_id, mask_phones)}",
        ),
        (t("row.channel"), data.channel_id or "—"),
        (t("row.user"), data.user_id),
    ]
    if isinstance(event, OpenEntityEvent):
        entity = event.data.entity
        state = t("deal.closed") if entity.closed else t("deal.open")
        summary = t("deal.summary", name=entity.name or entity.id, id=entity.id, state=state)
        rows.append((t("row.deal"), summary))
        if entity.responsible_user_name:
            rows.append((t("row.responsible"), entity.responsible_user_name))
    if isinstance(event, OutputMessageEvent):
        message = event.data
        rows.append((t("row.message"), message.message_id or "—"))
        for label, value in (
            (t("row.contact"), message.name),
            (t("row.username"), message.username),
            (t("row.phone"), shown_phone(message.telephone, mask_phones)),
        ):
            if value:
                rows.append((label, value))
    return rows


def entry_status(entry: OutboxEntry) -> str:
    text = t(f"record.{entry.status}")
    if entry.status == "queued" and entry.attempts:
        text = t("record.retrying", attempt=entry.attempts + 1)
    if entry.last_error and entry.status != "delivered":
        text = f"{text}: {entry.last_error}"
    if entry.note and entry.status == "delivered":
        text = f"{text} ({entry.note})"
    return text
