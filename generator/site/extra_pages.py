"""The scaling page (pass@k vs k and vs cost) and the seed question's page, both built from data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evals.atomic import write_json
from evals.records import MetricValue, ReportedResult
from generator.site import charts
from generator.site.leaderboard import Row
from generator.site.load import LoadedRun, SiteData
from generator.site.pages import render, root_for
from generator.site.scenario_pages import build_views
from generator.site.stats import base_suite
from generator.site.suite_pages import _passk_frames
from generator.site.views import pct

SMALL_B = 10.0  # "small": open weights with at most this many billion parameters


def _passk_runs(shown: dict[tuple[str, str], LoadedRun]) -> dict[str, list[LoadedRun]]:
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
    by_suite = _passk_runs(shown)
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


@dataclass(frozen=True)
class Verdict:
    model: str
    params: float | None
    best: MetricValue
    first_match: MetricValue | None  # smallest k whose CI lies above the reference
    cost_per_problem_at_match: float | None


def _verdicts(runs: list[LoadedRun], data: SiteData, ref: float) -> list[Verdict]:
    out = []
    for lr in runs:
        model = data.models[lr.run.model_id]
        if not model.open_weights or (model.parameters_b or 1e9) > SMALL_B:
            continue
        pk = sorted((m for m in lr.run.metrics if m.k is not None and m.group is None), key=lambda m: m.k or 0)
        if not pk:
            continue
        match = next((m for m in pk if m.ci_low > ref), None)
        per_sample = (lr.run.cost.usd or 0.0) / max(1, lr.run.n_items * lr.run.sampling.n)
        out.append(Verdict(model.name, model.parameters_b, pk[-1], match,
                           per_sample * match.k if match and match.k and lr.run.cost.usd is not None else None))
    return sorted(out, key=lambda v: -v.best.value)


def render_seed(data: SiteData, shown: dict[tuple[str, str], LoadedRun], docs: Path, rows: list[Row]) -> None:
    """``small-vs-large.md``: the published claims with their sources next to what Podium reproduced."""
    claims = sorted((r for r in data.reported if base_suite(r.suite) == "humaneval"),
                    key=lambda r: (r.model, r.metric))
    # the reference: GPT-4o's published pass@1, preferring a row tied to a site_data model (the snapshot we price)
    gpt4o = sorted((r for r in claims if "gpt-4o" in r.model.lower() and r.metric == "pass@1"),
                   key=lambda r: (r.model_id is None, r.source_date, r.model))
    ref = gpt4o[0] if gpt4o else None
    by_suite = _passk_runs(shown)
    verdicts: dict[str, list[Verdict]] = {}
    if ref is not None:
        for sid, runs in by_suite.items():
            verdicts[sid] = _verdicts(runs, data, ref.value)
    others = sorted((r for r in data.reported if base_suite(r.suite) != "humaneval"),
                    key=lambda r: (base_suite(r.suite), r.model))
    reproduced: dict[tuple[str, str], Any] = {}
    for (mid, sid), lr in shown.items():
        m = lr.run.main()
        if m is not None:
            reproduced[(mid, base_suite(sid))] = m
    page = "small-vs-large.md"
    views, models = build_views(data, root_for(page))
    render("seed.md.j2", page, docs, claims=claims, ref=ref, verdicts=verdicts, others=others,
           reproduced=reproduced, pct=pct, base_suite=base_suite, scen_views=views, scen_models=models,
           small=SMALL_B)
