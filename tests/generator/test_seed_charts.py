"""The seed question's charts: golden Vega-Lite specs on fixed frames, and the rules that keep their text legible
(no text mark sets its own colour — the dark theme colours it; labels only where a side says so; axis ticks inside
the domain). Refresh the goldens with ``PODIUM_UPDATE_GOLDEN=1 pytest tests/generator/test_seed_charts.py`` after
looking at the page (tests/e2e/test_seed_browser.py checks the rendered text never overlaps)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from generator.site.seed_charts import log_ticks, question_cost, question_passk

GOLDEN = Path(__file__).parent / "golden"
MEASURED = pd.DataFrame([{"series": "Small · completion · n=20", "k": k, "value": v, "ci_low": v / 2,
                          "ci_high": v * 1.5, "n": 164, "cost": 4e-5 * k} for k, v in ((1, 0.01), (10, 0.05),
                                                                                        (20, 0.08))])
POINTS = pd.DataFrame([
    {"series": "Big: published", "k": 1, "value": 0.726, "text": "72.6% published", "align": "left",
     "source": "model card", "cost": 3.47e-5},
    {"series": "Big: claim, not verified", "k": 100, "value": 0.905, "text": "90.5% claim", "align": "right",
     "source": "seed article", "cost": 3.47e-3},
    {"series": "Big: claim, not verified", "k": 1000, "value": 0.951, "text": "95.1% claim", "align": "right",
     "source": "seed article", "cost": 3.47e-2}])
BAND = {"series": "GPT-4o pass@1, published (90.2%–92.1%)", "low": 0.902, "high": 0.9207, "cost": 2.37e-3,
        "answer": "GPT-4o, 1 answer"}
BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "question_passk": lambda: question_passk(MEASURED.drop(columns="cost"), POINTS.drop(columns="cost"), BAND),
    "question_cost": lambda: question_cost(MEASURED, POINTS.assign(text=["k=1", "k=100", "k=1,000"],
                                                                   align="below"), BAND),
}


def marks(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for layer in spec.get("layer", []):
        yield from marks(layer)
        if "mark" in layer:
            yield layer["mark"] if isinstance(layer["mark"], dict) else {"type": layer["mark"]}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_seed_chart_matches_its_golden(name: str) -> None:
    spec = json.loads(json.dumps(BUILDERS[name](), sort_keys=True))
    path = GOLDEN / f"{name}.json"
    if os.environ.get("PODIUM_UPDATE_GOLDEN"):
        path.write_text(json.dumps(spec, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert spec == json.loads(path.read_text(encoding="utf-8")), f"{name} changed — see the module docstring"
    texts = [m for m in marks(spec) if m["type"] == "text"]
    assert texts and all("color" not in m for m in texts)  # the dark theme colours the text
    legend = [layer["encoding"]["color"]["legend"] for layer in spec["layer"]
              if "color" in layer.get("encoding", {}) and "legend" in layer["encoding"]["color"]]
    assert legend and legend[0]["columns"] == 1 and legend[0]["labelLimit"] == 0  # one column: fits 390 px, uncut


def test_passk_chart_names_claims_and_band_in_one_legend() -> None:
    spec = question_passk(MEASURED.drop(columns="cost"), POINTS.drop(columns="cost"), BAND)
    scale = next(layer["encoding"]["color"]["scale"] for layer in spec["layer"] if "color" in layer["encoding"])
    assert scale["domain"][0] == BAND["series"] and "Big: claim, not verified" in scale["domain"]
    assert scale["domain"][-1] == "Small · completion · n=20"
    data = [d for ds in spec["datasets"].values() for d in ds]
    assert {"95.1% claim", "90.5% claim", "72.6% published"} <= {d.get("text") for d in data}


def test_log_ticks_stay_inside_the_domain() -> None:
    assert log_ticks(1, 1000) == [1, 10, 100, 1000]
    assert log_ticks(1.7e-5, 0.07, 4) == pytest.approx([1e-4, 1e-3, 1e-2])
    assert log_ticks(1e-6, 10, 4) == pytest.approx([1e-6, 1e-4, 1e-2, 1])
