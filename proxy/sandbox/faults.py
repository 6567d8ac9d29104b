"""Fault injection for tests and demos: the next N requests to a path get a canned answer.

    POST /_sandbox/faults {"path": "/v3/iframe", "status": 403, "body": null, "times": 1}

`body` is any JSON (null: empty body); `text` sends a raw body instead (an HTML 502 page,
say); `delay_s` holds the answer back so a client's timeout can be provoked. A path ending
in `*` matches every path with that prefix (`/chat/*`). `/_sandbox/*` is never faulted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Self

import anyio
from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

CONTROL_PREFIX = "/_sandbox"


class Fault(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1, max_length=500, pattern=r"^/")
    status: int = Field(ge=200, le=599)
    body: JsonValue = None
    text: str | None = None
    content_type: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    times: int = Field(default=1, ge=1, le=10_000)
    delay_s: float = Field(default=0, ge=0, le=300)

    @model_validator(mode="after")
    def _one_body(self) -> Self:
        if self.body is not None and self.text is not None:
            raise ValueError("give body (JSON) or text (raw), not both")
        return self

    def matches(self, path: str) -> bool:
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path.rstrip("/") == self.path.rstrip("/")

    def to_response(self) -> Response:
        if self.text is not None:
            content, media_type = self.text, self.content_type or "text/plain; charset=utf-8"
        elif self.body is not None:
            content, media_type = json.dumps(self.body), self.content_type or "application/json"
        else:
            content, media_type = b"", self.content_type
        return Response(content, self.status, headers=self.headers, media_type=media_type)


@dataclass
class _Pending:
    fault: Fault
    remaining: int


class FaultBook:
    def __init__(self) -> None:
        self._pending: list[_Pending] = []

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, fault: Fault) -> None:
        self._pending.append(_Pending(fault, fault.times))

    def take(self, path: str) -> Fault | None:
        """The first pending fault for path, counted as used once."""
        for pending in self._pending:
            if pending.fault.matches(path):
                pending.remaining -= 1
                if pending.remaining == 0:
                    self._pending.remove(pending)
                return pending.fault
        return None

    def pending(self) -> list[dict]:
        return [
            {**p.fault.model_dump(mode="json"), "remaining": p.remaining} for p in self._pending
        ]

    def clear(self) -> int:
        count = len(self._pending)
        self._pending.clear()
        return count


class FaultMiddleware:
    """Pure ASGI, outermost: a fault answers before auth, rate limit and routing."""

    def __init__(self, app: ASGIApp, book: FaultBook) -> None:
        self.app = app
        self.book = book

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        fault = self.book.take(path)
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.delay_s:
            await anyio.sleep(fault.delay_s)
        await fault.to_response()(scope, receive, send)
