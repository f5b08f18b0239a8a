"""Per-item gallery data, laid out to grow with (items + outputs), not (items × models × prompt).

Per suite, under ``gallery/data/<suite>/``:

- ``index.json``: the models (run, coverage), the item ids in one order shared by every model, where each shard
  starts, whether question text is available — small;
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

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.records import (
    ChatTurn,
    ChoiceDetail,
    CodeDetail,
    ItemText,
    MetricRef,
    NumericDetail,
    OutputRecord,
    ParsedChoiceDetail,
    SampleRecord,
    ScenarioDetail,
)
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


def _turns(turns: list[ChatTurn]) -> list[dict[str, Any]]:
    return [{"role": t.role, "content": cap(t.content), "name": t.name, "tool_call_id": t.tool_call_id,
             "tool_calls": [{"id": c.id, "name": c.name, "arguments": cap(c.arguments), "error": c.error}
                            for c in t.tool_calls]}
            for t in turns]


def _detail(o: OutputRecord) -> dict[str, Any] | None:
    d = o.detail
    if isinstance(d, ChoiceDetail):
        return {"kind": "choice", "ll": [round(x, 3) for x in d.loglikelihoods], "picked": d.picked,
                "picked_norm": d.picked_norm}
    if isinstance(d, ParsedChoiceDetail):
        return {"kind": "parsed_choice", "parsed": d.parsed, "picked": d.picked}
    if isinstance(d, NumericDetail):
        return {"kind": "numeric", "strict": d.strict, "flexible": d.flexible}
    if isinstance(d, CodeDetail):
        return {"kind": "code", "code": cap(d.code), "verdict": d.verdict, "reason": cap(d.reason, 500),
                "error_line": cap(d.error_line, 500) if d.error_line else None, "seconds": d.seconds}
    if isinstance(d, ScenarioDetail):
        s = d.sampling
        return {"kind": "scenario", "protocol": d.protocol, "trial": d.trial, "turns": d.turns,
                "sampling": f"temperature {s.temperature}, top_p {s.top_p}, max_tokens {s.max_tokens}"}
    return None


def _output(o: OutputRecord, index: int) -> dict[str, Any]:
    out: dict[str, Any] = {"i": index, "text": cap(o.text), "finish": o.finish, "scores": o.scores,
                           "detail": _detail(o)}
    if o.explanation:
        out["explanation"] = cap(o.explanation, 2000)
    if o.error:
        out["error"] = cap(o.error, 1000)
    if o.transcript is not None:
        out["transcript"] = _turns(o.transcript)
    if o.grades:
        out["grades"] = [{"grader": g.grader, "score": g.score, "passed": g.passed, "explanation": cap(g.explanation),
                          "judge_model": g.judge_model, "judge_raw": cap(g.judge_raw) if g.judge_raw else None}
                         for g in o.grades]
    return out


def shown_outputs(outputs: list[OutputRecord]) -> list[int]:
    """Indexes of the outputs shown: all when few; else the first few plus passing ones with distinct code."""
    if len(outputs) <= FIRST_SAMPLES + MAX_PASSING:
        return list(range(len(outputs)))
    keep = list(range(FIRST_SAMPLES))
    seen = {outputs[i].text for i in keep}
    for i, o in enumerate(outputs[FIRST_SAMPLES:], FIRST_SAMPLES):
        if len(keep) >= FIRST_SAMPLES + MAX_PASSING:
            break
        if o.scores.get("pass", 0) >= 1 and o.text not in seen:
            keep.append(i)
            seen.add(o.text)
    return keep


def _model_item(s: SampleRecord) -> dict[str, Any]:
    keep = shown_outputs(s.outputs)
    entry: dict[str, Any] = {"scores": s.scores, "outputs": [_output(s.outputs[i], i) for i in keep]}
    if len(keep) < len(s.outputs):
        entry["n"] = len(s.outputs)
        entry["c"] = int(sum(o.scores.get("pass", 0) for o in s.outputs))
    return entry


def _prompt(s: SampleRecord) -> Any:
    if s.prompt is None:
        return None
    return cap(s.prompt, MAX_QUESTION) if isinstance(s.prompt, str) else _turns(s.prompt)


def _text(t: ItemText | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {"question": cap(t.question, MAX_QUESTION), "choices": [cap(c, 1000) for c in t.choices],
            "reference": cap(t.reference, MAX_QUESTION), "gold": t.gold}


@dataclass
class SuiteVectors:
    """Per-item main scores of every shown model of a suite, aligned on ``ids`` (None: not run or ungraded)."""

    ids: list[str]
    values: dict[str, list[float | None]]
    fractional: bool


def write_suite(sid: str, name: str, runs: dict[str, LoadedRun], model_names: dict[str, str], dest: Path,
                texts: Mapping[str, ItemText] | None, hint: str | None) -> tuple[dict[str, Any], SuiteVectors]:
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
        ref = lr.run.suite.main_metric
        items: dict[str, str] = {}
        vals: dict[str, float | None] = {}
        for s in lr.samples():
            if s.item_id not in seen:
                seen.add(s.item_id)
                ids.append(s.item_id)
            if s.group is not None:
                groups.setdefault(s.item_id, s.group.id)
            if s.item_id not in prompts and s.prompt is not None:
                prompts[s.item_id] = _prompt(s)
            key = score_key(ref, s.scores)
            v = s.scores.get(key) if key else None
            vals[s.item_id] = v
            fractional = fractional or (v is not None and 0 < v < 1)
            items[s.item_id] = dumps(_model_item(s))
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
    index = {"id": sid, "name": name, "models": models_meta, "ids": ids, "starts": starts,
             "fractional": fractional, "texts": texts is not None, "hint": None if texts is not None else hint,
             "scenarios": [{"id": k, "title": v} for k, v in sorted(scenarios.items())]}
    write(sdir / "index.json", index)
    entry = {"id": sid, "name": name, "items": len(ids), "models": len(models_meta), "shards": len(starts),
             "bytes": nbytes}
    vectors = SuiteVectors(ids, {mid: [vals.get(i) for i in ids] for mid, vals in statuses.items()}, fractional)
    return entry, vectors


def write_gallery(data: SiteData, dest: Path, texts: Mapping[str, ItemText] | None = None,
                  hint: str | None = None, names: Mapping[str, str] | None = None) -> dict[str, SuiteVectors]:
    """Write ``dest/index.json`` (the suites) and every suite's data; return each suite's score vectors."""
    by_suite: dict[str, dict[str, LoadedRun]] = {}
    for (mid, sid), lr in sorted(data.latest().items()):
        by_suite.setdefault(sid, {})[mid] = lr
    model_names = {mid: m.name for mid, m in data.models.items()}
    suites = []
    vectors: dict[str, SuiteVectors] = {}
    for sid, runs in sorted(by_suite.items()):
        entry, vectors[sid] = write_suite(sid, (names or {}).get(sid, sid), runs, model_names, dest, texts, hint)
        suites.append(entry)
    write(dest / "index.json", {"suites": suites, "texts": texts is not None,
                                "hint": None if texts is not None else hint})
    return vectors
