"""Statistics the site shows: normalised scores, exact McNemar, paired bootstrap, statistical tiers. Pure."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

Z95 = 1.959963984540054


def above_baseline(score: float, baseline: float) -> float:
    """(score − baseline) / (1 − baseline), floored at 0: 0 = no better than a trivial strategy, 1 = perfect.
    ``baseline`` is the suite's (:func:`generator.site.suites.baseline`: the better of chance and the majority
    answer; 0 for free answers). A score below it counts 0, as on the Open LLM Leaderboard: a model that does worse
    than always answering 'yes' has shown no skill, and a negative term would make a biased answerer pull its
    average down further than a model that never answered."""
    return max(0.0, (score - baseline) / (1 - baseline))


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts (b: only A right, c: only B right).

    Under H0 the b of the b + c discordant items follow Binomial(b + c, 1/2); exact with integers (math.comb).
    """
    n = b + c
    if n == 0:
        return 1.0
    lo = min(b, c)
    term, total = 1, 0
    for i in range(lo + 1):  # C(n, i) built incrementally
        total += term
        term = term * (n - i) // (i + 1)
    p: float = 2 * total / 2**n
    return min(1.0, p)


def paired_bootstrap(a: Sequence[float], b: Sequence[float], iters: int = 2000,
                     seed: int = 0) -> tuple[float, float, float, float]:
    """Mean difference a − b over paired items, its 95% percentile interval and a two-sided bootstrap p-value."""
    n = len(a)
    if n == 0:
        return (0.0, 0.0, 0.0, 1.0)
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    mean = float(d.mean())
    rng = np.random.default_rng(seed)
    means = np.sort(d[rng.integers(0, n, size=(iters, n))].mean(axis=1))
    lo, hi = float(means[int(0.025 * iters)]), float(means[int(0.975 * iters) - 1])
    # p: how often the recentred bootstrap mean is at least as extreme as the observed one
    extreme = int((np.abs(means - mean) >= abs(mean) - 1e-12).sum())
    return (mean, lo, hi, min(1.0, (extreme + 1) / (iters + 1)))


def overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def tiers(n: int, same: Callable[[int, int], bool]) -> list[int]:
    """Tier numbers for rows 0..n-1 (already sorted best first): a row shares the tier of the row above unless
    ``same(above, row)`` says the two differ significantly."""
    out: list[int] = []
    for i in range(n):
        out.append(1 if i == 0 else out[-1] if same(i - 1, i) else out[-1] + 1)
    return out


def normal_ci(value: float, halfwidths: Sequence[float]) -> tuple[float, float]:
    """CI of a mean of independent estimates from their 95% half-widths (normal approximation)."""
    if not halfwidths:
        return (value, value)
    se = math.sqrt(sum((h / Z95) ** 2 for h in halfwidths)) / len(halfwidths)
    return (value - Z95 * se, value + Z95 * se)
