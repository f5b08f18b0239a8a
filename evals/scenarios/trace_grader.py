"""The ``tool_trace`` grader: which tools were called, in which order, with which arguments, and the final answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from evals.grading import extract as ex
from evals.scenarios.base import DEFAULT_EXTRACT, Extraction, GraderBase, GradeResult
from evals.scenarios.numeric import NumericGrader, grade_numeric
from evals.scenarios.tools import ToolCall, arguments_match, format_args


class ExpectedCall(GraderBase):
    """A call the model should make: ``arguments`` is a subset by name, or a list of positional values."""

    name: str
    arguments: dict[str, Any] | list[Any] = Field(default_factory=dict)
    unordered_args: bool = False  # gcd(a, b) == gcd(b, a)

    def matches(self, call: ToolCall) -> bool:
        return call.name == self.name and call.parse_error is None and arguments_match(
            self.arguments, call.arguments, unordered=self.unordered_args)


class ToolTraceGrader(GraderBase):
    """Check the recorded tool calls and the final answer; one check per expected call, one for
    extra calls when ``allow_extra`` is false, one for the final answer."""

    type: Literal["tool_trace"] = "tool_trace"
    calls: list[ExpectedCall] = Field(default_factory=list)
    order: Literal["strict", "any"] = "any"
    allow_extra: bool = True
    final_answer: float | str | None = None
    tolerance: float = Field(default=1e-6, ge=0)
    extract: list[Extraction] = Field(default_factory=lambda: list(DEFAULT_EXTRACT), min_length=1)


def _show(call: ToolCall | ExpectedCall) -> str:
    return f"{call.name}{format_args(call.arguments)}"


def _match_calls(cfg: ToolTraceGrader, trace: Sequence[ToolCall]) -> tuple[list[str | None], set[int]]:
    """Per expected call: None when matched, else the problem; plus the indices of trace calls used."""
    used: set[int] = set()
    problems: list[str | None] = []
    start = 0
    for exp in cfg.calls:
        lo = start if cfg.order == "strict" else 0
        hit = next((i for i in range(lo, len(trace)) if i not in used and exp.matches(trace[i])), None)
        if hit is not None:
            used.add(hit)
            start = hit + 1
            problems.append(None)
        elif cfg.order == "strict" and any(exp.matches(c) for c in trace[:lo]):
            problems.append(f"{_show(exp)} called out of order")
        else:
            problems.append(_miss(exp, [c for i, c in enumerate(trace) if i not in used]))
    return problems, used


def _miss(exp: ExpectedCall, unused: Sequence[ToolCall]) -> str:
    same = [c for c in unused if c.name == exp.name]
    if not same:
        return f"{exp.name} never called (expected {_show(exp)})"
    bad = same[0]
    got = f"unparseable arguments ({bad.parse_error[:60]})" if bad.parse_error else format_args(bad.arguments)
    return f"{exp.name} called with {got}, expected {format_args(exp.arguments)}"


def _final_check(cfg: ToolTraceGrader, output: str) -> tuple[bool, str]:
    expected = cfg.final_answer
    number = ex.normalize_number(expected) if isinstance(expected, str) else expected
    if isinstance(number, int | float):
        result = grade_numeric(NumericGrader(expected=number, tolerance=cfg.tolerance, extract=cfg.extract),
                               output)
        return result.passed, f"final answer: {result.explanation}"
    ok = ex.contains_phrase(ex.answer_is(output) or output, str(expected))
    return ok, f"final answer {'contains' if ok else 'lacks'} {expected!r}"


def grade_tool_trace(cfg: ToolTraceGrader, output: str, trace: Sequence[ToolCall]) -> GradeResult:
    problems, used = _match_calls(cfg, trace)
    checks = [(p is None, p or f"{_show(e)} ✓") for p, e in zip(problems, cfg.calls, strict=True)]
    if not cfg.allow_extra:
        extra = [_show(c) for i, c in enumerate(trace) if i not in used]
        checks.append((not extra, f"unexpected calls: {', '.join(extra[:4])}" if extra else "no extra calls"))
    if cfg.final_answer is not None:
        checks.append(_final_check(cfg, output))
    if not checks:
        return GradeResult(1.0, True, "no expectations configured")
    passed = sum(ok for ok, _ in checks)
    failed = [why for ok, why in checks if not ok]
    explanation = f"{passed}/{len(checks)} expectations met" + "".join(f"; {why}" for why in failed[:5])
    return GradeResult(passed / len(checks), passed == len(checks), explanation)
