"""lm-evaluation-harness output → Podium v2 runs (``podium import lm-eval``).

Each lm-eval task becomes one run of the Podium suite it corresponds to (all ``mmlu_<subject>`` tasks of one
results file become one MMLU run). Nothing lm-eval aggregated is copied: every sample is re-graded by the Podium
suite's own grader from the model's outputs (GSM8K: the generated text; multiple choice: the per-choice
log-likelihoods) and the metrics and their 95% intervals are recomputed from those samples, exactly as for a
native run — so ``podium validate`` can check an imported run like any other. Per-sample disagreements with
lm-eval's own scores are reported (:attr:`Imported.disagreements`), never hidden.

Prompts and benchmark text: lm-eval built the prompts, so the honest record would be the prompt itself — but the
prompt is benchmark text (question, passage, few-shot examples), which ``site_data`` never holds. So each sample
stores the prompt's sha256 only. lm-eval logs ``prompt_hash`` = sha256 of the first request's context; where it
equals the context the Podium suite builds for the same item (rebuilt from the benchmark data directory), the
sample stores the suite's own prompt hash and counts as rebuildable. ``ImportRecord.prompt_rebuildable`` is true
only when every sample's prompt was; otherwise samples keep lm-eval's hash, the suite version is replaced by one
derived from the task config, and validate does not compare prompt hashes. The task config is kept as its
sha256 plus its text-free settings; lm-eval's version, model type and model arguments are kept as given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from evals import __version__
from evals.backends.base import Completion, Loglikelihood
from evals.data import sha256_file
from evals.errors import ConfigError, DataError
from evals.hashing import sha256_json, sha256_text
from evals.imports.lmeval_files import LmEvalResults, LmEvalRow, LmEvalTask
from evals.records import (
    BackendRecord,
    CostRecord,
    ImportRecord,
    RunRecord,
    SampleRecord,
    SamplingRecord,
    Scalar,
)
from evals.suites import Item, Suite, get_suite
from evals.suites.base import imported_selection
from evals.suites.multiple_choice import MCItem
from evals.suites.requests import Generate, JudgedCode, LogLikelihood, Output

HARNESS = "lm-evaluation-harness"
# lm-eval task name (as a pattern; local copies are often renamed: gsm8k_cot_local, parity_hellaswag) → suite
TASK_SUITES: tuple[tuple[str, str], ...] = (
    (r"gsm8k_cot", "gsm8k"), (r"mmlu_", "mmlu"), (r"hellaswag", "hellaswag"), (r"boolq", "boolq"),
    (r"winogrande", "winogrande"), (r"humaneval", "humaneval"), (r"arc_challenge", "arc_challenge"),
)
# tasks whose name matches a suite's but whose outputs are not what that suite grades: (pattern, why, what to do)
UNSUPPORTED: tuple[tuple[str, str, str], ...] = (
    (r"humaneval_instruct", "its outputs are chat replies whose code lm-eval cuts at the first ``` fence",
     "import the completion task (humaneval, humaneval_64), or run `podium run --suite humaneval:chat`"),
    (r"humaneval_plus|humanevalplus", "its tests are EvalPlus's, not HumanEval's",
     "import humaneval (Podium grades HumanEval's own tests)"),
    (r"mmlu_.*(generative|flan|cot)|mmlu_continuation", "its prompt or scoring is not MMLU's 5-shot letter protocol",
     "import the mmlu_<subject> multiple-choice tasks"),
)
SUPPORTED = "gsm8k_cot, humaneval, mmlu_<subject>, hellaswag, boolq, winogrande, arc_challenge"
OUTPUT_TYPES = {"gsm8k": "generate_until", "humaneval": "generate_until"}  # the others: multiple_choice
CONFIG_KEYS = ("task", "dataset_path", "dataset_name", "test_split", "validation_split", "fewshot_split",
               "output_type", "num_fewshot", "repeats", "should_decontaminate")
STRICT_FILTER, FLEX_FILTER = "strict-match", "flexible-extract"


@dataclass(frozen=True)
class Imported:
    run: RunRecord
    samples: list[SampleRecord]
    lm_eval_results: dict[str, float]  # lm-eval's own aggregate numbers, for comparison ("acc,none" → value)
    disagreements: list[str]  # items where Podium's grade differs from lm-eval's


def suite_for_task(task: str) -> str:
    for pattern, why, fix in UNSUPPORTED:
        if re.search(pattern, task):
            raise ConfigError(f"lm-eval task '{task}' cannot be imported: {why}", where=f"task {task}", fix=fix)
    for pattern, suite in TASK_SUITES:
        if re.search(pattern, task):
            return suite
    raise ConfigError(f"lm-eval task '{task}' has no Podium suite", where=f"task {task}",
                      fix=f"supported: {SUPPORTED}; a renamed copy of one of them: pass --suite ID")


def check_output_type(suite_id: str, task: LmEvalTask) -> None:
    """The task's ``output_type`` must be the kind of output the suite grades."""
    want = OUTPUT_TYPES.get(suite_id, "multiple_choice")
    got = task.config.get("output_type")
    if got is not None and got != want:
        raise ConfigError(f"output_type is '{got}' but suite {suite_id} grades '{want}' outputs",
                          where=f"task {task.name}, field configs.{task.name}.output_type",
                          fix=f"import a {want} task for {suite_id}, or pass the --suite it belongs to")


def item_id(suite: str, task: str, doc_id: int) -> str:
    """lm-eval's doc_id is the document's index in the split, which is Podium's file order."""
    if suite == "gsm8k":
        return f"gsm8k/test/{doc_id:04d}"
    if suite == "mmlu":
        return f"mmlu/{re.sub(r'^.*?mmlu_', '', task)}/{doc_id:04d}"
    if suite == "hellaswag":
        return f"hellaswag/val/{doc_id:05d}"
    if suite == "humaneval":
        return f"HumanEval-{doc_id}"
    if suite == "arc_challenge":
        return f"arc_challenge/test/{doc_id:04d}"
    return f"{suite}/dev/{doc_id:04d}"


def _suite_prompt_context(suite: Suite, item: Item) -> str | None:
    """The first request's context as the Podium suite builds it (what lm-eval's prompt_hash covers)."""
    first = suite.requests(item, suite.default_sampling())[0]
    if isinstance(first, LogLikelihood):
        return first.request.context
    prompt = first.request.prompt if isinstance(first, Generate | JudgedCode) else None
    return prompt if isinstance(prompt, str) else None


def _loglikelihoods(row: LmEvalRow, task: str, item: MCItem) -> tuple[list[float], list[bool]]:
    """Multiple choice: ``resps`` holds one ``[[loglikelihood, is_greedy]]`` per choice (numbers as strings)."""
    lls, greedy = [], []
    where = f"task {task}, doc {row.doc_id}, field resps"
    try:
        for resp in row.resps:
            pair = resp[0] if resp and isinstance(resp[0], list | tuple) else resp
            lls.append(float(pair[0]))
            greedy.append(str(pair[1]) == "True")
    except (TypeError, ValueError, IndexError):
        raise DataError(f"not one [loglikelihood, is_greedy] pair per choice ({str(row.resps)[:80]})", where=where,
                        fix="import a multiple_choice task for this suite (or pass the --suite it belongs to)") from None
    if len(lls) != len(item.continuations):
        raise DataError(f"{len(lls)} choices scored, the Podium item {item.id} has {len(item.continuations)}",
                        where=where, fix="the task is not this suite's (check --suite), or its data differ")
    return lls, greedy


def _sample(suite: Suite, item: Item, rows: Sequence[LmEvalRow], prompt_sha: str, task: str) -> SampleRecord:
    """lm-eval's responses as the outputs of the suite's requests, scored by the suite's own ``score``."""
    row = rows[0]
    reqs = suite.requests(item, suite.default_sampling())
    outputs: list[Output]
    if isinstance(item, MCItem) and all(isinstance(r, LogLikelihood) for r in reqs):
        lls, greedy = _loglikelihoods(row, task, item)
        outputs = [Loglikelihood(r.request.key, ll, g, 0) for r, ll, g in zip(reqs, lls, greedy, strict=True)
                   if isinstance(r, LogLikelihood)]
    elif len(reqs) == 1 and isinstance(reqs[0], Generate):
        outputs = [Completion(reqs[0].request.key, (str(row.resps[0][0]),), ("stop",))]
    else:
        raise DataError(f"suite {suite.info.id} cannot grade imported item {item.id}", where=item.id,
                        fix="this suite cannot be imported from lm-eval")
    return suite.score(item, outputs).model_copy(update={"prompt_sha256": prompt_sha})


def _lmeval_scores(suite_id: str, rows: Sequence[LmEvalRow]) -> dict[str, float]:
    """lm-eval's per-document scores in Podium's score names."""
    if suite_id == "gsm8k":
        by_filter = {r.filter: r.metrics.get("exact_match") for r in rows}
        return {k: v for k, v in (("strict", by_filter.get(STRICT_FILTER)),
                                  ("flexible", by_filter.get(FLEX_FILTER))) if v is not None}
    if suite_id == "humaneval":  # pass@1 of one problem = its share of passing samples
        return {"pass_rate": rows[0].metrics["pass@1"]} if "pass@1" in rows[0].metrics else {}
    return {k: v for k, v in rows[0].metrics.items() if k in ("acc", "acc_norm")}


def text_free_config(config: dict[str, Any]) -> dict[str, Scalar]:
    """The task config's settings, without any text that could be benchmark text (few-shot examples, templates)."""
    out: dict[str, Scalar] = {k: config[k] for k in CONFIG_KEYS
                              if isinstance(config.get(k), str | int | float | bool)}
    if isinstance(config.get("generation_kwargs"), dict):
        out["generation_kwargs"] = json.dumps(config["generation_kwargs"], sort_keys=True)
    if isinstance(config.get("metric_list"), list):
        out["metrics"] = ",".join(str(m.get("metric")) for m in config["metric_list"] if isinstance(m, dict))
    if isinstance(config.get("filter_list"), list):
        out["filters"] = ",".join(str(f.get("name")) for f in config["filter_list"] if isinstance(f, dict))
    if isinstance(config.get("metadata"), dict) and "version" in config["metadata"]:
        out["version"] = str(config["metadata"]["version"])
    return out


def _sampling(suite: Suite, config: dict[str, Any]) -> SamplingRecord:
    gen = config.get("generation_kwargs") if config.get("output_type") == "generate_until" else None
    if not isinstance(gen, dict):
        return SamplingRecord(max_tokens=1, temperature=0.0, top_p=1.0)
    until = gen.get("until") or []
    return SamplingRecord(max_tokens=int(gen.get("max_gen_toks", 256)), n=int(config.get("repeats") or 1),
                          temperature=float(gen.get("temperature", 0.0)) if gen.get("do_sample") else 0.0,
                          top_p=float(gen.get("top_p", 1.0)), stop=[str(u) for u in until], seed=None)


def _group_tasks(results: LmEvalResults, suite_override: str | None) -> dict[str, list[LmEvalTask]]:
    groups: dict[str, list[LmEvalTask]] = {}
    for task in results.tasks:
        if task.rows:
            suite_id = suite_override or suite_for_task(task.name)
            check_output_type(suite_id.partition(":")[0], task)
            groups.setdefault(suite_id, []).append(task)
    if not groups:
        raise DataError(f"{results.path} has no task with logged samples", where=str(results.path),
                        fix="run lm_eval with --log_samples (Podium recomputes every metric from the samples)")
    return groups


Doc = tuple[LmEvalTask, Item, Sequence[LmEvalRow]]


def _docs(suite: Suite, suite_id: str, tasks: Sequence[LmEvalTask], items: dict[str, Item]) -> list[Doc]:
    docs: list[Doc] = []
    for task in tasks:
        by_doc: dict[int, list[LmEvalRow]] = {}
        for row in task.rows:
            by_doc.setdefault(row.doc_id, []).append(row)
        for doc_id in sorted(by_doc):
            iid = item_id(suite_id.partition(":")[0], task.name, doc_id)
            item = items.get(iid)
            if item is None:
                raise DataError(f"doc_id {doc_id} → {iid}: no such item in the benchmark data",
                                where=f"task {task.name}, doc {doc_id}",
                                fix=f"import runs of the split Podium evaluates ({suite.info.split}, {len(items)} "
                                    "items, in file order)")
            docs.append((task, item, by_doc[doc_id]))
    return docs


def _completions(task: LmEvalTask, row: LmEvalRow) -> list[str]:
    """Generative tasks: ``resps`` holds, for the one request of a document, the list of its generated texts."""
    first = row.resps[0] if row.resps else None
    if not isinstance(first, list | tuple) or not first or not all(isinstance(t, str) for t in first):
        raise DataError(f"not a list of generated texts ({str(row.resps)[:80]})",
                        where=f"task {task.name}, doc {row.doc_id}, field resps",
                        fix="import a generate_until task for this suite (or pass the --suite it belongs to)")
    return list(first)


def _replayed(suite: Suite, docs: Sequence[Doc]) -> dict[str, SampleRecord]:
    """Code suites: the completions dispatched as a run's are (sandbox) and scored by the suite, as `podium import
    samples` does — a replay backend hands back lm-eval's texts instead of asking a model."""
    from evals.backends.base import Sampling
    from evals.dispatch import grade_items
    from evals.imports.samples import ReplayBackend

    texts = {item.id: _completions(task, rows[0]) for task, item, rows in docs}
    n = max(len(t) for t in texts.values())
    samples = grade_items(suite, [item for _, item, _ in docs], ReplayBackend(texts),
                          Sampling(max_tokens=0, temperature=0.0, top_p=1.0, n=n, stop=(), seed=None))
    return {s.item_id: s for s in samples}


def _convert(suite: Suite, suite_id: str, tasks: Sequence[LmEvalTask],
             items: dict[str, Item]) -> tuple[list[SampleRecord], int, list[str]]:
    samples, matching, disagree = [], 0, []
    docs = _docs(suite, suite_id, tasks, items)
    replayed = _replayed(suite, docs) if suite_id.partition(":")[0] == "humaneval" else {}
    for task, item, rows in docs:
        same = sha256_text(_suite_prompt_context(suite, item) or "") == rows[0].prompt_hash
        matching += same
        prompt_sha = suite.prompt_sha256(item) if same else rows[0].prompt_hash
        if item.id in replayed:
            sample = replayed[item.id].model_copy(update={"prompt_sha256": prompt_sha})
        else:
            sample = _sample(suite, item, rows, prompt_sha, task.name)
        theirs = _lmeval_scores(suite_id.partition(":")[0], rows)
        if any(abs(sample.scores.get(k, -1.0) - v) > 1e-9 for k, v in theirs.items()):
            disagree.append(f"{item.id}: Podium {sample.scores}, lm-eval {theirs}")
        samples.append(sample)
    return samples, matching, disagree


def import_results(results: LmEvalResults, data_dir: Path, model_id: str, command: str,
                   suite_override: str | None = None) -> list[Imported]:
    """One :class:`Imported` run per Podium suite the results cover."""
    out = []
    for suite_id, tasks in _group_tasks(results, suite_override).items():
        suite = get_suite(suite_id)
        all_items = suite.load(data_dir)
        samples, matching, disagree = _convert(suite, suite_id, tasks, {it.id: it for it in all_items})
        rebuildable = matching == len(samples)
        config = tasks[0].config if len(tasks) == 1 else {t.name: t.config for t in tasks}
        config_sha = sha256_json(config)
        record = ImportRecord(
            harness=HARNESS, harness_version=results.harness_version, task=",".join(t.name for t in tasks),
            task_version=tasks[0].version, task_config_sha256=config_sha,
            task_config=text_free_config(tasks[0].config), model=results.model, model_args=results.model_args,
            source_sha256=results.sha256,
            samples_sha256=sha256_json([t.samples_sha256 for t in tasks]) if len(tasks) > 1 else tasks[0].samples_sha256,
            prompt_rebuildable=rebuildable, prompts_matching=matching)
        dataset_sha = sha256_json([sha256_file(data_dir / f) for f in suite.data_files(data_dir)])[:16]
        suite_rec = suite.record(dataset_sha, all_items, imported_selection(len(samples), len(all_items)))
        if not rebuildable:  # not Podium's prompts: not Podium's suite version either
            suite_rec = suite_rec.model_copy(update={"version": f"lmeval-{config_sha[:10]}"})
        out.append(Imported(_run_record(results, record, suite, suite_rec, samples, model_id, command,
                                        _sampling(suite, tasks[0].config)),
                            samples, {f"{t.name}:{k}": v for t in tasks for k, v in t.results.items()}, disagree))
    return out


def _run_record(results: LmEvalResults, record: ImportRecord, suite: Suite, suite_rec: Any,
                samples: list[SampleRecord], model_id: str, command: str, sampling: SamplingRecord) -> RunRecord:
    import secrets

    from evals.runner import git_state

    started = datetime.fromtimestamp(results.started, UTC) if results.started else datetime.now(UTC)
    args = results.model_arg_values
    commit, dirty = git_state()
    return RunRecord(
        run_id=f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}", model_id=model_id, model_revision=None,
        suite=suite_rec,
        backend=BackendRecord(name=f"lm-eval:{results.model}", engine=f"{HARNESS} {results.harness_version}",
                              model=args.get("model") or args.get("pretrained") or results.model,
                              base_url=args.get("base_url")),
        sampling=sampling, podium_version=__version__, git_commit=commit, git_dirty=dirty, command=command,
        started_at=started, finished_at=started + timedelta(seconds=results.wall_seconds),
        wall_seconds=results.wall_seconds, n_items=len(samples), n_errors=0, prompt_tokens=0, completion_tokens=0,
        cost=CostRecord(usd=None, method="unknown", detail="imported from lm-eval: tokens and cost not recorded"),
        imported=record, metrics=suite.metrics(samples), response_bias=suite.response_bias(samples))
