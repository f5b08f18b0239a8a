"""Parity with lm-eval over each suite's strata, not its head (issue 21 item 9, issue 24's ARC-Challenge).

REAL lm-evaluation-harness 0.4.13 outputs (``local-completions`` against vLLM's OpenAI server on CPU,
SmolLM2-135M-Instruct, float32) on documents chosen ACROSS strata with lm-eval's ``--samples`` by
``tools/make_lmeval_fixture.py --engine vllm --strata`` (tests/fixtures/lmeval_strata/, no benchmark text):
HellaSwag's ActivityNet and WikiHow rows (indomain and zeroshot; row 3269 included), one MMLU subject of each of
lm-eval's 4 categories (5-shot), both BoolQ labels, WinoGrande across its file, and 100 ARC-Challenge questions
(all 3- and 5-choice ones). ``strata.json`` names the documents of each stratum; ``picks.json`` holds lm-eval's
own picks per document (argmax of its log-likelihoods, and of log-likelihood per ``len(choice)`` with the
lengths lm-eval measured), each checked against lm-eval's logged acc / acc_norm when the fixture was made.

Every item is imported with ``podium import lm-eval`` and Podium's picks (acc, acc_norm), per-item scores, the
acc_norm lengths and the prompt are compared with lm-eval's item by item; a difference names its stratum.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from evals.backends.base import Loglikelihood
from evals.errors import ConfigError
from evals.hashing import sha256_text
from evals.imports.lmeval import item_id, suite_for_task
from evals.records import ChoiceDetail, RunRecord, SampleRecord
from evals.store import read_run, read_samples
from evals.suites import SUITES, get_suite
from evals.suites.multiple_choice import MCItem
from evals.suites.requests import LogLikelihood
from tests.conftest import copy_site_data, podium
from tests.support.servers import REPO

pytestmark = pytest.mark.slow  # subprocess CLI imports, the whole benchmark files loaded

FIXTURE = REPO / "tests" / "fixtures" / "lmeval_strata"
MODEL = "smollm2-135m-instruct"
STRATA: dict[str, Any] = json.loads((FIXTURE / "strata.json").read_text())
PICKS: dict[str, dict[str, dict[str, Any]]] = json.loads((FIXTURE / "picks.json").read_text())
ARC = "local_arc_challenge"
# lm-eval's prompt is Podium's for every task but BoolQ (Podium's passage starts with the article title)
PROMPT_DIFFERS = {"local_boolq"}


@dataclass(frozen=True)
class Doc:
    task: str
    stratum: str
    doc_id: int
    row: dict[str, Any]  # lm-eval's stripped samples row

    @property
    def where(self) -> str:
        return f"{self.task} [{self.stratum}] doc {self.doc_id}"


def docs(results: str) -> Iterator[Doc]:
    """Every document of one results file (``mc`` or ``arc``) with its stratum and lm-eval's row."""
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for path in (FIXTURE / results).glob("samples_*.jsonl"):
        task = path.name.removeprefix("samples_").rsplit("_", 1)[0]
        rows |= {(task, r["doc_id"]): r for r in map(json.loads, path.read_text().splitlines())}
    for task, spec in STRATA["tasks"].items():
        if spec["results"] == results:
            for stratum, ids in spec["strata"].items():
                for i in ids:
                    yield Doc(task, stratum, i, rows[(task, i)])


def lm_lls(row: dict[str, Any]) -> list[float]:
    return [float((r[0] if isinstance(r[0], list) else r)[0]) for r in row["resps"]]


def differences(doc: Doc, sample: SampleRecord, item: MCItem) -> list[str]:
    """Podium's graded sample against lm-eval's row and picks: [] when they agree on everything."""
    theirs, out = PICKS[doc.task][str(doc.doc_id)], []
    detail = sample.outputs[0].detail
    assert isinstance(detail, ChoiceDetail), doc.where
    if detail.loglikelihoods != lm_lls(doc.row):
        out.append(f"log-likelihoods Podium {detail.loglikelihoods} vs lm-eval {lm_lls(doc.row)}")
    if detail.picked != theirs["pick"]:
        out.append(f"acc pick Podium {detail.picked} vs lm-eval {theirs['pick']}")
    if "pick_norm" in theirs:
        ours_len = [len(c) for c in item.choices]
        if ours_len != theirs["choice_chars"]:
            out.append(f"acc_norm lengths Podium {ours_len} vs lm-eval {theirs['choice_chars']}")
        if detail.picked_norm != theirs["pick_norm"]:
            out.append(f"acc_norm pick Podium {detail.picked_norm} vs lm-eval {theirs['pick_norm']}")
    for metric in ("acc", "acc_norm"):
        if metric in doc.row and sample.scores.get(metric) != doc.row[metric]:
            out.append(f"{metric} Podium {sample.scores.get(metric)} vs lm-eval {doc.row[metric]}")
    if doc.task not in PROMPT_DIFFERS and sha256_text(item.contexts[0]) != doc.row["prompt_hash"]:
        out.append("prompt differs from lm-eval's (sha256 of the first context)")
    return [f"{doc.where} ({item.id}): {d}" for d in out]


def agreement(results: str, samples: dict[str, SampleRecord], items: dict[str, MCItem],
              ids: dict[str, str]) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """Per stratum (task [stratum]): (items agreeing, items), and every difference."""
    counts: dict[str, tuple[int, int]] = {}
    diffs: list[str] = []
    for doc in docs(results):
        iid = ids[f"{doc.task}/{doc.doc_id}"]
        found = differences(doc, samples[iid], items[iid])
        key = f"{doc.task} [{doc.stratum}]"
        ok, n = counts.get(key, (0, 0))
        counts[key] = (ok + (not found), n + 1)
        diffs += found
    return counts, diffs


def imported(results: str, tmp: Path, data_dir: Path) -> tuple[list[RunRecord], dict[str, SampleRecord], str]:
    """The runs and samples ``podium import lm-eval`` writes, and what it printed on stderr."""
    (path,) = sorted((FIXTURE / results).glob("results_*.json"))
    site = copy_site_data(tmp)
    # --no-strict: every difference is reported below item by item, with its stratum
    r = podium("import", "lm-eval", str(path), "--model", MODEL, "--site-data", str(site), "--data-dir", str(data_dir),
               "--no-strict")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    runs = [read_run(p) for p in sorted(site.glob("runs/*/*/*/run.json"))]
    samples = {s.item_id: s for p in site.glob("runs/*/*/*/samples.jsonl.gz") for s in read_samples(p)}
    return runs, samples, r.stderr


def mc_items(data_dir: Path, suite_id: str) -> dict[str, MCItem]:
    return {it.id: it for it in get_suite(suite_id).load(data_dir) if isinstance(it, MCItem)}


def lm_mean(task: str, metric: str, stratum: str | None = None) -> float:
    vals = [d.row[metric] for d in docs(STRATA["tasks"][task]["results"])
            if d.task == task and (stratum is None or d.stratum == stratum)]
    return float(sum(vals) / len(vals))


def test_strata_cover_the_suites_beyond_their_head() -> None:
    tasks = STRATA["tasks"]
    hs = tasks["local_hellaswag"]["strata"]
    assert sorted(hs) == ["activitynet/indomain", "activitynet/zeroshot", "wikihow/indomain", "wikihow/zeroshot"]
    assert 3269 in hs["wikihow/zeroshot"] and min(hs["wikihow/indomain"] + hs["wikihow/zeroshot"]) >= 3243
    assert sorted(s.split("/")[0] for t, v in tasks.items() if "mmlu" in t for s in v["strata"]) == [
        "humanities", "other", "social_sciences", "stem"]
    assert sorted(tasks["local_boolq"]["strata"]) == ["gold no", "gold yes"]
    arc = tasks[ARC]["strata"]
    assert sum(map(len, arc.values())) == 100 and len(arc["3 choices"]) == 4 and len(arc["5 choices"]) == 3
    assert max(arc["4 choices"]) > 1100 and max(tasks["local_winogrande"]["strata"]["whole file (12 blocks)"]) > 1200
    # every document lm-eval scored is in a stratum, and every stratum's documents were scored
    for results in ("mc", "arc"):
        logged = {(p.name.removeprefix("samples_").rsplit("_", 1)[0], json.loads(x)["doc_id"])
                  for p in (FIXTURE / results).glob("samples_*.jsonl") for x in p.read_text().splitlines()}
        assert logged == {(d.task, d.doc_id) for d in docs(results)}


def test_fixture_holds_no_benchmark_text() -> None:
    rows = [json.loads(x) for p in FIXTURE.rglob("samples_*.jsonl") for x in p.read_text().splitlines()]
    assert len(rows) == 181 and not any({"doc", "arguments", "target"} & set(r) for r in rows)
    for path in FIXTURE.rglob("results_*.json"):
        configs = json.loads(path.read_text())["configs"]
        assert all(c.get("stripped_for_fixture") and "doc_to_text" not in c for c in configs.values())


def assert_metrics_equal(by_suite: dict[str, RunRecord], samples: dict[str, SampleRecord], ids: dict[str, str]) -> None:
    """The runs' metrics are lm-eval's aggregates, and each stratum's mean is lm-eval's mean over it."""
    results = json.loads(next((FIXTURE / "mc").glob("results_*.json")).read_text())["results"]
    checks = [("local_hellaswag", "hellaswag", "acc", None), ("local_hellaswag", "hellaswag", "acc_norm", None),
              ("local_boolq", "boolq", "acc", None), ("local_winogrande", "winogrande", "acc", None)]
    checks += [(t, "mmlu", "acc", t.removeprefix("local_mmlu_")) for t in STRATA["tasks"] if t.startswith("local_mmlu_")]
    for task, suite, metric, group in checks:
        ours = next(m for m in by_suite[suite].metrics
                    if m.label == metric and (m.group.id if m.group else None) == group)
        assert ours.value == pytest.approx(results[task][f"{metric},none"], abs=1e-9), f"{task} {metric}"
        for stratum in STRATA["tasks"][task]["strata"]:
            mine = [samples[ids[f"{d.task}/{d.doc_id}"]].scores[metric] for d in docs("mc")
                    if d.task == task and d.stratum == stratum]
            assert sum(mine) / len(mine) == pytest.approx(lm_mean(task, metric, stratum), abs=1e-9), (
                f"{task} [{stratum}] {metric}: Podium {sum(mine) / len(mine)}, lm-eval {lm_mean(task, metric, stratum)}")


def test_multiple_choice_strata_agree_with_lm_eval_item_by_item(tmp_path: Path, data_dir: Path) -> None:
    runs, samples, stderr = imported("mc", tmp_path, data_dir)
    by_suite = {r.suite.id: r for r in runs}
    assert sorted(by_suite) == ["boolq", "hellaswag", "mmlu", "winogrande"]
    items = {iid: it for s in by_suite for iid, it in mc_items(data_dir, s).items()}
    ids = {f"{d.task}/{d.doc_id}": item_id(suite_for_task(d.task), d.task, d.doc_id) for d in docs("mc")}
    counts, diffs = agreement("mc", samples, items, ids)
    assert diffs == [], "\n".join(diffs)
    assert "differs from lm-eval" not in stderr, stderr  # the importer's own per-sample check
    assert sum(n for _, n in counts.values()) == 81 and all(ok == n for ok, n in counts.values()), counts
    assert_metrics_equal(by_suite, samples, ids)
    matching = {r.suite.id: r.imported.prompts_matching for r in runs if r.imported}
    assert matching == {"hellaswag": 25, "mmlu": 24, "winogrande": 12, "boolq": 0}


def arc_suite_or_skip() -> None:
    if "arc_challenge" not in SUITES:
        pytest.skip("Podium has no arc_challenge suite registered (evals.suites.SUITES)")


def test_arc_challenge_suite_picks_what_lm_eval_picks_on_100_questions(data_dir: Path) -> None:
    """The suite itself (no importer): lm-eval's log-likelihoods scored by ``score`` of Podium's arc_challenge."""
    arc_suite_or_skip()
    suite = get_suite("arc_challenge")
    items = mc_items(data_dir, "arc_challenge")
    order = list(items)
    samples, ids = {}, {}
    for doc in docs("arc"):
        item = items[order[doc.doc_id]]
        reqs = [r for r in suite.requests(item, suite.default_sampling()) if isinstance(r, LogLikelihood)]
        greedy = [str((r[0] if isinstance(r[0], list) else r)[1]) == "True" for r in doc.row["resps"]]
        assert len(reqs) == len(greedy), f"{doc.where}: {len(greedy)} choices scored, Podium has {len(reqs)}"
        outputs = [Loglikelihood(q.request.key, ll, g, 0) for q, ll, g in zip(reqs, lm_lls(doc.row), greedy, strict=True)]
        samples[item.id] = suite.score(item, outputs)
        ids[f"{doc.task}/{doc.doc_id}"] = item.id
    counts, diffs = agreement("arc", samples, items, ids)
    assert diffs == [], "\n".join(diffs)
    assert sum(n for _, n in counts.values()) == 100 and all(ok == n for ok, n in counts.values()), counts


def test_arc_challenge_imports_with_podium_import_lm_eval(tmp_path: Path, data_dir: Path) -> None:
    arc_suite_or_skip()
    try:
        suite_for_task(ARC)
    except ConfigError:
        pytest.skip("evals/imports/lmeval.py maps no lm-eval task to arc_challenge yet (TASK_SUITES, item_id)")
    runs, samples, stderr = imported("arc", tmp_path, data_dir)
    (run,) = runs
    assert run.suite.id == "arc_challenge" and run.imported and run.imported.prompts_matching == 100
    items = mc_items(data_dir, "arc_challenge")
    ids = {f"{d.task}/{d.doc_id}": item_id("arc_challenge", d.task, d.doc_id) for d in docs("arc")}
    counts, diffs = agreement("arc", samples, items, ids)
    assert diffs == [], "\n".join(diffs)
    assert "differs from lm-eval" not in stderr, stderr
    assert all(ok == n for ok, n in counts.values()) and sum(n for _, n in counts.values()) == 100, counts
    results = json.loads(next((FIXTURE / "arc").glob("results_*.json")).read_text())["results"][ARC]
    for metric in ("acc", "acc_norm"):
        ours = next(m for m in run.metrics if m.label == metric and m.group is None)
        assert ours.value == pytest.approx(results[f"{metric},none"], abs=1e-9), metric
