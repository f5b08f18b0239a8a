"""The seed question's verdict, written from the data: what the claim says against the opponent's band, what
Podium measured, what it costs, where the models fail, and the conditions under which the verdict would flip."""

from __future__ import annotations

import math
from dataclasses import dataclass

from generator.site.seed_data import Band, CostModel, Curve, Question
from generator.site.views import pct


@dataclass(frozen=True)
class FailureStat:
    label: str  # "9.11 vs 9.9"
    model: str
    successes: int
    n: int


@dataclass(frozen=True)
class Verdict:
    headline: str  # "Not verified", "Verified", "Refuted"
    sentences: list[str]
    flips: list[str]


def usd(x: float) -> str:
    """Dollars with three significant digits and no exponent: $2.50, $0.00238, $0.0000347."""
    if x >= 1 or x <= 0:
        return f"${x:,.2f}"
    return f"${x:.{max(2, 2 - math.floor(math.log10(x)))}f}"


def _where(value: float, b: Band) -> str:
    if value > b.high:
        return "above the band"
    return "inside the band" if value >= b.low else "below the band"


def measured_outcome(curve: Curve, b: Band, k: int | None) -> str:
    """At the claimed k (the run's largest when there is no claim): 'matches' when the 95% interval lies at or
    above the band's bottom — the challenger is at least as good as a published number of the opponent, inside
    the band or over it — 'short' when it lies below the bottom, 'open' when it straddles it or the run has no
    point at that k."""
    m = next((m for m in curve.points if m.k == k), None) if k is not None else curve.best
    if m is None:
        return "open"
    return "matches" if m.ci_low >= b.low else "short" if m.ci_high < b.low else "open"


def _headline(q: Question, b: Band) -> tuple[str, str]:
    runs = q.challenger_runs()
    if not runs:
        name = q.challenger.name if q.challenger else q.story.challenger.model_id
        return "Not verified", f"Podium has no run of {name} on this suite yet."
    claim_k = min((p.k for p in q.claims), default=None)
    for outcome, headline, where in (("matches", "Verified", f"at or above the bottom of {b.name}'s band"),
                                     ("short", "Refuted", f"below {b.name}'s band")):
        c = next((c for c in runs if measured_outcome(c, b, claim_k) == outcome), None)
        if c is not None:
            m = next(m for m in c.points if m.k == (claim_k if claim_k is not None else c.best.k))
            return headline, (f"Podium measured {c.label}: pass@{m.k} = {pct(m.value)} [{pct(m.ci_low)}–"
                              f"{pct(m.ci_high)}], {where}.")
    best = max(runs, key=lambda c: c.best.k or 0)
    return "Not verified", (f"Podium's run of {best.label} reaches pass@{best.best.k} = {pct(best.best.value)} "
                            f"[{pct(best.best.ci_low)}–{pct(best.best.ci_high)}]: not enough to decide.")


def _cost_sentence(cost: CostModel, k: int, opp: str) -> tuple[str | None, str | None]:
    mine, theirs = cost.challenger_usd(k), cost.opponent_usd()
    if mine is None or theirs is None:
        return None, None
    ratio = mine / theirs
    text = (f"At the stated assumptions, {k:,} samples per problem cost {usd(mine)} against {usd(theirs)} for one "
            f"{opp} answer ({ratio:.1f}× as much)." if ratio >= 1 else
            f"At the stated assumptions, {k:,} samples per problem cost {usd(mine)} against {usd(theirs)} for one "
            f"{opp} answer ({1 / ratio:.1f}× cheaper).")
    be = cost.break_even(k)
    if be is None:
        return text, None
    tput, price = be
    cheaper = "cheaper" if ratio >= 1 else "dearer"
    above = "above" if ratio >= 1 else "below"
    under = "under" if ratio >= 1 else "over"
    flip = (f"{k:,} samples become {cheaper} than one {opp} answer at a throughput {above} {tput:,.0f} tokens/s "
            f"per GPU (assumed: {cost.throughput:,.0f}) or a GPU-hour {under} {usd(price)} (assumed: "
            f"{usd(cost.gpu_hour or 0)}).")
    return text, flip


def verdict(q: Question, failures: list[FailureStat]) -> Verdict:
    b = q.band
    ch = q.challenger.name if q.challenger else q.story.challenger.model_id
    if b is None:
        return Verdict("No reference", [f"No published {q.story.opponent.metric} of {q.story.opponent.model_id} "
                                        f"in site_data/reported/ to compare with."], [])
    headline, why = _headline(q, b)
    s = []
    claims = "; ".join(f"{p.row.metric} = {pct(p.row.value)} ({_where(p.row.value, b)})" for p in q.claims)
    if claims:
        s.append(f"The claim — {ch}: {claims} — is set against {b.name}'s published {b.metric} of "
                 f"{pct(b.low)}–{pct(b.high)}; the claimed numbers are not reproduced here.")
    s.append(why)
    others = [c for c in q.curves if c.model.id != q.story.challenger.model_id]
    if others:
        top = max(others, key=lambda c: c.best.value)
        size = max((c.model.parameters_b or 0) for c in others)
        s.append(f"Podium's own runs of this suite ({len(others)}, models of at most {size:g}B parameters) reach at "
                 f"most pass@{top.best.k} = {pct(top.best.value)} ({top.label}) — evidence about those models, "
                 f"not about {ch}.")
    claim_k = min((p.k for p in q.claims), default=None)
    flips = [f"Verified once a Podium run of {ch} with at least {claim_k or 'k'} samples per problem has its "
             f"pass@{claim_k or 'k'} 95% interval at or above {pct(b.low)}, the bottom of {b.name}'s published band "
             f"(a match: inside the band or over it); refuted once that interval lies below {pct(b.low)}."]
    if q.cost is not None and claim_k is not None:
        text, flip = _cost_sentence(q.cost, claim_k, b.name)
        s += [text] if text else []
        flips += [flip] if flip else []
    one = next((p for p in q.published if p.k == 1 and not p.claim), None)
    if one is not None and claim_k is not None:
        s.append(f"pass@{claim_k} counts a problem solved when any of {claim_k} samples passes the hidden tests; "
                 f"without those tests at use time a reader gets one answer, and {ch}'s published pass@1 is "
                 f"{pct(one.row.value)}, {(b.low - one.row.value) * 100:.1f} points under the band.")
        flips.append("In practice the comparison turns only with a selector (tests the model writes, a reward "
                      "model) that picks a passing sample about as often as pass@k counts one.")
    fails = [f"{f.model} passes {f.label} in {f.successes} of {f.n} graded trials" for f in failures if f.n]
    if fails:
        s.append(f"Where it fails: no outputs of {ch} or {b.name} are stored here, so the failure cases are shown "
                 "on Podium's own models: " + "; ".join(fails) + ".")
    return Verdict(headline, s, flips)
