"""Everything one sandbox app remembers, reachable from routes as a dependency.

async def route(state: Annotated[SandboxState, Depends(get_state)]): ...
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from fastapi import Request

from components.entities import Channel

from .faults import FaultBook
from .outbound import WebhookClient
from .ratelimit import FixedWindowLimiter
from .sessions import Session, Sessions
from .settings import SandboxSettings
from .store import Store

# Stands in for the integration id Wazzup puts in every event (wazzup-api.md §8).
INTEGRATION_ID = "5a1d6b0e-7c3f-4e21-9b8a-0c6f2d7e9a41"


@dataclass
class SandboxState:
    settings: SandboxSettings
    channels: list[Channel]
    webhook_transport: httpx.AsyncBaseTransport | None = None
    store: Store = field(default_factory=Store)
    sessions: Sessions = field(default_factory=Sessions)
    faults: FaultBook = field(default_factory=FaultBook)
    limiter: FixedWindowLimiter = field(init=False)
    webhooks: WebhookClient = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = FixedWindowLimiter(self.settings.rate_limit, self.settings.rate_window_s)
        self.webhooks = WebhookClient(self.settings.webhook_timeout_s, self.webhook_transport)
        self.store.webhooks = self.settings.webhooks

    def chat_url(self, session: Session) -> str:
        return f"{self.settings.public_url}/chat/{session.id}?token={session.token}"

    def reset(self) -> None:
        self.store.clear()
        self.store.webhooks = self.settings.webhooks
        self.sessions.clear()
        self.faults.clear()
        self.limiter = FixedWindowLimiter(self.settings.rate_limit, self.settings.rate_window_s)


def get_state(request: Request) -> SandboxState:
    return request.app.state.sandbox
