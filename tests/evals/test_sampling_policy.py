"""The suite, not the CLI, owns its sampling: protocol defaults, repeated-sampling defaults, run overrides."""

from __future__ import annotations

from evals.suites import get_suite


def test_greedy_default_and_repeated_sampling_default() -> None:
    he = get_suite("humaneval")
    one = he.sampling()
    assert (one.n, one.temperature, one.top_p, one.max_tokens) == (1, 0.0, 1.0, 512)
    many = he.sampling(samples=20)
    assert (many.n, many.temperature, many.top_p, many.seed) == (20, 0.8, 0.95, 0)
    assert many.stop == one.stop


def test_run_options_win() -> None:
    s = get_suite("gsm8k").sampling(samples=4, temperature=0.3, top_p=0.5, max_tokens=64, seed=7)
    assert (s.n, s.temperature, s.top_p, s.max_tokens, s.seed) == (4, 0.3, 0.5, 64, 7)
    assert get_suite("gsm8k").sampling().temperature == 0.0
