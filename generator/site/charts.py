"""Altair chart builders: frame → chart spec (dict). Pure; each is pinned by a golden spec in tests/generator/golden/.

No chart draws free-floating text: every name sits in an axis or a legend (legends below the plot, one entry per
line), so labels cannot print over each other or over the data at any width, and the theme colours all text
(light and dark). Score charts draw the suite's chance level and majority baseline from the records."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

# label limits are set by the page from the chart's width (podium.js), so a name is shortened only when the screen
# cannot hold it, and never runs past the chart's edge
LEGEND = alt.Legend(orient="bottom", direction="vertical")
PCT = alt.Axis(format="%", tickCount=10, labelOverlap="greedy", labelSeparation=4, labelFlush=False)
TITLE = {"anchor": "start", "fontSize": 13}
# reference lines: every one dashed (Vega's default range starts with a solid line) and each visibly different
DASHES = [[6, 3], [2, 2], [10, 3, 2, 3], [14, 4], [1, 4], [6, 2, 1, 2, 1, 2], [3, 6], [18, 3, 3, 3]] * 4


def _spec(chart: Any, title: str, **props: Any) -> dict[str, Any]:
    spec: dict[str, Any] = chart.properties(title=alt.TitleParams(title, anchor="start"), **props).to_dict()
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    return spec


def baselines_frame(chance: float | None, majority: float | None, majority_label: str | None) -> pd.DataFrame:
    """The rules a score chart draws: chance (uniform guessing) and the majority baseline, each named with its value
    in the legend."""
    rows = []
    if chance is not None:
        rows.append({"baseline": f"chance (random guess) {chance:.1%}", "x": chance})
    if majority is not None:
        who = f" ('{majority_label}')" if majority_label else ""
        rows.append({"baseline": f"majority answer{who} {majority:.1%}", "x": majority})
    return pd.DataFrame(rows, columns=["baseline", "x"])


def _baseline_rules(base: pd.DataFrame, title: str) -> Any:
    """Vertical rules at the baselines (x is the score axis), titled like it so no field name reaches the axis."""
    return alt.Chart(base).mark_rule(strokeWidth=1.5, color="#8d6e63").encode(
        alt.X("x:Q", title=title, axis=PCT), strokeDash=alt.StrokeDash("baseline:N", title="baseline", legend=LEGEND),
        tooltip=[alt.Tooltip("baseline:N")])


def passk_scaling(df: pd.DataFrame, refs: pd.DataFrame, title: str) -> dict[str, Any]:
    """pass@k against k (log x) per model with 95% CI bands; published pass@1 of other models as dashed rules,
    each named (with its value) in a legend of its own."""
    base = alt.Chart(df).encode(
        x=alt.X("k:Q", title="k (samples per problem, log scale)", scale=alt.Scale(type="log"),
                axis=alt.Axis(labelOverlap="greedy", labelSeparation=4)),
        color=alt.Color("model:N", title="model", legend=LEGEND))
    band = base.mark_area(opacity=0.15).encode(y=alt.Y("ci_low:Q", title="pass@k", axis=PCT), y2="ci_high:Q")
    line = base.mark_line(point=True).encode(
        y=alt.Y("value:Q", title="pass@k", scale=alt.Scale(domain=[0, 1]), axis=PCT),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("k:Q"), alt.Tooltip("value:Q", format=".1%"),
                 alt.Tooltip("ci_low:Q", format=".1%", title="CI low"),
                 alt.Tooltip("ci_high:Q", format=".1%", title="CI high"), alt.Tooltip("n:Q", title="problems")])
    layers: list[Any] = [band, line]
    if len(refs):
        refs = reference_labels(refs)
        layers.append(alt.Chart(refs).mark_rule(color="#9e9e9e", strokeWidth=1.5).encode(
            y=alt.Y("value:Q", title="pass@k", axis=PCT),
            strokeDash=alt.StrokeDash("text:N", title="published pass@1 (not reproduced)", legend=LEGEND,
                                      sort=list(refs["text"]),
                                      scale=alt.Scale(range=DASHES[:len(refs)] or DASHES[:1])),
            tooltip=[alt.Tooltip("text:N", title="published")]))
    return _spec(alt.layer(*layers).resolve_scale(strokeDash="independent"), title, width="container", height=300)


def reference_labels(refs: pd.DataFrame) -> pd.DataFrame:
    """Published reference lines, highest first, each with its value in its name; the same label and value twice
    (two published runs of one model) once."""
    out = (refs.drop_duplicates(["label", "value"]).sort_values("value", ascending=False, kind="stable")
           .reset_index(drop=True))
    return out.assign(text=[f"{lab} {val:.1%}" for lab, val in zip(out["label"], out["value"], strict=True)])


def passk_cost(df: pd.DataFrame, title: str) -> dict[str, Any]:
    """pass@k against the cost of drawing k samples per problem (USD per problem, symlog x)."""
    chart = alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("cost_per_problem:Q", title="cost of k samples per problem (USD, symlog)",
                scale=alt.Scale(type="symlog"),
                axis=alt.Axis(format="$.2~g", tickCount=3, labelOverlap="greedy", labelSeparation=10, labelFlush=True)),
        y=alt.Y("value:Q", title="pass@k", scale=alt.Scale(domain=[0, 1]), axis=PCT),
        color=alt.Color("model:N", title="model", legend=LEGEND),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("k:Q"), alt.Tooltip("value:Q", format=".1%"),
                 alt.Tooltip("cost_per_problem:Q", format="$.5f"),
                 alt.Tooltip("tokens_per_problem:Q", format=",.0f"), alt.Tooltip("cost_method:N")])
    return _spec(chart, title, width="container", height=260)


def group_bars(df: pd.DataFrame, base: pd.DataFrame, title: str, group_title: str, metric: str) -> dict[str, Any]:
    """The main metric per group (e.g. a category of subjects) and model, with 95% CI error bars and the baselines."""
    enc = alt.Chart(df).encode(y=alt.Y("group:N", title=group_title, axis=alt.Axis(labelOverlap=True)),
                               yOffset="model:N", color=alt.Color("model:N", title="model", legend=LEGEND))
    bars = enc.mark_bar().encode(
        x=alt.X("value:Q", title=f"{metric} (95% CI)", scale=alt.Scale(domain=[0, 1]), axis=PCT),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("group:N"), alt.Tooltip("value:Q", format=".1%"),
                 alt.Tooltip("n:Q")])
    errs = enc.mark_errorbar(color="#616161").encode(x=alt.X("ci_low:Q", title=f"{metric} (95% CI)", axis=PCT),
                                                      x2="ci_high:Q")
    layers: list[Any] = [bars, errs]
    if len(base):
        layers.append(_baseline_rules(base, f"{metric} (95% CI)"))
    return _spec(alt.layer(*layers), title, width="container")


def _dots(df: pd.DataFrame, x_title: str, axis: alt.Axis = PCT) -> tuple[Any, Any]:
    base = alt.Chart(df).encode(y=alt.Y("model:N", sort=alt.EncodingSortField("value", order="descending"),
                                        title=None))
    whisk = base.mark_rule(color="#7986cb", strokeWidth=2).encode(
        x=alt.X("ci_low:Q", title=x_title, scale=alt.Scale(domain=[0, 1]), axis=axis), x2="ci_high:Q")
    dots = base.mark_point(filled=True, size=40, color="#3f51b5").encode(
        x=alt.X("value:Q", title=x_title, axis=axis),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("value:Q", format=".1%"),
                 alt.Tooltip("ci_low:Q", format=".1%", title="CI low"),
                 alt.Tooltip("ci_high:Q", format=".1%", title="CI high"), alt.Tooltip("n:Q")])
    return whisk, dots


def score_dots(frame: pd.DataFrame, base: pd.DataFrame, title: str, metric: str = "score") -> dict[str, Any]:
    """Dot-and-whisker: one line per model, sorted by score — legible at 200 models; chance and majority as rules."""
    df = frame[["model", "value", "ci_low", "ci_high", "n"]].copy()
    whisk, dots = _dots(df, f"{metric} (95% CI)")
    layers: list[Any] = [whisk, dots]
    if len(base):
        layers.append(_baseline_rules(base, f"{metric} (95% CI)"))
    return _spec(alt.layer(*layers), title, width="container", height=alt.Step(16))


def faceted_scores(frame: pd.DataFrame, title: str) -> dict[str, Any]:
    """One dot-and-whisker panel per suite (each sorted on its own, with its baseline — the better of chance and
    the majority answer, Avg's zero — as a dashed rule), one panel per line so it reads at any width."""
    df = frame[["model", "suite", "value", "ci_low", "ci_high", "n", "baseline"]].copy()
    # the panels fill the page's width exactly (podium.js), so the end labels sit inside, not across the edge
    axis = alt.Axis(format="%", labelOverlap="greedy", labelSeparation=4, labelFlush=True)  # ticks follow the width
    whisk, dots = _dots(df, "main metric (95% CI)", axis)
    rule = alt.Chart(df).transform_filter("isValid(datum.baseline)").mark_rule(
        strokeDash=[4, 3], color="#8d6e63").encode(x=alt.X("min(baseline):Q", title="main metric (95% CI)", axis=axis),
                                                   tooltip=[alt.Tooltip("min(baseline):Q", format=".1%",
                                                                        title="baseline")])
    chart = alt.layer(whisk, dots, rule, data=df).properties(width="container", height=alt.Step(16)).facet(
        row=alt.Row("suite:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start",
                                                             labelOrient="top", labelFontWeight="bold")),
    ).resolve_scale(y="independent")
    spec: dict[str, Any] = chart.properties(title=alt.TitleParams(title, anchor="start")).to_dict()
    return spec


def pareto_scatter(df: pd.DataFrame, title: str, y_title: str, x_title: str,
                   baseline: float | None = None) -> dict[str, Any]:
    """Quality against cost (symlog x); the Pareto frontier drawn as a step line; frontier models named in the
    legend (colour), the others grey — no text on the plot, so no label collides or is cut; ``baseline`` (a suite's
    Avg zero) as a dashed rule."""
    if not len(df):
        df = pd.DataFrame(columns=["model", "cost", "value", "frontier", "method"])
    df = df.assign(who=[m if f else "not on the frontier" for m, f in zip(df["model"], df["frontier"], strict=True)])
    names = sorted({str(m) for m, f in zip(df["model"], df["frontier"], strict=True) if f})
    base = alt.Chart(df).encode(
        x=alt.X("cost:Q", title=x_title + ", symlog", scale=alt.Scale(type="symlog", padding=14),  # no point cut in half
                axis=alt.Axis(format="$.2~g", tickCount=3, labelOverlap="greedy", labelSeparation=10, labelFlush=True)),
        y=alt.Y("value:Q", title=y_title, axis=PCT))
    points = base.mark_point(filled=True, size=70).encode(
        color=alt.Color("who:N", title="Pareto frontier", legend=LEGEND,
                        scale=alt.Scale(domain=[*names, "not on the frontier"],
                                        range=[*(["#e65100", "#2e7d32", "#6a1b9a", "#00838f", "#ad1457"] * 40)[
                                            :len(names)], "#9e9e9e"])),
        shape=alt.Shape("frontier:N", legend=None),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("value:Q", format=".1%"), alt.Tooltip("cost:Q", format="$.4f"),
                 alt.Tooltip("method:N", title="cost from"), alt.Tooltip("frontier:N", title="on the frontier")])
    front = base.transform_filter("datum.frontier").mark_line(interpolate="step-after", color="#e65100")
    layers = [front, points]
    if baseline:
        layers.append(alt.Chart(pd.DataFrame([{"baseline": baseline}])).mark_rule(strokeDash=[4, 3], color="#8d6e63")
                      .encode(y=alt.Y("baseline:Q", title=y_title, axis=PCT), tooltip=[alt.Tooltip("baseline:Q", format=".1%")]))
    return _spec(alt.layer(*layers), title, width="container", height=320)
