"""Pure table builders: site data → pandas frames (one row per model × suite × top-level metric)."""

from __future__ import annotations

import pandas as pd

from generator.site.load import SiteData

SCORE_COLUMNS = ["model_id", "model", "family", "open_weights", "parameters_b", "suite", "suite_version", "metric",
                 "k", "variant", "aggregation", "value", "ci_low", "ci_high", "ci_method", "n", "protocol", "run_id",
                 "n_items", "items_total", "partial", "cost_usd", "cost_method", "cost_per_1k", "gpu_hours",
                 "finished_at", "command", "main"]


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
                "parameters_b": model.parameters_b, "suite": sid, "suite_version": run.suite.version,
                "metric": m.label, "k": m.k, "variant": m.variant, "aggregation": m.aggregation, "value": m.value,
                "ci_low": m.ci_low, "ci_high": m.ci_high, "ci_method": m.ci_method, "n": m.n,
                "protocol": run.suite.protocol, "run_id": run.run_id, "n_items": run.n_items,
                "items_total": run.suite.items_total, "partial": run.partial, "cost_usd": run.cost.usd,
                "cost_method": run.cost.method,
                "cost_per_1k": None if run.cost.usd is None or not run.n_items else run.cost.usd / run.n_items * 1000,
                "gpu_hours": run.wall_seconds / 3600 * run.gpu_count,
                "finished_at": run.finished_at.isoformat(), "command": run.command,
                "main": m is main,
            })
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)
