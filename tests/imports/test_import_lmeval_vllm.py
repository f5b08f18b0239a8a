"""``podium import lm-eval`` on REAL lm-evaluation-harness 0.4.13 outputs of HumanEval and the multiple-choice
tasks (hellaswag, boolq, winogrande, mmlu_anatomy, mmlu_high_school_geography; 12 documents each), made with
lm-eval's ``local-completions`` against vLLM's OpenAI server on CPU (SmolLM2-135M-Instruct, float32) by
``tools/make_lmeval_fixture.py --engine vllm`` and committed without benchmark text (tests/fixtures/lmeval_vllm/).

Every sample is re-graded by the Podium suite — the multiple-choice ones from lm-eval's per-choice
log-likelihoods, HumanEval's completions in Podium's sandbox — and the metrics must equal lm-eval's own."""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path

import pytest

from evals.errors import ConfigError, DataError
from evals.imports.lmeval import Imported, import_results, suite_for_task
from evals.imports.lmeval_files import LmEvalResults, read_results
from evals.records import CodeDetail
from evals.store import read_run
from tests.conftest import podium
from tests.support.servers import REPO

FIXTURE = REPO / "tests" / "fixtures" / "lmeval_vllm"
MODEL = "smollm2-135m-instruct"
# lm-eval's aggregate key → (Podium suite, metric label, group id or None)
EXPECTED = {
    "local_humaneval:pass@1,create_test": ("humaneval", "pass@1", None),
    "local_hellaswag:acc,none": ("hellaswag", "acc", None),
    "local_hellaswag:acc_norm,none": ("hellaswag", "acc_norm", None),
    "local_boolq:acc,none": ("boolq", "acc", None),
    "local_winogrande:acc,none": ("winogrande", "acc", None),
    "local_mmlu_anatomy:acc,none": ("mmlu", "acc", "anatomy"),
    "local_mmlu_high_school_geography:acc,none": ("mmlu", "acc", "high_school_geography"),
}


def results() -> LmEvalResults:
    (path,) = sorted(FIXTURE.glob("results_*.json"))
    return read_results(path)


@pytest.fixture(scope="module")
def imported(data_dir: Path) -> dict[str, Imported]:
    return {imp.run.suite.id: imp for imp in import_results(results(), data_dir, MODEL, "podium import lm-eval x")}


@pytest.mark.slow
def test_every_task_maps_to_its_suite_and_equals_lm_evals_metrics(imported: dict[str, Imported]) -> None:
    assert sorted(imported) == ["boolq", "hellaswag", "humaneval", "mmlu", "winogrande"]
    for key, (suite, label, group) in EXPECTED.items():
        imp = imported[suite]
        assert imp.disagreements == [], imp.disagreements  # every sample graded as lm-eval graded it
        ours = next(m for m in imp.run.metrics if m.label == label and (m.group.id if m.group else None) == group)
        assert abs(ours.value - imp.lm_eval_results[key]) <= 1e-9, key
        assert ours.n == 12 and ours.ci_low <= ours.value <= ours.ci_high
    mmlu = next(m for m in imported["mmlu"].run.metrics if m.group is None and m.aggregation == "micro")
    assert mmlu.n == 24 and mmlu.value == pytest.approx((imported["mmlu"].lm_eval_results[
        "local_mmlu_anatomy:acc,none"] + imported["mmlu"].lm_eval_results[
        "local_mmlu_high_school_geography:acc,none"]) / 2)


@pytest.mark.slow
def test_prompts_match_podiums_where_the_protocols_agree(imported: dict[str, Imported]) -> None:
    rebuilt = {sid: imp.run.imported.prompts_matching for sid, imp in imported.items() if imp.run.imported}
    # lm-eval's prompt_hash equals the sha256 of Podium's own prompt for HumanEval, HellaSwag, WinoGrande and
    # 5-shot MMLU; Podium's BoolQ passage starts with the article title ("title -- passage"), lm-eval's does not
    assert rebuilt == {"humaneval": 12, "hellaswag": 12, "winogrande": 12, "mmlu": 24, "boolq": 0}
    assert imported["boolq"].run.suite.version.startswith("lmeval-")
    assert not imported["mmlu"].run.suite.version.startswith("lmeval-")


@pytest.mark.slow
def test_humaneval_completions_ran_in_podiums_sandbox(imported: dict[str, Imported]) -> None:
    imp = imported["humaneval"]
    assert [s.item_id for s in imp.samples] == [f"HumanEval-{i}" for i in range(12)]
    for s in imp.samples:
        (out,) = s.outputs
        assert isinstance(out.detail, CodeDetail) and out.detail.verdict in {"passed", "failed", "error", "timeout"}
        assert s.scores["pass_rate"] == float(out.detail.verdict == "passed")
    assert imp.run.sampling.n == 1 and imp.run.sampling.max_tokens == 1024
    assert imp.run.backend.engine == "lm-evaluation-harness 0.4.13"


@pytest.mark.slow
def test_a_passing_completion_is_graded_by_podium_not_copied(data_dir: Path) -> None:
    """Doc 0's completion replaced (here, at test time) by HumanEval's canonical solution: Podium's sandbox
    passes it, lm-eval's logged 0 is reported as a disagreement, never copied."""
    with gzip.open(data_dir / "humaneval" / "HumanEval.jsonl.gz", "rt", encoding="utf-8") as fh:
        solution = json.loads(fh.readline())["canonical_solution"]
    parsed = results()
    task = next(t for t in parsed.tasks if t.name == "local_humaneval")
    rows = (dataclasses.replace(task.rows[0], resps=([solution],)), *task.rows[1:])
    swapped = dataclasses.replace(parsed, tasks=(dataclasses.replace(task, rows=rows),))
    (imp,) = import_results(swapped, data_dir, MODEL, "x")
    assert imp.samples[0].scores == {"pass_rate": 1.0}
    assert imp.disagreements == ["HumanEval-0: Podium {'pass_rate': 1.0}, lm-eval {'pass_rate': 0.0}"]


def test_mappings_that_cannot_be_made_say_task_field_and_fix(data_dir: Path) -> None:
    # lm-eval's own task names (the failing case: "humaneval has no Podium suite", then "humaneval/dev/0000")
    assert [suite_for_task(t) for t in ("humaneval", "humaneval_64", "mmlu_anatomy", "boolq")] == [
        "humaneval", "humaneval", "mmlu", "boolq"]
    with pytest.raises(ConfigError) as err:
        suite_for_task("humaneval_instruct")
    assert "task humaneval_instruct" in str(err.value) and "humaneval:chat" in str(err.value)
    with pytest.raises(ConfigError, match=r"task arc_easy: .*has no Podium suite — supported: .*pass --suite"):
        suite_for_task("arc_easy")
    parsed = results()
    humaneval = next(t for t in parsed.tasks if t.name == "local_humaneval")
    with pytest.raises(ConfigError) as err:  # a generative task imported as a multiple-choice suite
        import_results(dataclasses.replace(parsed, tasks=(humaneval,)), data_dir, MODEL, "x", suite_override="mmlu")
    assert "field configs.local_humaneval.output_type" in str(err.value) and "'generate_until'" in str(err.value)
    boolq = next(t for t in parsed.tasks if t.name == "local_boolq")
    late = dataclasses.replace(boolq, rows=(dataclasses.replace(boolq.rows[0], doc_id=99999),))
    with pytest.raises(DataError, match=r"task local_boolq, doc 99999: doc_id 99999 → boolq/dev/99999: no such item"):
        import_results(dataclasses.replace(parsed, tasks=(late,)), data_dir, MODEL, "x")
    winogrande = next(t for t in parsed.tasks if t.name == "local_winogrande")  # 2 choices, imported as HellaSwag's 4
    with pytest.raises(DataError, match=r"task local_winogrande, doc 0, field resps: 2 choices scored"):
        import_results(dataclasses.replace(parsed, tasks=(winogrande,)), data_dir, MODEL, "x",
                       suite_override="hellaswag")


def test_fixture_holds_no_benchmark_text(data_dir: Path) -> None:
    rows = [json.loads(x) for p in FIXTURE.glob("samples_*.jsonl") for x in p.read_text().splitlines()]
    assert len(rows) == 72 and not any({"doc", "arguments", "target"} & set(r) for r in rows)
    assert not any("filtered_resps" in r for r in rows if r["filter"] == "create_test")  # lm-eval prepends the prompt
    with gzip.open(data_dir / "humaneval" / "HumanEval.jsonl.gz", "rt", encoding="utf-8") as fh:
        prompts = [json.loads(x)["prompt"] for x in fh][:12]
    text = "".join(p.read_text() for p in FIXTURE.iterdir())
    assert not any(p.strip()[:60] in text for p in prompts)


@pytest.mark.slow
def test_cli_import_writes_valid_runs(site_data: Path, data_dir: Path) -> None:
    (path,) = sorted(FIXTURE.glob("results_*.json"))
    r = podium("import", "lm-eval", str(path), "--model", MODEL, "--site-data", str(site_data), "--data-dir", str(data_dir))
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("imported ") == 5 and "differs" not in r.stderr
    runs = sorted(site_data.glob("runs/*/*/*/run.json"))
    assert sorted(read_run(p).suite.id for p in runs) == ["boolq", "hellaswag", "humaneval", "mmlu", "winogrande"]
    v = podium("validate", str(site_data), "--data-dir", str(data_dir))
    assert v.returncode == 0, v.stderr + v.stdout
    bad = podium("import", "lm-eval", str(path), "--model", MODEL, "--suite", "gsm8k", "--site-data", str(site_data))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
