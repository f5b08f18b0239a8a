"""Completion cache (re-runs cost nothing) and client-side rate limits."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from evals.backends.base import Backend, Completion, GenerateRequest, OnResult, Sampling
from evals.backends.cached_backend import CachedBackend
from evals.backends.ratelimit import RateLimiter

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs


class Counting(Backend):
    """Wraps the real embedded backend and counts what reaches the engine."""

    def __init__(self, inner: Backend) -> None:
        self.inner, self.info, self.seen = inner, inner.info, 0

    def generate(self, requests, on_result: OnResult | None = None) -> list[Completion]:  # type: ignore[no-untyped-def]
        self.seen += len(requests)
        return self.inner.generate(requests, on_result)


def test_cache_answers_repeated_requests_without_the_engine(embedded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reqs = [GenerateRequest(f"k{i}", f"Count to {i}:", Sampling(max_tokens=8, n=2, temperature=0.7, seed=i))
            for i in range(3)]
    counting = Counting(embedded)
    cached = CachedBackend(counting, tmp_path / "cache.sqlite")
    first = cached.generate(reqs)
    seen: list[str] = []
    again = CachedBackend(counting, tmp_path / "cache.sqlite").generate(reqs, on_result=lambda c: seen.append(c.key))
    assert counting.seen == 3  # the second pass never reached the engine
    assert [c.texts for c in again] == [c.texts for c in first] and sorted(seen) == ["k0", "k1", "k2"]
    changed = [GenerateRequest("k0", "Count to 0:", Sampling(max_tokens=8, n=2, temperature=0.7, seed=99))]
    CachedBackend(counting, tmp_path / "cache.sqlite").generate(changed)
    assert counting.seen == 4  # a different seed is a different request


def test_rate_limiter_waits_for_tokens_and_requests() -> None:
    async def scenario() -> tuple[float, float]:
        lim = RateLimiter(requests_per_minute=None, tokens_per_minute=60)  # 1 token/s, burst 60
        t0 = time.perf_counter()
        await lim.acquire(60)
        burst = time.perf_counter() - t0
        await lim.acquire(2)
        return burst, time.perf_counter() - t0

    burst, total = asyncio.run(scenario())
    assert burst < 0.5 and total >= 1.9

    async def requests_only() -> float:
        lim = RateLimiter(requests_per_minute=60)  # 1 request/s, burst 60
        for _ in range(60):
            await lim.acquire(1)
        t0 = time.perf_counter()
        await lim.acquire(1)
        return time.perf_counter() - t0

    assert asyncio.run(requests_only()) >= 0.9
