"""Reuse a shared prompt prefix on a llama.cpp server, computed in ONE fixed way (bit-for-bit reproducible).

llama.cpp's ``cache_prompt`` reuses whatever the slot's previous prompt had in common with the new one, so the
part evaluated afresh — and with it the float summation order — depends on which item ran before. Here the
reuse is pinned to a prefix boundary the suite declares (the few-shot block):

1. the prefix token ids are evaluated once with caching off: a fresh computation that does not depend on
   anything that ran before;
2. before every item the slot is cut back to exactly the prefix: a one-token request ``prefix + [sentinel]``
   (caching on, the sentinel chosen to differ from the item's first token) removes everything after the
   prefix from the KV cache — the prefix itself is never re-evaluated;
3. the item is sent as ``prefix + suffix`` token ids with caching on: the engine reuses exactly the prefix and
   evaluates exactly the suffix, always as the same batch at the same positions.

Every step checks the engine's ``timings`` (``cache_n``/``prompt_n``): if the slot was disturbed (another
client, an old-path request) the prefix is evaluated afresh again, and an item that would not reuse exactly
the prefix fails loudly instead of silently changing numerics. Needs one slot (``--parallel 1``).

Tokenisation: the prefix and the whole prompt are tokenised separately; the prefix is used only when its ids
are exactly the first ids of the whole prompt (suites cut before a "\\n\\n" so this holds), so the engine sees
the same ids as without reuse. Otherwise the item takes the old path.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

TOP_K = 32  # top log-probabilities asked for at each scored position
ALL_TOKENS = 1 << 30  # an n_probs above any vocabulary size: llama.cpp clamps it and lists every token
Tokenize = Callable[[str], list[int]]
Complete = Callable[[dict[str, Any]], dict[str, Any]]


class PrefixCacheError(RuntimeError):
    """The engine did not reuse exactly the prefix (the slot was disturbed or the engine behaves differently)."""


@dataclass(frozen=True, slots=True)
class PromptUsage:
    evaluated: int = 0  # prompt tokens the engine computed
    cached: int = 0  # prompt tokens served from its KV cache

    def __add__(self, other: PromptUsage) -> PromptUsage:
        return PromptUsage(self.evaluated + other.evaluated, self.cached + other.cached)


def usage_of(resp: dict[str, Any]) -> PromptUsage:
    """Prompt tokens evaluated and reused, from llama.cpp's ``timings`` (else the OpenAI ``usage`` block)."""
    t = resp.get("timings") or {}
    if "prompt_n" in t:
        return PromptUsage(int(t.get("prompt_n", 0)), int(t.get("cache_n", 0)))
    usage = resp.get("usage") or {}
    cached = int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
    return PromptUsage(int(usage.get("prompt_tokens", 0)) - cached, cached)


def split_at_prefix(tokenize: Tokenize, prefix: str, text: str) -> tuple[list[int], list[int]] | None:
    """(prefix ids, suffix ids) when tokenising ``text`` whole starts with the prefix's own ids, else None."""
    if not prefix or not text.startswith(prefix):
        return None
    pre, whole = tokenize(prefix), tokenize(text)
    if not pre or len(whole) <= len(pre) or whole[: len(pre)] != pre:
        return None
    return pre, whole[len(pre):]


def whole_char_token(tokenize: Tokenize) -> int | None:
    """A token that is a whole character ("."), forced where the engine withholds log-probabilities (forced_step)."""
    ids = tokenize(".")
    return ids[0] if len(ids) == 1 else None


def checked(resp: dict[str, Any]) -> dict[str, Any]:
    if "error" in resp:
        err = resp["error"]
        raise RuntimeError(err.get("message", str(err)) if isinstance(err, dict) else str(err))
    return resp


class PrefixSlot:
    """One engine slot whose KV cache starts with a prefix computed fresh. Not thread-safe on its own: the lock
    serialises callers (the whole point is one fixed order of computation per item)."""

    def __init__(self, complete: Complete, extra: dict[str, Any] | None = None, probe: int | None = None) -> None:
        self._complete = complete
        self.probe = probe  # a token that is a whole character (see forced_step)
        self._extra = dict(extra or {})  # e.g. {"id_slot": 0} for a multi-slot HTTP server
        self._prefix: tuple[int, ...] | None = None
        self.lock = threading.RLock()
        self.fresh_evaluations = 0  # how often a prefix was computed from scratch (tests, benchmark)
        self.fresh_seconds = 0.0  # and how long that took

    def invalidate(self) -> None:
        """Something else used the slot: the next item evaluates its prefix afresh."""
        self._prefix = None

    def _call(self, body: dict[str, Any]) -> dict[str, Any]:
        return checked(self._complete({**body, **self._extra}))

    def prime(self, prefix: Sequence[int], first: int) -> PromptUsage:
        """Leave the slot holding exactly ``prefix`` (computed fresh once) + one sentinel token ≠ ``first``."""
        used = PromptUsage()
        for attempt in range(2):
            if self._prefix != tuple(prefix):
                self._prefix = None
                t0 = time.perf_counter()
                used += usage_of(self._call({"prompt": list(prefix), "max_tokens": 1, "temperature": 0.0,
                                             "cache_prompt": False}))
                self.fresh_seconds += time.perf_counter() - t0
                self._prefix = tuple(prefix)
                self.fresh_evaluations += 1
            sentinel = 0 if first != 0 else 1
            use = usage_of(self._call({"prompt": [*prefix, sentinel], "max_tokens": 1, "temperature": 0.0,
                                       "cache_prompt": True}))
            used += PromptUsage(use.evaluated, 0)  # the cut costs one token; its reuse is not the item's
            if use.cached == len(prefix) and use.evaluated == 1:
                return used
            self._prefix = None  # disturbed: recompute the prefix from scratch once
            if attempt:
                break
        raise PrefixCacheError(f"the engine did not keep the {len(prefix)}-token prefix in its cache")

    def _expect(self, resp: dict[str, Any], cached: int, evaluated: int) -> PromptUsage:
        use = usage_of(resp)
        if (use.cached, use.evaluated) != (cached, evaluated):
            self._prefix = None
            raise PrefixCacheError(f"expected {cached} cached + {evaluated} evaluated prompt tokens, the engine "
                                   f"reported {use.cached} + {use.evaluated}")
        return use

    def generate(self, prefix: Sequence[int], suffix: Sequence[int],
                 body: dict[str, Any]) -> tuple[dict[str, Any], PromptUsage]:
        """One completion of ``prefix + suffix`` (``body`` without a prompt) that reuses exactly the prefix."""
        with self.lock:
            used = self.prime(prefix, suffix[0])
            resp = self._call({**body, "prompt": [*prefix, *suffix], "cache_prompt": True})
            return resp, used + self._expect(resp, len(prefix), len(suffix))

    def _scored(self, ctx: Sequence[int], cont: Sequence[int], i: int,
                seen: dict[tuple[int, ...], tuple[int, dict[int, float]]]) -> tuple[float, int, PromptUsage]:
        """log P(cont[i] | ctx + cont[:i]) and the argmax there. A first token (all choices are scored at the same
        position: MMLU's " A".." D") is read from the item's batch step when it is among its top ``TOP_K``;
        otherwise a single-token step on exactly the cached ``ctx + cont[:i-1]`` is asked for. Later positions
        are requested in order, so each request finds exactly the tokens before it in the cache."""
        key, tok = tuple(cont[:i]), cont[i]
        if i == 0 and key in seen and tok in seen[key][1]:
            return seen[key][1][tok], seen[key][0], PromptUsage()
        prompt = [*ctx, *cont[:i]]
        again = lambda r: self._expect(r, len(prompt) - 1, 1)  # noqa: E731 - the same cut both times
        best, probs, use = forced_step(self._call, prompt, tok, True, TOP_K, again, again, self.probe)
        return probs[tok], best, use

    def loglikelihoods(self, prefix: Sequence[int], rest: Sequence[int],
                       continuations: Sequence[Sequence[int]]) -> tuple[list[tuple[float, bool]], PromptUsage]:
        """Summed log P(continuation | prefix + rest) and is_greedy, for each continuation of one context.

        Fixed computation per item, whatever ran before: ``rest`` as one batch after the prefix, whose last
        position gives the top-k log-probabilities (every choice's first token found there is read from it);
        any other scored position (a first token outside the top-k, later continuation tokens) is a
        single-token step on exactly the tokens before it. The sequence depends only on the item."""
        with self.lock:
            used = self.prime(prefix, rest[0])
            ctx = [*prefix, *rest]
            seen: dict[tuple[int, ...], tuple[int, dict[int, float]]] = {}  # scored position → (argmax, top-k)
            first = continuations[0][0]  # the question as one batch after the prefix, scoring at its end
            best, probs, use = forced_step(self._call, ctx, first, True, TOP_K,
                                           lambda r: self._expect(r, len(prefix), len(rest)),
                                           lambda r: self._expect(r, len(ctx) - 1, 1), self.probe)
            used += use
            seen[()] = best, probs
            out = []
            for cont in continuations:
                total, greedy = 0.0, True
                for i, tok in enumerate(cont):
                    lp, best, use = self._scored(ctx, cont, i, seen)
                    used += use
                    total += lp
                    greedy = greedy and best == tok
                out.append((total, greedy))
            return out, used


def forced_step(call: Complete, prompt: Sequence[int], forced: int, cache_prompt: bool, n_probs: int = TOP_K,
                expect: Callable[[dict[str, Any]], PromptUsage] = usage_of,
                expect_again: Callable[[dict[str, Any]], PromptUsage] = usage_of, probe: int | None = None,
                ) -> tuple[int, dict[int, float], PromptUsage]:
    """(argmax, token → log-probability, usage) at the end of ``prompt``, the ``forced`` token among them.

    The token is forced with ``logit_bias``; the reported log-probabilities are the unbiased ones. llama.cpp
    withholds them (``logprobs: null``) when the sampled token ends inside a UTF-8 character — a byte token such
    as ``" \\xc2"``, the first half of "®" in some HellaSwag endings. Then the same position is asked once more
    with every token's log-probability (n_probs above the vocabulary), forcing ``probe`` instead (a token that
    is a whole character, e.g. "."; without one, the argmax is sampled): the engine reuses the prompt and
    evaluates only its last token, and the forced token is read from the full list."""
    body = {"prompt": list(prompt), "max_tokens": 1, "temperature": 0.0, "logprobs": 1, "cache_prompt": cache_prompt}
    resp = call({**body, "n_probs": n_probs, "logit_bias": [[forced, 100.0]]})
    used = expect(resp)
    entry = _entry(resp)
    if entry is not None and entry["id"] != forced:
        raise RuntimeError(f"engine did not honour logit_bias (got token {entry['id']}, forced {forced})")
    if entry is None:
        bias = {"logit_bias": [[probe, 100.0]]} if probe is not None and probe != forced else {}
        resp = call({**body, "n_probs": ALL_TOKENS, "cache_prompt": True, **bias})
        used += expect_again(resp)
    best, probs = _top(resp, forced)
    return best, probs, used


def _entry(resp: dict[str, Any]) -> dict[str, Any] | None:
    content = ((resp.get("choices") or [{}])[0].get("logprobs") or {}).get("content") or []
    return content[0] if content else None


def _top(resp: dict[str, Any], forced: int) -> tuple[int, dict[int, float]]:
    """(argmax, token → log-probability) of a one-token step: its top-k plus the forced token."""
    entry = _entry(resp)
    if entry is None:
        raise RuntimeError("the engine withheld the log-probabilities (its token ends inside a UTF-8 character)")
    top = entry.get("top_logprobs") or []
    if not top:
        raise RuntimeError("engine returned no top log-probabilities")
    probs = {int(t["id"]): float(t["logprob"]) for t in top}
    if entry["id"] == forced:
        probs[forced] = float(entry["logprob"])
    elif forced not in probs:
        raise RuntimeError(f"token {forced} is not among the engine's log-probabilities")
    return int(top[0]["id"]), probs


def sampling_body(max_tokens: int, temperature: float, top_p: float, stop: Sequence[str],
                  seed: int | None) -> dict[str, Any]:
    """The sampling part of a llama.cpp completion request (one choice)."""
    body: dict[str, Any] = {"max_tokens": max_tokens, "temperature": temperature, "top_p": top_p,
                            "stop": list(stop), "n": 1}
    if seed is not None:
        body["seed"] = seed
    return body
