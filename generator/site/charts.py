"""Altair chart builders: frame → chart spec (dict). Pure; each is pinned by a golden spec in tests/generator/golden/."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd


def passk_scaling(df: pd.DataFrame, refs: pd.DataFrame, title: str) -> dict[str, Any]:
    """pass@k against k (log x) per model with 95% CI bands; published pass@1 of other models as rules."""
    base = alt.Chart(df).encode(
        x=alt.X("k:Q", title="k (samples per problem, log scale)", scale=alt.Scale(type="log")),
        color=alt.Color("model:N", title="model"))
    band = base.mark_area(opacity=0.15).encode(y=alt.Y("ci_low:Q"), y2="ci_high:Q")
    line = base.mark_line(point=True).encode(
        y=alt.Y("value:Q", title="pass@k", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("k:Q"), alt.Tooltip("value:Q", format=".1%"),
                 alt.Tooltip("ci_low:Q", format=".1%"), alt.Tooltip("ci_high:Q", format=".1%"),
                 alt.Tooltip("n:Q", title="problems")])
    layers: list[Any] = [band, line]
    if len(refs):
        refs = dodged_labels(refs)
        rule = alt.Chart(refs).mark_rule(strokeDash=[4, 4], color="#666").encode(
            y="value:Q", tooltip=[alt.Tooltip("label:N", title="published"), alt.Tooltip("value:Q", format=".1%")])
        text = alt.Chart(refs).mark_text(align="left", dx=4, dy=-4, fontSize=10, color="#444").encode(
            y="label_y:Q", x=alt.value(4), text="text:N")
        layers += [rule, text]
    spec: dict[str, Any] = alt.layer(*layers).properties(title=title, width="container", height=340).to_dict()
    return spec


def dodged_labels(refs: pd.DataFrame, gap: float = 0.04) -> pd.DataFrame:
    """Reference lines' labels that do not overlap: from the highest value down, each label sits at its line or
    ``gap`` (of the 0-1 axis, about one text line at the chart's height) below the label above it; the text
    carries the value, so a label moved off its line still names it.  The same label and value twice (two
    published runs of one model) is drawn once."""
    out = (refs.drop_duplicates(["label", "value"]).sort_values("value", ascending=False, kind="stable")
           .reset_index(drop=True))
    ys: list[float] = []
    for value in out["value"]:
        ys.append(min(float(value), ys[-1] - gap) if ys else float(value))
    return out.assign(label_y=ys, text=[f"{lab} {val:.1%}" for lab, val in zip(out["label"], out["value"],
                                                                             strict=True)])


def passk_cost(df: pd.DataFrame, title: str) -> dict[str, Any]:
    """pass@k against the cost of drawing k samples per problem (USD per problem, symlog x)."""
    chart = alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("cost_per_problem:Q", title="cost of k samples per problem (USD, symlog)",
                scale=alt.Scale(type="symlog")),
        y=alt.Y("value:Q", title="pass@k", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("model:N", title="model"),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("k:Q"), alt.Tooltip("value:Q", format=".1%"),
                 alt.Tooltip("cost_per_problem:Q", format="$.5f"), alt.Tooltip("tokens_per_problem:Q",
                                                                               format=",.0f"),
                 alt.Tooltip("cost_method:N")])
    spec: dict[str, Any] = chart.properties(title=title, width="container", height=300).to_dict()
    return spec


def group_bars(df: pd.DataFrame, title: str, group_title: str) -> dict[str, Any]:
    """Score per group (e.g. MMLU category) and model, with 95% CI error bars."""
    base = alt.Chart(df).encode(y=alt.Y("group:N", title=group_title), yOffset="model:N",
                                color=alt.Color("model:N", title="model"))
    bars = base.mark_bar().encode(
        x=alt.X("value:Q", title="accuracy (95% CI)", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("group:N"), alt.Tooltip("value:Q", format=".1%"),
                 alt.Tooltip("n:Q")])
    errs = base.mark_errorbar(color="black").encode(x="ci_low:Q", x2="ci_high:Q")
    spec: dict[str, Any] = (bars + errs).properties(title=title, width="container").to_dict()
    return spec


def _dots(df: pd.DataFrame, y_title: str | None = None) -> Any:
    base = alt.Chart(df).encode(y=alt.Y("model:N", sort=alt.EncodingSortField("value", order="descending"),
                                        title=y_title, axis=alt.Axis(labelLimit=220)))
    whisk = base.mark_rule(color="#7986cb", strokeWidth=2).encode(
        x=alt.X("ci_low:Q", title="score (95% CI)", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        x2="ci_high:Q")
    dots = base.mark_point(filled=True, size=40, color="#3f51b5").encode(
        x="value:Q",
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("value:Q", format=".1%"),
                 alt.Tooltip("ci_low:Q", format=".1%", title="CI low"),
                 alt.Tooltip("ci_high:Q", format=".1%", title="CI high"), alt.Tooltip("n:Q")])
    return alt.layer(whisk, dots)


def score_dots(frame: pd.DataFrame, title: str) -> dict[str, Any]:
    """Dot-and-whisker: one line per model, sorted by score — legible at 200 models."""
    df = frame[["model", "value", "ci_low", "ci_high", "n"]].copy()
    spec: dict[str, Any] = _dots(df).properties(title=title, width="container",
                                                height=alt.Step(14)).to_dict()
    return spec


def faceted_scores(frame: pd.DataFrame, title: str) -> dict[str, Any]:
    """One dot-and-whisker panel per suite (each sorted on its own), wrapped two per line."""
    df = frame[["model", "suite", "value", "ci_low", "ci_high", "n"]].copy()
    chart = _dots(df).properties(width=300, height=alt.Step(12)).facet(
        facet=alt.Facet("suite:N", title=None), columns=2).resolve_scale(y="independent")
    spec: dict[str, Any] = chart.properties(title=title).to_dict()
    return spec


def pareto_scatter(df: pd.DataFrame, title: str, y_title: str, x_title: str) -> dict[str, Any]:
    """Quality against cost (symlog x); the Pareto frontier drawn as a step line and its models named."""
    if not len(df):
        df = pd.DataFrame(columns=["model", "cost", "value", "frontier", "method"])
    base = alt.Chart(df).encode(x=alt.X("cost:Q", title=x_title + ", symlog", scale=alt.Scale(type="symlog")),
                                y=alt.Y("value:Q", title=y_title))
    points = base.mark_point(filled=True, size=60).encode(
        color=alt.condition("datum.frontier", alt.value("#e65100"), alt.value("#7986cb")),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("value:Q", format=".3f"), alt.Tooltip("cost:Q", format="$.4f"),
                 alt.Tooltip("method:N", title="cost from"), alt.Tooltip("frontier:N", title="on the frontier")])
    front = base.transform_filter("datum.frontier").mark_line(interpolate="step-after", color="#e65100")
    labels = base.transform_filter("datum.frontier").mark_text(align="left", dx=6, dy=-6, fontSize=10).encode(
        text="model:N")
    spec: dict[str, Any] = alt.layer(front, points, labels).properties(
        title=title, width="container", height=360).to_dict()
    return spec
