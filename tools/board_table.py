"""Print the table of every committed run on the board (issue 25's closing-note table), from site_data/ only.

    .venv/bin/python tools/board_table.py [SITE_DATA]

One Markdown row per run: model, suite, items, selection, headline metric with its 95% interval, wall time,
CPU-hours (wall × llama.cpp threads, summed over merged shards — the run records the sum), prompt and completion
tokens. Shards (unmerged) are listed with their shard number so a half-done suite is visible.
"""

from __future__ import annotations

import sys
from pathlib import Path

from evals.records import MetricValue, RunRecord
from evals.store import iter_run_files, read_run


def _headline(run: RunRecord) -> MetricValue | None:
    main = run.suite.main_metric
    if main is None:
        return None
    for m in run.metrics:
        if (m.name == main.name and m.variant == main.variant and m.k == main.k and m.group is None
                and m.position is None):
            return m
    return None


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def row(run: RunRecord) -> str:
    m = _headline(run)
    threads = run.backend.parameters.get("threads", 1)
    nthreads = threads if isinstance(threads, int) and threads > 0 else 1
    cpu_h = run.wall_seconds * nthreads / 3600 if run.backend.name == "embedded" else None
    name = "–" if m is None else (f"pass@{m.k}" if m.k else m.name)
    head = "–" if m is None else f"{name} {_pct(m.value)}% [{_pct(m.ci_low)}–{_pct(m.ci_high)}]"
    sel = run.suite.selection.text + (f", shard {run.shard.index}/{run.shard.count}" if run.shard else "")
    samples = f" ×{run.sampling.n}" if run.sampling.n > 1 else ""
    toks = f"{run.prompt_tokens + run.prompt_tokens_cached:,} + {run.completion_tokens:,}"
    cpu = "–" if cpu_h is None else f"{cpu_h:.2f}"
    return (f"| {run.model_id} | {run.suite.id}{samples} | {run.n_items:,} | {sel} | {head} | "
            f"{run.wall_seconds / 60:,.1f} min | {cpu} | {toks} |")


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path("site_data")
    runs = sorted((read_run(p) for p in iter_run_files(root)), key=lambda r: (r.model_id, r.suite.id, r.run_id))
    print("| model | suite | items | selection | headline [95% CI] | wall | CPU-h | tokens in + out |")
    print("|---|---|---|---|---|---|---|---|")
    for run in runs:
        print(row(run))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
