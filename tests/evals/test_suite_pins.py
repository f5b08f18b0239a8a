"""Every registered suite still builds the suite version, prompts and grades pinned in ``suite_pins.json``, and the
committed runs in ``site_data/`` carry those versions (or a known older one, which ``podium validate`` notes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.data import default_data_dir
from evals.errors import DataError
from tests.evals.suite_pins import PINS, SANDBOXED, fingerprint, registered

PINNED: dict[str, dict[str, object]] = json.loads(PINS.read_text(encoding="utf-8"))
SITE_DATA = Path(__file__).resolve().parents[2] / "site_data"
# runs of an older suite version (the HumanEval sandbox limits changed after they were graded): noted by validate
OLDER = {("humaneval", "d134efe4607108fb")}


def test_every_registered_suite_is_pinned() -> None:
    assert sorted(registered()) == sorted(PINNED), "a new suite adds its pin: python -m tests.evals.suite_pins"


def _fingerprint(suite_id: str, grades: bool) -> dict[str, object]:
    try:
        return fingerprint(suite_id, default_data_dir(), grades=grades)
    except DataError as exc:
        pytest.skip(f"benchmark data missing: {exc}")


@pytest.mark.parametrize("suite_id", registered())
def test_suite_version_prompts_and_grades_unchanged(suite_id: str) -> None:
    sandboxed = suite_id.startswith(SANDBOXED)  # their grades are checked in the slow test below
    got = _fingerprint(suite_id, grades=not sandboxed)
    want = {k: v for k, v in PINNED[suite_id].items() if k in got}
    assert got == want


@pytest.mark.slow
@pytest.mark.parametrize("suite_id", [s for s in registered() if s.startswith(SANDBOXED)])
def test_sandboxed_grades_unchanged(suite_id: str) -> None:
    assert _fingerprint(suite_id, grades=True) == PINNED[suite_id]


def test_committed_runs_carry_pinned_versions() -> None:
    by_stored_id = {str(p["id"]): p for p in PINNED.values()}
    runs = sorted(SITE_DATA.glob("runs/*/*/*/run.json"))
    assert runs, "the committed board has runs"
    for path in runs:
        suite = json.loads(path.read_text(encoding="utf-8"))["suite"]
        pin = by_stored_id[suite["id"]]
        assert suite["template_sha"] == pin["template_sha"], path
        assert suite["fewshot_ids"] == pin["fewshot_ids"], path
        assert suite["version"] == pin["version"] or (suite["id"], suite["version"]) in OLDER, path
