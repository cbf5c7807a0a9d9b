"""Per-caller rate limiting (token bucket), in the memory of one worker process.

Each API key or user gets ``per_minute`` requests per minute with bursts up to a quarter
of that (at least 5). With several workers the limit applies per worker; put a shared
limiter in the reverse proxy when that matters (docs/service.md).
"""

from __future__ import annotations

import threading
import time


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(max(5, per_minute // 4))
        self._buckets: dict[str, tuple[float, float]] = {}  # caller -> (tokens, last refill)
        self._lock = threading.Lock()

    def allow(self, caller: str, cost: float = 1.0) -> float:
        """0.0 when the request may go on, otherwise the seconds to wait before retrying.
        ``cost``: how many requests this one counts for (a heavy one counts more; capped at
        the burst, so that any request can pass once the bucket is full)."""
        if self.rate <= 0:
            return 0.0
        cost = min(max(cost, 0.0), self.burst)
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(caller, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= cost:
                self._buckets[caller] = (tokens - cost, now)
                return 0.0
            self._buckets[caller] = (tokens, now)
            return (cost - tokens) / self.rate
