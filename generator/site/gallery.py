"""Per-item gallery data, laid out to grow with (items + outputs), not (items × models × prompt).

Per suite, under ``gallery/data/<suite>/``:

- ``index.json``: the models (run, coverage, main score), where each shard starts, whether question text is
  available — small; ``ids.json``: the item ids in the one order every other file follows;
- ``m/<model>.json``: the model's per-item status string (``1`` right, ``0`` wrong, ``p`` partly, ``?`` ungraded,
  ``-`` not run) and, for fractional scores (pass rates), the values — the gallery's filters and the compare
  page's paired tests read these, fetched only for the models on screen;
- ``shard-NNNN.json``: consecutive items, each with its question text once (joined at build time from the
  benchmark data, never stored in ``site_data``) and every model's outputs for it. Output text is capped
  (full text stays in the run's ``samples.jsonl.gz``); HumanEval shows the first few samples plus passing
  ones, with complete counts.

The page inserts every string with ``textContent`` — never as HTML.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import multiprocessing
import os
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.errors import DataError
from evals.records import ItemText, MetricRef
from generator.site.load import LoadedRun, SiteData

MAX_TEXT = 4096  # characters of one output shown on the site
MAX_QUESTION = 8192
SHARD_BYTES = 256_000  # a shard closes once it is this large ...
SHARD_ITEMS = 100  # ... or holds this many items
FIRST_SAMPLES = 3  # repeated sampling: the first few samples ...
MAX_PASSING = 5  # ... plus up to this many more passing ones (distinct code)


def cap(text: str, limit: int = MAX_TEXT) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… [{len(text) - limit:,} more characters — full text in the run's samples]"


def dumps(obj: Any) -> str:
    """Compact, deterministic JSON; a NaN would be invalid JSON and raises instead."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def write(path: Path, obj: Any) -> int:
    """Scratch output of the build (not site_data): a plain write, no fsync per file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = dumps(obj).encode("utf-8")
    path.write_bytes(data)
    return len(data)


def score_key(ref: MetricRef | None, scores: Mapping[str, float]) -> str | None:
    """The per-item score key of a suite's main metric: pass@k → pass_rate; else the metric name (acc, acc_norm),
    else its variant (GSM8K strict/flexible, scenarios pass)."""
    if ref is None:
        return next(iter(scores), None)
    for key in (("pass_rate",) if ref.k is not None else ()) + (ref.name, ref.variant):
        if key in scores:
            return key
    return None


def status(score: float | None) -> str:
    if score is None:
        return "?"
    return "1" if score >= 1 else "0" if score <= 0 else "p"


def _turns(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"role": t["role"], "content": cap(t["content"]), "name": t.get("name"),
             "tool_call_id": t.get("tool_call_id"),
             "tool_calls": [{"id": c.get("id"), "name": c["name"], "arguments": cap(c["arguments"]),
                             "error": c.get("error")} for c in t.get("tool_calls") or []]}
            for t in turns]


def _detail(d: dict[str, Any] | None) -> dict[str, Any] | None:
    """The typed output detail (see ``evals.records.OutputDetail``), trimmed for the page."""
    kind = d.get("kind") if d else None
    if d is None or kind is None:
        return None
    if kind == "choice":
        lls = [None if x is None else round(x, 3) for x in d["loglikelihoods"]]  # null: that request failed
        return {"kind": kind, "ll": lls, "picked": d["picked"], "picked_norm": d.get("picked_norm")}
    if kind == "parsed_choice":
        return {"kind": kind, "parsed": d.get("parsed"), "picked": d.get("picked")}
    if kind == "numeric":
        return {"kind": kind, "strict": d.get("strict"), "flexible": d.get("flexible")}
    if kind == "code":
        err = d.get("error_line")
        return {"kind": kind, "code": cap(d["code"]), "verdict": d["verdict"], "reason": cap(d.get("reason") or "", 500),
                "error_line": cap(err, 500) if err else None, "seconds": d.get("seconds", 0.0)}
    if kind == "scenario":
        sp = d["sampling"]
        return {"kind": kind, "protocol": d["protocol"], "trial": d["trial"], "turns": d["turns"],
                "sampling": f"temperature {sp['temperature']}, top_p {sp['top_p']}, max_tokens {sp['max_tokens']}"}
    return None


def _output(o: dict[str, Any], index: int) -> dict[str, Any]:
    out: dict[str, Any] = {"i": index, "text": cap(o["text"]), "finish": o["finish"], "scores": o.get("scores", {}),
                           "detail": _detail(o.get("detail"))}
    if o.get("explanation"):
        out["explanation"] = cap(o["explanation"], 2000)
    if o.get("error"):
        out["error"] = cap(o["error"], 1000)
    if o.get("transcript") is not None:
        out["transcript"] = _turns(o["transcript"])
    if o.get("grades"):
        out["grades"] = [{"grader": g["grader"], "score": g.get("score"), "passed": g.get("passed"),
                          "explanation": cap(g["explanation"]), "judge_model": g.get("judge_model"),
                          "judge_raw": cap(g["judge_raw"]) if g.get("judge_raw") else None}
                         for g in o["grades"]]
    return out


def _passed(o: dict[str, Any]) -> bool:
    return bool((o.get("scores") or {}).get("pass", 0) >= 1)


def shown_outputs(outputs: list[dict[str, Any]]) -> list[int]:
    """Indexes of the outputs shown: all when few; else the first few plus passing ones with distinct code."""
    if len(outputs) <= FIRST_SAMPLES + MAX_PASSING:
        return list(range(len(outputs)))
    keep = list(range(FIRST_SAMPLES))
    seen = {outputs[i]["text"] for i in keep}
    for i, o in enumerate(outputs[FIRST_SAMPLES:], FIRST_SAMPLES):
        if len(keep) >= FIRST_SAMPLES + MAX_PASSING:
            break
        if _passed(o) and o["text"] not in seen:
            keep.append(i)
            seen.add(o["text"])
    return keep


def _model_item(s: dict[str, Any]) -> dict[str, Any]:
    outputs = s["outputs"]
    keep = shown_outputs(outputs)
    entry: dict[str, Any] = {"scores": s["scores"], "outputs": [_output(outputs[i], i) for i in keep]}
    if len(keep) < len(outputs):
        entry["n"] = len(outputs)
        entry["c"] = sum(1 for o in outputs if _passed(o))
    return entry


def _prompt(s: dict[str, Any]) -> Any:
    p = s.get("prompt")
    if p is None:
        return None
    return cap(p, MAX_QUESTION) if isinstance(p, str) else _turns(p)


def sample_dicts(lr: LoadedRun) -> Iterator[dict[str, Any]]:
    """The run's samples as plain dicts in the schema-v2 layout of :class:`SampleRecord`.

    The site reads ``samples.jsonl.gz`` with the C JSON parser — building typed records for a 50-model site
    (1.5 M samples, HumanEval × 100 outputs) costs most of the build — and only for committed, validated data
    (``podium validate`` checks every record in CI). Files of schema v1 go through the typed reader, which
    upgrades them.
    """
    path = lr.dir / "samples.jsonl.gz"
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            first = fh.readline()
            if first and '"prompt_sha256"' not in first:
                for rec in lr.samples():  # v1: upgraded in memory by evals.store
                    yield rec.model_dump(mode="json")
                return
            for line in itertools.chain([first], fh):
                if line.strip():
                    yield json.loads(line)
    except (OSError, EOFError, ValueError) as exc:
        raise DataError(f"cannot read samples ({exc})", where=str(path), fix="re-run the evaluation") from None


def _text(t: ItemText | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {"question": cap(t.question, MAX_QUESTION), "choices": [cap(c, 1000) for c in t.choices],
            "reference": cap(t.reference, MAX_QUESTION), "gold": t.gold}


CACHE_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]  # this file's code


@dataclass
class RunProduct:
    """What the gallery takes from one run: item order, main scores, groups, stored prompts, outputs as JSON."""

    order: list[str]
    vals: dict[str, float | None]
    groups: dict[str, str]
    prompts: dict[str, Any]
    items: dict[str, str]


def _read_run(lr: LoadedRun) -> RunProduct:
    ref = lr.run.suite.main_metric
    prod = RunProduct([], {}, {}, {}, {})
    for lineno, s in enumerate(sample_dicts(lr), 1):
        try:
            iid, scores = s["item_id"], s["scores"]
            prod.order.append(iid)
            if s.get("group"):
                prod.groups.setdefault(iid, s["group"]["id"])
            if iid not in prod.prompts and s.get("prompt") is not None:
                prod.prompts[iid] = _prompt(s)
            key = score_key(ref, scores)
            prod.vals[iid] = scores.get(key) if key else None
            prod.items[iid] = dumps(_model_item(s))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"bad sample record ({exc!r})", where=f"{lr.dir / 'samples.jsonl.gz'}:{lineno}",
                            fix="run `podium validate` and re-run the evaluation that produced it") from None
    return prod


def cache_path(lr: LoadedRun, cache: Path) -> Path:
    st = (lr.dir / "samples.jsonl.gz").stat()
    key = hashlib.sha256(f"{CACHE_VERSION}|{lr.dir.resolve()}|{lr.run.run_id}|{st.st_size}|{st.st_mtime_ns}|"
                         f"{lr.run.suite.main_metric!r}".encode()).hexdigest()[:24]
    return cache / f"{key}.jsonl"


def _warm(lr: LoadedRun, cache: Path) -> None:
    run_product(lr, cache)


def warm_cache(runs: list[LoadedRun], cache: Path, workers: int | None = None) -> int:
    """Read the runs not cached yet in parallel worker processes (largest first); return how many were read.

    Reading samples is most of a cold build and each run is independent; the suites are then assembled from
    the cache in this process, so the output does not depend on the worker count."""
    todo = [lr for lr in runs if not cache_path(lr, cache).is_file()]
    workers = workers if workers is not None else min(4, os.cpu_count() or 1)
    if workers < 2 or len(todo) < 2:
        return 0
    todo.sort(key=lambda lr: -(lr.dir / "samples.jsonl.gz").stat().st_size)
    cache.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as ex:
        list(ex.map(_warm, todo, [cache] * len(todo)))
    return len(todo)


def run_product(lr: LoadedRun, cache: Path | None) -> RunProduct:
    """:func:`_read_run`, cached per run: a rebuild reads only runs that are new or changed (or all of them when
    this module's code changed). The cache is a scratch directory next to the build's work directory."""
    if cache is None:
        return _read_run(lr)
    path = cache_path(lr, cache)
    if path.is_file():
        with path.open(encoding="utf-8") as fh:
            head = json.loads(fh.readline())
            items = {}
            for line in fh:
                key_json, _, js = line.rstrip("\n").partition("\t")
                items[json.loads(key_json)] = js
        return RunProduct(head["order"], head["vals"], head["groups"], head["prompts"], items)
    prod = _read_run(lr)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(dumps({"order": prod.order, "vals": prod.vals, "groups": prod.groups, "prompts": prod.prompts}) + "\n")
        for iid, js in prod.items.items():
            fh.write(f"{dumps(iid)}\t{js}\n")  # a JSON string holds no raw tab or newline
    tmp.replace(path)
    return prod


@dataclass
class SuiteVectors:
    """Per-item main scores of every shown model of a suite, aligned on ``ids`` (None: not run or ungraded)."""

    ids: list[str]
    values: dict[str, list[float | None]]
    fractional: bool


def write_suite(sid: str, name: str, runs: dict[str, LoadedRun], model_names: dict[str, str], dest: Path,
                texts: Mapping[str, ItemText] | None, hint: str | None,
                cache: Path | None = None) -> tuple[dict[str, Any], SuiteVectors]:
    """Write one suite's index, per-model status files and shards; return its site-index entry and vectors."""
    per_model: dict[str, dict[str, str]] = {}  # model → item → its outputs, already JSON (compact in memory)
    ids: list[str] = []
    seen: set[str] = set()
    groups: dict[str, str] = {}
    prompts: dict[str, Any] = {}
    statuses: dict[str, dict[str, float | None]] = {}
    fractional = False
    scenarios: dict[str, str] = {}
    models_meta = []
    for mid in sorted(runs):
        lr = runs[mid]
        prod = run_product(lr, cache)
        for iid in prod.order:
            if iid not in seen:
                seen.add(iid)
                ids.append(iid)
        for iid, g in prod.groups.items():
            groups.setdefault(iid, g)
        for iid, pr in prod.prompts.items():
            prompts.setdefault(iid, pr)
        vals = prod.vals
        items = prod.items
        fractional = fractional or any(v is not None and 0 < v < 1 for v in vals.values())
        per_model[mid] = items
        statuses[mid] = vals
        for sc in lr.run.suite.scenarios:
            scenarios.setdefault(sc.id, sc.title)
        run = lr.run
        main = run.main()
        models_meta.append({"id": mid, "name": model_names[mid], "run_id": run.run_id, "n": run.n_items,
                            "total": run.suite.items_total, "partial": run.partial,
                            "value": main.value if main else None, "ci": [main.ci_low, main.ci_high] if main else None,
                            "metric": main.label if main else None})
    sdir = dest / sid
    sdir.mkdir(parents=True, exist_ok=True)
    for mid, vals in statuses.items():
        rec: dict[str, Any] = {"s": "".join(status(vals[i]) if i in vals else "-" for i in ids)}
        if fractional:
            rec["v"] = [None if vals.get(i) is None else round(float(vals[i] or 0.0), 4) for i in ids]
        write(sdir / "m" / f"{mid}.json", rec)
    starts, nbytes = _write_shards(sdir, ids, groups, prompts, texts, per_model)
    write(sdir / "ids.json", ids)  # item order (the gallery loads it; the compare page needs only the index)
    index = {"id": sid, "name": name, "models": models_meta, "n_items": len(ids), "starts": starts,
             "fractional": fractional, "texts": texts is not None, "hint": None if texts is not None else hint,
             "scenarios": [{"id": k, "title": v} for k, v in sorted(scenarios.items())]}
    write(sdir / "index.json", index)
    entry = {"id": sid, "name": name, "items": len(ids), "models": len(models_meta), "shards": len(starts),
             "bytes": nbytes}
    vectors = SuiteVectors(ids, {mid: [vals.get(i) for i in ids] for mid, vals in statuses.items()}, fractional)
    return entry, vectors


def _write_shards(sdir: Path, ids: list[str], groups: dict[str, str], prompts: dict[str, Any],
                  texts: Mapping[str, ItemText] | None,
                  per_model: dict[str, dict[str, str]]) -> tuple[list[int], int]:
    """Shards of items in order, each item with its text once and every model's outputs; (first index of each
    shard, bytes written)."""
    starts: list[int] = []
    shard: list[str] = []  # items already encoded: each is serialised once
    size = 0
    nbytes = 0

    def flush() -> None:
        nonlocal shard, size, nbytes
        if shard:
            data = ("[" + ",".join(shard) + "]").encode("utf-8")
            (sdir / f"shard-{len(starts) - 1:04d}.json").write_bytes(data)
            nbytes += len(data)
            shard, size = [], 0

    for pos, iid in enumerate(ids):
        if not shard:
            starts.append(pos)
        head = dumps({"id": iid, "group": groups.get(iid), "text": _text(texts.get(iid) if texts else None),
                      "prompt": prompts.get(iid)})
        models = ",".join(f"{dumps(mid)}:{per_model[mid][iid]}" for mid in sorted(per_model) if iid in per_model[mid])
        encoded = head[:-1] + ',"models":{' + models + "}}"
        shard.append(encoded)
        size += len(encoded)
        if size >= SHARD_BYTES or len(shard) >= SHARD_ITEMS:
            flush()
    flush()
    return starts, nbytes


def write_gallery(data: SiteData, dest: Path, texts: Mapping[str, ItemText] | None = None,
                  hint: str | None = None, names: Mapping[str, str] | None = None,
                  cache: Path | None = None) -> dict[str, SuiteVectors]:
    """Write ``dest/index.json`` (the suites) and every suite's data; return each suite's score vectors."""
    by_suite: dict[str, dict[str, LoadedRun]] = {}
    for (mid, sid), lr in sorted(data.latest().items()):
        by_suite.setdefault(sid, {})[mid] = lr
    model_names = {mid: m.name for mid, m in data.models.items()}
    if cache is not None:
        warm_cache([lr for runs in by_suite.values() for lr in runs.values()], cache)
    suites = []
    vectors: dict[str, SuiteVectors] = {}
    for sid, runs in sorted(by_suite.items()):
        entry, vectors[sid] = write_suite(sid, (names or {}).get(sid, sid), runs, model_names, dest, texts, hint,
                                          cache)
        suites.append(entry)
    write(dest / "index.json", {"suites": suites, "texts": texts is not None,
                                "hint": None if texts is not None else hint})
    return vectors
