"""The leaderboard's rows: main metric per suite, normalised average, tiers, cost, reported numbers. Pure.

What counts (issue 21): Avg, Tier, the Cost column and the quality-vs-cost frontier use only runs whose selection is
representative (the full split or a random subset) of suites that count in the average; a first-N slice is shown,
labelled, and left out. Synthetic runs and unmerged shards never reach a row (:func:`~generator.site.load.select_runs`).
Models with published numbers but no run get a row of their own, marked "reported only" and never ranked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from evals.records import MetricValue, ModelEntry, ReportedResult, RunRecord
from generator.site.gallery_files import SuiteVectors
from generator.site.load import LoadedRun
from generator.site.stats import above_baseline, mcnemar_exact, normal_ci, overlap, paired_bootstrap, tiers
from generator.site.suites import (
    BelowBaseline,
    NotRun,
    SuiteInfo,
    average_pick,
    baseline_note,
    bias_note,
    fits,
    not_run_note,
    protocol_flag,
    reported_column,
)
from generator.site.views import cost_per_1k, usd

ALPHA = 0.05


@dataclass
class Score:
    """One cell of the board: a run's main metric, whether it counts, and the flags a reader must see."""

    value: float
    ci_low: float
    ci_high: float
    n: int
    run: RunRecord
    reported: list[ReportedResult] = field(default_factory=list)
    counted: bool = True  # in Avg/Tier/Cost/frontier
    protocol_flag: str = ""
    bias_note: str = ""
    floor: BelowBaseline | None = None  # set when the score does not beat the suite's baseline (it counts 0 in Avg)

    @property
    def selection(self) -> str:
        """'' for a full run, else the selection in words: 'first 2 per subject (not a random sample)'."""
        sel = self.run.suite.selection
        return "" if sel.kind == "full" and not sel.subjects else sel.text

    @property
    def cost_per_1k(self) -> float | None:
        return cost_per_1k(self.run)


@dataclass
class Row:
    model: ModelEntry
    cells: dict[str, Score] = field(default_factory=dict)
    average: float | None = None
    average_ci: tuple[float, float] | None = None
    counted: int = 0  # suites in the average
    missing: list[str] = field(default_factory=list)  # average suites without a counted run
    excluded: list[str] = field(default_factory=list)  # "<suite>: first 5 per subject (not a random sample)"
    cost: float | None = None  # mean USD per 1,000 items over the counted suites
    cost_partial: bool = False  # some counted run without a price
    cost_parts: list[tuple[str, int, float | None]] = field(default_factory=list)  # (suite, samples, $/1k items)
    tier: int = 0
    reported: dict[str, list[ReportedResult]] = field(default_factory=dict)  # reported-only rows: suite → rows
    not_run: dict[str, NotRun] = field(default_factory=dict)  # column → why this model has no cell there

    @property
    def kind(self) -> str:
        return "open" if self.model.open_weights else "api"

    @property
    def reported_only(self) -> bool:
        return not self.cells

    @property
    def _cost_sum(self) -> float:
        return sum(c for _, _, c in self.cost_parts if c is not None)

    @property
    def cost_major(self) -> str:
        """'92% <suite>' when one suite is most of the Cost mean (shown on the cell: a phone has no hover)."""
        known = self._cost_sum
        top = max(((c, n) for n, _, c in self.cost_parts if c is not None), default=None)
        return f"{top[0] / known:.0%} {top[1]}" if top is not None and known > 0 and top[0] >= known / 2 else ""

    @property
    def cost_text(self) -> str:
        """The Cost cell's title: what its mean is made of, largest first, with each part's share of the sum —
        one suite sampled 20 times per problem can be most of it."""
        known = self._cost_sum
        parts = []
        for name, samples, c in sorted(self.cost_parts, key=lambda p: -(p[2] or 0)):
            each = f" ({samples} samples per item)" if samples > 1 else ""
            share = "" if c is None or known == 0 else f", {c / known:.0%} of the sum" if c >= known / 200 else ", <1%"
            parts.append(f"{name}{each} {usd(c) if c is not None else 'no price'}{share}")
        return f"USD per 1,000 items, mean over {len(parts)} suite(s) in Avg: " + "; ".join(parts)


def reported_for(reported: list[ReportedResult], model_id: str, base: str) -> list[ReportedResult]:
    return [r for r in reported if r.model_id == model_id and r.suite == base]


def _score(lr: LoadedRun, m: MetricValue, model: ModelEntry, info: SuiteInfo, cols: list[SuiteInfo],
           reported: list[ReportedResult]) -> Score:
    run = lr.run
    mine = [r for r in reported_for(reported, model.id, info.base) if reported_column(r, cols, model) is info]
    return Score(m.value, m.ci_low, m.ci_high, m.n, run, mine,
                 counted=run.representative and info.in_average, protocol_flag=protocol_flag(run, model),
                 bias_note=bias_note(run), floor=baseline_note(run, m.value))


def averaged_groups(cols: list[SuiteInfo]) -> dict[str, list[SuiteInfo]]:
    """The suites Avg runs over: one per base suite (a completion and a chat column of one suite are one suite
    measured with two protocols), each with its averaged columns."""
    groups: dict[str, list[SuiteInfo]] = {}
    for c in cols:
        if c.in_average:
            groups.setdefault(c.base, []).append(c)
    return groups


def group_name(group: list[SuiteInfo]) -> str:
    return next((c.name for c in group if c.id == c.base), group[0].name)


def _pick(row: Row, group: list[SuiteInfo]) -> SuiteInfo | None:
    """The column that stands for this base suite in the row's Avg (:func:`~generator.site.suites.average_pick`)."""
    return average_pick([c for c in group if c.id in row.cells and row.cells[c.id].counted], row.model)


def _average(row: Row, cols: list[SuiteInfo]) -> None:
    """Avg over the counted cells, one per base suite: each score rescaled above its suite's baseline (the better
    of chance and the majority answer; a score below it counts 0), then averaged."""
    vals, halves = [], []
    for group in averaged_groups(cols).values():
        pick = _pick(row, group)
        for c in group:
            cell = row.cells.get(c.id)
            if cell is not None and c is not pick:
                if cell.counted and pick is not None:
                    row.excluded.append(f"{c.name}: {pick.name} counts instead (its protocol fits the model)")
                else:
                    row.excluded.append(f"{c.name}: {cell.selection or 'not representative'}")
                cell.counted = False
        if pick is None:
            row.missing.append(group_name(group))
            continue
        cell = row.cells[pick.id]
        vals.append(above_baseline(cell.value, pick.baseline))
        halves.append((cell.ci_high - cell.ci_low) / 2 / (1 - pick.baseline))
        row.cost_parts.append((pick.name, cell.run.sampling.n, cell.cost_per_1k))
    if vals:
        row.average = sum(vals) / len(vals)
        row.average_ci = normal_ci(row.average, halves)
        row.counted = len(vals)
    known = [c for _, _, c in row.cost_parts if c is not None]
    row.cost = sum(known) / len(known) if known else None
    row.cost_partial = len(known) < len(row.cost_parts)


def _not_run(row: Row, cols: list[SuiteInfo], other: list[LoadedRun]) -> None:
    """Why a column has no cell, where the reason is the model's kind: a chat-only suite on a base model, a
    completion protocol on a chat model that runs the chat variant — and how many of the model's runs of that
    suite are of another suite version (listed on its model page, never in the column)."""
    for c in cols:
        if c.id not in row.cells and not fits(c, row.model):
            older = sum(1 for lr in other if lr.run.suite.id == c.id and lr.run.suite.version != c.version)
            row.not_run[c.id] = not_run_note(c, row.model, older)


def build_rows(models: dict[str, ModelEntry], shown: dict[tuple[str, str], LoadedRun], cols: list[SuiteInfo],
               reported: list[ReportedResult], other: dict[str, list[LoadedRun]] | None = None) -> list[Row]:
    """The ranked rows (models with runs), best first, with tiers; ``other``: model → its runs not in a column
    (:class:`~generator.site.load.Selection`), named where a column says why it is empty."""
    info = {c.id: c for c in cols}
    rows: dict[str, Row] = {}
    for (mid, sid), lr in shown.items():
        m: MetricValue | None = lr.run.main()
        if m is None or sid not in info:
            continue
        row = rows.setdefault(mid, Row(models[mid]))
        row.cells[sid] = _score(lr, m, models[mid], info[sid], cols, reported)
    for row in rows.values():
        _average(row, cols)
        _not_run(row, cols, (other or {}).get(row.model.id, []))
    ordered = sorted(rows.values(), key=lambda r: (r.missing != [], -(r.average if r.average is not None else -9),
                                                   r.model.name.lower()))

    def same(i: int, j: int) -> bool:
        a, b = ordered[i].average_ci, ordered[j].average_ci
        return a is not None and b is not None and overlap(a, b)

    for row, t in zip(ordered, tiers(len(ordered), same), strict=True):
        row.tier = t
    return ordered


def reported_rows(models: dict[str, ModelEntry], ranked: list[Row], cols: list[SuiteInfo],
                  reported: list[ReportedResult]) -> list[Row]:
    """Models with published numbers but no run: a row each, its cells the published values (never ranked)."""
    have = {r.model.id for r in ranked}
    out = []
    for mid, model in sorted(models.items(), key=lambda kv: kv[1].name.lower()):
        if mid in have:
            continue
        row = Row(model)
        for c in cols:  # a published number sits in one column (suites.reported_column)
            found = [r for r in reported_for(reported, mid, c.base) if reported_column(r, cols, model) is c]
            if found:
                row.reported[c.id] = found
        if row.reported or any(r.model_id == mid for r in reported):
            out.append(row)
    return out


@dataclass(frozen=True)
class PairTest:
    test: str  # "McNemar (exact)" | "paired bootstrap" | "CI overlap"
    p: float | None
    shared: int
    wins: int = 0
    losses: int = 0
    ties: int = 0

    @property
    def significant(self) -> bool:
        return self.p is not None and self.p < ALPHA


def pair_test(a: str, b: str, vec: SuiteVectors | None, ci_a: tuple[float, float],
              ci_b: tuple[float, float]) -> PairTest:
    """Paired test of model a against b on their shared items; CI overlap when there are no shared samples."""
    if vec is not None and a in vec.values and b in vec.values:
        pairs = [(x, y) for x, y in zip(vec.values[a], vec.values[b], strict=True) if x is not None and y is not None]
        if pairs:
            wins = sum(1 for x, y in pairs if x > y)
            losses = sum(1 for x, y in pairs if x < y)
            ties = len(pairs) - wins - losses
            if not vec.fractional:
                return PairTest("McNemar (exact)", mcnemar_exact(wins, losses), len(pairs), wins, losses, ties)
            _, _, _, p = paired_bootstrap([x for x, _ in pairs], [y for _, y in pairs], iters=1000)
            return PairTest("paired bootstrap", p, len(pairs), wins, losses, ties)
    return PairTest("CI overlap", None if overlap(ci_a, ci_b) else 0.0, 0)


def suite_tiers(order: list[tuple[str, tuple[float, float]]], vec: SuiteVectors | None) -> list[tuple[int, PairTest | None]]:
    """Tiers for one suite's models (sorted best first): a paired test against the row above."""
    tests: list[PairTest | None] = [None]
    for (a, ca), (b, cb) in zip(order, order[1:], strict=False):
        tests.append(pair_test(a, b, vec, ca, cb))
    nums = tiers(len(order), lambda _i, j: not (tests[j] is not None and tests[j].significant))  # type: ignore[union-attr]
    return list(zip(nums, tests, strict=True))


def pareto(points: list[tuple[str, float, float]]) -> set[str]:
    """Names on the frontier of (cost, quality): no other point is at most as costly and strictly better,
    or strictly cheaper and at least as good."""
    front = set()
    for name, c, q in points:
        if not any((c2 <= c and q2 > q) or (c2 < c and q2 >= q) for n2, c2, q2 in points if n2 != name):
            front.add(name)
    return front


def finite(x: Any) -> Any:
    """NaN/inf → None (JSON has no NaN)."""
    return None if isinstance(x, float) and not math.isfinite(x) else x
