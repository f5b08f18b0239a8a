"""Unbiased pass@k (Chen et al. 2021, "Evaluating Large Language Models Trained on Code").

For a problem with ``n`` samples of which ``c`` are correct, pass@k = 1 - C(n-c, k) / C(n, k),
computed in the numerically stable product form 1 - prod_{i=n-c+1}^{n} (1 - k/i).  The benchmark score
is the mean over problems; :func:`bootstrap_ci` resamples problems for a percentile interval.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is a transitive dependency (pandas)
    np = None  # type: ignore[assignment]

STANDARD_KS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased estimate of the probability that at least one of ``k`` samples (of ``n``) is correct."""
    if n < 0 or c < 0 or k < 1:
        raise ValueError(f"need n >= 0, c >= 0, k >= 1 (got n={n}, c={c}, k={k})")
    if c > n:
        raise ValueError(f"c={c} correct samples exceed n={n} samples")
    if k > n:
        raise ValueError(f"k={k} exceeds the number of samples n={n}")
    if n - c < k:
        return 1.0
    if np is not None:
        return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


def ks_for(n: int) -> list[int]:
    """The conventional k values that ``n`` samples per problem support."""
    return [k for k in STANDARD_KS if k <= n]


def mean_pass_at_k(counts: Sequence[tuple[int, int]], k: int) -> float:
    """Mean pass@k over problems given ``(n, c)`` per problem."""
    if not counts:
        raise ValueError("no problems")
    return sum(pass_at_k(n, c, k) for n, c in counts) / len(counts)


def bootstrap_ci(values: Sequence[float], *, seed: int = 0, reps: int = 2000,
                 alpha: float = 0.05) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of per-problem ``values`` (deterministic for a seed)."""
    if not values:
        raise ValueError("no values")
    if not 0 < alpha < 1 or reps < 1:
        raise ValueError("need 0 < alpha < 1 and reps >= 1")
    m = len(values)
    if np is not None:
        arr = np.asarray(values, dtype=float)
        idx = np.random.default_rng(seed).integers(0, m, size=(reps, m))
        means = np.sort(arr[idx].mean(axis=1))
        lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
        return float(lo), float(hi)
    rng = random.Random(seed)
    boot = sorted(sum(values[rng.randrange(m)] for _ in range(m)) / m for _ in range(reps))

    def quantile(q: float) -> float:  # linear interpolation, as numpy's default
        pos = q * (len(boot) - 1)
        i = int(pos)
        j = min(i + 1, len(boot) - 1)
        return boot[i] + (boot[j] - boot[i]) * (pos - i)

    return quantile(alpha / 2), quantile(1 - alpha / 2)
