"""The scaling page: pass@k vs k and vs cost, built from data."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from evals.records import ReportedResult
from generator.site import charts
from generator.site.load import LoadedRun, SiteData
from generator.site.registry import ChartRef, Page
from generator.site.suite_pages import passk_frames, reference_rules
from generator.site.suites import SuiteInfo, reported_on
from generator.site.views import pct


def passk_runs(shown: dict[tuple[str, str], LoadedRun]) -> dict[str, list[LoadedRun]]:
    out: dict[str, list[LoadedRun]] = {}
    for (_, sid), lr in sorted(shown.items()):
        if any(m.k is not None and m.group is None for m in lr.run.metrics):
            out.setdefault(sid, []).append(lr)
    return out


@dataclass
class ScalingSuite:
    id: str
    name: str
    by_k: ChartRef
    by_cost: ChartRef
    ks: list[int]
    rows: list[tuple[str, list[str]]]


def scaling_page(data: SiteData, shown: dict[tuple[str, str], LoadedRun], infos: list[SuiteInfo]) -> Page | None:
    """``scaling.md``: for every suite with repeated samples, pass@k against k and against cost (with the published
    pass@1 that sits on that suite's protocol); None if none."""
    by_suite = passk_runs(shown)
    if not by_suite:
        return None
    page = Page("scaling.md", "Charts", "Scaling (pass@k)", "scaling.md.j2")
    suites = []
    for sid, runs in by_suite.items():
        pk, pk_cost = passk_frames(runs, data)
        name = runs[0].run.suite.display_name or sid
        by_k = page.chart(ChartRef(f"scaling-{sid}", f"{name} pass@k against k"), charts.passk_scaling(
            pk, reference_rules(_published(sid, infos, data)), f"{name}: pass@k vs k (95% CI)"))
        by_cost = page.chart(ChartRef(f"scaling-cost-{sid}", f"{name} pass@k against cost"), charts.passk_cost(
            pk_cost, f"{name}: pass@k vs cost per problem"))
        table = pk.pivot_table(index="model", columns="k", values="value").sort_index() if len(pk) else pd.DataFrame()
        suites.append(ScalingSuite(sid, name, by_k, by_cost, [int(k) for k in table.columns],
                                   [(str(m), [pct(v) if v == v else "–" for v in table.loc[m]]) for m in table.index]))
    page.view = suites
    return page


def _published(sid: str, infos: list[SuiteInfo], data: SiteData) -> list[ReportedResult]:
    info = next((c for c in infos if c.id == sid), None)
    return reported_on(info, infos, data.reported, data.models) if info is not None else []

