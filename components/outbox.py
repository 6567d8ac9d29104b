"""The outbox: every record is stored by the time its first attempt is under way (in the same
turn: Controller) and kept until delivered.

Pure logic over a string key-value store (the browser's localStorage, a dict in tests)::

    outbox = Outbox(storage)
    entry = outbox.add(record)          # None when the same record is already there
    for entry in outbox.due():          # queued and due now
        entry = outbox.claim(key)       # re-read: None if another tab took care of it
        ...
        outbox.delivered(key, answer)   # or .failed(key, error)
        outbox.hurry()                  # a success means the CRM is back: no more waiting

Retries back off exponentially with jitter and honour Retry-After; a permanent failure stays
until someone retries or discards it by hand. Several tabs share one storage: each claims an
entry inside a lock (see `Controller`), so the stored status is the truth, not a tab's copy.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, MutableMapping
from typing import Literal

from pydantic import ValidationError

from .errors import DeliveryError, TransientDelivery
from .records import CrmAnswer, CrmRecord
from .wire import WireModel

PREFIX = "wz-outbox:"
BASE_DELAY_S = 1.0
MAX_DELAY_S = 60.0
# A "sending" entry older than this was cut off by a reload or a closed tab.
STALE_SENDING_S = 90.0
KEEP_DELIVERED = 200

Status = Literal["queued", "sending", "delivered", "failed"]


class OutboxEntry(WireModel):
    record: CrmRecord
    status: Status = "queued"
    attempts: int = 0
    next_attempt_at: float = 0.0
    updated_at: float = 0.0
    last_error: str | None = None
    answer: CrmAnswer | None = None
    note: str | None = None  # delivered, but the CRM's answer could not be read
    not_before: float = 0.0  # the CRM's Retry-After: even a hurry waits for it

    @property
    def key(self) -> str:
        return self.record.idempotency_key


class Outbox:
    def __init__(
        self,
        storage: MutableMapping[str, str],
        *,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
        stale_sending_s: float = STALE_SENDING_S,
    ) -> None:
        """`stale_sending_s`: when a "sending" entry counts as abandoned. With a lock that
        tabs really share, an unlocked "sending" entry is abandoned at once: pass 0."""
        self._storage = storage
        self._clock = clock
        self._jitter = jitter
        self._stale_sending_s = stale_sending_s
        # Parsed entries by key, with the stored text they came from: parsing every entry with
        # pydantic on each event made handling slower as the outbox grew (bench: p99 258 ms).
        # Comparing the text keeps it right when another tab rewrites an entry.
        # It is also the index of the entries this tab knows of: the hot path (`due`,
        # `next_wake`, `hurry`, trimming) works from it and re-reads only the few candidates,
        # so handling an event costs the same with 1 or 500 stored entries (bench: p50 grew
        # from 8 to 27 ms over 300 events). A full scan (`entries`, `rescan`) finds what
        # other tabs stored; they also announce it (the "storage" event calls `get`).
        self._parsed: dict[str, tuple[str, OutboxEntry]] = {}
        self._scanned_at: float | None = None

    def add(self, record: CrmRecord, *, claimed: bool = False) -> OutboxEntry | None:
        """Store a new record, "queued"; `claimed`: already "sending", for this tab's first
        attempt at once (other tabs leave a fresh "sending" entry alone: `stale_sending_s`)."""
        if self.get(record.idempotency_key) is not None:
            return None  # same record again: one contact per chat, one record per event
        status, attempts = ("sending", 1) if claimed else ("queued", 0)
        entry = OutboxEntry(
            record=record, status=status, attempts=attempts, updated_at=self._clock()
        )
        self._save(entry)
        return entry

    def get(self, key: str) -> OutboxEntry | None:
        raw = self._storage.get(PREFIX + key)
        if raw is None:
            self._parsed.pop(key, None)
            return None
        cached = self._parsed.get(key)
        if cached is not None and cached[0] == raw:
            return cached[1]
        try:
            entry = OutboxEntry.model_validate_json(raw)
        except ValidationError:
            self._parsed.pop(key, None)
            return None
        self._parsed[key] = (raw, entry)
        return entry

    def entries(self) -> list[OutboxEntry]:
        """Every stored entry, oldest first: a full scan of the storage (any tab's)."""
        found = []
        seen = set()
        for name in list(self._storage.keys()):
            if name.startswith(PREFIX):
                key = name.removeprefix(PREFIX)
                seen.add(key)
                entry = self.get(key)
                if entry is not None:
                    found.append(entry)
        for key in self._parsed.keys() - seen:
            del self._parsed[key]  # removed by another tab while we were not looking
        self._scanned_at = self._clock()
        return sorted(found, key=lambda e: e.record.occurred_at)

    def rescan(self, older_than_s: float = 0.0) -> None:
        """Scan the whole storage again if the last scan is `older_than_s` old, to find
        entries other tabs stored without this tab hearing of it (a closed tab's)."""
        if self._scanned_at is None or self._clock() - self._scanned_at >= older_than_s:
            self.entries()

    def due(self) -> list[OutboxEntry]:
        """Queued entries due now (and abandoned "sending" ones), oldest first: read afresh,
        but only the entries the index says may be due."""
        now = self._clock()
        found = []
        for key in self._open_keys():
            entry = self.get(key)  # re-read: another tab may have changed it
            if entry is not None and self._is_due(entry, now):
                found.append(entry)
        return sorted(found, key=lambda e: e.record.occurred_at)

    def claim(self, key: str) -> OutboxEntry | None:
        """Mark a due entry "sending", reading it afresh; None when it is no longer due
        (another tab delivered, discarded or is sending it)."""
        entry = self.get(key)
        if entry is None or not self._is_due(entry, self._clock()):
            return None
        return self.sending(key)

    def next_wake(self) -> float | None:
        """Seconds until the next queued entry is due, or None when nothing waits."""
        times = [e.next_attempt_at for e in self._known() if e.status == "queued"]
        return max(0.0, min(times) - self._clock()) if times else None

    def depth(self) -> int:
        return sum(1 for e in self.entries() if e.status != "delivered")

    def sending(self, key: str) -> OutboxEntry:
        return self._update(key, status="sending", attempts=self._require(key).attempts + 1)

    def delivered(self, key: str, answer: CrmAnswer, note: str | None = None) -> OutboxEntry:
        entry = self._update(key, status="delivered", answer=answer, last_error=None, note=note)
        self._trim_delivered()
        return entry

    def failed(self, key: str, error: DeliveryError) -> OutboxEntry:
        entry = self._require(key)
        if isinstance(error, TransientDelivery):
            now = self._clock()
            return self._update(
                key,
                status="queued",
                last_error=error.reason,
                next_attempt_at=now + self.backoff(entry.attempts, error.retry_after),
                not_before=now + error.retry_after if error.retry_after else 0.0,
            )
        return self._update(key, status="failed", last_error=error.reason)

    def retry(self, key: str) -> OutboxEntry:
        return self._update(key, status="queued", next_attempt_at=0.0, not_before=0.0)

    def hurry(self) -> list[OutboxEntry]:
        """Make every waiting entry due now (but not before its Retry-After): a delivery
        just worked or the browser came back online, so the CRM is likely back."""
        now = self._clock()
        hurried = []
        for key in self._open_keys():
            entry = self.get(key)
            if entry is None or entry.status != "queued":
                continue
            if entry.next_attempt_at > max(now, entry.not_before):
                hurried.append(self._update(key, next_attempt_at=max(now, entry.not_before)))
        return hurried

    def discard(self, key: str) -> None:
        self._storage.pop(PREFIX + key, None)
        self._parsed.pop(key, None)

    def backoff(self, attempts: int, retry_after: float | None = None) -> float:
        delay = min(MAX_DELAY_S, BASE_DELAY_S * 2 ** max(0, attempts - 1))
        delay = delay * (0.5 + self._jitter() / 2)  # full jitter would allow ~0: keep half
        return max(delay, retry_after or 0.0)

    def _is_due(self, entry: OutboxEntry, now: float) -> bool:
        if entry.status == "queued":
            return entry.next_attempt_at <= now
        # A "sending" entry nobody finished: its tab was reloaded or closed mid-attempt.
        return entry.status == "sending" and now - entry.updated_at > self._stale_sending_s

    def _require(self, key: str) -> OutboxEntry:
        entry = self.get(key)
        if entry is None:
            raise KeyError(f"no outbox record {key!r}")
        return entry

    def _update(self, key: str, **changes: object) -> OutboxEntry:
        entry = self._require(key).model_copy(update={**changes, "updated_at": self._clock()})
        self._save(entry)
        return entry

    def _save(self, entry: OutboxEntry) -> None:
        raw = entry.model_dump_json()
        self._storage[PREFIX + entry.key] = raw
        self._parsed[entry.key] = (raw, entry)

    def _known(self) -> list[OutboxEntry]:
        """The entries of the index (no storage read), after a first full scan."""
        if self._scanned_at is None:
            self.entries()
        return [entry for _raw, entry in self._parsed.values()]

    def _open_keys(self) -> list[str]:
        """Keys of the known entries that may still need sending."""
        return [e.key for e in self._known() if e.status in ("queued", "sending")]

    def _trim_delivered(self) -> None:
        # From the index: another tab's delivered entries are trimmed once a scan finds them.
        delivered = [e for e in self._known() if e.status == "delivered"]
        if len(delivered) <= KEEP_DELIVERED:
            return
        delivered.sort(key=lambda e: e.record.occurred_at)
        # Contacts stay: their key is what keeps the next message of a chat from re-creating it.
        removable = [e for e in delivered if e.record.kind != "contact"]
        for entry in removable[: max(0, len(delivered) - KEEP_DELIVERED)]:
            self.discard(entry.key)
