"""View-models between site data and templates: everything a template shows, already formatted."""

from __future__ import annotations

from dataclasses import dataclass, field

from evals.records import MetricValue, ModelEntry, RunRecord


@dataclass(frozen=True)
class Cell:
    text: str  # "41.2%"
    ci: str  # "35.0–47.5"
    n: int
    note: str = ""  # protocol / variant marks
    sort: float = -1.0


def pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def metric_cell(m: MetricValue, note: str = "") -> Cell:
    return Cell(text=pct(m.value), ci=f"{m.ci_low * 100:.1f}–{m.ci_high * 100:.1f}", n=m.n, note=note,
                sort=m.value)


@dataclass(frozen=True)
class SuiteColumn:
    id: str
    name: str
    metric_label: str  # "exact_match (strict)"
    protocol: str


@dataclass
class LeaderRow:
    model: ModelEntry
    cells: dict[str, Cell] = field(default_factory=dict)  # suite id → cell


@dataclass(frozen=True)
class RunView:
    run: RunRecord
    model: ModelEntry
    gallery_link: str

    @property
    def cost(self) -> str:
        c = self.run.cost
        return f"${c.usd:.4f} ({c.method})" if c.usd is not None else f"unknown ({c.method})"

    @property
    def tokens_per_second(self) -> str:
        w = self.run.wall_seconds
        return f"{self.run.completion_tokens / w:.0f}" if w > 0 else "–"
