"""Chat-window sessions: one per minted link, holding the normalized link request.

session = sessions.create(link_request, api="v3")
sessions.find(session.id, token)      # None unless the token matches
"""

from __future__ import annotations

import secrets
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal

from components.link import LinkRequest

# Links are minted per window open and their lifetime is undocumented; bound the memory.
MAX_SESSIONS = 10_000


@dataclass(frozen=True)
class Session:
    id: str
    token: str
    request: LinkRequest
    api: Literal["v3", "v2"]

    @property
    def user_id(self) -> str:
        return self.request.user.id


class Sessions:
    def __init__(self) -> None:
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self, request: LinkRequest, api: Literal["v3", "v2"]) -> Session:
        session = Session(str(uuid.uuid4()), secrets.token_urlsafe(32), request, api)
        self._sessions[session.id] = session
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return session

    def find(self, session_id: str, token: str | None) -> Session | None:
        session = self._sessions.get(session_id)
        if session is None or not token:
            return None
        if not secrets.compare_digest(session.token.encode(), token.encode()):
            return None
        return session

    def all(self) -> list[Session]:
        return list(self._sessions.values())

    def clear(self) -> None:
        self._sessions.clear()
