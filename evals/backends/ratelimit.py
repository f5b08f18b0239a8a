"""Client-side rate limits (requests/min and tokens/min) as async token buckets charged together."""

from __future__ import annotations

import asyncio
import time


class _Bucket:
    def __init__(self, per_minute: float) -> None:
        self.rate = per_minute / 60.0  # units per second
        self.capacity = max(1.0, per_minute)
        self.level = self.capacity
        self.stamp = time.monotonic()

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def shortfall(self, amount: float) -> float:
        """Seconds until ``amount`` is available."""
        return max(0.0, (min(amount, self.capacity) - self.level) / self.rate)


class RateLimiter:
    """``await limiter.acquire(tokens)`` before each request; a None limit means unlimited."""

    def __init__(self, requests_per_minute: float | None = None, tokens_per_minute: float | None = None) -> None:
        self._buckets: list[tuple[_Bucket, bool]] = []  # (bucket, counts tokens?)
        if requests_per_minute:
            self._buckets.append((_Bucket(requests_per_minute), False))
        if tokens_per_minute:
            self._buckets.append((_Bucket(tokens_per_minute), True))
        self._lock = asyncio.Lock()
        self.waited = 0.0

    async def acquire(self, tokens: int) -> None:
        if not self._buckets:
            return
        async with self._lock:
            while True:
                now = time.monotonic()
                for b, _ in self._buckets:
                    b.refill(now)
                wait = max(b.shortfall(tokens if is_tok else 1) for b, is_tok in self._buckets)
                if wait <= 0:
                    for b, is_tok in self._buckets:
                        b.level -= min(tokens if is_tok else 1, b.capacity)
                    return
                self.waited += wait
                await asyncio.sleep(wait)
