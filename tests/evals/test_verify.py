"""``evals.verify``: metrics recomputed from samples, prompts rebuilt and hashed, scores re-graded — on real runs
(the v1 fixture written by the embedded model, upgraded), untouched and with single hand edits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evals.records import ChoiceDetail, RunRecord, SampleRecord
from evals.store import read_run, read_samples
from evals.verify import verify_run
from generator.cli.upgrade import upgrade_dir
from tests.support.servers import REPO

FIXTURE = REPO / "tests" / "fixtures" / "v1" / "site_data"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict[str, tuple[RunRecord, list[SampleRecord],
                                                                                        Path]]:
    root = Path(shutil.copytree(FIXTURE, tmp_path_factory.mktemp("v2") / "site_data"))
    for rj in sorted(root.glob("runs/*/*/*/run.json")):
        assert upgrade_dir(rj.parent, data_dir)
    out = {}
    for rj in sorted(root.glob("runs/*/*/*/run.json")):
        run = read_run(rj)
        key = run.suite.id + ("-shard" if run.shard else "")
        out[key] = (run, read_samples(rj.parent / "samples.jsonl.gz"), rj.parent)
    return out


def test_untouched_runs_verify_clean(runs: dict[str, tuple[RunRecord, list[SampleRecord], Path]],
                                     data_dir: Path) -> None:
    assert len(runs) == 9
    for key, (run, samples, d) in runs.items():
        findings = verify_run(run, samples, d, data_dir)
        if key == "boolq-generative":  # graded by v1's letter-vs-word bug: re-grading finds every "Yes."/"No."
            assert findings and all("re-graded" in f.what or "metric acc" in f.what for f in findings)
            continue
        assert findings == [], run.suite.id
        assert verify_run(run, samples, d, None) == [], f"{run.suite.id} without the data directory"


def test_hand_edited_score_with_a_matching_interval_is_caught(runs: dict[str, tuple[RunRecord, list[SampleRecord],
                                                                                     Path]], data_dir: Path) -> None:
    run, samples, d = runs["gsm8k"]
    m = run.metrics[0]
    forged = m.model_copy(update={"value": 0.5, "ci_low": 0.1, "ci_high": 0.9})
    bad = run.model_copy(update={"metrics": [forged, *run.metrics[1:]]})
    (finding,) = verify_run(bad, samples, d, data_dir)
    assert finding.where.endswith("run.json") and "exact_match/strict" in finding.what and "0.5" in finding.what


def test_edited_sample_score_and_prompt_are_caught(runs: dict[str, tuple[RunRecord, list[SampleRecord], Path]],
                                                   data_dir: Path) -> None:
    run, samples, d = runs["boolq"]
    s0 = samples[0]
    flipped = s0.model_copy(update={"scores": {"acc": 1.0 - s0.scores["acc"]}})
    findings = verify_run(run, [flipped, *samples[1:]], d, data_dir)
    assert any(f.where.endswith("samples.jsonl.gz:1") and "re-graded" in f.what for f in findings)
    other = s0.model_copy(update={"prompt_sha256": "0" * 64})
    assert any("prompt sha256" in f.what for f in verify_run(run, [other, *samples[1:]], d, data_dir))
    # a log-likelihood edited so that the other choice wins: the stored pick no longer follows
    detail = s0.outputs[0].detail
    assert isinstance(detail, ChoiceDetail)
    lls = list(detail.loglikelihoods)
    lls[detail.picked] -= 100.0
    edited = s0.model_copy(update={"outputs": [s0.outputs[0].model_copy(update={
        "detail": detail.model_copy(update={"loglikelihoods": lls})})]})
    assert any("re-graded" in f.what for f in verify_run(run, [edited, *samples[1:]], d, data_dir))
    unknown = s0.model_copy(update={"item_id": "boolq/dev/99999"})
    assert any("not in boolq's" in f.what for f in verify_run(run, [unknown, *samples[1:]], d, data_dir))
