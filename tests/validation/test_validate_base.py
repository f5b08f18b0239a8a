"""``podium validate --base``: a pull request's new and changed runs (by content hash against the base tree) are
checked deeply, the others by the cheap checks; ``--deep`` checks everything. On copies of the committed
site_data, with the real CLI; the deep checks re-grade against the benchmark data (skipped where it is absent)."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import pytest

from evals.validation.delta import delta
from tests.conftest import podium
from tests.support.servers import REPO

RUN = "runs/gemma-3-270m/winogrande"  # a small multiple-choice run of the suite version this Podium builds


def _run_dir(tree: Path) -> Path:
    (d,) = (tree / RUN).iterdir()
    return d


def _n_runs() -> int:
    return len(list((REPO / "site_data").glob("runs/*/*/*/run.json")))


@pytest.fixture()
def trees(tmp_path: Path) -> tuple[Path, Path]:
    """(base, pr): two full copies of the committed site_data."""
    base, pr = tmp_path / "base" / "site_data", tmp_path / "pr" / "site_data"
    shutil.copytree(REPO / "site_data", base)
    shutil.copytree(REPO / "site_data", pr)
    return base, pr


def _corrupt(run_dir: Path, line: int) -> str:
    """Flip the score of sample ``line`` (item and output alike, so only a re-grade can tell) and re-gzip; its id."""
    path = run_dir / "samples.jsonl.gz"
    rows = gzip.decompress(path.read_bytes()).decode().splitlines()
    rec = json.loads(rows[line - 1])
    flipped = 1.0 - rec["scores"]["acc"]
    rec["scores"]["acc"] = rec["outputs"][0]["scores"]["acc"] = flipped
    rows[line - 1] = json.dumps(rec, separators=(",", ":"))
    path.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode(), mtime=0))
    return str(rec["item_id"])


def _validate(pr: Path, base: Path, data_dir: Path, *extra: str) -> tuple[int, str, str]:
    r = podium("validate", str(pr), "--base", str(base), "--data-dir", str(data_dir), *extra)
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, r.stdout, r.stderr


def _summary(text: str) -> tuple[int, int]:
    m = re.search(r"(\d+) deep, (\d+) unchanged by hash", text)
    assert m, text
    return int(m[1]), int(m[2])


def test_a_pr_adding_one_run_checks_only_that_run_deeply(trees: tuple[Path, Path], data_dir: Path) -> None:
    base, pr = trees
    shutil.rmtree(base / RUN)
    rc, out, err = _validate(pr, base, data_dir)
    assert rc == 0, err
    assert _summary(out) == (1, _n_runs() - 1)
    assert "1 new, 0 changed, 0 removed against the base" in out
    assert "new      winogrande / gemma-3-270m" in out  # the leaderboard diff is still printed


def test_a_corrupted_new_run_is_rejected_at_its_file_and_line(trees: tuple[Path, Path], data_dir: Path) -> None:
    base, pr = trees
    shutil.rmtree(base / RUN)
    item = _corrupt(_run_dir(pr), 3)
    rc, _, err = _validate(pr, base, data_dir)
    assert rc == 1
    samples = _run_dir(pr) / "samples.jsonl.gz"
    assert f"{samples}:3: scores of {item}" in err and "re-graded" in err
    assert _summary(err) == (1, _n_runs() - 1)


def test_a_corrupted_run_the_pr_claims_unchanged_is_caught_by_its_hash(trees: tuple[Path, Path],
                                                                        data_dir: Path) -> None:
    """Same folder, same run.json (same run id), samples edited and re-gzipped: its hash differs from the base
    copy's, so it is a changed run and re-graded — the edit is named at its line."""
    base, pr = trees
    run_json = (_run_dir(pr) / "run.json").read_bytes()
    item = _corrupt(_run_dir(pr), 5)
    assert (_run_dir(pr) / "run.json").read_bytes() == run_json
    rc, _, err = _validate(pr, base, data_dir)
    assert rc == 1
    assert f"{_run_dir(pr) / 'samples.jsonl.gz'}:5: scores of {item}" in err
    assert "0 new, 1 changed, 0 removed against the base" in err
    assert _summary(err) == (1, _n_runs() - 1)


def test_deep_checks_runs_equal_to_the_base_too(trees: tuple[Path, Path], data_dir: Path) -> None:
    """A corruption already in the base (same bytes both sides) passes a PR validation — hash-equal runs were
    validated when merged — and is caught by --deep, the scheduled full validation."""
    base, pr = trees
    _corrupt(_run_dir(base), 2)
    shutil.copyfile(_run_dir(base) / "samples.jsonl.gz", _run_dir(pr) / "samples.jsonl.gz")
    rc, out, err = _validate(pr, base, data_dir)
    assert rc == 0, err
    assert _summary(out) == (0, _n_runs())
    rc, _, err = _validate(pr, base, data_dir, "--deep")
    assert rc == 1 and f"{_run_dir(pr) / 'samples.jsonl.gz'}:2: scores of" in err
    assert _summary(err) == (_n_runs(), 0)


def test_delta_by_content_hash(trees: tuple[Path, Path]) -> None:
    """Re-compressing the same samples is a change (bytes, not meaning); a stray file makes a run changed; runs only
    the base has are removed; a missing base directory is an error line, not a traceback."""
    base, pr = trees
    d = _run_dir(pr)
    samples = d / "samples.jsonl.gz"
    samples.write_bytes(gzip.compress(gzip.decompress(samples.read_bytes()), compresslevel=1, mtime=0))
    other = next(p for p in (pr / "runs").glob("*/*/*") if p.parent.name != "winogrande")
    (other / "notes.txt").write_text("x", encoding="utf-8")
    gone = next(p for p in (pr / "runs").glob("*/*/*") if p not in (d, other))
    shutil.rmtree(gone)
    change = delta(pr, base)
    rel = {p.relative_to(pr) for p in (d, other)}
    assert change.changed == rel and change.new == frozenset()
    assert change.removed == {gone.relative_to(pr)}
    assert len(change.unchanged) == _n_runs() - 3
    r = podium("validate", str(pr), "--base", str(base.parent / "nowhere"))
    assert r.returncode != 0 and "Traceback" not in r.stderr and "nowhere" in r.stderr
