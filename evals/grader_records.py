"""The grader configuration of a suite, as stored in ``run.json`` (``suite.grader``): a typed value, one kind per
way of grading, discriminated by ``kind``.

A suite's version hashes its grader configuration. :meth:`canonical` gives the exact text that is hashed — the
JSON the suite wrote before the configuration was typed (schema v3 stored that text as a string), so typing the
field changed no suite version. ``podium upgrade`` turns a v3 string into the typed value (:func:`from_v3`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter, ValidationError

Protocol = Literal["generative", "loglikelihood"]  # also the protocol of SuiteRecord (evals.records)


class _Grader(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def canonical(self) -> str:
        """The text hashed into the suite version: the fields in declared order, unset ones left out."""
        return json.dumps(self.model_dump(mode="json", exclude={"kind"}, exclude_none=True))


class ChoiceGrader(_Grader):
    """Multiple choice: the pick is the choice of highest log-likelihood, or the choice parsed from a reply."""

    kind: Literal["choice"] = "choice"
    protocol: Protocol
    choices: list[str] | None = Field(None, description="The scored continuations where every item has the same.")
    parse: str | None = Field(None, description="Generative protocol: how the reply is read as a choice.")
    lm_eval: str | None = Field(None, description="The lm-eval task and version the prompts follow.")
    categories: str | None = Field(None, description="How subjects roll up into categories.")
    acc_norm: str | None = Field(None, description="The length acc_norm divides by.")
    scoring: str | None = Field(None, description="How the options are scored, e.g. 'partial' (WinoGrande).")


class AnswerGrader(_Grader):
    """A final answer read from a free-form reply by regular expressions and compared with the reference."""

    kind: Literal["answer"] = "answer"
    strict: str = Field(description="Regular expression of the strict extraction.")
    flexible: str = Field(description="Regular expression of the flexible extraction.")
    ignore: list[str] = Field(description="Patterns removed before comparing.")
    ignore_case: bool
    lm_eval_task: str
    task_version: float


class SandboxLimitsRecord(_Grader):
    cpu_seconds: float
    wall_seconds: float
    memory_bytes: int
    max_processes: int
    file_size_bytes: int
    output_bytes: int
    disk_bytes: int


class CodeGrader(_Grader):
    """Generated code run against the problem's tests in the sandbox."""

    kind: Literal["code"] = "code"
    program: str = Field(description="What the judged program is made of.")
    judge: str | None = Field(None, description="Who runs which part (absent in runs before the trusted judge).")
    stop: list[str]
    chunk: int = Field(description="Programs per sandbox batch.")
    limits: SandboxLimitsRecord
    guard: int = Field(description="Version of the sandbox guard.")


class ScenarioGraderEntry(_Grader):
    yaml_sha256: str
    version: int | str
    graders: list[dict[str, JsonValue]] = Field(description="The scenario's graders as configured in its YAML.")


class ScenariosGrader(_Grader):
    """Custom YAML scenarios: each scenario's graders, and the judge model of rubric graders."""

    kind: Literal["scenarios"] = "scenarios"
    judge: str | None = None
    judge_sampling: str | None = None
    scenarios: dict[str, ScenarioGraderEntry]

    def canonical(self) -> str:  # written with sort_keys and with its nulls
        return json.dumps(self.model_dump(mode="json", exclude={"kind"}), sort_keys=True)


class OtherGrader(_Grader):
    """A grader no built-in kind describes (synthetic data of the scale benchmark, tests)."""

    kind: Literal["other"] = "other"
    description: str

    def canonical(self) -> str:
        return self.description


GraderConfig = Annotated[ChoiceGrader | AnswerGrader | CodeGrader | ScenariosGrader | OtherGrader,
                         Field(discriminator="kind")]


def from_v3(text: str) -> dict[str, Any]:
    """A v3 ``suite.grader`` string as the typed value's JSON: its kind read from the keys it has, kept only when
    the typed value gives back exactly this text (else the text is kept whole as an ``other`` grader, so the
    suite version still follows from the record)."""
    other = {"kind": "other", "description": text}
    try:
        raw = json.loads(text)
    except json.JSONDecodeError:
        return other
    if not isinstance(raw, dict):
        return other
    kind = ("scenarios" if "scenarios" in raw else "code" if "program" in raw else
            "answer" if "strict" in raw else "choice" if "protocol" in raw else "other")
    if kind == "other":
        return other
    try:
        typed = _ADAPTER.validate_python({"kind": kind, **raw})
    except ValidationError:
        return other
    return typed.model_dump(mode="json") if typed.canonical() == text else other


_ADAPTER: TypeAdapter[GraderConfig] = TypeAdapter(GraderConfig)
