"""Injected faults, so the demo and the tests can watch the page survive a bad CRM.

    POST /_faults {"mode": "down"}     # POST /records now answers 503, stores nothing

Refusals store nothing: `down` (503), `500`, `429` (Retry-After: 2), `422`, and `hang`, which
holds each request (checking every 0.1 s) until the mode changes or `hang_seconds` pass (then
504); when the mode goes back to `ok`, the held request is answered normally.

Bad answers store the record, then answer 201 with a body the page cannot read: `notjson`
(an HTML page) and `huge` (a JSON answer over 1 MiB).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Literal

from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from components.records import CrmAnswer

FaultMode = Literal["ok", "down", "500", "429", "422", "hang", "notjson", "huge"]
HANG_POLL_SECONDS = 0.1
HUGE_ANSWER_BYTES = 1024 * 1024 + 1

# mode → (status, detail, headers)
_REFUSALS: dict[str, tuple[int, str, dict[str, str]]] = {
    "down": (503, "CRM is down (fault injected)", {}),
    "500": (500, "CRM failed with an internal error (fault injected)", {}),
    "429": (429, "Too many requests (fault injected)", {"Retry-After": "2"}),
    "422": (422, "email: field required (fault injected)", {}),
    "hang": (504, "CRM did not answer in time (fault injected)", {}),
}
NOT_JSON_PAGE = "<!doctype html><title>Saved</title><p>Your record was saved. Thank you!</p>"


class FaultSwitch(BaseModel):
    mode: FaultMode


class Faults:
    """The current mode; one per app, shared by all its requests."""

    def __init__(self, hang_seconds: float = 60.0) -> None:
        self.mode: FaultMode = "ok"
        self.hang_seconds = hang_seconds

    def shut_down(self) -> None:
        """The server is stopping: answer held requests now (503) instead of at the deadline."""
        self.mode = "down"

    async def answer(self) -> JSONResponse | None:
        """The injected refusal for the current mode, or None to store the record."""
        deadline = time.monotonic() + self.hang_seconds
        while self.mode == "hang" and time.monotonic() < deadline:
            await asyncio.sleep(HANG_POLL_SECONDS)
        if self.mode not in _REFUSALS:
            return None
        status, detail, headers = _REFUSALS[self.mode]
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)

    def garble(self, answer: CrmAnswer, status: int) -> Response | None:
        """The unreadable answer for a stored record in a bad-answer mode, else None."""
        if self.mode == "notjson":
            return HTMLResponse(NOT_JSON_PAGE, status_code=status)
        if self.mode == "huge":
            padding = "x" * HUGE_ANSWER_BYTES
            body = json.dumps({**answer.to_wire(), "padding": padding})
            return Response(body, status_code=status, media_type="application/json")
        return None
