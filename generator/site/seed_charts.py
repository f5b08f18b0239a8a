"""The seed question's two charts (Altair; pure frame → Vega-Lite spec, pinned by goldens):

- pass@k against k (log x): Podium's measured curves with 95% CI bands, the challenger's published and claimed
  points, the opponent's published band;
- pass@k against the cost of k samples per problem (log x): the same points priced, the opponent's one answer.

Text never collides: series are named in one legend below the plot (one column, so it fits 390 px), and the
only text inside the plot is the short value label of a published point, on the side away from its neighbours.
No text mark sets a colour, so the page's dark theme colours it."""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd

BAND_COLOR, CLAIM_COLOR, PUBLISHED_COLOR = "#ef6c00", "#d81b60", "#8e24aa"
MEASURED_COLORS = ["#1e88e5", "#43a047", "#00acc1", "#7cb342", "#5c6bc0", "#26a69a", "#78909c", "#9e9d24"]
HEIGHT = 300
# a point's label: its text starts at the point (left), ends at it (right) or sits centred under it (below)
LABEL_STYLES: dict[str, dict[str, Any]] = {
    "left": {"align": "left", "baseline": "middle", "dx": 9},
    "right": {"align": "right", "baseline": "middle", "dx": -9},
    "below": {"align": "center", "baseline": "top", "dy": 10},
}


def _color(series: list[str], fixed: dict[str, str]) -> alt.Color:
    """One legend for every layer: fixed colours for the reference series, a palette for the measured ones."""
    measured = [s for s in series if s not in fixed]
    domain = [s for s in fixed if s in series] + measured
    rng = [fixed[s] for s in fixed if s in series] + [MEASURED_COLORS[i % len(MEASURED_COLORS)]
                                                      for i in range(len(measured))]
    return alt.Color("series:N", scale=alt.Scale(domain=domain, range=rng), sort=domain, legend=alt.Legend(
        title=None, orient="bottom", direction="vertical", columns=1, labelLimit=0, symbolStrokeWidth=2,
        symbolOpacity=1))


def log_ticks(lo: float, hi: float, most: int = 5) -> list[float]:
    """Powers of ten inside [lo, hi], every other one when there would be more than ``most``."""
    a, b = math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9)
    step = 1 if b - a + 1 <= most else 2
    return [10.0 ** e for e in range(a, b + 1, step)]


def _y(field: str = "value") -> alt.Y:
    return alt.Y(f"{field}:Q", title="pass@k", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"))


def _layers(measured: pd.DataFrame, points: pd.DataFrame, x_enc: alt.X, color: alt.Color,
            tips: list[alt.Tooltip], ci: bool) -> list[Any]:
    out: list[Any] = []
    if len(measured):
        m = alt.Chart(measured).encode(x=x_enc, color=color)
        if ci:
            out.append(m.mark_area(opacity=0.15).encode(y=_y("ci_low"), y2="ci_high:Q"))
        out.append(m.mark_line(point=True).encode(y=_y(), detail="series:N", tooltip=tips))
    if len(points):
        p = alt.Chart(points).encode(x=x_enc, y=_y())  # points only: each comes from its own source, no curve
        out.append(p.mark_point(size=90, filled=True, shape="diamond").encode(color=color, tooltip=[
            alt.Tooltip("series:N", title="published"), alt.Tooltip("k:Q"), alt.Tooltip("value:Q", format=".1%"),
            *([alt.Tooltip("cost:Q", format="$.6f", title="cost per problem")] if "cost" in points else []),
            alt.Tooltip("source:N")]))
        for side, style in LABEL_STYLES.items():
            out.append(p.transform_filter(f"datum.align == '{side}'").mark_text(fontSize=11, **style).encode(
                text="text:N"))
    return out


def _band(band: dict[str, Any], lo: float, hi: float, color: alt.Color) -> Any:
    frame = pd.DataFrame([{**band, "x0": lo, "x1": hi}])
    return alt.Chart(frame).mark_rect(opacity=0.3).encode(
        x=alt.X("x0:Q", scale=alt.Scale(type="log", domain=[lo, hi])), x2="x1:Q", y=_y("low"), y2="high:Q",
        color=color, tooltip=[alt.Tooltip("series:N", title="published"), alt.Tooltip("low:Q", format=".1%"),
                              alt.Tooltip("high:Q", format=".1%")])


def _series(band: dict[str, Any] | None, points: pd.DataFrame, measured: pd.DataFrame) -> alt.Color:
    pts = list(dict.fromkeys(points["series"])) if len(points) else []
    meas = list(dict.fromkeys(measured["series"])) if len(measured) else []
    fixed = {**({band["series"]: BAND_COLOR} if band else {}),
             **{s: CLAIM_COLOR if "claim" in s else PUBLISHED_COLOR for s in pts}}
    return _color(([band["series"]] if band else []) + pts + meas, fixed)


def question_passk(measured: pd.DataFrame, points: pd.DataFrame, band: dict[str, Any] | None) -> dict[str, Any]:
    """``measured``: series, k, value, ci_low, ci_high, n; ``points``: series, k, value, text, align, source;
    ``band``: series, low, high (or None)."""
    ks = [float(k) for k in [*(measured["k"] if len(measured) else []), *(points["k"] if len(points) else [])]]
    lo, hi = 1.0, max([10.0, *ks])
    color = _series(band, points, measured)
    x_enc = alt.X("k:Q", title="k = samples per problem (log scale)", scale=alt.Scale(type="log", domain=[lo, hi]),
                  axis=alt.Axis(values=log_ticks(lo, hi), format=","))
    tips = [alt.Tooltip("series:N", title="run"), alt.Tooltip("k:Q"), alt.Tooltip("value:Q", format=".1%"),
            alt.Tooltip("ci_low:Q", format=".1%", title="95% CI low"),
            alt.Tooltip("ci_high:Q", format=".1%", title="95% CI high"), alt.Tooltip("n:Q", title="problems")]
    layers = ([_band(band, lo, hi, color)] if band else []) + _layers(measured, points, x_enc, color, tips, True)
    spec: dict[str, Any] = alt.layer(*layers).properties(width="container", height=HEIGHT).to_dict()
    return spec


def question_cost(measured: pd.DataFrame, points: pd.DataFrame, band: dict[str, Any] | None) -> dict[str, Any]:
    """``measured``: series, k, value, cost; ``points``: series, k, value, cost, text, align, source; ``band``:
    series, low, high, cost (of the opponent's one answer; None when unpriced), or None."""
    costs = [float(c) for c in [*(measured["cost"] if len(measured) else []), *(points["cost"] if len(points) else []),
                                *([band["cost"]] if band and band.get("cost") else [])] if c and c > 0] or [1e-4]
    lo, hi = min(costs) / 2, max(costs) * 2
    color = _series(band, points, measured)
    x_enc = alt.X("cost:Q", title="cost per problem (USD, log scale)", scale=alt.Scale(type="log", domain=[lo, hi]),
                  axis=alt.Axis(values=log_ticks(lo, hi, 4), labelExpr="'$' + format(datum.value, '~g')"))
    tips = [alt.Tooltip("series:N", title="run"), alt.Tooltip("k:Q"), alt.Tooltip("value:Q", format=".1%"),
            alt.Tooltip("cost:Q", format="$.6f", title="cost per problem")]
    layers: list[Any] = []
    if band:
        layers.append(_band(band, lo, hi, color))
        if band.get("cost"):
            layers.append(alt.Chart(pd.DataFrame([band])).mark_rule(strokeWidth=5).encode(
                x=alt.X("cost:Q", scale=alt.Scale(type="log", domain=[lo, hi])), y=_y("low"), y2="high:Q",
                color=color, tooltip=[alt.Tooltip("series:N", title="one answer"),
                                      alt.Tooltip("cost:Q", format="$.5f", title="cost per problem"),
                                      alt.Tooltip("low:Q", format=".1%"), alt.Tooltip("high:Q", format=".1%")]))
            layers.append(alt.Chart(pd.DataFrame([band])).mark_text(baseline="bottom", dy=-6, fontSize=11).encode(
                x=alt.X("cost:Q", scale=alt.Scale(type="log", domain=[lo, hi])), y=_y("high"), text="answer:N"))
    layers += _layers(measured, points, x_enc, color, tips, False)
    spec: dict[str, Any] = alt.layer(*layers).properties(width="container", height=HEIGHT).to_dict()
    return spec
