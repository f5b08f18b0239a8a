"""Graders for custom YAML scenarios: typed configs (discriminated by ``type``), the registry and :func:`grade`.

``numeric``, ``exact``, ``regex``, ``contains``, ``json`` and ``tool_trace`` are graded purely from the
model's output (and tool trace). ``code_tests`` and ``rubric`` need a sandbox or a judge model
(:mod:`evals.scenarios.code_tests`, :mod:`evals.scenarios.judge`); :func:`grade` raises :class:`NeedsRunner`
for them. The bigger graders live in their own modules and are re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, field_validator, model_validator

from evals.grading import extract as ex
from evals.scenarios.base import (
    DEFAULT_EXTRACT,
    EXTRACTORS,
    SOURCE_LABEL,
    Extraction,
    GraderBase,
    GradeResult,
    NeedsRunner,
    fmt_number,
)
from evals.scenarios.code_tests import CodeTestsGrader
from evals.scenarios.json_grader import (
    FieldCheck,
    JsonGrader,
    RelationSpec,
    TermSpec,
    compare_field,
    find_key,
    grade_json,
)
from evals.scenarios.judge import RubricGrader, parse_judge_verdict
from evals.scenarios.numeric import NumericGrader, asserted_choice, extract_number, grade_numeric
from evals.scenarios.tools import ToolCall
from evals.scenarios.trace_grader import ExpectedCall, ToolTraceGrader, grade_tool_trace

# --------------------------------------------------------------------------------------------- exact


TextExtraction = Literal["boxed", "answer_is", "last_line", "full"]
DEFAULT_TEXT_EXTRACT: list[TextExtraction] = ["boxed", "answer_is", "full"]


class ExactGrader(GraderBase):
    """Extracted answer equals ``expected`` (or one of a list) after normalisation. ``choices`` mode
    picks the single candidate the answer names (boxed / "the answer is" / bold / only one mentioned)."""

    type: Literal["exact"] = "exact"
    expected: str | list[str]
    case_sensitive: bool = False
    normalize_whitespace: bool = True
    ignore_punctuation: bool = False
    extract: list[TextExtraction] = Field(default_factory=lambda: list(DEFAULT_TEXT_EXTRACT), min_length=1)
    choices: list[str] | None = Field(default=None, min_length=2)

    @property
    def accepted(self) -> list[str]:
        return [self.expected] if isinstance(self.expected, str) else list(self.expected)

    def norm(self, text: str) -> str:
        text = text.strip().strip("*_`\"'").strip().rstrip(".").strip()
        text = text if self.case_sensitive else text.casefold()
        text = re.sub(r"[^\w\s]", "", text) if self.ignore_punctuation else text
        return " ".join(text.split()) if self.normalize_whitespace else text


def _exact_choice(cfg: ExactGrader, output: str) -> tuple[str, str] | None:
    choices = cfg.choices or []
    for method in [m for m in cfg.extract if m != "full"]:
        raw = EXTRACTORS[method](output)
        named = [c for c in choices if raw and (cfg.norm(raw) == cfg.norm(c) or ex.contains_phrase(raw, c))]
        if len(named) == 1:
            return named[0], SOURCE_LABEL[method]
    bold = [n for b in re.findall(r"\*\*([^*]{1,80})\*\*", output)
            if len(n := [c for c in choices if ex.contains_phrase(b, c)]) == 1]
    if bold:
        return bold[-1][0], "bold text"
    named = [c for c in choices if ex.contains_phrase(output, c)]
    return (named[0], "the only candidate mentioned") if len(named) == 1 else None


def grade_exact(cfg: ExactGrader, output: str) -> GradeResult:
    if cfg.choices:
        found = _exact_choice(cfg, output)
    else:
        found = next(((raw, SOURCE_LABEL[m]) for m in cfg.extract if (raw := EXTRACTORS[m](output))), None)
    if found is None:
        return GradeResult(0.0, False, "no answer found in the output")
    raw, how = found
    ok = any(cfg.norm(raw) == cfg.norm(e) for e in cfg.accepted)
    verdict = "correct" if ok else f"wrong, expected {cfg.accepted[0]!r}"
    return GradeResult(float(ok), ok, f"answer {raw[:80]!r} (from {how}) — {verdict}", raw)


# ---------------------------------------------------------------------------------- regex / contains

_FLAGS = {"i": re.I, "ignorecase": re.I, "m": re.M, "multiline": re.M, "s": re.S, "dotall": re.S,
          "x": re.X, "verbose": re.X, "a": re.A, "ascii": re.A}


class RegexGrader(GraderBase):
    """``pattern`` must match somewhere in the output (or must not, with ``must_not_match``)."""

    type: Literal["regex"] = "regex"
    pattern: str
    must_not_match: bool = False
    flags: list[str] = Field(default_factory=list)

    @field_validator("flags")
    @classmethod
    def _known_flags(cls, flags: list[str]) -> list[str]:
        unknown = [f for f in flags if f.lower() not in _FLAGS]
        if unknown:
            raise ValueError(f"unknown regex flags {unknown}; use {sorted(_FLAGS)}")
        return flags

    @model_validator(mode="after")
    def _compiles(self) -> RegexGrader:
        self.compiled()
        return self

    def compiled(self) -> re.Pattern[str]:
        value = 0
        for flag in self.flags:
            value |= _FLAGS[flag.lower()]
        try:
            return re.compile(self.pattern, value)
        except re.error as err:
            raise ValueError(f"invalid regex {self.pattern!r}: {err}") from err


def grade_regex(cfg: RegexGrader, output: str) -> GradeResult:
    m = cfg.compiled().search(output)
    ok = (m is None) if cfg.must_not_match else (m is not None)
    if m is None:
        return GradeResult(float(ok), ok, f"pattern {cfg.pattern!r} not found")
    return GradeResult(float(ok), ok, f"pattern {cfg.pattern!r} matched {m.group(0)[:60]!r}", m.group(0))


class ContainsGrader(GraderBase):
    """All (partial credit = fraction found) or any of ``strings`` appear in the output."""

    type: Literal["contains"] = "contains"
    strings: list[str] = Field(min_length=1)
    mode: Literal["all", "any"] = "all"
    case_sensitive: bool = False
    pass_threshold: float = Field(default=1.0, ge=0, le=1)


def grade_contains(cfg: ContainsGrader, output: str) -> GradeResult:
    def norm(t: str) -> str:
        t = " ".join(t.split())
        return t if cfg.case_sensitive else t.casefold()

    haystack = norm(output)
    missing = [s for s in cfg.strings if norm(s) not in haystack]
    found = len(cfg.strings) - len(missing)
    score = float(found > 0) if cfg.mode == "any" else found / len(cfg.strings)
    ok = score >= cfg.pass_threshold - 1e-9 and score > 0
    detail = f"; missing: {', '.join(repr(s) for s in missing[:5])}" if missing else ""
    return GradeResult(score, ok, f"found {found}/{len(cfg.strings)} ({cfg.mode}){detail}")


# ------------------------------------------------------------------------------------------ registry

GraderConfig = Annotated[
    NumericGrader | ExactGrader | RegexGrader | ContainsGrader | JsonGrader | ToolTraceGrader
    | CodeTestsGrader | RubricGrader,
    Field(discriminator="type"),
]
GRADERS: dict[str, type[GraderBase]] = {
    "numeric": NumericGrader, "exact": ExactGrader, "regex": RegexGrader, "contains": ContainsGrader,
    "json": JsonGrader, "tool_trace": ToolTraceGrader, "code_tests": CodeTestsGrader, "rubric": RubricGrader,
}
_ADAPTER: TypeAdapter[GraderConfig] = TypeAdapter(GraderConfig)


def parse_grader(data: Mapping[str, Any]) -> GraderConfig:
    """Validate a YAML/JSON grader mapping (``{type: numeric, expected: 25}``); pydantic ValidationError
    on bad input."""
    return _ADAPTER.validate_python(data)


def grade(
    config: GraderConfig | Mapping[str, Any], output: str, trace: Sequence[ToolCall] = ()
) -> GradeResult:
    """Grade ``output`` (and the tool ``trace``) with a pure grader; NeedsRunner for code_tests/rubric."""
    cfg = parse_grader(config) if isinstance(config, Mapping) else config
    if isinstance(cfg, NumericGrader):
        return grade_numeric(cfg, output)
    if isinstance(cfg, ExactGrader):
        return grade_exact(cfg, output)
    if isinstance(cfg, RegexGrader):
        return grade_regex(cfg, output)
    if isinstance(cfg, ContainsGrader):
        return grade_contains(cfg, output)
    if isinstance(cfg, JsonGrader):
        return grade_json(cfg, output)
    if isinstance(cfg, ToolTraceGrader):
        return grade_tool_trace(cfg, output, trace)
    raise NeedsRunner(
        f"grader type {cfg.type!r} is not pure and cannot be graded by grade()",
        fix="run it through the code-execution sandbox (code_tests) or the judge runner (rubric)",
    )


__all__ = [
    "DEFAULT_EXTRACT", "GRADERS", "CodeTestsGrader", "ContainsGrader", "ExactGrader", "ExpectedCall", "Extraction",
    "FieldCheck", "GradeResult", "GraderBase", "GraderConfig", "JsonGrader", "NeedsRunner", "NumericGrader",
    "RegexGrader", "RelationSpec", "RubricGrader", "TermSpec", "ToolTraceGrader", "asserted_choice",
    "compare_field", "extract_number", "find_key", "fmt_number", "grade", "grade_contains", "grade_exact",
    "grade_json", "grade_numeric", "grade_regex", "grade_tool_trace", "parse_grader", "parse_judge_verdict",
]
