"""View-models between site data and templates: everything a template shows, already formatted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from evals.records import MetricValue, ModelEntry, Prices, ReportedResult, RunRecord

if TYPE_CHECKING:
    from generator.site.suites import BelowBaseline


def pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def usd(x: float | None) -> str:
    if x is None:
        return "–"
    return f"${x:,.0f}" if x >= 100 else f"${x:,.2f}" if x >= 1 else f"${x:.4f}" if x >= 0.0001 else f"${x:.2g}"


@dataclass(frozen=True)
class Cell:
    """One metric value as a table shows it."""

    text: str  # "41.2%"
    ci: str  # "35.0–47.5"
    n: int
    note: str = ""  # protocol / variant marks
    sort: float = -1.0


def metric_cell(m: MetricValue, note: str = "") -> Cell:
    """A metric as shown in a table; a metric with no interval (``ci_method`` none: a count such as the share of
    ungraded trials) shows none rather than a zero-width one."""
    ci = "" if m.ci_method == "none" else f"{m.ci_low * 100:.1f}–{m.ci_high * 100:.1f}"
    return Cell(text=pct(m.value), ci=ci, n=m.n, note=note, sort=m.value)


def price_text(p: Prices | None) -> str:
    """Every price a model file sets, in one line: '$2.5 / 1M input, $10 / 1M output', '$0.05 / CPU core-hour'."""
    if p is None:
        return ""
    parts = []
    if p.input_per_mtok is not None or p.output_per_mtok is not None:
        parts.append(f"${p.input_per_mtok or 0:g} / 1M input tokens, ${p.output_per_mtok or 0:g} / 1M output tokens")
    if p.gpu_hour is not None:
        parts.append(f"${p.gpu_hour:g} / GPU-hour" + (f" ({p.gpu_type})" if p.gpu_type else ""))
    if p.cpu_core_hour is not None:
        parts.append(f"${p.cpu_core_hour:g} / CPU core-hour")
    return "; ".join(parts)


def throughput(run: RunRecord) -> str:
    """Generated tokens/s for generation runs; prompt tokens/s (and items/s) for log-likelihood runs, which
    generate nothing; '–' when unknown."""
    w = run.wall_seconds
    if w <= 0:
        return "–"
    items = f"{run.n_items / w:.2f} items/s"
    if run.completion_tokens:
        return f"{run.completion_tokens / w:,.0f} generated tokens/s · {items}"
    if run.prompt_tokens:
        return f"{run.prompt_tokens / w:,.0f} prompt tokens/s · {items}"
    return items


def cost_per_1k(run: RunRecord) -> float | None:
    """USD per 1,000 items of the suite (every sample of an item included) — comparable across run sizes."""
    if run.cost.usd is None or not run.n_items:
        return None
    return run.cost.usd / run.n_items * 1000


@dataclass(frozen=True)
class RunView:
    """One run on a model page."""

    run: RunRecord
    model: ModelEntry
    gallery_link: str
    main: MetricValue | None
    why: str  # why it is not in a column ('' when shown)
    selection: str  # "first 2 per subject (not a random sample)"
    counted: bool  # in the board's average
    protocol_flag: str
    bias: str  # response bias in words
    bias_note: str  # set when flagged
    cells: list[tuple[MetricValue, Cell]] = field(default_factory=list)
    floor: BelowBaseline | None = None  # set when the main score does not beat the suite's baseline

    @property
    def cost(self) -> str:
        c = self.run.cost
        per = cost_per_1k(self.run)
        if c.usd is None:
            return f"unknown ({c.method})"
        return f"{usd(c.usd)} for the run ({c.method}) · {usd(per)} per 1,000 items"

    @property
    def throughput(self) -> str:
        return throughput(self.run)


@dataclass(frozen=True)
class ModelView:
    """A model page: its runs, the runs not in a column, and published numbers beside what was reproduced."""

    model: ModelEntry
    price: str
    runs: list[RunView]
    others: list[RunView]
    published: list[tuple[ReportedResult, MetricValue | None, str]]  # (row, what Podium measured, column name)
    reported_only: bool
    board: str = ""  # the leaderboard row in words: "Avg 5.2 [3.4–6.9] over 6 of 6 suites · tier 1 of 2"
    question: tuple[str, str] | None = None  # (title, route) of the question page this model is part of
