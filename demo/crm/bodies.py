"""Reading request bodies: a size limit (413) and short, readable 422 details::

    record = parse_body(CrmRecord, await read_json(request))

A bad body raises `HTTPException(422, "idempotencyKey: Field required")`.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from pydantic import BaseModel, ValidationError

from components.events import describe_validation_error

MAX_BODY_BYTES = 256 * 1024

M = TypeVar("M", bound=BaseModel)


async def read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object; 413 when it is over MAX_BODY_BYTES, 422 when not an object."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    # Count while streaming: a chunked body has no Content-Length to trust.
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _too_large()
    try:
        payload = json.loads(body)
    except ValueError:
        raise HTTPException(422, "body: not valid JSON") from None
    if not isinstance(payload, dict):
        raise HTTPException(422, "body: must be a JSON object")
    return payload


def parse_body(model: type[M], payload: dict[str, Any]) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        raise HTTPException(422, describe_validation_error(error, limit=2)) from None


def _too_large() -> HTTPException:
    return HTTPException(413, f"body: larger than {MAX_BODY_BYTES // 1024} KiB")
