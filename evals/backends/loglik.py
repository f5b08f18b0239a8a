"""Exact loglikelihood over engines that do not return prompt log-probabilities (llama.cpp servers).

lm-eval's contract: ``loglikelihood(context, continuation) = sum log P(continuation tokens | context)`` and
``is_greedy`` = every continuation token is the argmax. Tokenisation follows lm-eval's ``_encode_pair``: trailing
spaces of the context move to the continuation; the whole string is tokenised and split at the length of the
tokenised context.

llama.cpp ignores ``echo``; instead, for each continuation token we ask for ONE generated token with
``logprobs`` while ``logit_bias`` forces that token: the reported log-probability is the unbiased one (and so
are the top alternatives, which give ``is_greedy``). With prompt caching the shared context of an item's
choices is evaluated once, then each request only extends it by one token.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from evals.backends.base import Loglikelihood, LoglikelihoodRequest

Tokenize = Callable[[str], list[int]]
Complete = Callable[[dict[str, Any]], dict[str, Any]]


def memo_tokens(tokenize: Tokenize, size: int = 4096) -> Tokenize:
    """Thread-safe memo of a tokenizer round trip: an item's choices share their context, so its tokenisation is
    asked for once instead of once per choice (at most ``size`` texts are kept, oldest dropped first)."""
    memo: dict[str, tuple[int, ...]] = {}
    lock = threading.Lock()

    def cached(text: str) -> list[int]:
        with lock:
            hit = memo.get(text)
        if hit is None:
            hit = tuple(tokenize(text))
            with lock:
                if len(memo) >= size:
                    memo.pop(next(iter(memo)))
                memo[text] = hit
        return list(hit)

    return cached


def encode_pair(tokenize: Tokenize, context: str, continuation: str) -> tuple[list[int], list[int]]:
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces > 0:
        continuation = context[-n_spaces:] + continuation
        context = context[:-n_spaces]
    whole = tokenize(context + continuation)
    ctx = tokenize(context)
    return whole[: len(ctx)], whole[len(ctx):]


def forced_token_loglikelihood(complete: Complete, ctx: Sequence[int], cont: Sequence[int],
                                fresh: bool = True) -> tuple[float, bool]:
    """``fresh``: evaluate the context from scratch on the first token. Reusing whatever the engine cached from
    an earlier, unrelated prompt changes how the rest is batched and moves log-probs by up to ~0.1 on a Q4
    model — so the first request of a new context never reuses the cache; later tokens (and the other choices
    of the same item, when requests run in order) extend the context just evaluated, which is deterministic."""
    total, greedy = 0.0, True
    for i, tok in enumerate(cont):
        resp = complete({"prompt": [*ctx, *cont[:i]], "max_tokens": 1, "temperature": 0.0, "logprobs": 1,
                         "logit_bias": [[tok, 100.0]], "cache_prompt": not (fresh and i == 0), "n_probs": 1})
        if "error" in resp:
            err = resp["error"]
            raise RuntimeError(err.get("message", str(err)) if isinstance(err, dict) else str(err))
        entry = resp["choices"][0]["logprobs"]["content"][0]
        if entry["id"] != tok:
            raise RuntimeError(f"engine did not honour logit_bias (got token {entry['id']}, forced {tok})")
        total += float(entry["logprob"])
        top = entry.get("top_logprobs") or []
        greedy = greedy and bool(top) and top[0]["id"] == tok
    return total, greedy


def run_forced(requests: Sequence[LoglikelihoodRequest], tokenize: Tokenize, complete: Complete,
               map_fn: Callable[[Callable[[LoglikelihoodRequest], Loglikelihood], Sequence[LoglikelihoodRequest]],
                                list[Loglikelihood]] | None = None) -> list[Loglikelihood]:
    """One Loglikelihood per request, in order; a failure is an errored result (logprob -inf), never dropped.

    Without ``map_fn`` requests run in order on one slot, and consecutive requests with the same context (the
    choices of one item) reuse it; with ``map_fn`` (concurrent) every request evaluates its context afresh."""
    cache: dict[str, list[int]] = {}

    def tok(text: str) -> list[int]:
        if text not in cache:
            cache[text] = tokenize(text)
        return cache[text]

    previous: list[str | None] = [None]

    def one(req: LoglikelihoodRequest) -> Loglikelihood:
        fresh = map_fn is not None or req.context != previous[0]
        previous[0] = req.context
        try:
            ctx, cont = encode_pair(tok, req.context, req.continuation)
            if not cont:
                raise RuntimeError("continuation is empty after tokenisation")
            lp, greedy = forced_token_loglikelihood(complete, ctx, cont, fresh)
            return Loglikelihood(req.key, lp, greedy, len(cont))
        except Exception as exc:  # noqa: BLE001 - per-item failure is data
            return Loglikelihood(req.key, float("-inf"), False, 0, error=f"{type(exc).__name__}: {exc}"[:300])

    return map_fn(one, requests) if map_fn else [one(r) for r in requests]
