"""The ``numeric`` grader: an expected number with tolerance, or which of two candidates an answer picks."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Literal

from pydantic import Field, field_validator, model_validator

from evals.grading import extract as ex
from evals.scenarios.base import (
    DEFAULT_EXTRACT,
    EXTRACTORS,
    SOURCE_LABEL,
    Extraction,
    GraderBase,
    GradeResult,
    fmt_number,
    to_float,
)

# ------------------------------------------------------------------------------------------- numeric


class NumericGrader(GraderBase):
    """Expected number with absolute/relative tolerance. ``choices`` switches to "which candidate does
    the answer pick" mode (e.g. 9.11 vs 9.9), see :func:`asserted_choice`."""

    type: Literal["numeric"] = "numeric"
    expected: float
    tolerance: float = Field(default=1e-6, ge=0)
    relative_tolerance: float = Field(default=0.0, ge=0)
    extract: list[Extraction] = Field(default_factory=lambda: list(DEFAULT_EXTRACT), min_length=1)
    choices: list[float] | None = Field(default=None, min_length=2)

    _numbers = field_validator("expected", "choices", mode="before")(to_float)

    @model_validator(mode="after")
    def _expected_is_a_choice(self) -> NumericGrader:
        if self.choices and not any(self.close(c) for c in self.choices):
            raise ValueError(f"expected {self.expected} is not one of choices {self.choices}")
        return self

    def close(self, value: float) -> bool:
        return math.isclose(value, self.expected, abs_tol=self.tolerance, rel_tol=self.relative_tolerance)


def extract_number(output: str, methods: Sequence[str]) -> tuple[float, str] | None:
    """First number found by ``methods`` in order, with the method that found it."""
    for method in methods:
        raw = EXTRACTORS[method](output)
        if raw is None:
            continue
        value = ex.normalize_number(raw)
        last = ex.last_number(raw) if value is None else None
        if value is not None or last is not None:
            return (value if value is not None else float(str(last))), method
    return None


def grade_numeric(cfg: NumericGrader, output: str) -> GradeResult:
    if cfg.choices:
        return _grade_numeric_choice(cfg, output)
    found = extract_number(output, cfg.extract)
    if found is None:
        return GradeResult(0.0, False, "no number found in the output")
    value, method = found
    shown, ok = fmt_number(value), cfg.close(value)
    verdict = "correct" if ok else f"wrong, expected {fmt_number(cfg.expected)}"
    return GradeResult(float(ok), ok, f"extracted {shown} from {SOURCE_LABEL[method]} — {verdict}", shown)


_LARGER = r"larger|greater|bigger|higher|more|largest|greatest|biggest|highest|max(?:imum)?"
_SMALLER = r"smaller|less|lesser|lower|fewer|smallest|least|lowest|min(?:imum)?"


def _num(group: str) -> str:
    return rf"\*{{0,2}}\$?(?P<{group}>[-−]?\d[\d,]*(?:\.\d+)?)\$?\*{{0,2}}"


_ADJ = rf"(?P<adj>{_LARGER}|{_SMALLER})"
_COMPARE_RE = re.compile(
    rf"(?<![\d.]){_num('a')}\s+is(?P<neg>\s+not|n't)?\s+(?:the\s+)?(?:(?:much|slightly|actually|indeed)\s+)?"
    rf"{_ADJ}\b(?:\s+(?:number|one|value|of\s+the\s+two))?(?:\s+than\s+{_num('b')})?", re.I)
_SYMBOL_RE = re.compile(rf"(?<![\d.]){_num('a')}\s*(?P<op>>|<|&gt;|&lt;|≥|≤)\s*{_num('b')}")
_SELECT_RE = re.compile(
    rf"\bthe\s+{_ADJ}(?:\s++(?:number|one|value))?(?:\s++of\s++the\s++two(?:\s++numbers)?)?\s*+(?:is|:|=)\s+"
    rf"{_num('a')}", re.I)


def _claims(text: str, cands: Sequence[float]) -> list[tuple[int, float | None, float | None]]:
    """(position, larger, smaller) for every comparison claim about the candidates in ``text``."""
    def cand(token: str | None) -> float | None:
        value = ex.normalize_number(token) if token else None
        return next((c for c in cands if value is not None and math.isclose(c, value)), None)

    def other(x: float) -> float | None:
        rest = [c for c in cands if c != x]
        return rest[0] if len(rest) == 1 else None

    found: list[tuple[int, float | None, float | None]] = []
    for m in [*_COMPARE_RE.finditer(text), *_SELECT_RE.finditer(text)]:
        a, b = cand(m.group("a")), cand(m.groupdict().get("b"))
        if a is None or (m.groupdict().get("b") and b is None):
            continue
        bigger = bool(re.fullmatch(_LARGER, m.group("adj"), re.I)) != bool(m.groupdict().get("neg"))
        rival = b if b is not None else other(a)
        found.append((m.start(), a, rival) if bigger else (m.start(), rival, a))
    for m in _SYMBOL_RE.finditer(text):
        a, b = cand(m.group("a")), cand(m.group("b"))
        if a is not None and b is not None:
            found.append((m.start(), a, b) if m.group("op") in (">", "&gt;", "≥") else (m.start(), b, a))
    return sorted(found, key=lambda claim: claim[0])


def _mentioned(text: str, cands: Sequence[float]) -> list[float]:
    values = [ex.normalize_number(n) for n in ex.numbers(text)]
    return [c for c in cands if any(v is not None and math.isclose(c, v) for v in values)]


def asserted_choice(text: str, cands: Sequence[float], target: str | None,
                    methods: Sequence[str] = DEFAULT_EXTRACT) -> tuple[float, str] | None:
    """Which candidate the answer asserts, and how we know. Rules, first hit wins:

    1. ``\\boxed{}`` / "the answer is" (in ``methods`` order): the single candidate it names, or the
       comparison it states;
    2. comparison claims, the *last* one wins (a corrected "…but actually 9.9 is larger" beats an
       earlier slip): "9.9 is larger than 9.11", "9.11 is not bigger", "the larger number is 9.9",
       "9.9 is the greater one", "9.9 > 9.11". ``target`` ("larger"/"smaller") says which side of a
       claim is the pick; it comes from ``expected`` being the max/min of the choices;
    3. the last bold candidate (``**9.9**``);
    4. the only candidate the answer mentions at all.
    The last number is never used: "9.9 is larger than 9.11" ends with 9.11.
    """
    def pick(snippet: str) -> float | None:
        claims = [c[1] if target == "larger" else c[2] for c in _claims(snippet, cands)] if target else []
        claims = [c for c in claims if c is not None]
        return claims[-1] if claims else None

    for method in methods:
        raw = EXTRACTORS[method](text) if method != "last_number" else None
        named = _mentioned(raw, cands) if raw else []
        chosen = named[0] if len(named) == 1 else pick(raw) if raw else None
        if chosen is not None:
            return chosen, SOURCE_LABEL[method]
    claimed = pick(text)
    if claimed is not None:
        return claimed, "a comparison claim"
    bold = [m for b in re.findall(r"\*\*([^*]{1,40})\*\*", text) if len(m := _mentioned(b, cands)) == 1]
    if bold:
        return bold[-1][0], "bold text"
    named = _mentioned(text, cands)
    return (named[0], "the only candidate mentioned") if len(named) == 1 else None


def _grade_numeric_choice(cfg: NumericGrader, output: str) -> GradeResult:
    cands = cfg.choices or []
    target = "larger" if cfg.close(max(cands)) else "smaller" if cfg.close(min(cands)) else None
    found = asserted_choice(output, cands, target, cfg.extract)
    options = " or ".join(fmt_number(c) for c in cands)
    if found is None:
        return GradeResult(0.0, False, f"could not tell which of {options} the answer picks")
    value, how = found
    ok = cfg.close(value)
    verdict = "correct" if ok else f"wrong, expected {fmt_number(cfg.expected)}"
    return GradeResult(float(ok), ok, f"answer picks {fmt_number(value)} (from {how}) — {verdict}",
                       fmt_number(value))
