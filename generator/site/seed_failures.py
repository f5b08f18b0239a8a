"""Where it fails, from the scenario runs: for each failure case the story names (a scenario id), the success rate
per model and protocol (the scenarios page's cells, linking to the transcripts) and a few of the model's own
trials — the greedy one and a sampled one that went the other way — with the tool calls made and the grader's
reason, each linking to that trial in the gallery."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

from evals.records import (
    ModelEntry,
    OutputRecord,
    SampleRecord,
    ScenarioDetail,
    ScenarioRecord,
    ToolCallRecord,
)
from evals.story import FailureCase
from generator.site.load import LoadedRun, SiteData
from generator.site.scenario_pages import MatrixRow, ScenarioView, build_views, scenario_runs
from generator.site.seed_verdict import FailureStat

TEXT_LIMIT = 600
SHOWN_PER_PROTOCOL = 2


@dataclass(frozen=True)
class Trial:
    item_id: str
    protocol: str
    label: str  # "greedy", "sample 3"
    passed: bool | None  # None: ungraded
    text: str  # the final reply, cut at TEXT_LIMIT characters
    calls: list[str]  # tool calls and their results, in order
    explanation: str
    link: str


@dataclass
class FailureView:
    case: FailureCase
    info: ScenarioRecord | None
    rows: list[MatrixRow]
    trials: list[tuple[ModelEntry, list[Trial]]] = field(default_factory=list)


def matrix(data: SiteData, root: str) -> tuple[list[ScenarioView], list[ModelEntry]]:
    """The scenarios page's matrix, each cell linking to that model's transcripts of the scenario."""
    views, models = build_views(data, root)
    for v in views:
        for row in v.rows:
            for mid, c in list(row.cells.items()):
                if c is not None:
                    row.cells[mid] = replace(c, link=f"{c.link}&models={mid}")
    return views, models


def _cut(text: str, limit: int = TEXT_LIMIT) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def _passed(o: OutputRecord) -> bool | None:
    if o.scores.get("ungraded"):
        return None
    return bool(o.scores.get("pass", 0.0) >= 1)


def call_text(c: ToolCallRecord) -> str:
    """A tool call in words: ``gcd({"a": 6})``; one that could not be read says so, with what the model wrote —
    never ``({})`` (an unreadable call is stored with no name and ``{}``, which the model did not write). The
    gallery's ``callText`` (assets/podium.js) follows the same rule."""
    name, args = c.name.strip(), c.arguments.strip()
    if not name or c.error:
        args = "" if args == "{}" else _cut(args, 120)
        head = f"{name} {args}".strip() if name else "unreadable tool call" + (f": {args}" if args else "")
        return head + (f" — {'unreadable: ' if name else ''}{c.error}" if c.error else "")
    return f"{name}({_cut(args, 120)})"


def _calls(o: OutputRecord) -> list[str]:
    out = []
    for turn in o.transcript or []:
        out += [call_text(c) for c in turn.tool_calls]
        if turn.role == "tool":
            out.append(f"  → {_cut(turn.content, 120)}")
    return out


def _trial(s: SampleRecord, o: OutputRecord, d: ScenarioDetail, link: str) -> Trial:
    return Trial(s.item_id, d.protocol, "greedy" if d.trial == 0 else f"sample {d.trial}", _passed(o),
                 _cut(o.text), _calls(o), _cut("; ".join(g.explanation for g in o.grades), 400), link)


def pick_trials(samples: list[SampleRecord], scenario: str, link: str) -> list[Trial]:
    """Per protocol: the greedy trial and the first sampled one whose verdict differs from it (else the first)."""
    by_protocol: dict[str, list[tuple[SampleRecord, OutputRecord, ScenarioDetail]]] = {}
    for s in samples:
        if s.group is None or s.group.id != scenario:
            continue
        for o in s.outputs:
            if isinstance(o.detail, ScenarioDetail):
                by_protocol.setdefault(o.detail.protocol, []).append((s, o, o.detail))
    out: list[Trial] = []
    for _proto, trials in by_protocol.items():
        trials.sort(key=lambda t: t[2].trial)
        first = trials[0]
        other = next((t for t in trials[1:] if _passed(t[1]) != _passed(first[1])), trials[1] if len(trials) > 1
                     else None)
        for s, o, d in [first] + ([other] if other else [])[:SHOWN_PER_PROTOCOL - 1]:
            out.append(_trial(s, o, d, f"{link}&item={quote(s.item_id, safe='/')}"))
    return out


def failure_views(cases: list[FailureCase], data: SiteData, root: str) -> tuple[list[FailureView], list[ModelEntry]]:
    views, models = matrix(data, root)
    best = scenario_runs(data)
    cache: dict[Path, list[SampleRecord]] = {}
    out = []
    for case in cases:
        v = next((v for v in views if v.info.id == case.scenario), None)
        fv = FailureView(case, v.info if v else None, v.rows if v else [])
        for m in models:
            if (m.id, case.scenario) not in best:
                continue
            lr: LoadedRun = best[(m.id, case.scenario)][0]
            if lr.dir not in cache:
                cache[lr.dir] = lr.samples()
            link = f"{root}gallery/#suite={quote(lr.run.suite.id)}&models={quote(m.id)}"
            fv.trials.append((m, pick_trials(cache[lr.dir], case.scenario, link)))
        out.append(fv)
    return out, models


def failure_stats(views: list[FailureView], models: list[ModelEntry]) -> list[FailureStat]:
    """Each model's graded trials and successes on each case (all protocols pooled), for the verdict."""
    out = []
    for fv in views:
        row = next((r for r in fv.rows if r.protocol == "all"), None)
        for m in models:
            c = row.cells.get(m.id) if row else None
            if c is not None and c.n:
                out.append(FailureStat(fv.case.label, m.name, round(c.successes), c.n))
    return out
