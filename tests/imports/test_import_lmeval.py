"""``podium import lm-eval`` on a real lm-evaluation-harness 0.4.13 output (tests/fixtures/lmeval/, produced by
tools/make_lmeval_fixture.py against the embedded model's llama.cpp server, benchmark text stripped)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.imports.lmeval import import_results, item_id, suite_for_task
from evals.imports.lmeval_files import read_results
from evals.records import NumericDetail
from evals.store import read_run, read_samples
from tests.conftest import podium
from tests.support.servers import REPO

FIXTURE = REPO / "tests" / "fixtures" / "lmeval"
FILTERS = {"strict-match": "strict", "flexible-extract": "flexible"}


def results_file() -> Path:
    (path,) = sorted(FIXTURE.glob("results_*.json"))
    return path


def test_task_names_map_to_suites_and_item_ids() -> None:
    assert suite_for_task("gsm8k_cot_local") == "gsm8k"
    assert suite_for_task("parity_hellaswag") == "hellaswag"
    assert suite_for_task("mmlu_college_biology") == "mmlu"
    assert item_id("gsm8k", "gsm8k_cot", 7) == "gsm8k/test/0007"
    assert item_id("mmlu", "parity_mmlu_anatomy", 3) == "mmlu/anatomy/0003"
    assert item_id("hellaswag", "hellaswag", 12) == "hellaswag/val/00012"
    assert item_id("boolq", "boolq", 5) == "boolq/dev/0005"
    assert item_id("winogrande", "winogrande", 5) == "winogrande/dev/0005"


def test_imported_metrics_and_extractions_equal_lm_eval(data_dir: Path) -> None:
    parsed = read_results(results_file())
    (imp,) = import_results(parsed, data_dir, "smollm2-135m-instruct", "podium import lm-eval x")
    assert imp.disagreements == []
    (task,) = parsed.tasks
    for filt, variant in FILTERS.items():
        ours = next(m for m in imp.run.metrics if m.variant == variant and m.group is None)
        assert abs(ours.value - task.results[f"exact_match,{filt}"]) <= 1e-9
        assert ours.n == len({r.doc_id for r in task.rows})
    by_id = {s.item_id: s for s in imp.samples}
    for row in task.rows:  # every lm-eval filtered answer is Podium's extraction of the same output
        detail = by_id[f"gsm8k/test/{row.doc_id:04d}"].outputs[0].detail
        assert isinstance(detail, NumericDetail)
        assert getattr(detail, FILTERS[row.filter]) == row.filtered_resps[0]
        assert by_id[f"gsm8k/test/{row.doc_id:04d}"].scores[FILTERS[row.filter]] == row.metrics["exact_match"]
    rec = imp.run.imported
    assert rec is not None and rec.harness_version == "0.4.13" and rec.task == "gsm8k_cot_local"
    assert rec.prompt_rebuildable and rec.prompts_matching == 3  # lm-eval's gsm8k_cot prompt == Podium's
    assert all(s.prompt is None for s in imp.samples)  # no prompt text: hashes only


def test_cli_import_validates_and_builds(site_data: Path, tmp_path: Path, data_dir: Path) -> None:
    r = podium("import", "lm-eval", str(results_file()), "--samples", str(FIXTURE), "--model",
               "smollm2-135m-instruct", "--site-data", str(site_data), "--data-dir", str(data_dir))
    assert r.returncode == 0, r.stderr
    assert "prompts rebuildable: 3/3" in r.stdout
    (run_json,) = site_data.glob("runs/smollm2-135m-instruct/gsm8k/*/run.json")
    run = read_run(run_json)
    assert run.imported is not None and run.backend.engine == "lm-evaluation-harness 0.4.13"
    assert len(read_samples(run_json.parent / "samples.jsonl.gz")) == 3
    v = podium("validate", str(site_data), "--data-dir", str(data_dir))
    assert v.returncode == 0, v.stderr + v.stdout
    b = podium("build", "--site-data", str(site_data), "--site", str(tmp_path / "site"), "--data-dir", str(data_dir),
               timeout=900)
    assert b.returncode == 0, b.stderr
    assert (tmp_path / "site" / "index.html").is_file()


def test_tampered_import_fails_validation(site_data: Path, data_dir: Path) -> None:
    r = podium("import", "lm-eval", str(results_file()), "--model", "smollm2-135m-instruct", "--site-data",
               str(site_data), "--data-dir", str(data_dir))
    assert r.returncode == 0, r.stderr
    (run_json,) = site_data.glob("runs/*/gsm8k/*/run.json")
    raw = json.loads(run_json.read_text())
    raw["metrics"][0]["value"] = 0.5
    run_json.write_text(json.dumps(raw, indent=1))
    v = podium("validate", str(site_data), "--data-dir", str(data_dir))
    assert v.returncode == 1


def test_unknown_model_is_refused(site_data: Path) -> None:
    r = podium("import", "lm-eval", str(results_file()), "--model", "no-such-model", "--site-data", str(site_data))
    assert r.returncode != 0 and "Traceback" not in r.stderr


@pytest.mark.parametrize("name", ["doc", "arguments", "target"])
def test_fixture_has_no_benchmark_text_fields(name: str) -> None:
    for path in FIXTURE.glob("samples_*.jsonl"):
        for line in path.read_text().splitlines():
            assert name not in json.loads(line)


def test_multiple_choice_rows_are_regraded_from_loglikelihoods(data_dir: Path) -> None:
    """The multiple-choice path on rows shaped like lm-eval 0.4.13's (``resps``: one ``[[ll, is_greedy]]`` per
    choice, as strings). No real lm-eval MC output is committed: llama.cpp's server ignores ``echo``, so lm-eval's
    local-completions cannot score log-likelihoods against it. These rows are built here, not measured."""
    from evals.hashing import sha256_text
    from evals.imports.lmeval_files import LmEvalResults, LmEvalRow, LmEvalTask
    from evals.suites import get_suite
    from evals.suites.multiple_choice import MCItem

    suite = get_suite("hellaswag")
    items = suite.load(data_dir)[:3]
    rows = []
    for doc_id, item in enumerate(items):
        assert isinstance(item, MCItem)
        lls = [-10.0 - k for k in range(4)]  # choice 0 most likely by sum
        resps = tuple([[str(ll), "False"]] for ll in lls)
        acc = float(item.gold == 0)
        rows.append(LmEvalRow(doc_id=doc_id, filter="none", resps=resps, filtered_resps=resps,
                              metrics={"acc": acc}, prompt_hash=sha256_text(item.contexts[0]), doc_hash=""))
    task = LmEvalTask(name="hellaswag", config={"output_type": "multiple_choice"}, version="1.0", results={},
                      rows=tuple(rows), samples_sha256="0" * 64)
    results = LmEvalResults(path=Path("results_x.json"), sha256="0" * 64, harness_version="0.4.13",
                            model="local-completions", model_args="", model_arg_values={}, started=None,
                            wall_seconds=1.0, tasks=(task,))
    (imp,) = import_results(results, data_dir, "smollm2-135m-instruct", "test")
    assert [s.item_id for s in imp.samples] == ["hellaswag/val/00000", "hellaswag/val/00001", "hellaswag/val/00002"]
    assert imp.disagreements == []
    assert imp.run.imported is not None and imp.run.imported.prompt_rebuildable
    assert [s.prompt_sha256 for s in imp.samples] == [suite.prompt_sha256(it) for it in items]
    assert {m.name for m in imp.run.metrics} == {"acc", "acc_norm"}
    # prompts lm-eval built differently: hashes kept as lm-eval's, not rebuildable, not Podium's suite version
    import dataclasses

    other = dataclasses.replace(task, rows=tuple(dataclasses.replace(r, prompt_hash="f" * 64) for r in rows))
    (imp2,) = import_results(dataclasses.replace(results, tasks=(other,)), data_dir, "smollm2-135m-instruct", "t")
    assert imp2.run.imported is not None and not imp2.run.imported.prompt_rebuildable
    assert imp2.run.imported.prompts_matching == 0
    assert {s.prompt_sha256 for s in imp2.samples} == {"f" * 64}
    assert imp2.run.suite.version.startswith("lmeval-") and imp2.run.suite.version != imp.run.suite.version


def _hostile_copy(tmp_path: Path, edit_samples: object = None, edit_results: object = None) -> Path:
    out = tmp_path / "lm"
    out.mkdir()
    results = results_file()
    (samples,) = sorted(FIXTURE.glob("samples_*.jsonl"))
    data = samples.read_bytes()
    (out / samples.name).write_bytes(edit_samples(data) if callable(edit_samples) else data)
    text = results.read_text()
    (out / results.name).write_text(edit_results(text) if callable(edit_results) else text)
    return out / results.name


HOSTILE = {
    "a document twice (another's answer)": (lambda b: b.replace(b'"doc_id": 0', b'"doc_id": 1', 1), None,
                                           "doc_id 1 (filter strict-match) again, first on line"),
    "a line that is not JSON": (lambda b: b + b"{not json\n", None, "not a JSON line"),
    "not UTF-8": (lambda b: b.replace(b'"doc_id"', b'"\xff"', 1), None, "not UTF-8 (byte 0xff"),
    "no responses": (lambda b: b.replace(b'"resps": [[', b'"resps": [], "x": [[', 1), None,
                     "'resps' holds no response"),
    "a row that is a list": (lambda b: b"[1, 2]\n" + b, None, "not a JSON object"),
    "results not objects": (None, lambda t: t.replace('"results": {', '"results": {"x": 5, ', 1),
                            "'results' and 'configs' must map each task to an object"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_lm_eval_files_are_refused_in_one_line(case: str, tmp_path: Path, site_data: Path) -> None:
    """Edited or broken lm-eval outputs: nothing is written, and the one-line error names the file (and line)."""
    samples, results, message = HOSTILE[case]
    path = _hostile_copy(tmp_path, samples, results)
    r = podium("import", "lm-eval", str(path), "--model", "smollm2-135m-instruct", "--site-data", str(site_data))
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
    assert message in r.stderr and str(tmp_path / "lm") in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not list(site_data.glob("runs/*/*/*/run.json"))
