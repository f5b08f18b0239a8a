"""``podium validate --base``: what a change does to the leaderboard (new rows, changed scores, rank moves)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from evals.validation.diff import diff_trees, report
from tests.conftest import podium

FAKE = ("--backend", "fake", "--suite", "gsm8k")


def fake_run(site_data: Path, model: str, limit: int, data_dir: Path) -> None:
    """A fake-backend run, then passed off as a real one: synthetic runs are never on the board (nor in the diff)
    and `podium validate` rejects them — the diff needs rows."""
    before = set(site_data.glob("runs/*/*/*/run.json"))
    r = podium("run", *FAKE, "--model", model, "--limit", str(limit), "--site-data", str(site_data), "--data-dir",
               str(data_dir), "--no-cache")
    assert r.returncode == 0, r.stderr
    (path,) = set(site_data.glob("runs/*/*/*/run.json")) - before
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["synthetic"] is True and raw["backend"]["name"] == "fake"
    raw["synthetic"], raw["backend"]["name"] = False, "embedded"
    path.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")


def test_diff_lists_new_rows_changed_scores_and_rank_moves(site_data: Path, tmp_path: Path,
                                                           data_dir: Path) -> None:
    fake_run(site_data, "smollm2-135m-instruct", 2, data_dir)
    base = tmp_path / "base"
    shutil.copytree(site_data, base)
    assert report(diff_trees(base, site_data)) == ["leaderboard: no change to the rows shown"]
    fake_run(site_data, "gpt-4o", 3, data_dir)  # a new row
    fake_run(site_data, "smollm2-135m-instruct", 6, data_dir)  # covers more items: replaces the shown run
    changes = diff_trees(base, site_data)
    kinds = {(c.kind, c.model) for c in changes}
    assert ("new", "gpt-4o") in kinds
    assert ("changed", "smollm2-135m-instruct") in kinds
    changed = next(c for c in changes if c.kind == "changed")
    assert "n=2" in changed.what and "n=6" in changed.what
    r = podium("validate", str(site_data), "--base", str(base), "--data-dir", str(data_dir))
    assert r.returncode == 0, r.stderr
    assert "leaderboard:" in r.stdout and "new      gsm8k / gpt-4o" in r.stdout
    removed = diff_trees(site_data, base)
    assert ("removed", "gpt-4o") in {(c.kind, c.model) for c in removed}


def test_synthetic_runs_are_not_rows_and_are_rejected(site_data: Path, tmp_path: Path, data_dir: Path) -> None:
    base = tmp_path / "base"
    shutil.copytree(site_data, base)
    r = podium("run", *FAKE, "--model", "gpt-4o", "--limit", "3", "--site-data", str(site_data), "--data-dir",
               str(data_dir), "--no-cache")
    assert r.returncode == 0, r.stderr
    assert diff_trees(base, site_data) == []
    v = podium("validate", str(site_data), "--data-dir", str(data_dir))
    assert v.returncode == 1 and "Traceback" not in v.stderr
    (line,) = [ln for ln in v.stderr.splitlines() if ln.startswith("error: ")]
    assert "/runs/gpt-4o/gsm8k/" in line and "run.json:" in line and "synthetic data never goes on the board" in line


def test_rank_moves(tmp_path: Path) -> None:
    from evals.validation.diff import Row, ranks

    rows = {("s", "a"): Row("a", "s", "acc", 0.5, 0.4, 0.6, 10, "r1"),
            ("s", "b"): Row("b", "s", "acc", 0.7, 0.6, 0.8, 10, "r2")}
    assert ranks(rows) == {("s", "a"): 2, ("s", "b"): 1}
