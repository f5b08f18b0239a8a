"""Golden chart specs: every chart builder on a fixed frame gives exactly the committed Vega-Lite spec.

A change to a chart shows up here as a diff; after checking it in the browser (tests/e2e/test_browser.py renders
every chart page), refresh the goldens with ``PODIUM_UPDATE_GOLDEN=1 pytest tests/generator/test_chart_specs.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from generator.site import charts

GOLDEN = Path(__file__).parent / "golden"
SCORES = pd.DataFrame([
    {"model": "Model A", "suite": "gsm8k", "value": 0.42, "ci_low": 0.33, "ci_high": 0.51, "n": 100},
    {"model": "Model B", "suite": "gsm8k", "value": 0.05, "ci_low": 0.02, "ci_high": 0.11, "n": 100},
    {"model": "Model A", "suite": "mmlu", "value": 0.61, "ci_low": 0.59, "ci_high": 0.63, "n": 14042},
])
PASSK = pd.DataFrame([{"model": "Model A", "k": k, "value": v, "ci_low": v - 0.05, "ci_high": v + 0.05, "n": 164,
                       "cost_per_problem": 0.001 * k, "tokens_per_problem": 300.0 * k, "cost_method": "api_tokens"}
                      for k, v in ((1, 0.3), (10, 0.6), (100, 0.85))])
REFS = pd.DataFrame([{"label": "GPT-4o pass@1 (simple-evals)", "value": 0.902},
                     {"label": "GPT-4o pass@1 (Azure)", "value": 0.921}])
GROUPS = pd.DataFrame([{"model": "Model A", "group": g, "value": v, "ci_low": v - 0.1, "ci_high": v + 0.1, "n": 50}
                       for g, v in (("STEM", 0.4), ("humanities", 0.5))])
BASE = charts.baselines_frame(0.25, 0.269, "D")
SCORES_CHANCE = SCORES.assign(baseline=[None, None, 0.269])
PARETO = pd.DataFrame([{"model": "Model A", "cost": 0.0, "value": 0.2, "frontier": True, "method": "local_cpu"},
                       {"model": "Model B", "cost": 12.5, "value": 0.6, "frontier": True, "method": "api_tokens"},
                       {"model": "Model C", "cost": 30.0, "value": 0.5, "frontier": False, "method": "gpu_hours"}])

BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "passk_scaling": lambda: charts.passk_scaling(PASSK, REFS, "pass@k vs k"),
    "passk_cost": lambda: charts.passk_cost(PASSK, "pass@k vs cost"),
    "group_bars": lambda: charts.group_bars(GROUPS, BASE, "MMLU by category", "category", "acc"),
    "score_dots": lambda: charts.score_dots(SCORES[SCORES["suite"] == "mmlu"], BASE, "MMLU", "acc"),
    "faceted_scores": lambda: charts.faceted_scores(SCORES_CHANCE, "Main metric per suite"),
    "pareto_scatter": lambda: charts.pareto_scatter(PARETO, "Quality vs cost", "score", "cost (USD)"),
}


def test_reference_labels_are_named_once_with_their_values() -> None:
    """Close published values (GPT-4o 92.1 and 90.2, Llama 405B 89.0) got labels printed over each other on the
    plot; they are now legend entries (one per line), highest first, the same label and value once."""
    refs = pd.DataFrame([{"label": n, "value": v} for n, v in (("a", 0.89), ("b", 0.921), ("c", 0.902),
                                                                ("d", 0.5), ("b", 0.921))])
    out = charts.reference_labels(refs)
    assert list(out["label"]) == ["b", "c", "a", "d"] and list(out["value"]) == [0.921, 0.902, 0.89, 0.5]
    assert list(out["text"]) == ["b 92.1%", "c 90.2%", "a 89.0%", "d 50.0%"]


def _texts(spec: object) -> list[str]:
    """Every string of a spec (titles, field names, labels) — what could leak onto the chart."""
    if isinstance(spec, dict):
        return [t for v in spec.values() for t in _texts(v)]
    if isinstance(spec, list):
        return [t for v in spec for t in _texts(v)]
    return [spec] if isinstance(spec, str) else []


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_no_axis_is_titled_by_a_field_name(name: str) -> None:
    """The MMLU category chart's x axis was titled "ci_low" (the error bars' field): every positional encoding
    carries a written title (or none)."""
    def walk(spec: object) -> None:
        if isinstance(spec, dict):
            enc = spec.get("encoding", {})
            for ch in ("x", "y", "x2", "y2"):
                if isinstance(enc.get(ch), dict) and "field" in enc[ch] and ch in ("x", "y"):
                    assert "title" in enc[ch] or "aggregate" in enc[ch], f"{name}: {ch} {enc[ch]['field']} untitled"
            for v in spec.values():
                walk(v)
        elif isinstance(spec, list):
            for v in spec:
                walk(v)

    walk(BUILDERS[name]())


def test_score_charts_draw_chance_and_majority() -> None:
    for name in ("score_dots", "group_bars"):
        texts = _texts(BUILDERS[name]())
        assert "chance (random guess) 25.0%" in texts and "majority answer ('D') 26.9%" in texts, name
    assert "isValid(datum.baseline)" in json.dumps(BUILDERS["faceted_scores"]())


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_chart_spec_matches_its_golden(name: str) -> None:
    spec = json.loads(json.dumps(BUILDERS[name](), sort_keys=True))
    path = GOLDEN / f"{name}.json"
    if os.environ.get("PODIUM_UPDATE_GOLDEN"):
        path.write_text(json.dumps(spec, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert spec == json.loads(path.read_text(encoding="utf-8")), f"{name} changed — see the module docstring"
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")


def test_gallery_detail_keeps_a_failed_choice_as_null() -> None:
    from generator.site.gallery import _detail

    d = _detail({"kind": "choice", "loglikelihoods": [-1.23456, None], "greedy": [False, False], "picked": 0})
    assert d == {"kind": "choice", "ll": [-1.235, None], "picked": 0, "picked_norm": None}
