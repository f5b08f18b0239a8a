"""Schema v1 → v2: runs written by the v1 code (tests/fixtures/v1, benchmark text removed from the fixture) are read
in memory with a one-line notice, and ``podium upgrade`` rewrites them atomically and idempotently."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from evals.records import (
    ChoiceDetail,
    CodeDetail,
    Group,
    MetricRef,
    NumericDetail,
    ParsedChoiceDetail,
    ScenarioDetail,
    SelectionRecord,
    ShardRecord,
)
from evals.store import read_run, read_samples
from evals.suites.lookup import load_suite_items, prompt_shas
from tests.conftest import podium
from tests.support.servers import REPO

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs

FIXTURE = REPO / "tests" / "fixtures" / "v1" / "site_data"


def run_dir(root: Path, suite: str, shard: bool = False) -> Path:
    dirs = sorted(p.parent for p in root.glob(f"runs/*/{suite}/*/run.json"))
    return next(d for d in dirs if (json.loads((d / "run.json").read_text()).get("shard") is not None) == shard)


@pytest.fixture()
def v1(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "site_data"))


def test_v1_files_are_read_in_memory_with_one_notice(v1: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = run_dir(v1, "mmlu")
    run = read_run(d / "run.json")
    samples = read_samples(d / "samples.jsonl.gz")
    notes = [ln for ln in capsys.readouterr().err.splitlines() if "schema v1" in ln]
    assert len(notes) == 1 and "podium upgrade" in notes[0] and str(d) in notes[0]
    assert run.schema_version == 4 and run.suite.main_metric == MetricRef(name="acc", variant="loglikelihood")
    assert run.suite.selection == SelectionRecord(kind="first_n", n=1, per="subject") and run.suite.base == "mmlu"
    assert {m.group for m in run.metrics if m.group and m.group.kind == "subject"} == {
        Group(kind="subject", id="anatomy"), Group(kind="subject", id="virology")}
    assert run.main() is not None and run.main() is run.metrics[0]  # micro only: macro is not the headline
    detail = samples[0].outputs[0].detail
    assert isinstance(detail, ChoiceDetail) and len(detail.loglikelihoods) == 4 and len(detail.greedy) == 4
    assert detail.picked == max(range(4), key=lambda k: (detail.loglikelihoods[k], -k))
    assert samples[0].group == Group(kind="subject", id="anatomy")


def test_podium_upgrade_rewrites_every_run_exactly_once(v1: Path, data_dir: Path) -> None:
    r = podium("upgrade", str(v1), "--data-dir", str(data_dir))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("9 of 9 run(s) upgraded to schema v4")
    again = podium("upgrade", str(v1), "--data-dir", str(data_dir))
    assert again.returncode == 0 and again.stdout.strip().endswith("0 of 9 run(s) upgraded to schema v4")
    for rj in v1.glob("runs/*/*/*/run.json"):
        assert json.loads(rj.read_text())["schema_version"] == 4
        with gzip.open(rj.parent / "samples.jsonl.gz", "rt") as fh:
            rows = [json.loads(line) for line in fh]
        assert rows and all({"input", "reference", "choices"}.isdisjoint(row) for row in rows)
        suite_id = rj.parent.parent.name
        if not suite_id.startswith("scenario"):  # the exact prompt's sha256, rebuilt from the data directory
            assert all(row["prompt"] is None for row in rows)
            loaded = load_suite_items(suite_id, data_dir)
            assert loaded is not None
            shas = prompt_shas(loaded)
            assert [row["prompt_sha256"] for row in rows] == [shas[row["item_id"]] for row in rows]


def test_upgraded_details_are_typed(v1: Path, data_dir: Path) -> None:
    assert podium("upgrade", str(v1), "--data-dir", str(data_dir)).returncode == 0
    gsm = read_samples(run_dir(v1, "gsm8k") / "samples.jsonl.gz")
    assert all(isinstance(o.detail, NumericDetail) for s in gsm for o in s.outputs)
    assert read_run(run_dir(v1, "gsm8k", shard=True) / "run.json").shard == ShardRecord(index=1, count=2)
    he_dir = run_dir(v1, "humaneval")
    he = read_run(he_dir / "run.json")
    assert [(m.name, m.k) for m in he.metrics] == [("pass@k", 1), ("pass@k", 2)]  # ks ≤ n = 3: 1, 2
    for s in read_samples(he_dir / "samples.jsonl.gz"):
        assert set(s.scores) == {"pass_rate"}
        for o in s.outputs:
            assert isinstance(o.detail, CodeDetail) and o.detail.code == o.text and o.detail.seconds > 0
            assert o.scores["pass"] == float(o.detail.verdict == "passed")
    gen = read_samples(run_dir(v1, "boolq-generative") / "samples.jsonl.gz")
    assert all(isinstance(o.detail, ParsedChoiceDetail) for s in gen for o in s.outputs)
    sc = read_samples(run_dir(v1, "scenario-math-9-11-vs-9-9") / "samples.jsonl.gz")
    assert sc[0].prompt and sc[0].group == Group(kind="scenario", id="math-9-11-vs-9-9")
    d = sc[0].outputs[0].detail
    assert isinstance(d, ScenarioDetail) and d.trial == 0 and d.sampling.temperature == 0.0 and d.protocol == "plain"


def test_a_broken_old_run_is_named_and_the_others_are_still_upgraded(v1: Path, data_dir: Path) -> None:
    """Old runs whose samples are not gzip, or hold a line that is no sample: one line each naming the run, no
    traceback, exit 2 — and every other run is upgraded."""
    bad = run_dir(v1, "mmlu")
    (bad / "samples.jsonl.gz").write_bytes(b"not gzip at all\n")
    odd = run_dir(v1, "gsm8k")
    (odd / "samples.jsonl.gz").write_bytes(gzip.compress(b'{"x": 1}\n'))
    r = podium("upgrade", str(v1), "--data-dir", str(data_dir))
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 2 and any(str(bad) in ln for ln in errors) and any(str(odd) in ln for ln in errors), errors
    assert r.stdout.strip().endswith("7 of 9 run(s) upgraded to schema v4; 2 could not be read (above)")
    assert podium("upgrade", str(v1.parent / "nowhere")).returncode == 2
