"""``podium import samples --suite humaneval``: human-eval / EvalPlus samples graded in Podium's sandbox.

Canonical solutions are read from the benchmark data directory at test time (never committed)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from evals.imports.samples import import_samples
from evals.store import read_run
from tests.conftest import podium


def humaneval_rows(data_dir: Path) -> list[dict[str, str]]:
    with gzip.open(data_dir / "humaneval" / "HumanEval.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.slow
def test_canonical_solutions_pass_every_problem(data_dir: Path, tmp_path: Path) -> None:
    rows = humaneval_rows(data_dir)
    f = write(tmp_path / "canonical.jsonl", [{"task_id": r["task_id"], "completion": r["canonical_solution"]}
                                             for r in rows])
    run, samples = import_samples(f, "humaneval", data_dir, "smollm2-135m-instruct", "test")
    assert run.n_items == 164 and len(samples) == 164
    main = run.main()
    assert main is not None and main.k == 1 and main.value == 1.0
    assert run.imported is not None and not run.imported.prompt_rebuildable


@pytest.mark.slow
def test_evalplus_solutions_and_wrong_completions(data_dir: Path, tmp_path: Path, site_data: Path) -> None:
    rows = humaneval_rows(data_dir)[:8]
    good = write(tmp_path / "solutions.jsonl", [{"task_id": r["task_id"], "solution": r["prompt"] +
                                                 r["canonical_solution"]} for r in rows for _ in range(2)])
    bad = write(tmp_path / "wrong.jsonl", [{"task_id": r["task_id"], "completion": "    return None\n"}
                                           for r in rows])
    r = podium("import", "samples", str(good), "--suite", "humaneval", "--model", "smollm2-135m-instruct",
               "--site-data", str(site_data), "--data-dir", str(data_dir))
    assert r.returncode == 0, r.stderr
    assert "(pass@1 1.0000)" in r.stdout
    r = podium("import", "samples", str(bad), "--suite", "humaneval", "--model", "smollm2-135m-instruct",
               "--site-data", str(site_data), "--data-dir", str(data_dir))
    assert r.returncode == 0, r.stderr
    runs = {read_run(p).sampling.n: read_run(p) for p in site_data.glob("runs/*/humaneval/*/run.json")}
    assert [m.value for m in runs[2].metrics if m.k == 2] == [1.0]  # pass@2 from 2 samples per problem
    main = runs[1].main()
    assert main is not None and main.value == 0.0
    v = podium("validate", str(site_data), "--data-dir", str(data_dir))
    assert v.returncode == 0, v.stderr + v.stdout


def test_unknown_task_id_is_one_line_error(data_dir: Path, tmp_path: Path, site_data: Path) -> None:
    f = write(tmp_path / "x.jsonl", [{"task_id": "HumanEval/999", "completion": "pass"}])
    r = podium("import", "samples", str(f), "--model", "smollm2-135m-instruct", "--site-data", str(site_data),
               "--data-dir", str(data_dir))
    assert r.returncode != 0 and "unknown task_id" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(("body", "message"), [(b"\xff\xfe garbage\n", "not UTF-8 (byte 0xff"),
                                               (b'{"task_id": "HumanEval/0"}\n', "no field 'solution'"),
                                               (b"[1]\n", "not a JSON object"), (b"{oops\n", "not a samples row")])
def test_a_broken_samples_file_is_one_line_naming_it(body: bytes, message: str, data_dir: Path, tmp_path: Path,
                                                     site_data: Path) -> None:
    f = tmp_path / "broken.jsonl"
    f.write_bytes(body)
    r = podium("import", "samples", str(f), "--model", "smollm2-135m-instruct", "--site-data", str(site_data),
               "--data-dir", str(data_dir))
    assert r.returncode != 0 and "Traceback" not in r.stderr and message in r.stderr and str(f) in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not list(site_data.glob("runs/*/*/*/run.json"))
