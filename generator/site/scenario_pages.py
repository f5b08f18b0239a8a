"""The scenarios page: a scenarios × models matrix of success rates (95% Wilson CI, graded n, ungraded count)
with per-protocol rows for tool scenarios, per-category roll-ups, and what every scenario checks — each cell
linking to the trials' transcripts in the gallery.

Everything comes from the runs: each run of a scenario suite carries its scenarios' metadata
(``RunRecord.suite.scenarios``) and per-scenario metrics (group kind "scenario"). For every (model,
scenario) the newest run that evaluated the scenario is used; rows say when models ran different YAML
versions of a scenario, so such numbers are never mixed silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from evals.records import Group, MetricRef, ModelEntry, RunRecord, ScenarioRecord
from generator.site.load import LoadedRun, SiteData
from generator.site.pages import root_for
from generator.site.registry import Page
from generator.site.views import pct


@dataclass(frozen=True)
class MatrixCell:
    text: str  # "70%" or "ungraded"
    ci: str  # "40–89%"
    n: int  # graded trials
    ungraded: int  # trials without a verdict
    link: str  # gallery view of these trials
    cls: str  # pass-hi | pass-lo | ""
    successes: float = 0.0


@dataclass
class MatrixRow:
    scenario: ScenarioRecord
    protocol: str  # "all", "native", "action"
    cells: dict[str, MatrixCell | None] = field(default_factory=dict)  # model id → cell
    note: str = ""  # e.g. "models ran different versions"


@dataclass
class ScenarioView:
    info: ScenarioRecord
    rows: list[MatrixRow]
    links: list[tuple[ModelEntry, str]]  # (model, gallery link)


def scenario_runs(data: SiteData) -> dict[tuple[str, str], tuple[LoadedRun, ScenarioRecord]]:
    """(model id, scenario id) → the newest full run that evaluated the scenario, with its metadata."""
    best: dict[tuple[str, str], tuple[LoadedRun, ScenarioRecord]] = {}
    for lr in sorted(data.runs, key=lambda r: r.run.finished_at):
        if lr.run.shard is None and not lr.run.synthetic:
            for sc in lr.run.suite.scenarios:
                best[(lr.run.model_id, sc.id)] = (lr, sc)
    return best


def gallery_link(root: str, run: RunRecord, scenario_id: str) -> str:
    """The scenario's trials in the gallery, every model of the run's suite side by side."""
    return f"{root}gallery/#suite={run.suite.id}&q={scenario_id}/"


def _cell(run: RunRecord, sc: ScenarioRecord, variant: str, link: str) -> MatrixCell | None:
    group = Group(kind="scenario", id=sc.id)
    m = run.metric(MetricRef(name="success_rate", variant=variant), group)
    ung = run.metric(MetricRef(name="ungraded", variant="trials"), group)
    ungraded = round(ung.value * ung.n) if ung is not None and variant == "pass" else 0
    if m is None:
        return MatrixCell("ungraded", "", 0, ungraded, link, "") if ungraded else None
    cls = "pass-hi" if m.ci_low >= 0.5 else "pass-lo" if m.ci_high < 0.5 else ""
    return MatrixCell(pct(m.value), f"{m.ci_low * 100:.0f}–{m.ci_high * 100:.0f}%", m.n, ungraded, link, cls,
                      successes=m.value * m.n)


def build_views(data: SiteData, root: str) -> tuple[list[ScenarioView], list[ModelEntry]]:
    best = scenario_runs(data)
    model_ids = sorted({mid for mid, _ in best}, key=lambda mid: data.models[mid].name.lower())
    infos: dict[str, ScenarioRecord] = {}
    for (_, sid), (_lr, sc) in sorted(best.items(), key=lambda kv: kv[1][0].run.finished_at):
        infos[sid] = sc  # the newest metadata wins
    order = {"original": 0, "ours": 1}
    views = []
    for sid, info in sorted(infos.items(), key=lambda kv: (kv[1].category, order[kv[1].origin], kv[0])):
        protocols = ["all"] + (info.protocols if len(info.protocols) > 1 else [])
        rows = [MatrixRow(info, p) for p in protocols]
        links = []
        shas = {best[(mid, sid)][1].sha256 for mid in model_ids if (mid, sid) in best}
        for mid in model_ids:
            if (mid, sid) not in best:
                continue
            lr, sc = best[(mid, sid)]
            link = gallery_link(root, lr.run, sid)
            links.append((data.models[mid], link))
            for row in rows:
                row.cells[mid] = _cell(lr.run, sc, "pass" if row.protocol == "all" else row.protocol, link)
        if len(shas) > 1:
            rows[0].note = "models ran different versions of this scenario's YAML"
        views.append(ScenarioView(info, rows, links))
    return views, [data.models[mid] for mid in model_ids]


def category_rows(data: SiteData, views: list[ScenarioView],
                  models: list[ModelEntry]) -> list[tuple[str, dict[str, MatrixCell]]]:
    """Success rate per category and over all scenarios, per model — the values stored by each model's newest
    full ``scenarios`` run (the suite pools graded trials; the site never recomputes an interval)."""
    newest: dict[str, RunRecord] = {}
    for lr in sorted(data.runs, key=lambda r: r.run.finished_at):
        s = lr.run.suite
        if lr.run.shard is None and not lr.run.synthetic and s.scenarios and s.id == s.base:  # the whole suite
            newest[lr.run.model_id] = lr.run
    out = []
    for label in [*sorted({v.info.category for v in views}), "all scenarios"]:
        group = None if label == "all scenarios" else Group(kind="category", id=label)
        cells: dict[str, MatrixCell] = {}
        for m in models:
            run = newest.get(m.id)
            if run is None:
                continue
            rate = run.metric(MetricRef(name="success_rate", variant="pass"), group)
            ung = run.metric(MetricRef(name="ungraded", variant="trials"), group)
            ungraded = round(ung.value * ung.n) if ung is not None else 0
            if rate is not None:
                cells[m.id] = MatrixCell(pct(rate.value), f"{rate.ci_low * 100:.0f}–{rate.ci_high * 100:.0f}%",
                                         rate.n, ungraded, "", "")
            elif ungraded:
                cells[m.id] = MatrixCell("ungraded", "", 0, ungraded, "", "")
        out.append((label, cells))
    return out


def scenarios_page(data: SiteData) -> Page | None:
    """``scenarios.md``; None when no run evaluated a scenario."""
    views, models = build_views(data, root_for("scenarios.md"))
    if not views:
        return None
    return Page("scenarios.md", "Benchmarks", "Scenarios (matrix)", "scenarios.md.j2",
                context={"views": views, "models": models, "categories": category_rows(data, views, models)})
