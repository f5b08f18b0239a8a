"""The leaderboard's rows: main metric per suite, normalised average, tiers, cost, reported numbers. Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from evals.records import MetricValue, ModelEntry, ReportedResult, RunRecord
from generator.site.gallery_files import SuiteVectors
from generator.site.load import LoadedRun
from generator.site.stats import (
    above_chance,
    base_suite,
    chance,
    mcnemar_exact,
    normal_ci,
    overlap,
    paired_bootstrap,
    tiers,
)

ALPHA = 0.05


@dataclass(frozen=True)
class Column:
    id: str
    name: str
    metric: str  # "acc", "pass@1", "exact_match · strict"
    protocol: str
    chance: float
    in_average: bool
    n: int = 0  # items of the suite's full split (cells with fewer say so)


@dataclass
class Cell:
    value: float
    ci_low: float
    ci_high: float
    n: int
    run: RunRecord
    reported: list[ReportedResult] = field(default_factory=list)

    @property
    def partial(self) -> str:
        """'first 20 of 1,319' for a partial run, '' for a full one."""
        r = self.run
        return f"first {r.n_items:,} of {r.suite.items_total:,}" if r.partial else ""


@dataclass
class Row:
    model: ModelEntry
    cells: dict[str, Cell] = field(default_factory=dict)
    average: float | None = None
    average_ci: tuple[float, float] | None = None
    counted: int = 0  # suites in the average
    missing: list[str] = field(default_factory=list)  # average suites this model has no run of
    cost: float | None = None
    cost_partial: bool = False
    tier: int = 0

    @property
    def kind(self) -> str:
        return "open" if self.model.open_weights else "api"


def metric_label(run: RunRecord) -> str:
    ref = run.suite.main_metric
    if ref is None:
        return "score"
    extra = [] if ref.variant in ("default", "loglikelihood", "completion", "pass") else [ref.variant]
    if ref.aggregation == "macro":
        extra.append("macro")
    return " · ".join([ref.label, *extra])


def columns(shown: dict[tuple[str, str], LoadedRun]) -> list[Column]:
    seen: dict[str, Column] = {}
    for (_, sid), lr in sorted(shown.items(), key=lambda kv: kv[1].run.finished_at):
        s = lr.run.suite
        m = lr.run.main()
        seen[sid] = Column(sid, s.display_name or sid, metric_label(lr.run), s.protocol,
                           chance(sid), not sid.startswith("scenario"), m.n if m and not lr.run.partial else 0)
    order = ["gsm8k", "mmlu", "hellaswag", "boolq", "winogrande", "humaneval"]
    return sorted(seen.values(), key=lambda c: (not c.in_average, order.index(base_suite(c.id))
                                                  if base_suite(c.id) in order else 99, c.id))


def reported_for(reported: list[ReportedResult], model_id: str, suite: str) -> list[ReportedResult]:
    return [r for r in reported if r.model_id == model_id and base_suite(r.suite) == base_suite(suite)]


def build_rows(models: dict[str, ModelEntry], shown: dict[tuple[str, str], LoadedRun], cols: list[Column],
               reported: list[ReportedResult]) -> list[Row]:
    rows: dict[str, Row] = {}
    for (mid, sid), lr in shown.items():
        m: MetricValue | None = lr.run.main()
        if m is None:
            continue
        row = rows.setdefault(mid, Row(models[mid]))
        row.cells[sid] = Cell(m.value, m.ci_low, m.ci_high, m.n, lr.run, reported_for(reported, mid, sid))
    avg_cols = [c for c in cols if c.in_average]
    for row in rows.values():
        vals, halves = [], []
        for c in avg_cols:
            cell = row.cells.get(c.id)
            if cell is None:
                row.missing.append(c.name)
                continue
            vals.append(above_chance(cell.value, c.id))
            halves.append((cell.ci_high - cell.ci_low) / 2 / (1 - c.chance))
        if vals:
            row.average = sum(vals) / len(vals)
            row.average_ci = normal_ci(row.average, halves)
            row.counted = len(vals)
        costs = [cell.run.cost.usd for cell in row.cells.values()]
        known = [c for c in costs if c is not None]
        row.cost = sum(known) if known else None
        row.cost_partial = any(cell.run.partial for cell in row.cells.values()) or len(known) < len(costs)
    ordered = sorted(rows.values(), key=lambda r: (r.missing != [], -(r.average if r.average is not None else -9),
                                                   r.model.name.lower()))

    def same(i: int, j: int) -> bool:
        a, b = ordered[i].average_ci, ordered[j].average_ci
        return a is not None and b is not None and overlap(a, b)

    for row, t in zip(ordered, tiers(len(ordered), same), strict=True):
        row.tier = t
    return ordered


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
