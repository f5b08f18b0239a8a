"""Pure table builders: site data → pandas frames (one row per model × suite × metric variant)."""

from __future__ import annotations

import pandas as pd

from generator.site.load import SiteData

SCORE_COLUMNS = ["model_id", "model", "suite", "metric", "variant", "value", "ci_low", "ci_high", "n",
                 "protocol", "run_id", "cost_usd", "cost_method", "cost_per_1k", "gpu_hours", "finished_at", "main"]


def scores_frame(data: SiteData, main_metrics: dict[str, tuple[str, str]]) -> pd.DataFrame:
    rows = []
    for (mid, sid), lr in sorted(data.latest().items()):
        run = lr.run
        main = main_metrics.get(sid)
        for m in run.metrics:
            if m.group is not None:
                continue
            rows.append({
                "model_id": mid, "model": data.models[mid].name, "suite": sid, "metric": m.name,
                "variant": m.variant, "value": m.value, "ci_low": m.ci_low, "ci_high": m.ci_high, "n": m.n,
                "protocol": run.suite.protocol, "run_id": run.run_id, "cost_usd": run.cost.usd,
                "cost_method": run.cost.method,
                "cost_per_1k": None if run.cost.usd is None or not run.n_items else run.cost.usd / run.n_items * 1000,
                "gpu_hours": run.wall_seconds / 3600 * run.gpu_count,
                "finished_at": run.finished_at.isoformat(),
                "main": main == (m.name, m.variant),
            })
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)
