"""The leaderboard (home), quality vs cost, and the charts overview — pages built from the board's rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from generator.site import charts, leaderboard
from generator.site.leaderboard import Row
from generator.site.registry import ChartRef, Page
from generator.site.suites import SuiteInfo
from generator.site.views import cost_per_1k


@dataclass
class BoardView:
    cols: list[SuiteInfo]
    rows: list[Row]
    reported: list[Row]  # models with published numbers only (never ranked)
    families: list[str]
    built_at: str
    n_runs: int

    @property
    def avg_cols(self) -> list[SuiteInfo]:
        return [c for c in self.cols if c.in_average]

    @property
    def avg_groups(self) -> int:
        """How many suites Avg runs over (a suite with a chat and a completion column is one)."""
        return len(leaderboard.averaged_groups(self.cols))


def board_page(view: BoardView) -> Page:
    return Page("index.md", "Leaderboard", "Leaderboard", "leaderboard.md.j2", view)


@dataclass
class QualityCostView:
    front: list[str]
    points: list[tuple[str, float, float]]  # (model, $ per 1,000 items, normalised average)
    per_suite: list[tuple[SuiteInfo, ChartRef, list[str]]]
    average: ChartRef | None  # None: no model has every averaged suite with a price


def quality_cost_page(rows: list[Row], cols: list[SuiteInfo]) -> Page:
    """Quality vs cost for the average and per suite — counted runs only (full or random subsets), cost per 1,000
    items — with the Pareto frontier drawn and named."""
    page = Page("quality-vs-cost.md", "Charts", "Quality vs cost", "quality_cost.md.j2")
    points = [(r.model.name, r.cost, r.average) for r in rows
              if r.cost is not None and r.average is not None and not r.missing]
    pts = [(n, c, q) for n, c, q in points if c is not None and q is not None]
    front = leaderboard.pareto(pts)
    method = {r.model.name: ", ".join(sorted({c.run.cost.method for c in r.cells.values() if c.counted}))
              for r in rows}
    qc = pd.DataFrame([{"model": n, "cost": c, "value": q, "frontier": n in front, "method": method.get(n, "")}
                       for n, c, q in pts])
    avg = None if qc.empty else page.chart(ChartRef("qc-average", "Normalised average against cost per 1,000 items, Pareto frontier marked"),
                     charts.pareto_scatter(qc, "Normalised average vs cost", "normalised average above baseline",
                                           "mean cost per 1,000 items (USD)"))
    per_suite = []
    for c in cols:
        cells = [(r.model.name, r.cells[c.id]) for r in rows if c.id in r.cells and r.cells[c.id].counted]
        sp = [(n, x, s.value) for n, s in cells if (x := cost_per_1k(s.run)) is not None]
        if not sp:
            continue
        f = leaderboard.pareto([p for p in sp if p[2] > c.baseline])  # no skill, no place on the frontier
        how = {n: s.run.cost.method for n, s in cells}
        df = pd.DataFrame([{"model": n, "cost": x, "value": y, "frontier": n in f, "method": how.get(n, "")}
                           for n, x, y in sp])
        ref = page.chart(ChartRef(f"qc-{c.id}", f"{c.name} score against cost, Pareto frontier marked"),
                         charts.pareto_scatter(df, f"{c.name}: {c.metric} vs cost", c.metric,
                                               "cost per 1,000 items (USD)", baseline=c.baseline or None))
        per_suite.append((c, ref, sorted(f)))
    page.view = QualityCostView(sorted(front), sorted(points, key=lambda p: p[1] or 0), per_suite, avg)
    return page


@dataclass
class ChartsView:
    scores: ChartRef
    links: list[tuple[str, str]]  # (title, route) of every page with a chart


def charts_page(frame: pd.DataFrame, cols: list[SuiteInfo], chart_pages: list[Page]) -> Page:
    """Every suite's scores in one faceted chart, and links to every other chart page."""
    page = Page("charts.md", "Charts", "All scores", "charts.md.j2")
    floor = {c.id: c.baseline or None for c in cols}  # free answers (baseline 0) draw no rule
    mains = frame[frame["main"].astype(bool)].assign(baseline=lambda d: d["suite"].map(floor))
    names = {c.id: c.name for c in cols}
    mains = mains.assign(suite=mains["suite"].map(lambda s: names.get(s, s)))
    ref = page.chart(ChartRef("leaderboard", "Main metric per model, one panel per suite, with 95% confidence "
                              "intervals and the baseline"),
                     charts.faceted_scores(mains, "Main metric per suite (95% CI; dashed: baseline)"))
    page.view = ChartsView(ref, [(p.title, p.route) for p in chart_pages if p.charts])
    return page


def built_at() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")
