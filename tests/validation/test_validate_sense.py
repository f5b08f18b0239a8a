"""`podium validate` checks sense, not just form (issue 21, item 8): single-fault copies of the committed data —
each rejected with a line naming the file (and line) that says what is wrong and the fix; the committed tree still
validates; a small gzip that inflates to one huge line is rejected in well under a second."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from evals.validation import validate_tree
from tests.conftest import podium
from tests.support.servers import REPO
from tests.validation.sense_faults import FAULTS, Picked, bomb_bytes, copy_tree, pick_runs, where_of


@pytest.fixture(scope="module")
def picked() -> Picked:
    return pick_runs()


def _rejected(root: Path, fault: str, picked: Picked) -> list[str]:
    f = FAULTS[fault]
    where = where_of(f, root, picked)
    if where is None:
        pytest.skip("no committed scenario run")
    f.apply(root, picked)
    problems, _ = validate_tree(root)  # the benchmark data is not needed to find any of these
    texts = [p.text() for p in problems]
    hits = [t for t in texts if t.startswith(where) and f.what in t]
    assert hits, f"{fault}: expected a problem at {where} mentioning {f.what!r}; got {texts}"
    assert all(" — " in t and "\n" not in t and len(t) < 2000 for t in texts), texts
    return hits


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_is_rejected_naming_the_file(tmp_path: Path, picked: Picked, fault: str) -> None:
    _rejected(copy_tree(tmp_path, picked), fault, picked)


def test_untouched_copy_passes(tmp_path: Path, picked: Picked, data_dir: Path) -> None:
    problems, counts = validate_tree(copy_tree(tmp_path, picked), data_dir=data_dir)
    assert [p.text() for p in problems] == []
    assert counts["runs"] == 3 - (picked.scen is None)


def test_gzip_bomb_rejected_fast(tmp_path: Path, picked: Picked) -> None:
    """A ~100 KB samples.jsonl.gz that inflates to one 100 MB line: rejected at the line cap, not after inflating."""
    root = copy_tree(tmp_path, picked)
    data = bomb_bytes()
    assert len(data) < 200_000
    (root / picked.gen / "samples.jsonl.gz").write_bytes(data)
    t0 = time.perf_counter()
    problems, _ = validate_tree(root)
    seconds = time.perf_counter() - t0
    assert any("samples.jsonl.gz" in p.file and "line 1" in p.what for p in problems), problems
    assert seconds < 1.0, f"took {seconds:.2f} s"


def test_unknown_suite_names_the_file_through_the_cli(tmp_path: Path, picked: Picked) -> None:
    root = copy_tree(tmp_path, picked)
    FAULTS["unknown suite id"].apply(root, picked)
    r = podium("validate", str(root))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if "unknown suite" in ln]
    assert lines and all(ln.startswith(f"error: {root}/runs/") and "run.json" in ln for ln in lines), r.stderr
    assert "error: --suite" not in r.stderr


@pytest.mark.slow
def test_committed_site_data_validates(data_dir: Path) -> None:
    r = podium("validate", str(REPO / "site_data"), "--data-dir", str(data_dir))
    assert r.returncode == 0 and r.stdout.startswith("ok:"), r.stderr[-4000:]
