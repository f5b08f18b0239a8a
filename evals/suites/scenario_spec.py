"""Custom scenarios as data: one YAML file per scenario, validated into a :class:`ScenarioSpec`.

A scenario is a conversation to start (system/user messages, optional follow-up user turns), optional tools
(builtin names or JSON-Schema functions with a Python implementation) offered natively, in the prompt-based
"Action:" protocol, or both, how many trials to run, and the graders that score the final answer. A bad
file fails with ``file:line: what is wrong`` (:func:`load_scenarios`); no Python is needed to add one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from evals.errors import ConfigError
from evals.hashing import sha256_text
from evals.scenarios.graders import (
    CodeTestsGrader,
    ExactGrader,
    GraderConfig,
    NumericGrader,
    RubricGrader,
    ToolTraceGrader,
    fmt_number,
)
from evals.scenarios.tools import BUILTIN_TOOLS, ToolSpec, action_prompt
from evals.yamlio import validate_yaml

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"
SCENARIO_ID = r"^[a-z0-9][a-z0-9-]{0,63}$"
Category = Literal["math", "code", "tool_use", "json_extraction", "writing", "reasoning", "knowledge", "other"]
ToolProtocol = Literal["native", "action"]
DEFAULT_FEEDBACK = ("Results of your actions:\n{results}\n\nIf you need more tools, write \"Action:\" with a new "
                    "list; otherwise give your final answer.")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Message(_Strict):
    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1)


class ToolsConfig(_Strict):
    """The tools a scenario offers and how: ``native`` (OpenAI tool calling), ``action`` (the original
    prompt-based "Action:" JSON list) or ``both`` (every trial runs once per protocol)."""

    functions: list[str | ToolSpec] = Field(min_length=1)
    protocol: Literal["native", "action", "both"] = "both"
    max_turns: int = Field(5, ge=1, le=20, description="Model replies per user turn before the loop stops.")
    action_instructions: str | None = Field(
        None, description="Put before the first user message in the action protocol; default: a tool list "
                          "with descriptions and the Action: format.")
    action_feedback: str = Field(DEFAULT_FEEDBACK, description="User message carrying tool results back; "
                                                                "{results} is replaced by one line per call.")
    max_result_chars: int = Field(4000, ge=100)

    @field_validator("functions")
    @classmethod
    def _known_tools(cls, functions: list[str | ToolSpec]) -> list[str | ToolSpec]:
        for f in functions:
            if isinstance(f, str) and f not in BUILTIN_TOOLS:
                raise ValueError(f"unknown builtin tool {f!r}; builtins: {', '.join(BUILTIN_TOOLS)} "
                                 "(or define the tool with name, description, parameters, implementation)")
            if isinstance(f, ToolSpec):
                if f.implementation is None:
                    raise ValueError(f"tool {f.name!r} needs an implementation ('module:function')")
                top = f.implementation.split(":")[0].split(".")[0]
                if top in sys.stdlib_module_names:
                    raise ValueError(f"tool {f.name!r}: implementation {f.implementation!r} is a standard-library "
                                     "function; point it at a function written for the scenario")
        names = [f if isinstance(f, str) else f.name for f in functions]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate tool names in {names}")
        return functions

    @field_validator("action_feedback")
    @classmethod
    def _has_results(cls, text: str) -> str:
        if "{results}" not in text:
            raise ValueError("action_feedback must contain {results}")
        return text

    @property
    def specs(self) -> list[ToolSpec]:
        return [BUILTIN_TOOLS[f] if isinstance(f, str) else f for f in self.functions]

    @property
    def protocols(self) -> list[ToolProtocol]:
        return ["native", "action"] if self.protocol == "both" else [self.protocol]

    def instructions(self) -> str:
        return self.action_instructions if self.action_instructions is not None else action_prompt(self.specs)


class ScenarioSampling(_Strict):
    """Sampling of the sampled trials (the greedy trial always uses temperature 0)."""

    temperature: float = Field(0.7, ge=0, le=2)
    top_p: float = Field(1.0, gt=0, le=1)
    max_tokens: int = Field(768, ge=1, le=32768)


class ScenarioSpec(_Strict):
    """One scenario file. ``origin: original`` reproduces a prompt of the hands-on test verbatim; ``ours`` is
    added by Podium to sharpen the picture."""

    id: str = Field(pattern=SCENARIO_ID)
    title: str = Field(min_length=1)
    category: Category
    version: int = Field(ge=1)
    origin: Literal["original", "ours"]
    source: str | None = Field(None, description="Where the original prompt comes from.")
    description: str = Field(min_length=1)
    what_is_checked: str = Field(min_length=1, description="What the graders check — and what they cannot.")
    messages: list[Message] = Field(min_length=1)
    followups: list[str] = Field(default_factory=list, description="User turns sent after each final answer.")
    tools: ToolsConfig | None = None
    trials: int = Field(10, ge=0, le=1000, description="Sampled trials per protocol.")
    greedy: bool = Field(True, description="Also run one greedy (temperature 0) trial per protocol.")
    sampling: ScenarioSampling = Field(default_factory=ScenarioSampling)
    reference: str | None = Field(None, description="The expected answer as shown on the site.")
    graders: list[GraderConfig] = Field(min_length=1)

    # field validators (not one model validator) so that errors point at the offending line of the file
    @field_validator("messages")
    @classmethod
    def _answerable(cls, messages: list[Message]) -> list[Message]:
        if not any(m.role == "user" for m in messages):
            raise ValueError("messages need at least one user message")
        if messages[-1].role == "assistant":
            raise ValueError("the last message must be a system or user message (the model answers it)")
        return messages

    @field_validator("greedy")
    @classmethod
    def _some_trials(cls, greedy: bool, info: ValidationInfo) -> bool:
        if info.data.get("trials") == 0 and not greedy:
            raise ValueError("no trials: set trials >= 1 or greedy: true")
        return greedy

    @field_validator("graders")
    @classmethod
    def _tools_for_traces(cls, graders: list[GraderConfig], info: ValidationInfo) -> list[GraderConfig]:
        if any(isinstance(g, ToolTraceGrader) for g in graders) and info.data.get("tools") is None:
            raise ValueError("a tool_trace grader needs tools (add a tools: section)")
        return graders

    @property
    def protocols(self) -> list[str]:
        return list(self.tools.protocols) if self.tools else ["plain"]

    def trial_names(self) -> list[str]:
        """Greedy first, then t01, t02, … — ``--limit N`` keeps the first N of each protocol."""
        return (["greedy"] if self.greedy else []) + [f"t{k:02d}" for k in range(1, self.trials + 1)]

    def shown_reference(self) -> str:
        if self.reference is not None:
            return self.reference
        for g in self.graders:
            if isinstance(g, NumericGrader):
                return fmt_number(g.expected)
            if isinstance(g, ExactGrader):
                return g.accepted[0]
            if isinstance(g, ToolTraceGrader) and g.final_answer is not None:
                fa = g.final_answer
                return fmt_number(fa) if isinstance(fa, float) else str(fa)
        return ""

    def needs_judge(self) -> bool:
        return any(isinstance(g, RubricGrader) for g in self.graders)

    def runs_code(self) -> bool:
        return any(isinstance(g, CodeTestsGrader) for g in self.graders)


class LoadedScenario(BaseModel):
    model_config = ConfigDict(frozen=True)

    spec: ScenarioSpec
    path: Path
    sha256: str


def scenarios_dir() -> Path:
    """``PODIUM_SCENARIOS_DIR`` when set, else the scenarios shipped with Podium."""
    env = os.environ.get("PODIUM_SCENARIOS_DIR")
    return Path(env) if env else SCENARIOS_DIR


def load_scenario(path: Path) -> LoadedScenario:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read scenario ({exc.strerror})", where=str(path)) from None
    try:
        spec = validate_yaml(text, ScenarioSpec, str(path))
    except ConfigError as exc:  # the generic hint names a schema file; point at working examples instead
        raise ConfigError(exc.what, where=exc.where, fix=f"compare with the scenarios in {SCENARIOS_DIR}") from None
    if spec.id != path.stem:
        raise ConfigError(f"scenario id '{spec.id}' does not match the file name", where=f"{path}:{_id_line(text)}",
                          fix=f"rename the file to {spec.id}.yaml or set id: {path.stem}")
    return LoadedScenario(spec=spec, path=path, sha256=sha256_text(text))


def _id_line(text: str) -> int:
    return next((i for i, line in enumerate(text.splitlines(), 1) if line.startswith("id:")), 1)


def load_scenarios(directory: Path | None = None, only: str | None = None) -> list[LoadedScenario]:
    """Every ``*.yaml`` in ``directory`` (sorted by file name), or just scenario ``only``."""
    root = directory if directory is not None else scenarios_dir()
    if not root.is_dir():
        raise ConfigError("scenarios directory not found", where=str(root),
                          fix="set PODIUM_SCENARIOS_DIR to a folder of scenario YAML files")
    if only is not None:
        path = root / f"{only}.yaml"
        if not path.is_file():
            known = sorted(p.stem for p in root.glob("*.yaml"))
            raise ConfigError(f"unknown scenario '{only}'", where="--suite",
                              fix=f"choose one of: {', '.join(known)}" if known else f"no scenarios in {root}")
        return [load_scenario(path)]
    loaded = [load_scenario(p) for p in sorted(root.glob("*.yaml"), key=lambda p: p.stem)]
    if not loaded:
        raise ConfigError("no scenario files (*.yaml)", where=str(root))
    return loaded
