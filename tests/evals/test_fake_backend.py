"""The fake backend (``--backend fake``): deterministic, scripted, failures as data — the fast tier's engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.backends.base import GenerateRequest, LoglikelihoodRequest, Sampling
from evals.backends.fake import FakeBackend, FakeConfig
from evals.dispatch import grade_items
from evals.records import ChoiceDetail
from evals.runner import RunOptions, run_suite
from evals.store import load_model, read_samples
from evals.suites import get_suite
from evals.suites.base import SelectionSpec
from evals.suites.multiple_choice import MCItem
from evals.verify import regrade
from tests.conftest import podium


def test_answers_are_a_pure_function_of_the_request() -> None:
    req = GenerateRequest("k", "What is 2+2?", Sampling(max_tokens=8, temperature=0.8, n=3, seed=5))
    a, b = FakeBackend().generate([req]), FakeBackend().generate([req])
    assert a == b and len(a[0].texts) == 3 and all(t.startswith("The answer is ") for t in a[0].texts)
    other = FakeBackend().generate([GenerateRequest("k", "What is 2+2?", Sampling(max_tokens=8, n=3, seed=6))])
    assert other[0].texts != a[0].texts  # the seed is part of the draw
    ll = FakeBackend().loglikelihood([LoglikelihoodRequest("x", "ctx", " A"), LoglikelihoodRequest("y", "ctx", " B")])
    assert [r.key for r in ll] == ["x", "y"] and all(r.logprob < 0 for r in ll)


def test_scripted_gsm8k_run_scores_exactly_as_scripted(site_data: Path, data_dir: Path, tmp_path: Path) -> None:
    suite = get_suite("gsm8k")
    items = suite.load(data_dir)[:3]
    replies = {items[0].id: f"... so The answer is {items[0].reference}.", items[1].id: "The answer is -1.",
               items[2].id: "<error>"}
    result = run_suite(suite, FakeBackend(FakeConfig(replies=replies)), load_model(site_data, "smollm2-135m-instruct"),
                       RunOptions(out=site_data, data_dir=data_dir, command="test", selection=SelectionSpec(limit=3),
                                  cache_dir=tmp_path, max_errors=1))
    samples = read_samples(result.paths.samples)
    assert [s.scores["strict"] for s in samples] == [1.0, 0.0, 0.0]
    assert samples[2].outputs[0].error and (result.run.n_errors, result.run.errors_allowed) == (1, 1)
    assert result.run.synthetic  # the fake backend's runs are marked, never a model's score
    main = result.run.main()
    assert main is not None and (main.value, main.n) == (1 / 3, 3)


def test_scripted_loglikelihoods_decide_the_pick(data_dir: Path) -> None:
    suite = get_suite("winogrande")
    it = suite.load(data_dir)[0]
    assert isinstance(it, MCItem)
    wrong = 1 - it.gold
    backend = FakeBackend(FakeConfig(logprobs={f"{it.id}#{wrong}": -0.5, f"{it.id}#{it.gold}": -9.0}))
    out = []
    grade_items(suite, [it], backend, suite.default_sampling(), out.append)
    detail = out[0].outputs[0].detail
    assert isinstance(detail, ChoiceDetail) and detail.picked == wrong and out[0].scores["acc"] == 0.0


@pytest.mark.slow
def test_cli_runs_the_fake_backend_from_a_script(site_data: Path, tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"replies": {"gsm8k/test/0000": "The answer is 42."}}))
    r = podium("run", "--backend", "fake", "--fake-script", str(script), "--suite", "gsm8k", "--limit", "2",
               "--site-data", str(site_data))
    assert r.returncode == 0, r.stderr
    assert "exact_match" in r.stdout and "--backend fake --fake-script" in next(
        site_data.glob("runs/*/gsm8k/*/run.json")).read_text()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = podium("run", "--backend", "fake", "--fake-script", str(bad), "--suite", "gsm8k", "--limit", "1",
               "--site-data", str(site_data))
    assert r.returncode == 2 and "Traceback" not in r.stderr and "bad.json" in r.stderr


def test_a_failed_choice_scores_the_item_zero(data_dir: Path) -> None:
    """A choice whose log-likelihood request failed (NaN) is stored as null and the item scores 0, even when the
    remaining choices would pick the right answer."""
    suite = get_suite("hellaswag")
    it = suite.load(data_dir)[0]
    assert isinstance(it, MCItem)
    wrong = (it.gold + 1) % 4
    logprobs = {f"{it.id}#{k}": -1.0 if k == it.gold else -50.0 for k in range(4)}
    logprobs[f"{it.id}#{wrong}"] = float("nan")
    out: list = []
    grade_items(suite, [it], FakeBackend(FakeConfig(logprobs=logprobs)), suite.default_sampling(), out.append)
    detail = out[0].outputs[0].detail
    assert isinstance(detail, ChoiceDetail) and detail.loglikelihoods[wrong] is None and detail.picked == it.gold
    assert out[0].scores == {"acc": 0.0, "acc_norm": 0.0} and out[0].outputs[0].finish == "error"
    assert regrade(suite, it, out[0]) == out[0]  # validate's re-grade agrees
