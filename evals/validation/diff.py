"""What a change does to the leaderboard: the rows a ``site_data/`` tree shows compared with a base tree's.

The shown run per (model, suite) follows the site's rule (``generator.site.load.select_runs``, which ``evals`` may
not import): per model, suite and suite version the run covering the most items, newest among equals; shard runs
and synthetic runs (the fake backend) never; a suite's column shows the version of the suite's newest run. A row is that run's headline metric. The diff
lists new and removed rows, changed headline values (with their intervals) and rank moves within each suite.
Files that do not parse are skipped here — ``podium validate`` reports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evals.errors import PodiumError
from evals.records import RunRecord
from evals.store import iter_run_files, read_run


@dataclass(frozen=True)
class Row:
    model: str
    suite: str
    metric: str
    value: float
    ci_low: float
    ci_high: float
    n: int
    run_id: str

    def text(self) -> str:
        return f"{self.metric} {self.value:.4f} [{self.ci_low:.4f}, {self.ci_high:.4f}] n={self.n}"


@dataclass(frozen=True)
class Change:
    kind: str  # new | removed | changed | rank
    suite: str
    model: str
    what: str

    def line(self) -> str:
        return f"{self.kind:<8} {self.suite} / {self.model}: {self.what}"


def _runs(root: Path) -> list[RunRecord]:
    out = []
    for path in iter_run_files(root):
        try:
            out.append(read_run(path))
        except PodiumError:
            continue
    return out


def shown_rows(root: Path) -> dict[tuple[str, str], Row]:
    """(suite, model) → the row the leaderboard shows."""
    best: dict[tuple[str, str, str], RunRecord] = {}
    newest: dict[str, RunRecord] = {}
    for r in sorted(_runs(root), key=lambda r: (r.finished_at, r.run_id)):
        if r.shard is not None or r.synthetic or r.backend.name == "fake":
            continue
        key = (r.model_id, r.suite.id, r.suite.version)
        if key not in best or (r.n_items, r.finished_at) >= (best[key].n_items, best[key].finished_at):
            best[key] = r
        newest[r.suite.id] = r
    rows = {}
    for (model, suite, version), r in best.items():
        main = r.main()
        if newest[suite].suite.version == version and main is not None:
            rows[(suite, model)] = Row(model, suite, main.label, main.value, main.ci_low, main.ci_high, main.n,
                                       r.run_id)
    return rows


def ranks(rows: dict[tuple[str, str], Row]) -> dict[tuple[str, str], int]:
    """Rank of each row within its suite (1 = best; equal values share a rank)."""
    out = {}
    for suite in {s for s, _ in rows}:
        values = sorted((r.value for (s, _), r in rows.items() if s == suite), reverse=True)
        for (s, m), r in rows.items():
            if s == suite:
                out[(s, m)] = values.index(r.value) + 1
    return out


def diff_trees(base: Path, head: Path) -> list[Change]:
    old, new = shown_rows(base), shown_rows(head)
    old_rank, new_rank = ranks(old), ranks(new)
    out = []
    for key in sorted(set(old) | set(new)):
        suite, model = key
        a, b = old.get(key), new.get(key)
        if a is None and b is not None:
            out.append(Change("new", suite, model, f"{b.text()} (rank {new_rank[key]})"))
        elif b is None and a is not None:
            out.append(Change("removed", suite, model, f"was {a.text()}"))
        elif a is not None and b is not None:
            if (a.metric, a.value, a.n, a.run_id) != (b.metric, b.value, b.n, b.run_id):
                out.append(Change("changed", suite, model, f"{a.text()} → {b.text()}"))
            if old_rank[key] != new_rank[key]:
                out.append(Change("rank", suite, model, f"rank {old_rank[key]} → {new_rank[key]}"))
    return out


def report(changes: list[Change]) -> list[str]:
    if not changes:
        return ["leaderboard: no change to the rows shown"]
    return [f"leaderboard: {len(changes)} change(s) against the base", *(f"  {c.line()}" for c in changes)]
