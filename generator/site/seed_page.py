"""The seed question's pages, built from ``site_data/`` alone (the story file ``reported/story.yaml`` names the
question, the models, the claims and the failure cases; the numbers come from the reported rows, the model files and
the runs):

- ``small-vs-large.md`` ("The question"): pass@k against k and against dollars, where it fails (per problem and
  in the scenarios, with the model's own outputs) and the verdict, written from the data;
- ``small-vs-large/head-to-head.md``: a different claim (a large model against the opponent on several benchmarks,
  both from one third-party runner), with every other published number next to what Podium reproduced."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.records import ModelEntry, ReportedResult
from evals.story import STORY_FILE, FailureCase, HeadToHeadClaim, SeedStory, load_story
from generator.site.leaderboard import Row
from generator.site.load import LoadedRun, SiteData
from generator.site.pages import render, root_for, write_json
from generator.site.seed_charts import question_cost, question_passk
from generator.site.seed_data import Question, build_question, curves
from generator.site.seed_failures import FailureView, failure_stats, failure_views, matrix
from generator.site.seed_frames import cost_frames, passk_frames
from generator.site.seed_verdict import usd, verdict
from generator.site.views import pct

PAGE = "small-vs-large.md"
H2H_PAGE = "small-vs-large/head-to-head.md"
CHART_PASSK = "charts/question-passk.json"
CHART_COST = "charts/question-cost.json"

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
            root: str, claim: HeadToHeadClaim) -> tuple[str, str | None]:
    """What Podium has on this benchmark for the two models, or that it has none."""
    runs = {mid: lr for (mid, _), lr in shown.items() if lr.run.suite.base == suite}  # reported rows name base suites
    if not runs:
        return "not a Podium suite", None
    opponent = claim.opponent.strip(" (")
    found = [(models[mid].name, lr.run.main()) for mid, lr in sorted(runs.items())
             if models[mid].name.startswith((claim.challenger, opponent))]
    if not found:
        return (f"no Podium run of {claim.challenger} or {opponent}; {len(runs)} other model(s) on the suite page",
                f"{root}suites/{suite}/")
    return "; ".join(f"{name}: {m.label} {pct(m.value)} [{pct(m.ci_low)}–{pct(m.ci_high)}], n={m.n}" if m else
                     f"{name}: no main metric" for name, m in found), f"{root}suites/{suite}/"


def head_to_head(reported: list[ReportedResult], shown: dict[tuple[str, str], LoadedRun],
                 models: dict[str, ModelEntry], root: str, claim: HeadToHeadClaim) -> HeadToHead:
    """The challenger's rows from one runner against every dated set of the opponent's rows from that runner,
    paired on (suite, metric) — a benchmark's categories are metrics of their own."""
    runner = [r for r in reported if r.source.startswith(claim.runner)]
    mine = {(r.suite, r.metric): r for r in runner if r.model.startswith(claim.challenger)}
    theirs: dict[str, dict[tuple[str, str], ReportedResult]] = {}  # date → (suite, metric) → row
    for r in runner:
        if r.model.startswith(claim.opponent):
            theirs.setdefault(r.source_date, {})[(r.suite, r.metric)] = r
    dates = sorted(theirs)
    base = {r.suite: r for r in reported if r.model.startswith(claim.challenger) and claim.base_marker in r.model}
    per_suite = Counter(suite for suite, _ in mine)
    h2h = HeadToHead(_side(list(mine.values())) if mine else None, [_side(list(theirs[d].values())) for d in dates])
    for (suite, metric), row in sorted(mine.items()):
        opp = [theirs[d].get((suite, metric)) for d in dates]
        if any(o is not None for o in opp):
            text, link = _podium(suite, shown, models, root, claim)
            h2h.duels.append(Duel(suite, metric, row.protocol, row, base.get(suite) if per_suite[suite] == 1 else None,
                                  opp, text, link))
    return h2h


def _render_h2h(story: SeedStory | None, data: SiteData, shown: dict[tuple[str, str], LoadedRun],
                docs: Path) -> list[ReportedResult]:
    """The head-to-head page; returns the reported rows it shows in its table of duels."""
    root = root_for(H2H_PAGE)
    claim = story.head_to_head if story else None
    h2h = head_to_head(data.reported, shown, data.models, root, claim) if claim else HeadToHead(None)
    in_h2h = {id(r) for d in h2h.duels for r in [d.challenger, d.base, *d.opponents] if r is not None}
    question = story.suite if story else None
    others = sorted((r for r in data.reported if r.suite != question and id(r) not in in_h2h),
                    key=lambda r: (r.suite, r.model))
    reproduced: dict[tuple[str, str], Any] = {}
    for (mid, _), lr in shown.items():
        m = lr.run.main()
        if m is not None:
            reproduced[(mid, lr.run.suite.base)] = m
    render("seed_h2h.md.j2", H2H_PAGE, docs, claim=claim, h2h=h2h, others=others, reproduced=reproduced, pct=pct,
           question_page=f"{root}small-vs-large/")
    return [r for d in h2h.duels for r in [d.challenger, d.base, *d.opponents] if r is not None]


def _charts(q: Question, docs: Path) -> None:
    measured, points, band = passk_frames(q)
    write_json(docs / CHART_PASSK, question_passk(measured, points, band))
    measured, points, band = cost_frames(q)
    write_json(docs / CHART_COST, question_cost(measured, points, band))


def render_seed(data: SiteData, shown: dict[tuple[str, str], LoadedRun], docs: Path, rows: list[Row]) -> None:
    """``small-vs-large.md`` (the question, answered by its four parts) and its head-to-head page."""
    story = load_story(data.root)
    _render_h2h(story, data, shown, docs)
    root = root_for(PAGE)
    if story is None:
        views, models = matrix(data, root)
        every = [FailureView(FailureCase(scenario=v.info.id, label=v.info.title), v.info, v.rows) for v in views]
        render("seed.md.j2", PAGE, docs, story=None, story_file=STORY_FILE, curves=curves(data, None), pct=pct,
               fails=every, fail_models=models, h2h_page=f"{root}small-vs-large/head-to-head/")
        return
    q = build_question(story, data)
    fails, models = failure_views(story.failures, data, root)
    v = verdict(q, failure_stats(fails, models))
    _charts(q, docs)
    render("seed.md.j2", PAGE, docs, story=story, story_file=STORY_FILE, q=q, verdict=v, fails=fails,
           fail_models=models, curves=q.curves, pct=pct, usd=usd, chart_passk=f"{root}{CHART_PASSK}",
           chart_cost=f"{root}{CHART_COST}", h2h_page=f"{root}small-vs-large/head-to-head/")
