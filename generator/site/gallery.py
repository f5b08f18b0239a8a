"""Per-prompt gallery data: JSON shards per (suite, model), size-capped, loaded lazily by one page.

Outputs are stored as plain strings; the page inserts them with ``textContent`` — never as HTML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.atomic import write_json
from evals.records import ChatTurn, OutputRecord, SampleRecord
from generator.site.load import LoadedRun, SiteData

SHARD_ITEMS = 50
MAX_TEXT = 20_000


def _cap(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"\n… [{len(text) - MAX_TEXT} more characters]"


def _turns(turns: list[ChatTurn]) -> list[dict[str, Any]]:
    return [{"role": t.role, "content": _cap(t.content), "name": t.name, "tool_call_id": t.tool_call_id,
             "tool_calls": [{"id": c.id, "name": c.name, "arguments": _cap(c.arguments), "error": c.error}
                            for c in t.tool_calls]}
            for t in turns]


def _output_json(o: OutputRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"text": _cap(o.text), "finish": o.finish, "extracted": o.extracted, "scores": o.scores,
                           "detail": o.detail, "error": o.error}
    if o.transcript is not None:  # scenario trials: every turn, tool call and tool result
        out["transcript"] = _turns(o.transcript)
    if o.grades:
        out["grades"] = [g.model_dump() | {"judge_raw": _cap(g.judge_raw) if g.judge_raw else None} for g in o.grades]
    return out


def _item_json(s: SampleRecord) -> dict[str, Any]:
    prompt = s.prompt if isinstance(s.prompt, str) else "\n\n".join(f"[{t.role}] {t.content}" for t in s.prompt)
    item = {
        "id": s.item_id, "input": _cap(s.input or ""), "prompt": _cap(prompt), "reference": s.reference,
        "choices": s.choices, "group": s.group, "scores": s.scores,
        "outputs": [_output_json(o) for o in s.outputs],
    }
    if not isinstance(s.prompt, str):
        item["turns"] = _turns(s.prompt)
    return item


def write_gallery(data: SiteData, main_variant: dict[str, str], dest: Path) -> dict[str, Any]:
    """Write ``dest/index.json`` and the shards; return the index."""
    suites: dict[str, dict[str, Any]] = {}
    latest: dict[tuple[str, str], LoadedRun] = data.latest()
    for (mid, sid), lr in sorted(latest.items()):
        samples = lr.samples()
        variant = main_variant.get(sid, "default")
        shards = []
        for k in range(0, len(samples), SHARD_ITEMS):
            rel = f"{sid}/{mid}/{k // SHARD_ITEMS:04d}.json"
            write_json(dest / rel, [_item_json(s) for s in samples[k:k + SHARD_ITEMS]])
            shards.append(rel)
        entry = suites.setdefault(sid, {"id": sid, "variant": variant, "models": []})
        if lr.run.suite.scenarios:  # lets the page offer a scenario picker and an "ungraded" filter
            known = {sc["id"] for sc in entry.setdefault("scenarios", [])}
            entry["scenarios"] += [{"id": sc.id, "title": sc.title} for sc in lr.run.suite.scenarios
                                   if sc.id not in known]
        entry["models"].append({
            "id": mid, "name": data.models[mid].name, "run_id": lr.run.run_id, "shard_items": SHARD_ITEMS,
            "shards": shards, "items": [s.item_id for s in samples],
            "scores": [s.scores.get(variant) for s in samples],
        })
    index = {"suites": list(suites.values())}
    write_json(dest / "index.json", index)
    return index
