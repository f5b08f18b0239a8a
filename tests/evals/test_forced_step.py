"""forced_step against a scripted engine: llama.cpp withholds log-probabilities (``logprobs: null``) when the
sampled token ends inside a UTF-8 character; the retry forces a whole-character probe token and reads the forced
token from the full list. The real engine is covered in tests/evals/test_embedded_prefix.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from evals.backends.prefix import ALL_TOKENS, forced_step

SPLIT = {7, 8}  # token ids that end inside a character
FULL = {5: -1.5, 7: -9.0, 8: -0.5, 30: -2.0}  # the whole distribution; its argmax (8) is a split token


def engine(calls: list[dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def call(body: dict[str, Any]) -> dict[str, Any]:
        calls.append(body)
        bias = body.get("logit_bias")
        sampled = bias[0][0] if bias else 8  # unbiased, the argmax sampled here is a split token too
        if sampled in SPLIT:
            return {"choices": [{"logprobs": None}], "timings": {"prompt_n": 1, "cache_n": 3}}
        k = min(body["n_probs"], len(FULL))
        top = sorted(FULL.items(), key=lambda kv: -kv[1])[:k]
        return {"choices": [{"logprobs": {"content": [{"id": sampled, "logprob": FULL[sampled],
                                                       "top_logprobs": [{"id": i, "logprob": v} for i, v in top]}]}}],
                "timings": {"prompt_n": 1, "cache_n": 3}}
    return call


def test_a_withheld_token_is_read_from_the_full_list_under_the_probe() -> None:
    calls: list[dict[str, Any]] = []
    best, probs, used = forced_step(engine(calls), [1, 2, 3, 4], 7, True, probe=30)
    assert probs[7] == -9.0 and best == 8 and len(calls) == 2
    assert calls[1]["logit_bias"] == [[30, 100.0]] and calls[1]["n_probs"] == ALL_TOKENS
    assert used.evaluated == 2 and used.cached == 6


def test_without_a_probe_a_split_argmax_fails_with_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="withheld"):
        forced_step(engine([]), [1, 2, 3, 4], 7, True)


def test_a_whole_token_takes_one_request_and_keeps_its_reported_value() -> None:
    calls: list[dict[str, Any]] = []
    best, probs, _ = forced_step(engine(calls), [1, 2, 3, 4], 30, True, probe=30)
    assert len(calls) == 1 and probs[30] == -2.0 and best == 8
