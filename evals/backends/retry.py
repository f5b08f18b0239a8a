"""The one retry policy of HTTP backends: which failures to retry, how long to wait (Retry-After first, else
full-jitter backoff from a seeded generator, so a retry schedule is reproducible), and the loops that apply it —
:func:`with_retries` and :func:`with_retries_async`. A call signals a retryable failure by raising
:class:`Retryable`; anything else goes straight to the caller.

(The ``openai`` client's own retries stay off: they would wait a second time around ours and do not seed their
jitter.)
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
T = TypeVar("T")


class Retryable(Exception):
    """A failure worth another attempt: throttling, a 5xx, a dropped connection, a truncated body."""

    def __init__(self, reason: str, retry_after: str | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 8
    base_delay: float = 0.5
    max_delay: float = 60.0

    def delay(self, attempt: int, retry_after: str | None, rng: random.Random) -> float:
        """Seconds to wait before retry ``attempt`` (0-based): Retry-After if given, else full-jitter backoff."""
        hinted = parse_retry_after(retry_after)
        if hinted is not None:
            return min(hinted, self.max_delay) + rng.uniform(0, 0.1 * self.base_delay)
        return rng.uniform(0, min(self.max_delay, self.base_delay * (2**attempt)))


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (``"3"``, ``"0.5"``) or an HTTP date; None when absent or unparseable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def with_retries(call: Callable[[], T], policy: RetryPolicy, rng: random.Random,
                 on_retry: Callable[[], None] = lambda: None) -> T:
    """``call()`` until it returns or raises something other than :class:`Retryable`; after the last allowed
    attempt a RuntimeError says how many were made and why the last one failed."""
    for attempt in range(policy.max_retries + 1):
        try:
            return call()
        except Retryable as exc:
            if attempt == policy.max_retries:
                raise RuntimeError(f"gave up after {attempt + 1} attempts: {exc}") from None
            on_retry()
            time.sleep(policy.delay(attempt, exc.retry_after, rng))
    raise AssertionError("unreachable")


async def with_retries_async(call: Callable[[], Awaitable[T]], policy: RetryPolicy, rng: random.Random,
                             on_retry: Callable[[], None] = lambda: None) -> T:
    """:func:`with_retries` for coroutines."""
    for attempt in range(policy.max_retries + 1):
        try:
            return await call()
        except Retryable as exc:
            if attempt == policy.max_retries:
                raise RuntimeError(f"gave up after {attempt + 1} attempts: {exc}") from None
            on_retry()
            await asyncio.sleep(policy.delay(attempt, exc.retry_after, rng))
    raise AssertionError("unreachable")
