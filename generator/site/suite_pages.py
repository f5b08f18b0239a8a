"""Per-suite pages: score table with CIs and paired tests, baselines (chance, majority), response bias, charts
(scores, pass@k scaling and cost, category breakdown), the published numbers for the same benchmark, and links into
the gallery."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evals.records import MetricValue, ReportedResult, RunRecord
from generator.site import charts
from generator.site.gallery_files import SuiteVectors
from generator.site.leaderboard import PairTest, suite_tiers
from generator.site.load import LoadedRun, SiteData
from generator.site.registry import ChartRef, Page
from generator.site.suites import (
    BelowBaseline,
    SuiteInfo,
    baseline_note,
    bias_note,
    bias_text,
    protocol_flag,
    reported_on,
)
from generator.site.views import Cell, cost_per_1k, metric_cell, usd


def column_key(m: MetricValue) -> str:
    """Table column of a top-level metric: name, variant and aggregation — never merged silently."""
    return f"{m.label} · {m.variant}" + (" · macro" if m.aggregation == "macro" else "")


@dataclass
class SuiteRow:
    model: Any  # ModelEntry
    run: RunRecord
    cells: dict[str, Cell]
    selection: str  # '' for a full run
    counted: bool
    protocol_flag: str
    bias: str
    bias_note: str
    cost: str  # per 1,000 items (and per solved problem for pass@k)
    tier: int = 0
    test: PairTest | None = None
    floor: BelowBaseline | None = None  # set when the main score does not beat the suite's baseline


@dataclass
class SuiteView:
    suite: SuiteInfo
    variants: list[str]
    rows: list[SuiteRow]
    published: list[ReportedResult]
    scores: ChartRef
    passk: ChartRef | None = None
    passk_cost: ChartRef | None = None
    categories: ChartRef | None = None
    subjects: dict[str, Any] = field(default_factory=dict)


def passk_frames(runs: list[LoadedRun], data: SiteData) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, cost_rows = [], []
    for lr in runs:
        run = lr.run
        samples_total = max(1, run.n_items * run.sampling.n)
        usd_per_sample = (run.cost.usd or 0.0) / samples_total
        tok_per_sample = run.completion_tokens / samples_total
        for m in run.metrics:
            if m.k is not None and m.group is None:
                k = m.k
                row = {"model": data.models[run.model_id].name, "k": k, "value": m.value, "ci_low": m.ci_low,
                       "ci_high": m.ci_high, "n": m.n}
                rows.append(row)
                cost_rows.append({**row, "cost_per_problem": usd_per_sample * k,
                                  "tokens_per_problem": tok_per_sample * k, "cost_method": run.cost.method})
    return pd.DataFrame(rows), pd.DataFrame(cost_rows)


def reference_rules(reported: list[ReportedResult]) -> pd.DataFrame:
    """Published pass@1 of the suite's benchmark (those :func:`~generator.site.suites.reported_on` puts on this
    suite's protocol), drawn as reference lines."""
    return pd.DataFrame([{"label": f"{r.model} {r.metric}", "value": r.value}
                         for r in reported if r.metric == "pass@1"], columns=["label", "value"])


def _category_frame(runs: list[LoadedRun], data: SiteData) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Per-group values of each run's main metric only (never another metric such as a count of ungraded trials)."""
    cats, subjects = [], []
    for lr in runs:
        name = data.models[lr.run.model_id].name
        ref = lr.run.suite.main_metric
        for m in lr.run.metrics:
            if m.group is None or ref is None or not m.is_(ref):
                continue
            if m.group.kind == "category":
                cats.append({"model": name, "group": m.group.id.replace("_", " "), "value": m.value,
                             "ci_low": m.ci_low, "ci_high": m.ci_high, "n": m.n})
            elif m.group.kind == "subject":
                subjects.append({"model": name, "subject": m.group.id.replace("_", " "), "cell": metric_cell(m)})
    return pd.DataFrame(cats), subjects


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key with numbers compared as numbers: pass@2 before pass@10."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", text) if p)


def cost_text(run: RunRecord) -> str:
    """'$0.0123 per 1,000 items' (+ '· $0.04 per solved problem' for pass@k runs)."""
    per = cost_per_1k(run)
    if per is None:
        return "–"
    out = f"{usd(per)} per 1,000 items"
    p1 = next((m for m in run.metrics if m.k == 1 and m.group is None), None)
    if p1 is not None and run.cost.usd is not None:
        solved = p1.value * run.n_items * run.sampling.n
        out += f" · {usd(run.cost.usd / solved)} per solved problem" if solved else " · none solved"
    return out


def _row(lr: LoadedRun, data: SiteData, info: SuiteInfo, columns: list[str]) -> SuiteRow:
    run = lr.run
    model = data.models[run.model_id]
    cells: dict[str, Cell] = {}
    for m in run.metrics:
        if m.group is None:
            key = column_key(m)
            cells[key] = metric_cell(m)
            if key not in columns:
                columns.append(key)
    sel = run.suite.selection
    main = run.main()
    return SuiteRow(model, run, cells, "" if sel.kind == "full" and not sel.subjects else sel.text,
                    run.representative and info.in_average, protocol_flag(run, model), bias_text(run),
                    bias_note(run), cost_text(run), floor=baseline_note(run, main.value) if main else None)


def suite_page(info: SuiteInfo, data: SiteData, shown: dict[tuple[str, str], LoadedRun],
               frame: pd.DataFrame, vectors: SuiteVectors | None, infos: list[SuiteInfo]) -> Page:
    """``infos``: every suite on the board (a published number sits on one of its suite's protocols)."""
    sid = info.id
    runs_here = sorted((lr for (_, s), lr in shown.items() if s == sid), key=lambda r: -_main_value(r.run))
    columns: list[str] = []
    rows = [_row(lr, data, info, columns) for lr in runs_here]
    main = runs_here[0].run.main() if runs_here else None
    main_key = column_key(main) if main is not None else ""
    columns.sort(key=lambda c: (c != main_key, _natural(c)))
    order = []
    for lr in runs_here:
        mm = lr.run.main()
        order.append((lr.run.model_id, (mm.ci_low, mm.ci_high) if mm else (0.0, 0.0)))
    for r, (tier, test) in zip(rows, suite_tiers(order, vectors), strict=True):
        r.tier, r.test = tier, test
    page = Page(f"suites/{sid}.md", "Benchmarks", info.name, "suite.md.j2")
    base = charts.baselines_frame(info.chance, info.majority, info.majority_label)
    mains = frame[(frame["suite"] == sid) & frame["main"]]
    published = reported_on(info, infos, data.reported, data.models)
    view = SuiteView(info, columns, rows, published,
                     page.chart(ChartRef(f"suite-{sid}", f"{info.name} scores with 95% confidence intervals"),
                                charts.score_dots(mains, base, f"{info.name} (95% CI)", info.metric)))
    pk, pk_cost = passk_frames(runs_here, data)
    if len(pk):
        view.passk = page.chart(ChartRef(f"passk-{sid}", "pass@k against k"), charts.passk_scaling(
            pk, reference_rules(published), f"{info.name}: pass@k vs k (95% bootstrap CI)"))
        view.passk_cost = page.chart(ChartRef(f"passk-cost-{sid}", "pass@k against cost"), charts.passk_cost(
            pk_cost, f"{info.name}: pass@k vs cost of k samples"))
    cats, subjects = _category_frame(runs_here, data)
    if len(cats):
        view.categories = page.chart(ChartRef(f"categories-{sid}", f"{info.metric} per category"), charts.group_bars(
            cats, base, f"{info.name} by category (micro within each)", "category", info.metric))
    if subjects:
        view.subjects = _subject_rows(subjects)
    page.view = view
    return page


def _subject_rows(subjects: list[dict[str, Any]]) -> dict[str, Any]:
    models = sorted({s["model"] for s in subjects})
    table: dict[str, dict[str, Cell]] = {}
    for s in subjects:
        table.setdefault(s["subject"], {})[s["model"]] = s["cell"]
    return {"models": models, "rows": sorted(table.items())}


def _main_value(run: RunRecord) -> float:
    m = run.main()
    return m.value if m else -1.0
