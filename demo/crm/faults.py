"""Injected faults, so the demo and the tests can watch the page survive a bad CRM.

    POST /_faults {"mode": "down"}     # POST /records now answers 503, stores nothing

`hang` holds each request (checking every 0.1 s) until the mode changes or `hang_seconds`
pass (then 504); when the mode goes back to `ok`, the held request is answered normally.
"""

from __future__ import annotations

import asyncio
import time
from typing import Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel

FaultMode = Literal["ok", "down", "500", "429", "422", "hang"]
HANG_POLL_SECONDS = 0.1

# mode → (status, detail, headers)
_ANSWERS: dict[str, tuple[int, str, dict[str, str]]] = {
    "down": (503, "CRM is down (fault injected)", {}),
    "500": (500, "CRM failed with an internal error (fault injected)", {}),
    "429": (429, "Too many requests (fault injected)", {"Retry-After": "2"}),
    "422": (422, "email: field required (fault injected)", {}),
    "hang": (504, "CRM did not answer in time (fault injected)", {}),
}


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
        """The injected answer for the current mode, or None to answer normally."""
        deadline = time.monotonic() + self.hang_seconds
        while self.mode == "hang" and time.monotonic() < deadline:
            await asyncio.sleep(HANG_POLL_SECONDS)
        if self.mode == "ok":
            return None
        status, detail, headers = _ANSWERS[self.mode]
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
