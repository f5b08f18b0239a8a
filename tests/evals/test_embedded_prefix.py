"""Few-shot prefix reuse (evals.backends.prefix): bit-for-bit identical outputs and log-likelihoods in any item
order, in any slice, after a kill and resume, and the same through `podium serve-model` over HTTP."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from evals.backends.base import Backend, GenerateRequest, LoglikelihoodRequest, OnResult, Sampling
from evals.backends.embedded import EmbeddedBackend
from evals.backends.openai_compat import OpenAICompatBackend, OpenAIConfig
from evals.dispatch import grade_items
from evals.records import SelectionRecord
from evals.runner import RunOptions, Shard, run_suite
from evals.store import load_model
from evals.suites.base import SelectionSpec
from evals.suites.gsm8k import GSM8K, STOP
from evals.suites.mmlu import MMLU
from evals.suites.multiple_choice import MCItem

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs

GREEDY = Sampling(max_tokens=40, temperature=0.0, stop=STOP, seed=0)


def gsm8k_requests(data_dir: Path, n: int = 3) -> list[GenerateRequest]:
    suite = GSM8K()
    return [suite.request(it, GREEDY) for it in suite.load(data_dir)[:n]]


def mmlu_requests(data_dir: Path) -> list[LoglikelihoodRequest]:
    items = [it for it in MMLU(subjects=("anatomy", "astronomy")).load(data_dir) if isinstance(it, MCItem)]
    picked = items[:2] + items[-2:]  # two subjects: two prefixes
    return [r for it in picked for r in it.requests()]


def test_generation_reuses_the_prefix_identically_in_any_order_and_slice(embedded, data_dir) -> None:  # type: ignore[no-untyped-def]
    reqs = gsm8k_requests(data_dir)
    first = embedded.generate(reqs)
    assert all(c.error is None and c.cached_tokens > 500 and c.prompt_tokens < 200 for c in first[1:])
    again = embedded.generate(reqs[::-1])[::-1]
    alone = embedded.generate(reqs[2:])  # a --limit/--shard slice: the item without the ones before it
    assert [c.texts for c in again] == [c.texts for c in first]
    assert alone[0].texts == first[2].texts


def test_loglikelihoods_are_bit_identical_in_any_order_and_slice(embedded, data_dir) -> None:  # type: ignore[no-untyped-def]
    reqs = mmlu_requests(data_dir)
    forward = embedded.loglikelihood(reqs)
    assert all(r.error is None for r in forward)
    assert forward[0].prompt_tokens > 200 and forward[4].cached_tokens > 200  # first item pays for the prefix
    backward = embedded.loglikelihood(reqs[::-1])
    by_key = {r.key: r for r in backward}
    assert [(r.logprob, r.is_greedy) for r in forward] == [(by_key[r.key].logprob, by_key[r.key].is_greedy)
                                                           for r in forward]
    tail = embedded.loglikelihood(reqs[12:])
    assert [r.logprob for r in tail] == [r.logprob for r in forward[12:]]
    # an old-path request in between (other text, no prefix) does not change the next item's numbers
    embedded.loglikelihood([LoglikelihoodRequest("x", reqs[0].context[:200], " A")])
    assert [r.logprob for r in embedded.loglikelihood(reqs[4:8])] == [r.logprob for r in forward[4:8]]


@pytest.mark.parametrize("suite_id", ["hellaswag", "boolq", "winogrande"])
def test_zero_shot_choices_are_bit_identical_in_any_item_order_and_slice(embedded, data_dir, suite_id) -> None:  # type: ignore[no-untyped-def]
    """No few-shot prefix: each item's context is evaluated afresh and its choices (sent in order, as the runner
    does) extend it, so a result never depends on the item before it."""
    from evals.suites import get_suite

    items = [it for it in get_suite(suite_id).load(data_dir) if isinstance(it, MCItem)][:3]
    per_item = [it.requests() for it in items]
    forward = embedded.loglikelihood([r for g in per_item for r in g])
    assert all(r.error is None for r in forward)
    backward = {r.key: r.logprob for r in embedded.loglikelihood([r for g in per_item[::-1] for r in g])}
    alone = embedded.loglikelihood(per_item[2])
    assert [r.logprob for r in forward] == [backward[r.key] for r in forward]
    assert [r.logprob for r in alone] == [r.logprob for r in forward[-len(per_item[2]):]]


def test_multiple_choice_run_records_prompt_tokens(embedded, data_dir) -> None:  # type: ignore[no-untyped-def]
    suite = MMLU(subjects=("anatomy",))
    samples = []
    grade_items(suite, suite.load(data_dir)[:2], embedded, suite.default_sampling(), samples.append)
    assert all(s.prompt_tokens > 0 for s in samples) and samples[1].prompt_tokens_cached > 200


class Killed(Exception):
    pass


class KillAfter(Backend):
    """Wraps a backend; raises (a kill) after ``n`` results were handed back."""

    def __init__(self, inner: Backend, n: int) -> None:
        self.inner, self.info, self.n = inner, inner.info, n

    def generate(self, requests: Sequence[GenerateRequest], on_result: OnResult | None = None) -> list:  # type: ignore[type-arg]
        def counted(c):  # type: ignore[no-untyped-def]
            if on_result:
                on_result(c)
            self.n -= 1
            if self.n == 0:
                raise Killed
        return self.inner.generate(requests, counted)


def test_kill_and_resume_gives_the_same_outputs(embedded, data_dir, site_data, tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = load_model(site_data, "smollm2-135m-instruct")
    suite = GSM8K()

    def opts(name: str, shard: Shard | None = None, limit: int = 3) -> RunOptions:
        return RunOptions(out=tmp_path / name, data_dir=data_dir, command="test", selection=SelectionSpec(limit=limit),
                          sampling=GREEDY,
                          cache_dir=tmp_path / name / ".podium", shard=shard)

    whole = run_suite(suite, embedded, model, opts("whole"))
    with pytest.raises(Killed):
        run_suite(suite, KillAfter(embedded, 1), model, opts("killed"))
    with EmbeddedBackend() as fresh:  # the resumed run: a new engine, as after a real kill
        resumed = run_suite(suite, fresh, model, opts("killed"))
    assert resumed.resumed == 1
    assert [s.outputs[0].text for s in resumed.samples] == [s.outputs[0].text for s in whole.samples]
    shard = run_suite(suite, embedded, model, opts("shard", Shard(2, 2), limit=6))  # items 1, 3, 5 of the first 6
    full6 = run_suite(suite, embedded, model, RunOptions(out=tmp_path / "six", data_dir=data_dir, command="t",
                                                         selection=SelectionSpec(limit=6), sampling=GREEDY, cache_dir=tmp_path / "c6"))
    assert [s.outputs[0].text for s in shard.samples] == [s.outputs[0].text for s in full6.samples[1::2]]
    assert whole.run.prompt_tokens_cached >= 2 * 700 and whole.run.backend.parameters["prefix_reuse"] is True


def test_serve_model_gives_the_in_process_numbers(server_url, embedded, data_dir) -> None:  # type: ignore[no-untyped-def]
    """The OpenAI-compatible backend pins the same prefix on a llama.cpp server: same texts and log-likelihoods,
    also in reverse order."""
    reqs, lls = gsm8k_requests(data_dir, 2), mmlu_requests(data_dir)[:8]
    local, local_ll = embedded.generate(reqs), embedded.loglikelihood(lls)
    with OpenAICompatBackend(OpenAIConfig(model="smollm2", base_url=server_url, concurrency=2)) as be:
        remote = be.generate(reqs[::-1])[::-1]
        remote_ll = be.loglikelihood(lls[::-1])[::-1]
    assert [c.texts for c in remote] == [c.texts for c in local]
    assert all(c.cached_tokens > 500 for c in remote)
    assert [r.logprob for r in remote_ll] == [r.logprob for r in local_ll]


def test_the_thread_count_is_fixed_per_machine_and_keeps_journals_apart(embedded, data_dir) -> None:  # type: ignore[no-untyped-def]
    """The count changes greedy generations, so the default never follows the load and a resume with another
    count starts its own journal; backends without one keep the fingerprint they always had."""
    from dataclasses import replace

    from evals.backends.embedded import default_threads
    from evals.hashing import sha256_json
    from evals.runner import _sampling_record, journal_fingerprint

    assert embedded.info.parameters["threads"] == default_threads() == max(1, (os.cpu_count() or 2) // 2)
    suite = GSM8K()
    rec = suite.record("d", [], SelectionRecord(kind="first_n", n=1))
    ids = [it.id for it in suite.load(data_dir)[:2]]
    one = replace(embedded.info, parameters={**embedded.info.parameters, "threads": 1})
    two = replace(embedded.info, parameters={**embedded.info.parameters, "threads": 2})
    assert journal_fingerprint("m", rec, one, GREEDY, ids) != journal_fingerprint("m", rec, two, GREEDY, ids)
    plain = replace(embedded.info, parameters={})
    assert journal_fingerprint("m", rec, plain, GREEDY, ids) == sha256_json({
        "model": "m", "suite": {**rec.model_dump(mode="json"), "grader": rec.grader.canonical()}, "backend": [plain.name, plain.model, plain.base_url],
        "sampling": _sampling_record(GREEDY).model_dump(mode="json"), "items": ids})[:20]


SPLIT_CONTEXT = "Instructions for the Podium slicer. First, unpack the Podium slicer"
SPLIT_ENDINGS = (" ® and wash it.", " and wash it.", " ® ® twice.")  # " ®" is two byte tokens in SmolLM2


def test_a_continuation_split_inside_a_utf8_character_is_scored(embedded) -> None:  # type: ignore[no-untyped-def]
    """llama.cpp withholds log-probabilities when the forced token ends inside a UTF-8 character (" \\xc2" of
    " ®"); both the prefix path and the plain forced path read it from the full distribution instead, and agree
    with the sum of per-token log-probabilities taken from that distribution directly."""
    from evals.backends.loglik import encode_pair
    from evals.backends.prefix import ALL_TOKENS

    tok = embedded._tokens_special
    ctx, cont = encode_pair(tok, SPLIT_CONTEXT, SPLIT_ENDINGS[0])
    withheld = [embedded._complete_unpinned({"prompt": [*ctx, *cont[:i]], "max_tokens": 1, "logprobs": 1,
                                             "n_probs": 1, "logit_bias": [[t, 100.0]]})["choices"][0]["logprobs"]
                is None for i, t in enumerate(cont)]
    assert withheld.count(True) == 1  # the premise: the engine withholds exactly the first byte of " ®"

    def direct(ending: str) -> float:
        ctx, cont = encode_pair(tok, SPLIT_CONTEXT, ending)
        total = 0.0
        for i, t in enumerate(cont):
            resp = embedded._complete_unpinned({"prompt": [*ctx, *cont[:i]], "max_tokens": 1, "temperature": 0.0,
                                                "logprobs": 1, "n_probs": ALL_TOKENS, "cache_prompt": False})
            top = resp["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
            total += next(float(x["logprob"]) for x in top if x["id"] == t)
        return total

    expected = [direct(e) for e in SPLIT_ENDINGS]
    for prefix in ("Instructions for the Podium slicer.", ""):  # the prefix slot, then the plain forced path
        reqs = [LoglikelihoodRequest(f"k{i}", SPLIT_CONTEXT, e, prefix) for i, e in enumerate(SPLIT_ENDINGS)]
        fresh = embedded.slot.fresh_evaluations
        got = embedded.loglikelihood(reqs)
        assert (embedded.slot.fresh_evaluations > fresh) == bool(prefix)  # the path under test was taken
        assert [r.error for r in got] == [None] * 3
        assert [r.logprob for r in got] == pytest.approx(expected, abs=0.05)
        assert got[1].logprob > got[0].logprob  # the stray symbol costs probability
