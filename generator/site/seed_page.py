"""The seed question's page (``small-vs-large.md``), built from data: the published claims with their sources,
the "Llama 3.1 beats GPT-4o" head-to-head from the reported rows, what Podium reproduced, and the scenario
results as a models × scenarios matrix linking to the transcripts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from evals.records import MetricValue, ModelEntry, ReportedResult
from generator.site.extra_pages import passk_runs
from generator.site.leaderboard import Row
from generator.site.load import LoadedRun, SiteData
from generator.site.pages import render, root_for
from generator.site.scenario_pages import ScenarioView, build_views
from generator.site.stats import base_suite
from generator.site.views import pct

SMALL_B = 10.0  # "small": open weights with at most this many billion parameters
# The head-to-head of the July-2024 claim: both sides from the same third-party runner (Azure AI's model catalog)
CHALLENGER = "Llama 3.1 405B"
OPPONENT = "GPT-4o ("
RUNNER = "Azure/azureml-assets"


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


@dataclass(frozen=True)
class Side:
    """One column of the head-to-head: a model's numbers from one source and date."""

    model: str
    source: str
    date: str
    notes: str


@dataclass
class Duel:
    """One benchmark of the head-to-head."""

    suite: str
    metric: str
    protocol: str
    challenger: ReportedResult
    base: ReportedResult | None  # the challenger's base model, from its model card, when published
    opponents: list[ReportedResult | None]  # aligned with HeadToHead.sides
    podium: str  # what Podium reproduced for this benchmark
    podium_link: str | None = None


@dataclass
class HeadToHead:
    challenger: Side | None
    sides: list[Side] = field(default_factory=list)
    duels: list[Duel] = field(default_factory=list)

    def wins(self, k: int) -> tuple[int, int]:
        """(benchmarks where the challenger scores higher than opponent column ``k``, benchmarks compared)."""
        pairs = [(d.challenger.value, o.value) for d in self.duels if (o := d.opponents[k]) is not None]
        return sum(1 for c, o in pairs if c > o), len(pairs)


def _side(rows: list[ReportedResult]) -> Side:
    r = rows[0]
    return Side(r.model, r.source.split(" evaluation_results/")[0], r.source_date, r.notes or "")


def _podium(suite: str, shown: dict[tuple[str, str], LoadedRun], models: dict[str, ModelEntry],
            root: str) -> tuple[str, str | None]:
    """What Podium has on this benchmark for the two models, or that it has none."""
    runs = {mid: lr for (mid, sid), lr in shown.items() if base_suite(sid) == base_suite(suite)}
    if not runs:
        return "not a Podium suite", None
    found = [(models[mid].name, lr.run.main()) for mid, lr in sorted(runs.items())
             if models[mid].name.startswith((CHALLENGER, OPPONENT.strip(" (")))]
    if not found:
        return (f"no Podium run of {CHALLENGER} or GPT-4o; {len(runs)} other model(s) on the suite page",
                f"{root}suites/{base_suite(suite)}/")
    return "; ".join(f"{name}: {m.label} {pct(m.value)} [{pct(m.ci_low)}–{pct(m.ci_high)}], n={m.n}" if m else
                     f"{name}: no main metric" for name, m in found), f"{root}suites/{base_suite(suite)}/"


def head_to_head(reported: list[ReportedResult], shown: dict[tuple[str, str], LoadedRun],
                 models: dict[str, ModelEntry], root: str) -> HeadToHead:
    """The challenger's rows from one runner against every dated set of the opponent's rows from that runner,
    paired on (suite, metric) — MMLU's categories are metrics of their own."""
    runner = [r for r in reported if r.source.startswith(RUNNER)]
    mine = {(r.suite, r.metric): r for r in runner if r.model.startswith(CHALLENGER)}
    theirs: dict[str, dict[tuple[str, str], ReportedResult]] = {}  # date → (suite, metric) → row
    for r in runner:
        if r.model.startswith(OPPONENT):
            theirs.setdefault(r.source_date, {})[(r.suite, r.metric)] = r
    dates = sorted(theirs)
    base = {r.suite: r for r in reported if r.model.startswith(CHALLENGER) and "base" in r.model}
    per_suite = Counter(suite for suite, _ in mine)
    h2h = HeadToHead(_side(list(mine.values())) if mine else None, [_side(list(theirs[d].values())) for d in dates])
    for (suite, metric), row in sorted(mine.items()):
        opp = [theirs[d].get((suite, metric)) for d in dates]
        if any(o is not None for o in opp):
            text, link = _podium(suite, shown, models, root)
            h2h.duels.append(Duel(suite, metric, row.protocol, row, base.get(suite) if per_suite[suite] == 1 else None,
                                  opp, text, link))
    return h2h


def _matrix(data: SiteData, root: str) -> tuple[list[ScenarioView], list[ModelEntry]]:
    """The scenarios page's matrix, each cell linking to that model's transcripts of the scenario."""
    views, models = build_views(data, root)
    for v in views:
        for row in v.rows:
            for mid, c in list(row.cells.items()):
                if c is not None:
                    row.cells[mid] = replace(c, link=f"{c.link}&models={mid}")
    return views, models


def render_seed(data: SiteData, shown: dict[tuple[str, str], LoadedRun], docs: Path, rows: list[Row]) -> None:
    """``small-vs-large.md``: the published claims with their sources next to what Podium reproduced."""
    claims = sorted((r for r in data.reported if base_suite(r.suite) == "humaneval"),
                    key=lambda r: (r.model, r.source_date, r.metric))
    # the reference: GPT-4o's published pass@1, preferring a row tied to a site_data model (the snapshot we price)
    gpt4o = sorted((r for r in claims if "gpt-4o" in r.model.lower() and r.metric == "pass@1"),
                   key=lambda r: (r.model_id is None, r.source_date, r.model))
    ref = gpt4o[0] if gpt4o else None
    verdicts: dict[str, list[Verdict]] = {}
    if ref is not None:
        for sid, runs in passk_runs(shown).items():
            verdicts[sid] = _verdicts(runs, data, ref.value)
    page = "small-vs-large.md"
    h2h = head_to_head(data.reported, shown, data.models, root_for(page))
    in_h2h = {id(r) for d in h2h.duels for r in [d.challenger, d.base, *d.opponents] if r is not None}
    others = sorted((r for r in data.reported if base_suite(r.suite) != "humaneval" and id(r) not in in_h2h),
                    key=lambda r: (base_suite(r.suite), r.model))
    reproduced: dict[tuple[str, str], Any] = {}
    for (mid, sid), lr in shown.items():
        m = lr.run.main()
        if m is not None:
            reproduced[(mid, base_suite(sid))] = m
    views, models = _matrix(data, root_for(page))
    render("seed.md.j2", page, docs, claims=claims, ref=ref, verdicts=verdicts, others=others,
           reproduced=reproduced, pct=pct, base_suite=base_suite, scen_views=views, scen_models=models,
           small=SMALL_B, h2h=h2h)
