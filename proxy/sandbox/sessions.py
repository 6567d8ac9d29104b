"""Chat-window sessions: one per minted link, holding the normalized link request.

session = sessions.create(link_request, api="v3")
sessions.find(session.id, token)      # None unless the token matches and the link is live
sessions.expired(session.id, token)   # True for a real link past its lifetime
sessions.expire(user_id="7")          # end links now (tests and the demo: link refresh)
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Literal

from components.link import LinkRequest

# Links are minted per window open and their lifetime is undocumented; bound the memory.
MAX_SESSIONS = 10_000
LINK_TTL_S = 12 * 3600  # the sandbox's choice; real Wazzup's lifetime is undocumented


@dataclass(frozen=True)
class Session:
    id: str
    token: str
    request: LinkRequest
    api: Literal["v3", "v2"]
    expires_at: float = float("inf")

    @property
    def user_id(self) -> str:
        return self.request.user.id


class Sessions:
    def __init__(self, ttl_s: float = LINK_TTL_S, clock=time.monotonic) -> None:
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self.ttl_s = ttl_s
        self.clock = clock

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self, request: LinkRequest, api: Literal["v3", "v2"]) -> Session:
        expires_at = self.clock() + self.ttl_s
        session = Session(str(uuid.uuid4()), secrets.token_urlsafe(32), request, api, expires_at)
        self._sessions[session.id] = session
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return session

    def find(self, session_id: str, token: str | None) -> Session | None:
        session = self._genuine(session_id, token)
        if session is None or session.expires_at <= self.clock():
            return None
        return session

    def expired(self, session_id: str, token: str | None) -> bool:
        session = self._genuine(session_id, token)
        return session is not None and session.expires_at <= self.clock()

    def expire(self, user_id: str | None = None) -> int:
        """End the links of `user_id` (all when None) now; returns how many."""
        ended = [s for s in self._sessions.values() if user_id in (None, s.user_id)]
        for session in ended:
            self._sessions[session.id] = replace(session, expires_at=float("-inf"))
        return len(ended)

    def _genuine(self, session_id: str, token: str | None) -> Session | None:
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
