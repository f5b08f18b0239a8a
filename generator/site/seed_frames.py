"""The seed question's chart frames: measured curves, the challenger's published points and the opponent's band,
against k and against the cost of k samples per problem. Each point's label says where it sits relative to the
point (left, right, below) so that no two labels meet (see :func:`label_sides`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from generator.site.seed_data import Published, Question
from generator.site.views import pct


def measured_series(label: str) -> str:
    """A measured run in the legend: its label as is (published series say "published" or "claim")."""
    return label


def point_series(q: Question, p: Published) -> str:
    name = q.challenger.name if q.challenger else q.story.challenger.model_id
    return f"{name}: claim, not verified" if p.claim else f"{name}: published"


def band_series(q: Question) -> str | None:
    b = q.band
    return f"{b.name} {b.metric}, published ({pct(b.low)}–{pct(b.high)})" if b else None


def label_sides(ks: list[int]) -> list[str]:
    """Vega text ``align`` of each point's label against a log k axis: "right" (the text ends at the point and runs
    towards smaller k, where published claims sit a decade or more apart), "left" for the leftmost point (the
    plot's edge is on its left), "none" for a second point at the same k (its value is in the tooltip and the
    table)."""
    out, seen = [], set()
    lo = min(ks, default=1)
    for k in ks:
        out.append("none" if k in seen else "left" if k == lo else "right")
        seen.add(k)
    return out


def _points(q: Question) -> list[Published]:
    return sorted(q.published, key=lambda p: (p.k, p.claim))


def passk_frames(q: Question) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any] | None]:
    measured = pd.DataFrame([{"series": measured_series(c.label), "k": m.k, "value": m.value, "ci_low": m.ci_low,
                              "ci_high": m.ci_high, "n": m.n} for c in q.curves for m in c.points])
    pts = _points(q)
    sides = label_sides([p.k for p in pts])
    points = pd.DataFrame([{"series": point_series(q, p), "k": p.k, "value": p.row.value,
                            "text": "" if side == "none" else f"{pct(p.row.value)} {'claim' if p.claim else 'published'}",
                            "align": side, "source": p.row.source} for p, side in zip(pts, sides, strict=True)])
    b = q.band
    band = {"series": band_series(q), "low": b.low, "high": b.high} if b else None
    return measured, points, band


def cost_frames(q: Question) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any] | None]:
    """Podium's curves at their measured cost per sample; the challenger's points at the story's assumptions; the
    opponent's band with the cost of its one answer."""
    measured = pd.DataFrame([{"series": measured_series(c.label), "k": m.k, "value": m.value,
                              "cost": (c.usd_per_sample or 0.0) * (m.k or 1)}
                             for c in q.curves if c.usd_per_sample for m in c.points])
    rows = []
    seen: set[int] = set()
    for p in _points(q):
        usd = q.cost.challenger_usd(p.k) if q.cost else None
        if usd is not None:
            rows.append({"series": point_series(q, p), "k": p.k, "value": p.row.value, "cost": usd,
                         "text": "" if p.k in seen else f"k={p.k:,}", "align": "below", "source": p.row.source})
            seen.add(p.k)
    b = q.band
    opp = q.cost.opponent_usd() if q.cost else None
    band = {"series": band_series(q), "low": b.low, "high": b.high, "cost": opp,
            "answer": f"{b.name}, 1 answer"} if b else None
    return measured, pd.DataFrame(rows), band
