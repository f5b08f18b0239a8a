"""`podium validate` derives again what a run derives from its suite and selection (issue 21): the split's chance
and majority baselines, the response bias of its picks and its item ids (a random subset's seed, a shard) — on
copies of committed full runs and of a random-subset run the embedded model makes here (the board keeps no subset
once a suite's full run is in), each single fault is rejected naming run.json; the untouched copies pass."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from evals.validation import validate_tree
from tests.conftest import copy_site_data, podium
from tests.support.servers import REPO

COMMITTED = REPO / "site_data"
Json = dict[str, Any]


def _full(suite: str) -> Path:
    """The committed full run of ``suite`` (the first in path order)."""
    for run_json in sorted(COMMITTED.glob(f"runs/*/{suite}/*/run.json")):
        raw = json.loads(run_json.read_text(encoding="utf-8"))
        if raw["suite"]["selection"]["kind"] == "full" and raw.get("shard") is None:
            return run_json.parent
    raise AssertionError(f"no committed full {suite} run in {COMMITTED}")


@pytest.fixture(scope="module")
def subset_run(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A real random-subset run (HellaSwag, 6 items stratified by source, seed 3) by the embedded model."""
    root = copy_site_data(tmp_path_factory.mktemp("subset"))
    done = podium("run", "--model", "smollm2-135m-instruct", "--backend", "embedded", "--threads", "1",
                  "--suite", "hellaswag", "--subset", "6", "--subset-seed", "3", "--site-data", str(root),
                  "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr[-2000:]
    (run,) = root.glob("runs/*/hellaswag/*/run.json")
    return run.parent


def _run(kind: str, suite: str, request: pytest.FixtureRequest) -> Path:
    if kind == "subset":
        return request.getfixturevalue("subset_run")  # type: ignore[no-any-return]
    return _full(suite)


def _copy(tmp: Path, run: Path) -> tuple[Path, Path]:
    root = copy_site_data(tmp)
    dest = root / "runs" / Path(*run.parts[-3:])  # runs/<model>/<suite>/<run id>
    shutil.copytree(run, dest)
    return root, dest


def _edit(run_dir: Path, fn: Callable[[Json], None]) -> None:
    path = run_dir / "run.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    fn(raw)
    path.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")


def _set(*keys: str, value: object) -> Callable[[Json], None]:
    def fn(raw: Json) -> None:
        node = raw
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return fn


FAULTS: dict[str, tuple[str, str, Callable[[Json], None], str]] = {
    # name: (suite, selection kind, edit, what the problem says)
    "chance": ("boolq", "full", _set("suite", "chance", value=0.25), "suite.chance is 0.25"),
    "majority": ("boolq", "full", _set("suite", "majority", value=0.5), "suite.majority is 0.5"),
    "majority_label": ("boolq", "full", _set("suite", "majority_label", value="no"), "suite.majority_label"),
    "bias_share": ("boolq", "full", _set("response_bias", "share", value=0.5), "response_bias is"),
    "bias_dropped": ("boolq", "full", _set("response_bias", value=None), "response_bias is None"),
    "subset_seed": ("hellaswag", "subset", _set("suite", "selection", "seed", value=7),
                    "not the items of its selection"),
    "subset_n": ("hellaswag", "subset", _set("suite", "selection", "n", value=5), "not the items of its selection"),
}
SLOW = pytest.mark.slow  # a subset run is made by the embedded model


@pytest.mark.parametrize("fault", [pytest.param(f, marks=SLOW) if FAULTS[f][1] == "subset" else f for f in FAULTS])
def test_derived_fault_rejected(tmp_path: Path, data_dir: Path, fault: str, request: pytest.FixtureRequest) -> None:
    suite, kind, edit, what = FAULTS[fault]
    run = _run(kind, suite, request)
    root, dest = _copy(tmp_path, run)
    _edit(dest, edit)
    problems, _ = validate_tree(root, data_dir=data_dir)
    texts = [p.text() for p in problems]
    assert any(str(dest / "run.json") in t and what in t for t in texts), texts


@pytest.mark.parametrize(("suite", "kind"), [("boolq", "full"), pytest.param("hellaswag", "subset", marks=SLOW)])
def test_untouched_copy_passes(tmp_path: Path, data_dir: Path, suite: str, kind: str,
                               request: pytest.FixtureRequest) -> None:
    run = _run(kind, suite, request)
    root, _ = _copy(tmp_path, run)
    problems, counts = validate_tree(root, data_dir=data_dir)
    assert [p.text() for p in problems] == [] and counts["runs"] == 1
