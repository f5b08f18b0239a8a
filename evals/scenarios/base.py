"""What every grader shares: :class:`GradeResult`, the config base class and answer extraction by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from evals.errors import PodiumError
from evals.grading import extract as ex


@dataclass(frozen=True)
class GradeResult:
    """One graded answer: ``score`` in [0, 1], ``passed``, a short human-readable ``explanation``."""

    score: float
    passed: bool
    explanation: str
    extracted: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score must be in [0, 1], got {self.score}")


class NeedsRunner(PodiumError):
    """The grader type cannot be graded purely (code execution, LLM judge)."""


class GraderBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


Extraction = Literal["boxed", "answer_is", "last_number"]
DEFAULT_EXTRACT: list[Extraction] = ["boxed", "answer_is", "last_number"]
EXTRACTORS: dict[str, Callable[[str], str | None]] = {
    "boxed": ex.boxed, "answer_is": ex.answer_is, "last_number": ex.last_number, "full": str.strip,
    "last_line": lambda t: next((ln for ln in reversed(t.splitlines()) if ln.strip()), None),
}
SOURCE_LABEL = {"boxed": "\\boxed{}", "answer_is": '"the answer is"', "last_number": "the last number",
                "full": "the whole output", "last_line": "the last line"}


def to_float(value: object) -> object:
    """Before-validator: numbers may be written "1,234", "$5", "70%", "3/4" in YAML."""
    if isinstance(value, str):
        parsed = ex.normalize_number(value)
        return value if parsed is None else parsed
    if isinstance(value, list):
        return [to_float(v) for v in value]
    return value


def fmt_number(x: float) -> str:
    """3628800.0 → "3628800", 0.1 → "0.1" (no float noise in explanations)."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else f"{x:.10g}"
