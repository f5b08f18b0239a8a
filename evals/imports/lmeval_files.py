"""Reading lm-evaluation-harness output: ``results_<ts>.json`` and the ``--log_samples`` files
``samples_<task>_<ts>.jsonl`` (one row per document and filter). Only what the importer needs is kept, as typed
values; the rows' benchmark text (``doc``, ``arguments``, ``target``) is never read into them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.errors import DataError


@dataclass(frozen=True)
class LmEvalRow:
    """One row of a samples file: one document under one filter."""

    doc_id: int
    filter: str
    resps: tuple[Any, ...]  # per request: the raw responses (text, or [loglikelihood, is_greedy])
    filtered_resps: tuple[Any, ...]
    metrics: dict[str, float]  # per-document metric values lm-eval computed (e.g. acc, exact_match)
    prompt_hash: str  # sha256 of the first request's context (lm-eval's hash_string)
    doc_hash: str


@dataclass(frozen=True)
class LmEvalTask:
    name: str
    config: dict[str, Any]
    version: str | None
    results: dict[str, float]  # "acc,none" → value
    rows: tuple[LmEvalRow, ...]
    samples_sha256: str


@dataclass(frozen=True)
class LmEvalResults:
    path: Path
    sha256: str
    harness_version: str
    model: str
    model_args: str  # as given (a "k=v,k=v" string, or the JSON of lm-eval's dict)
    model_arg_values: dict[str, str]
    started: float | None
    wall_seconds: float
    tasks: tuple[LmEvalTask, ...]


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(f"cannot read {path}: {e}", where=str(path),
                        fix="pass the results_<timestamp>.json lm_eval wrote with --output_path") from e


def _row(raw: Any, where: str) -> LmEvalRow:
    try:
        if not isinstance(raw, dict):
            raise TypeError("not a JSON object")
        if not raw["resps"] or not all(isinstance(r, list) and r for r in raw["resps"]):
            raise ValueError("'resps' holds no response for a request")
        metric_names = raw.get("metrics") or []
        metrics = {m: float(raw[m]) for m in metric_names if m in raw}
        return LmEvalRow(doc_id=int(raw["doc_id"]), filter=str(raw.get("filter", "none")),
                         resps=tuple(raw["resps"]), filtered_resps=tuple(raw.get("filtered_resps") or ()), metrics=metrics,
                         prompt_hash=str(raw["prompt_hash"]), doc_hash=str(raw.get("doc_hash", "")))
    except (KeyError, TypeError, ValueError) as e:
        why = f"no field {e.args[0]!r}" if isinstance(e, KeyError) else str(e)
        raise DataError(f"not an lm-eval samples row ({why})", where=where,
                        fix="pass the samples_<task>_<timestamp>.jsonl files lm_eval wrote with --log_samples") from e


def samples_file(task: str, results: Path, samples_dir: Path) -> Path:
    """The samples file of ``task`` that belongs to ``results`` (same timestamp), else the newest one."""
    stamp = results.stem.removeprefix("results_")
    exact = samples_dir / f"samples_{task}_{stamp}.jsonl"
    if exact.is_file():
        return exact
    found = sorted(samples_dir.glob(f"samples_{task}_*.jsonl"))
    if not found:
        raise DataError(f"no samples file for task '{task}' in {samples_dir}", where="--samples",
                        fix="run lm_eval with --log_samples and pass the directory holding samples_<task>_*.jsonl")
    return found[-1]


def read_rows(path: Path) -> tuple[tuple[LmEvalRow, ...], str]:
    """Every row of a samples file; each (doc_id, filter) once — a repeat would give one document another's answer."""
    fix = "pass the samples_<task>_<timestamp>.jsonl files lm_eval wrote with --log_samples, unedited"
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"not UTF-8 (byte {data[e.start]:#04x} at offset {e.start})", where=str(path), fix=fix) from None
    rows: list[LmEvalRow] = []
    seen: dict[tuple[int, str], int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"not a JSON line ({e.msg})", where=f"{path}:{n}", fix=fix) from None
        row = _row(raw, f"{path}:{n}")
        first = seen.setdefault((row.doc_id, row.filter), n)
        if first != n:
            raise DataError(f"doc_id {row.doc_id} (filter {row.filter}) again, first on line {first}",
                            where=f"{path}:{n}", fix=fix)
        rows.append(row)
    return tuple(rows), hashlib.sha256(data).hexdigest()


def read_results(path: Path, samples_dir: Path | None = None) -> LmEvalResults:
    """The results file and, for each of its tasks with per-document samples, those samples."""
    raw = _load_json(path)
    if not isinstance(raw, dict) or "results" not in raw or "configs" not in raw:
        raise DataError(f"{path} is not an lm-evaluation-harness results file (no 'results'/'configs')",
                        where=str(path), fix="pass results_<timestamp>.json from lm_eval --output_path")
    if not isinstance(raw["results"], dict) or not isinstance(raw["configs"], dict) or not all(
            isinstance(v, dict) for v in (*raw["results"].values(), *raw["configs"].values())):
        raise DataError(f"{path}: 'results' and 'configs' must map each task to an object", where=str(path),
                        fix="pass results_<timestamp>.json from lm_eval --output_path, unedited")
    cfg = raw.get("config") or {}
    tasks = []
    for name, config in sorted(raw["configs"].items()):
        rows, sha = read_rows(samples_file(name, path, samples_dir or path.parent))
        results = {k: float(v) for k, v in (raw["results"].get(name) or {}).items()
                   if isinstance(v, int | float) and not isinstance(v, bool)}
        version = (raw.get("versions") or {}).get(name)
        tasks.append(LmEvalTask(name=name, config=config, version=None if version is None else str(version),
                                results=results, rows=rows, samples_sha256=sha))
    wall = raw.get("total_evaluation_time_seconds")
    args = cfg.get("model_args")
    values = ({str(k): str(v) for k, v in args.items()} if isinstance(args, dict) else
              dict(a.split("=", 1) for a in str(args or "").split(",") if "=" in a))
    return LmEvalResults(
        path=path, sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        harness_version=str(raw.get("lm_eval_version", "unknown")), model=str(cfg.get("model", "unknown")),
        model_args=args if isinstance(args, str) else json.dumps(args), model_arg_values=values,
        started=float(raw["date"]) if isinstance(raw.get("date"), int | float) else None,
        wall_seconds=float(wall) if wall is not None else 0.0, tasks=tuple(tasks))
