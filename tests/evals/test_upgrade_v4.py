"""Schema v3 → v4: the grader configuration, a JSON string in v3, becomes a typed value whose canonical text is that
string — so every committed run upgrades to the same suite version, read in memory or rewritten by ``podium
upgrade``, and the v4 file reads back equal to the record it was made from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evals.grader_records import ChoiceGrader, CodeGrader, OtherGrader, ScenariosGrader, from_v3
from evals.records import RunRecord
from evals.store import read_run
from evals.suites import get_suite
from evals.upgrade import upgrade_run_v4
from tests.conftest import podium
from tests.support.servers import REPO

OLDER_HUMANEVAL = "d134efe4607108fb"
COMMITTED = sorted((REPO / "site_data" / "runs").glob("*/*/*/run.json"))


def as_v3(path: Path) -> dict[str, object]:
    """The committed v4 run as the v3 code wrote it: the grader as its JSON string."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    run = RunRecord.model_validate(raw)
    raw["schema_version"] = 3
    raw["suite"]["grader"] = run.suite.grader.canonical()
    return raw


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_every_committed_run_round_trips_with_its_suite_version(path: Path) -> None:
    run = RunRecord.model_validate(json.loads(path.read_text(encoding="utf-8")))
    rec = run.suite
    again = RunRecord.model_validate(upgrade_run_v4(as_v3(path)))
    assert again == run
    if rec.version != OLDER_HUMANEVAL:  # the two pre-judge HumanEval runs are listed under their older version
        assert rec.grader == get_suite(rec.id).grader_config()  # typed equality with today's suite
        assert rec.grader.canonical() == get_suite(rec.id).grader_config().canonical()


def test_v3_strings_map_to_their_kind() -> None:
    kinds = {type(RunRecord.model_validate(upgrade_run_v4(as_v3(p))).suite.grader) for p in COMMITTED}
    assert {ChoiceGrader, CodeGrader, ScenariosGrader} <= kinds
    assert from_v3("not json") == {"kind": "other", "description": "not json"}
    assert OtherGrader(description="{}").canonical() == "{}"


def test_v3_run_is_read_in_memory_and_rewritten_by_upgrade(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = next(p for p in COMMITTED if "/gsm8k/" in str(p))
    run_dir = tmp_path / "site_data" / "runs" / src.parent.relative_to(REPO / "site_data" / "runs")
    shutil.copytree(src.parent, run_dir)
    (run_dir / "run.json").write_text(json.dumps(as_v3(src), indent=2), encoding="utf-8")
    assert read_run(run_dir / "run.json") == read_run(src)
    assert "schema v3 upgraded to v4 in memory" in capsys.readouterr().err
    r = podium("upgrade", str(tmp_path / "site_data"), "--data-dir", str(tmp_path / "no-data"))
    assert r.returncode == 0 and r.stdout.strip().endswith("1 of 1 run(s) upgraded to schema v4"), r.stderr
    assert (run_dir / "run.json").read_bytes() == src.read_bytes()


def test_a_v3_string_the_typed_value_cannot_give_back_is_kept_whole() -> None:
    reordered = '{"choices": [" no", " yes"], "protocol": "loglikelihood"}'  # not the order BoolQ writes
    assert from_v3(reordered) == {"kind": "other", "description": reordered}
    extra = '{"protocol": "loglikelihood", "new_knob": 1}'
    assert from_v3(extra) == {"kind": "other", "description": extra}
    exact = '{"protocol": "loglikelihood", "choices": [" no", " yes"]}'
    assert from_v3(exact)["kind"] == "choice"


def test_journal_fingerprint_is_the_one_schema_v3_gave() -> None:
    """A run interrupted under schema v3 resumes under v4: the journal key hashes the grader's canonical text.
    The pinned value was computed by the v3 code (2a25b54) for this committed run's suite record."""
    from evals.backends.base import BackendInfo, Sampling
    from evals.runner import journal_fingerprint

    run = read_run(REPO / "site_data/runs/smollm2-135m-instruct/gsm8k/20261204T081446Z-6a7d88/run.json")
    info = BackendInfo(name="embedded", engine="x", model="m.gguf", parameters={"threads": 1},
                       output_parameters=("threads",))
    sampling = Sampling(max_tokens=256, temperature=0.0, seed=0)
    assert journal_fingerprint("smollm2-135m-instruct", run.suite, info, sampling, ["a", "b"]) == "a74d1d291195bff58940"
