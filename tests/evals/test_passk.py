from __future__ import annotations

import random
from math import comb

import pytest

from evals.grading import passk
from evals.grading.passk import bootstrap_ci, ks_for, mean_pass_at_k, pass_at_k


def exact(n: int, c: int, k: int) -> float:
    return 1.0 - comb(n - c, k) / comb(n, k)


CASES = [(n, c, k) for n in (1, 2, 3, 5, 10, 20, 37, 100, 200) for c in range(0, n + 1, max(1, n // 7))
         for k in ks_for(n)] + [(1000, c, k) for c in (0, 1, 2, 5, 50, 500, 999, 1000) for k in ks_for(1000)]


@pytest.mark.parametrize(("n", "c", "k"), CASES)
def test_matches_exact_binomial_formula(n: int, c: int, k: int) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(exact(n, c, k), rel=1e-9, abs=1e-12)


def test_random_cases_match_exact_formula() -> None:
    rng = random.Random(7)
    for _ in range(500):
        n = rng.randint(1, 1000)
        c = rng.randint(0, n)
        k = rng.randint(1, n)
        assert pass_at_k(n, c, k) == pytest.approx(exact(n, c, k), rel=1e-9, abs=1e-12)


def test_pure_python_path_matches_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    with_numpy = [pass_at_k(n, c, k) for n, c, k in CASES]
    monkeypatch.setattr(passk, "np", None)
    without = [pass_at_k(n, c, k) for n, c, k in CASES]
    assert without == pytest.approx(with_numpy, rel=1e-12, abs=1e-12)
    assert bootstrap_ci([0.0, 1.0, 0.5, 0.25], reps=500)[0] <= 0.4375


def test_edge_cases() -> None:
    assert pass_at_k(10, 0, 1) == 0.0
    assert pass_at_k(10, 10, 10) == 1.0
    assert pass_at_k(10, 3, 8) == 1.0  # n - c < k: exact 1.0
    assert pass_at_k(10, 1, 1) == pytest.approx(0.1)
    assert pass_at_k(1, 1, 1) == 1.0
    assert pass_at_k(1, 0, 1) == 0.0
    assert pass_at_k(200, 1, 200) == 1.0
    assert 0.0 < pass_at_k(1000, 1, 10) < 1.0
    for bad in [(5, 0, 6), (0, 0, 1), (5, 6, 1), (5, 1, 0), (-1, 0, 1)]:
        with pytest.raises(ValueError):
            pass_at_k(*bad)


def test_monotone_in_k_and_c() -> None:
    for n in (10, 100):
        for c in range(n + 1):
            vals = [pass_at_k(n, c, k) for k in range(1, n + 1)]
            assert vals == sorted(vals)
        for k in (1, 5):
            vals = [pass_at_k(n, c, k) for c in range(n + 1)]
            assert vals == sorted(vals)


def test_ks_for() -> None:
    assert ks_for(1) == [1]
    assert ks_for(10) == [1, 2, 5, 10]
    assert ks_for(150) == [1, 2, 5, 10, 20, 50, 100]
    assert ks_for(5000) == [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
    assert ks_for(0) == []


def test_mean_pass_at_k() -> None:
    counts = [(10, 0), (10, 10), (10, 5)]
    assert mean_pass_at_k(counts, 1) == pytest.approx((0 + 1 + 0.5) / 3)
    assert mean_pass_at_k(counts, 10) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        mean_pass_at_k([], 1)


def test_bootstrap_ci_deterministic_and_contains_mean() -> None:
    rng = random.Random(3)
    values = [pass_at_k(20, rng.randint(0, 20), 5) for _ in range(164)]
    mean = sum(values) / len(values)
    lo, hi = bootstrap_ci(values)
    assert (lo, hi) == bootstrap_ci(values)
    assert bootstrap_ci(values, seed=1) != (lo, hi)
    assert lo <= mean <= hi
    assert 0.0 <= lo < hi <= 1.0
    lo99, hi99 = bootstrap_ci(values, alpha=0.01)
    assert lo99 <= lo and hi <= hi99
    assert bootstrap_ci([0.5] * 10) == (0.5, 0.5)
    with pytest.raises(ValueError):
        bootstrap_ci([])
