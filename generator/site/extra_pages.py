"""The scaling page: pass@k vs k and vs cost, built from data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evals.records import ReportedResult
from generator.site import charts
from generator.site.load import LoadedRun, SiteData
from generator.site.pages import render, write_json
from generator.site.stats import base_suite
from generator.site.suite_pages import _passk_frames
from generator.site.views import pct


def passk_runs(shown: dict[tuple[str, str], LoadedRun]) -> dict[str, list[LoadedRun]]:
    out: dict[str, list[LoadedRun]] = {}
    for (_, sid), lr in sorted(shown.items()):
        if any(m.k is not None and m.group is None for m in lr.run.metrics):
            out.setdefault(sid, []).append(lr)
    return out


def _refs(reported: list[ReportedResult], sid: str) -> pd.DataFrame:
    return pd.DataFrame([{"label": f"{r.model} {r.metric} (published)", "value": r.value}
                         for r in reported if base_suite(r.suite) == base_suite(sid) and r.metric == "pass@1"])


def render_scaling(data: SiteData, shown: dict[tuple[str, str], LoadedRun], docs: Path) -> int:
    """``scaling.md``: for every suite with repeated samples, pass@k against k and against cost. 0 if none."""
    by_suite = passk_runs(shown)
    if not by_suite:
        return 0
    suites = []
    for sid, runs in by_suite.items():
        pk, pk_cost = _passk_frames(runs, data)
        name = runs[0].run.suite.display_name or sid
        write_json(docs / "charts" / f"scaling-{sid}.json",
                   charts.passk_scaling(pk, _refs(data.reported, sid), f"{name}: pass@k vs k (95% CI)"))
        write_json(docs / "charts" / f"scaling-cost-{sid}.json",
                   charts.passk_cost(pk_cost, f"{name}: pass@k vs cost of k samples per problem"))
        table = (pk.pivot_table(index="model", columns="k", values="value").sort_index() if len(pk) else pd.DataFrame())
        suites.append({"id": sid, "name": name, "ks": list(table.columns),
                       "rows": [(m, [pct(v) if v == v else "–" for v in table.loc[m]]) for m in table.index]})
    render("scaling.md.j2", "scaling.md", docs, suites=suites)
    return 1
