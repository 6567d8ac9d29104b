"""Sends one CRM record and classifies the outcome.

    answer = await deliver(record, url="https://crm.example/records", send=fetch_send)

2xx → the CRM's `CrmAnswer`; 408/425/429/5xx, timeouts and network failures raise
`TransientDelivery` (retry later, honouring Retry-After); other 4xx raise `PermanentDelivery`
with the CRM's own words (fix, then retry by hand).
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from .errors import PermanentDelivery, TransientDelivery
from .http import AsyncSend, HttpResult, TransportFailure, json_body
from .records import IDEMPOTENCY_HEADER, CrmAnswer, CrmRecord

TRANSIENT_STATUSES = frozenset({408, 425, 429})
MAX_REASON = 300


async def deliver(record: CrmRecord, *, url: str, send: AsyncSend, timeout: float) -> CrmAnswer:
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        IDEMPOTENCY_HEADER: record.idempotency_key,
    }
    try:
        result = await send("POST", url, json_body(record.to_wire()), headers, timeout)
    except TransportFailure as failure:
        raise TransientDelivery(f"CRM not reachable: {failure}"[:MAX_REASON]) from None
    if result.ok:
        return read_answer(result)
    reason = f"CRM answered {result.status}: {crm_message(result)}"[:MAX_REASON]
    if result.status in TRANSIENT_STATUSES or result.status >= 500:
        raise TransientDelivery(
            reason, status=result.status, retry_after=retry_after(result.header("retry-after"))
        )
    raise PermanentDelivery(reason, status=result.status)


def read_answer(result: HttpResult) -> CrmAnswer:
    """The CRM took the record; an unreadable answer only loses the created entity."""
    if not result.body.strip():
        return CrmAnswer()
    try:
        return CrmAnswer.model_validate_json(result.body)
    except ValidationError:
        return CrmAnswer(status="ok", link=None)


def crm_message(result: HttpResult) -> str:
    try:
        payload = json.loads(result.body)
    except ValueError:
        text = result.body[:200].decode("utf-8", "replace").strip()
        return text or "(empty answer)"
    if isinstance(payload, dict):
        for key in ("detail", "message", "error", "title"):
            if isinstance(payload.get(key), str):
                return payload[key]
    return json.dumps(payload)[:200]


def retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return min(3600.0, max(0.0, float(value)))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
