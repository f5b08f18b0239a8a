"""Per-suite pages: score table with CIs, charts (scores, pass@k scaling and cost, category breakdown), the
published numbers for the same benchmark, and links into the gallery."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from evals.records import MetricValue, ReportedResult, RunRecord
from generator.site import charts
from generator.site.gallery_files import SuiteVectors
from generator.site.leaderboard import suite_tiers
from generator.site.load import LoadedRun, SiteData
from generator.site.pages import render, write_json
from generator.site.stats import base_suite
from generator.site.views import Cell, metric_cell


def column_key(m: MetricValue) -> str:
    """Table column of a top-level metric: name, variant and aggregation — never merged silently."""
    return f"{m.label} · {m.variant}" + (" · macro" if m.aggregation == "macro" else "")


def _passk_frames(runs: list[LoadedRun], data: SiteData) -> tuple[pd.DataFrame, pd.DataFrame]:
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


def _category_frame(runs: list[LoadedRun], data: SiteData) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    cats, subjects = [], []
    for lr in runs:
        name = data.models[lr.run.model_id].name
        for m in lr.run.metrics:
            ref = lr.run.suite.main_metric
            if m.group is None or (ref is not None and m.aggregation != ref.aggregation):
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


def render_suite(sid: str, meta: Any, data: SiteData, latest: dict[tuple[str, str], LoadedRun],
                 reported: list[ReportedResult], frame: pd.DataFrame, docs: Path,
                 vectors: SuiteVectors | None = None) -> None:
    runs_here = sorted((lr for (_, s), lr in latest.items() if s == sid), key=lambda r: -_main_value(r.run))
    columns: list[str] = []
    views = []
    for lr in runs_here:
        cells: dict[str, Cell] = {}
        for m in lr.run.metrics:
            if m.group is None:
                key = column_key(m)
                cells[key] = metric_cell(m)
                if key not in columns:
                    columns.append(key)
        views.append({"model": data.models[lr.run.model_id], "run": lr.run, "cells": cells,
                      "partial": f"first {lr.run.n_items:,} of {lr.run.suite.items_total:,}" if lr.run.partial else ""})
    main = runs_here[0].run.main() if runs_here else None
    main_key = column_key(main) if main is not None else ""
    columns.sort(key=lambda c: (c != main_key, _natural(c)))
    order = []
    for lr in runs_here:
        mm = lr.run.main()
        order.append((lr.run.model_id, (mm.ci_low, mm.ci_high) if mm else (0.0, 0.0)))
    for v, (tier, test) in zip(views, suite_tiers(order, vectors), strict=True):
        v["tier"], v["test"] = tier, test
    extras: dict[str, Any] = {}
    pk, pk_cost = _passk_frames(runs_here, data)
    if len(pk):
        refs = pd.DataFrame([{"label": f"{r.model} {r.metric} (published)", "value": r.value}
                             for r in reported if base_suite(r.suite) == base_suite(sid) and r.metric == "pass@1"])
        write_json(docs / "charts" / f"passk-{sid}.json",
                   charts.passk_scaling(pk, refs, f"{meta.name}: pass@k vs k (95% bootstrap CI)"))
        write_json(docs / "charts" / f"passk-cost-{sid}.json",
                   charts.passk_cost(pk_cost, f"{meta.name}: pass@k vs cost of k samples"))
        extras["passk"] = True
    cats, subjects = _category_frame(runs_here, data)
    if len(cats):
        write_json(docs / "charts" / f"categories-{sid}.json",
                   charts.group_bars(cats, f"{meta.name} by category (micro within each)", "category"))
        extras["categories"] = True
        extras["subjects"] = _subject_rows(subjects)
    published = [r for r in reported if base_suite(r.suite) == base_suite(sid)]
    render("suite.md.j2", f"suites/{sid}.md", docs, suite=meta, variants=columns, runs=views,
           published=published, **extras)
    write_json(docs / "charts" / f"suite-{sid}.json",
               charts.score_dots(frame[(frame["suite"] == sid) & frame["main"]], f"{meta.name} (95% CI)"))


def _subject_rows(subjects: list[dict[str, Any]]) -> dict[str, Any]:
    models = sorted({s["model"] for s in subjects})
    table: dict[str, dict[str, Cell]] = {}
    for s in subjects:
        table.setdefault(s["subject"], {})[s["model"]] = s["cell"]
    return {"models": models, "rows": sorted(table.items())}


def _main_value(run: RunRecord) -> float:
    m = run.main()
    return m.value if m else -1.0
