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

import functools
from collections.abc import Callable, Sequence
from typing import Any, Literal

from evals.backends.base import Loglikelihood, LoglikelihoodRequest
from evals.backends.prefix import PrefixSlot, PromptUsage, checked, forced_step

Tokenize = Callable[[str], list[int]]
Complete = Callable[[dict[str, Any]], dict[str, Any]]


def memo_tokens(tokenize: Tokenize, size: int = 4096) -> Tokenize:
    """Memo of a tokenizer round trip (``functools.lru_cache``, thread-safe): an item's choices share their
    context, so its tokenisation is asked for once instead of once per choice; callers get their own list."""

    @functools.lru_cache(maxsize=size)
    def ids(text: str) -> tuple[int, ...]:
        return tuple(tokenize(text))

    return lambda text: list(ids(text))


def encode_pair(tokenize: Tokenize, context: str, continuation: str,
                context_ids: Literal["joint", "separate"] = "joint") -> tuple[list[int], list[int]]:
    """lm-eval's ``TemplateLM._encode_pair``: trailing spaces of the context move to the continuation, the whole
    string is tokenised once and split at the context's token count (BPE may merge across the boundary).

    ``context_ids``: "separate" returns the context tokenised alone, as lm-eval does (vLLM); "joint" returns the
    first tokens of the whole string, so that context + continuation is exactly the whole tokenisation (llama.cpp's
    forced-token path evaluates that sequence). The continuation is the same either way."""
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces > 0:
        continuation = context[-n_spaces:] + continuation
        context = context[:-n_spaces]
    whole = tokenize(context + continuation)
    ctx = tokenize(context)
    return (whole[: len(ctx)] if context_ids == "joint" else ctx), whole[len(ctx):]


def forced_token_loglikelihood(complete: Complete, ctx: Sequence[int], cont: Sequence[int],
                                fresh: bool = True, probe: int | None = None) -> tuple[float, bool, PromptUsage]:
    """``fresh``: evaluate the context from scratch on the first token. Reusing whatever the engine cached from
    an earlier, unrelated prompt changes how the rest is batched and moves log-probs by up to ~0.1 on a Q4
    model — so the first request of a new context never reuses the cache; later tokens (and the other choices
    of the same item, when requests run in order) extend the context just evaluated, which is deterministic."""
    total, greedy, used = 0.0, True, PromptUsage()
    for i, tok in enumerate(cont):
        best, probs, use = forced_step(lambda body: checked(complete(body)), [*ctx, *cont[:i]], tok,
                                       not (fresh and i == 0), n_probs=1, probe=probe)
        total += probs[tok]
        greedy = greedy and best == tok
        used += use
    return total, greedy, used


def run_forced(requests: Sequence[LoglikelihoodRequest], tokenize: Tokenize, complete: Complete,
               map_fn: Callable[[Callable[[LoglikelihoodRequest], Loglikelihood], Sequence[LoglikelihoodRequest]],
                                list[Loglikelihood]] | None = None, probe: int | None = None) -> list[Loglikelihood]:
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
            lp, greedy, used = forced_token_loglikelihood(complete, ctx, cont, fresh, probe)
            return Loglikelihood(req.key, lp, greedy, len(cont), prompt_tokens=used.evaluated,
                                 cached_tokens=used.cached)
        except Exception as exc:  # noqa: BLE001 - per-item failure is data
            return Loglikelihood(req.key, float("-inf"), False, 0, error=f"{type(exc).__name__}: {exc}"[:300])

    return map_fn(one, requests) if map_fn else [one(r) for r in requests]


def _errored(req: LoglikelihoodRequest, exc: Exception) -> Loglikelihood:
    return Loglikelihood(req.key, float("-inf"), False, 0, error=f"{type(exc).__name__}: {exc}"[:300])


def _prefixed_group(group: Sequence[LoglikelihoodRequest], tokenize: Tokenize,
                    slot: PrefixSlot) -> list[Loglikelihood] | None:
    """The requests of one context (an item's choices) through the prefix slot; None if the prefix is unusable
    (its ids are not the first ids of the tokenised context, or nothing is left after it)."""
    prefix = tokenize(group[0].prefix)
    pairs = [encode_pair(tokenize, r.context, r.continuation) for r in group]
    if not prefix or any(len(c) <= len(prefix) or c[: len(prefix)] != prefix or not k for c, k in pairs):
        return None
    out: list[Loglikelihood] = []
    rests: dict[tuple[int, ...], list[int]] = {}  # lm-eval's split may differ per choice: one pass per split
    for i, (ctx, _) in enumerate(pairs):
        rests.setdefault(tuple(ctx[len(prefix):]), []).append(i)
    results: dict[int, Loglikelihood] = {}
    for rest, idx in rests.items():
        try:
            scores, used = slot.loglikelihoods(prefix, rest, [pairs[i][1] for i in idx])
        except Exception as exc:  # noqa: BLE001 - per-item failure is data
            results.update({i: _errored(group[i], exc) for i in idx})
            continue
        for n, (i, (lp, greedy)) in enumerate(zip(idx, scores, strict=True)):
            results[i] = Loglikelihood(group[i].key, lp, greedy, len(pairs[i][1]),
                                       prompt_tokens=used.evaluated if n == 0 else 0,
                                       cached_tokens=used.cached if n == 0 else 0)
    out = [results[i] for i in range(len(group))]
    return out


def run_prefixed(requests: Sequence[LoglikelihoodRequest], tokenize: Tokenize, slot: PrefixSlot,
                 fallback: Callable[[Sequence[LoglikelihoodRequest]], list[Loglikelihood]]) -> list[Loglikelihood]:
    """Consecutive requests with one context and a declared prefix go through ``slot`` (the prefix computed once,
    in one fixed way); the rest, and any group whose prefix is unusable, through ``fallback`` (the old path)."""
    tok = memo_tokens(tokenize)
    out: list[Loglikelihood] = []
    i = 0
    while i < len(requests):
        j = i + 1
        while j < len(requests) and (requests[j].context, requests[j].prefix) == (requests[i].context,
                                                                                  requests[i].prefix):
            j += 1
        group = requests[i:j]
        done = None
        if group[0].prefix:
            try:
                done = _prefixed_group(group, tok, slot)
            except Exception as exc:  # noqa: BLE001 - a tokeniser failure is a per-item failure
                done = [_errored(r, exc) for r in group]
        out.extend(done if done is not None else fallback(group))
        i = j
    return out
