"""Where the proxy remembers used launch nonces (`jti`), until their token expires.

    nonces = MemoryNonceStore()                  # one process (the default)
    nonces = SqliteNonceStore(Path("nonces.db")) # survives restarts; one host
    nonces.use("n-1", expires_at=now + 300)      # True: first use
    nonces.use("n-1", expires_at=now + 300)      # False: a replay
    nonces.release("n-1")                        # minting failed: the launch may be used again

Several proxy replicas need one shared store (Redis `SET key NX EX`): implement `NonceStore`.
"""

from __future__ import annotations

import heapq
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

Clock = Callable[[], float]


class NonceStore(Protocol):
    def use(self, nonce: str, expires_at: float) -> bool:
        """Remember the nonce until `expires_at`; False if it is already remembered."""
        ...

    def release(self, nonce: str) -> None:
        """Forget the nonce (its launch minted nothing)."""
        ...


class MemoryNonceStore:
    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self._by_expiry: list[tuple[float, str]] = []  # a heap, to forget expired nonces cheaply

    def use(self, nonce: str, expires_at: float) -> bool:
        self._forget_expired(self._clock())
        if nonce in self._expiry:
            return False
        self._expiry[nonce] = expires_at
        heapq.heappush(self._by_expiry, (expires_at, nonce))
        return True

    def release(self, nonce: str) -> None:
        self._expiry.pop(nonce, None)

    def __len__(self) -> int:
        return len(self._expiry)

    def _forget_expired(self, now: float) -> None:
        while self._by_expiry and self._by_expiry[0][0] < now:
            expires_at, nonce = heapq.heappop(self._by_expiry)
            if self._expiry.get(nonce) == expires_at:
                del self._expiry[nonce]


class SqliteNonceStore:
    def __init__(self, path: Path, clock: Clock = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, expires_at REAL NOT NULL)"
        )

    def use(self, nonce: str, expires_at: float) -> bool:
        with self._lock:
            self._db.execute("DELETE FROM nonces WHERE expires_at < ?", (self._clock(),))
            inserted = self._db.execute(
                "INSERT OR IGNORE INTO nonces (nonce, expires_at) VALUES (?, ?)",
                (nonce, expires_at),
            )
            return inserted.rowcount == 1

    def release(self, nonce: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM nonces WHERE nonce = ?", (nonce,))

    def close(self) -> None:
        self._db.close()
