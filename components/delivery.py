"""Sends one CRM record and classifies the outcome.

    delivered = await deliver(record, url="https://crm.example/records", send=fetch_send)
    delivered.answer    # the CRM's CrmAnswer
    delivered.note      # None, or why the answer could not be read (the record still counts)

2xx → `Delivered`; 408/425/429/5xx, timeouts and network failures raise `TransientDelivery`
(retry later, honouring Retry-After); other 4xx raise `PermanentDelivery` with the CRM's own
words (fix, then retry by hand). A 2xx whose body is empty, not JSON, too large or not in the
documented shape is still delivered — the CRM stored the record — with a note saying so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from pydantic import ValidationError

from .errors import PermanentDelivery, TransientDelivery
from .events import describe_validation_error
from .http import MAX_ANSWER_BYTES, AsyncSend, HttpResult, TransportFailure, json_body
from .records import IDEMPOTENCY_HEADER, CrmAnswer, CrmRecord

TRANSIENT_STATUSES = frozenset({408, 425, 429})
MAX_REASON = 300
MAX_QUOTE = 200
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Delivered:
    answer: CrmAnswer
    note: str | None = None


async def deliver(record: CrmRecord, *, url: str, send: AsyncSend, timeout: float) -> Delivered:
    body = json_body(record.to_wire())
    return await deliver_body(record.idempotency_key, body, url=url, send=send, timeout=timeout)


async def deliver_body(
    key: str, body: bytes, *, url: str, send: AsyncSend, timeout: float
) -> Delivered:
    """`deliver` for a record already written out (its idempotency key and JSON body)."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        IDEMPOTENCY_HEADER: key,
    }
    try:
        result = await send("POST", url, body, headers, timeout)
    except TransportFailure as failure:
        raise TransientDelivery(f"CRM not reachable: {failure}"[:MAX_REASON]) from None
    if result.ok:
        return read_answer(result)
    reason = f"CRM answered {result.status}: {crm_message(result)}"[:MAX_REASON]
    if result.status in TRANSIENT_STATUSES or result.status >= 500:
        raise TransientDelivery(
            reason, status=result.status, retry_after=retry_after(result.header("retry-after"))
        )
    # 3xx land here too: fetch follows redirects, so one we see could not be followed.
    raise PermanentDelivery(reason, status=result.status)


def read_answer(result: HttpResult) -> Delivered:
    """The CRM took the record; an unreadable answer only loses the created entity."""
    if result.truncated:
        return Delivered(
            CrmAnswer(), f"answer not read: larger than {MAX_ANSWER_BYTES // 1024} KiB"
        )
    if not result.body.strip():
        return Delivered(CrmAnswer())
    try:
        payload = json.loads(result.body)
    except ValueError:
        return Delivered(CrmAnswer(), f"answer not read: not JSON ({_quote(result)})")
    try:
        return Delivered(CrmAnswer.model_validate(payload))
    except ValidationError as error:
        detail = describe_validation_error(error, limit=1)
        return Delivered(CrmAnswer(), f"answer not read: not a CRM answer ({detail})"[:MAX_REASON])


def crm_message(result: HttpResult) -> str:
    """The CRM's own words for a refusal: a JSON `detail`/`message`/..., or its text."""
    try:
        payload = json.loads(result.body)
    except ValueError:
        return _quote(result)
    if isinstance(payload, dict):
        for key in ("detail", "message", "error", "title"):
            if isinstance(payload.get(key), str):
                return payload[key][:MAX_QUOTE]
    return json.dumps(payload)[:MAX_QUOTE]


def _quote(result: HttpResult) -> str:
    """A short, readable quote of a non-JSON body (an HTML error page says its title)."""
    body = result.body[: MAX_QUOTE * 4]
    if "html" in (result.header("content-type") or "") or body.lstrip()[:1] == b"<":
        title = _HTML_TITLE.search(result.body[:MAX_ANSWER_BYTES])
        if title and title.group(1).strip():
            text = title.group(1).decode("utf-8", "replace")
            return "an HTML page: " + " ".join(text.split())[:MAX_QUOTE]
        return "an HTML page"
    text = " ".join(body.decode("utf-8", "replace").split())
    return text[:MAX_QUOTE] or "(empty answer)"


def retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return min(3600.0, max(0.0, float(value)))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
