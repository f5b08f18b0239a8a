"""Confidence intervals. Every metric Podium publishes carries n and a 95% interval."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evals.records import Group, MetricValue

Z95 = 1.959963984540054


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when n == 0. Fractional successes are allowed."""
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_ci(values: Sequence[float], z: float = Z95) -> tuple[float, float, float]:
    """Mean with a normal-approximation interval using the sample stderr (as lm-eval reports ``*_stderr``)."""
    n = len(values)
    if n == 0:
        return (float("nan"), float("nan"), float("nan"))
    mean = sum(values) / n
    if n == 1:
        return (mean, mean, mean)
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    half = z * math.sqrt(var / n)
    return (mean, mean - half, mean + half)


def proportion(name: str, variant: str, scores: Sequence[float], group: Group | None = None,
               k: int | None = None) -> MetricValue:
    """A mean of 0/1 (or fractional) scores as a metric with its Wilson 95% interval."""
    from evals.records import MetricValue

    n = len(scores)
    hits = sum(scores)
    lo, hi = wilson(hits, n)
    return MetricValue(name=name, variant=variant, k=k, group=group, value=hits / n if n else 0.0, n=n,
                       ci_low=lo, ci_high=hi, ci_method="wilson")
