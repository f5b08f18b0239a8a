"""Pure table builders: site data → pandas frames (one row per model × suite × top-level metric)."""

from __future__ import annotations

import pandas as pd

from generator.site.load import SiteData

SCORE_COLUMNS = ["model_id", "model", "family", "open_weights", "parameters_b", "suite", "suite_base", "suite_version",
                 "metric", "k", "variant", "aggregation", "value", "ci_low", "ci_high", "ci_method", "n", "protocol",
                 "run_id", "n_items", "items_total", "partial", "selection", "representative", "in_average",
                 "chance", "majority", "cost_usd", "cost_method", "cost_per_1k", "gpu_hours", "finished_at",
                 "command", "main"]
# one line per column, for the downloads page
COLUMN_HELP = {
    "model_id": "site_data/models id", "model": "display name", "family": "model family",
    "open_weights": "weights downloadable (true) or API only (false)", "parameters_b": "parameters, billions (null: unknown)",
    "suite": "stored suite id (variant included)", "suite_base": "the benchmark it belongs to",
    "suite_version": "hash of data, prompt, few-shot set and grader", "metric": "metric label (acc, exact_match, pass@k)",
    "k": "pass@k's k (null otherwise)", "variant": "metric variant (strict, flexible, loglikelihood …)",
    "aggregation": "micro (over items) or macro (over groups)", "value": "the score, a fraction 0–1",
    "ci_low": "95% interval, low", "ci_high": "95% interval, high", "ci_method": "wilson, bootstrap or stderr",
    "n": "items (or groups) the value averages", "protocol": "loglikelihood or generative", "run_id": "the run",
    "n_items": "items the run covered", "items_total": "items in the full split",
    "partial": "n_items < items_total", "selection": "which items ran, in words",
    "representative": "full split or random subset (true) — a first-N slice is false and never averaged",
    "in_average": "the suite counts in the board's average", "chance": "accuracy of random guessing (null: none)",
    "majority": "accuracy of always giving the most common answer (null: none)",
    "cost_usd": "cost of the whole run, USD (null: no price)", "cost_method": "api_tokens, gpu_hours, cpu_hours …",
    "cost_per_1k": "USD per 1,000 items", "gpu_hours": "GPU-hours of the run", "finished_at": "ISO time",
    "command": "the command that reproduces the run", "main": "the suite's headline metric (one per model and suite)",
}


def scores_frame(data: SiteData) -> pd.DataFrame:
    """Every top-level metric of every shown run; ``main`` marks the suite's headline value (one per model)."""
    rows = []
    for (mid, sid), lr in sorted(data.latest().items()):
        run = lr.run
        model = data.models[mid]
        main = run.main()
        for m in run.metrics:
            if m.group is not None:
                continue
            rows.append({
                "model_id": mid, "model": model.name, "family": model.family, "open_weights": model.open_weights,
                "parameters_b": model.parameters_b, "suite": sid, "suite_base": run.suite.base,
                "suite_version": run.suite.version,
                "metric": m.label, "k": m.k, "variant": m.variant, "aggregation": m.aggregation, "value": m.value,
                "ci_low": m.ci_low, "ci_high": m.ci_high, "ci_method": m.ci_method, "n": m.n,
                "protocol": run.suite.protocol, "run_id": run.run_id, "n_items": run.n_items,
                "items_total": run.suite.items_total, "partial": run.partial,
                "selection": run.suite.selection.text, "representative": run.representative,
                "in_average": run.suite.in_average, "chance": run.suite.chance, "majority": run.suite.majority,
                "cost_usd": run.cost.usd,
                "cost_method": run.cost.method,
                "cost_per_1k": None if run.cost.usd is None or not run.n_items else run.cost.usd / run.n_items * 1000,
                "gpu_hours": run.wall_seconds / 3600 * run.gpu_count,
                "finished_at": run.finished_at.isoformat(), "command": run.command,
                "main": m is main,
            })
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)
