"""The summary table ``podium run`` prints when a run finishes."""

from __future__ import annotations

import shlex

from rich.console import Console
from rich.table import Table

from evals.records import Group, MetricRef, RunRecord
from evals.runner import RunResult


def print_summary(console: Console, result: RunResult) -> None:
    run = result.run
    table = Table(title=f"{run.model_id} on {run.suite.id} — {run.n_items} items ({run.suite.selection.text})")
    for col in ("metric", "variant", "group", "value", "95% CI", "n"):
        table.add_column(col, justify="right" if col in ("value", "95% CI", "n") else "left")
    rows = [m for m in run.metrics if m.group is None or (m.group.kind == "category" and m.name != "ungraded")]
    for m in rows:
        table.add_row(m.label, m.variant + (" (macro)" if m.aggregation == "macro" else ""),
                      m.group.id if m.group else "all", f"{m.value:.1%}",
                      f"{m.ci_low:.1%} – {m.ci_high:.1%}", str(m.n))
    console.print(table)
    if run.suite.scenarios:
        print_scenarios(console, run)
    tps = run.completion_tokens / run.wall_seconds if run.wall_seconds > 0 else 0.0
    cost = f"${run.cost.usd:.4f}" if run.cost.usd is not None else "unknown"
    console.print(f"tokens: {run.prompt_tokens} prompt + {run.completion_tokens} generated · wall "
                  f"{run.wall_seconds:.1f} s · {tps:.0f} generated tokens/s · cost {cost} ({run.cost.method})"
                  + (f" · resumed: {result.resumed} kept" + (f", {result.retried} retried" if result.retried else "")
                     if result.resumed or result.retried else "")
                  + (f" · [red]{run.n_errors} failed item(s), counted as wrong (--max-errors)[/red]"
                     if run.n_errors else ""))
    if run.response_bias and run.response_bias.flagged:
        b = run.response_bias
        console.print(f"[yellow]response bias: answers '{b.label}' on {b.share:.0%} of items — the score reflects "
                      f"that bias more than reading (majority baseline {run.suite.majority or 0:.1%})[/yellow]")
    if run.synthetic:
        console.print("[yellow]synthetic: made by the fake backend — never shown on a board[/yellow]")
    console.print(f"wrote {shlex.quote(str(result.paths.dir))}", markup=False, highlight=False)


def print_scenarios(console: Console, run: RunRecord) -> None:
    table = Table(title="per scenario: success rate over graded trials")
    for col in ("scenario", "protocol", "success [95% CI]", "graded", "ungraded"):
        table.add_column(col, justify="left" if col in ("scenario", "protocol") else "right")
    for sc in run.suite.scenarios:
        group = Group(kind="scenario", id=sc.id)
        ungraded = run.metric(MetricRef(name="ungraded", variant="trials"), group)
        for variant in ["pass", *(sc.protocols if len(sc.protocols) > 1 else [])]:
            m = run.metric(MetricRef(name="success_rate", variant=variant), group)
            table.add_row(sc.id if variant == "pass" else "", "all" if variant == "pass" else variant,
                          f"{m.value:.0%} [{m.ci_low:.0%}–{m.ci_high:.0%}]" if m else "ungraded",
                          str(m.n) if m else "0",
                          str(round(ungraded.value * ungraded.n)) if ungraded and variant == "pass" else "")
    console.print(table)
