"""Wazzup's rate limit: N requests per fixed window per credential (wazzup-api.md §9).

"500 requests per 5 s, the counter resets every 5 s" is a fixed window, not a sliding one::

    limiter = FixedWindowLimiter(limit=500, window_s=5.0)
    retry_after = limiter.hit("v3")     # None while allowed, else seconds until the reset
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class FixedWindowLimiter:
    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window_s = window_s
        self._clock = clock
        self._windows: dict[str, tuple[int, int]] = {}  # key -> (window number, count)

    def hit(self, key: str) -> int | None:
        """Count one request; return None if allowed, else whole seconds until the reset."""
        now = self._clock()
        window = math.floor(now / self._window_s)
        current, count = self._windows.get(key, (window, 0))
        if current != window:
            count = 0
        count += 1
        self._windows[key] = (window, count)
        if count <= self._limit:
            return None
        reset_at = (window + 1) * self._window_s
        return max(1, math.ceil(reset_at - now))
