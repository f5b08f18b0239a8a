"""The record types of ``site_data/`` — these pydantic models ARE the file formats.

``models/<id>.yaml`` → :class:`ModelEntry`; ``runs/<model>/<suite>/<run-id>/run.json`` → :class:`RunRecord`;
``samples.jsonl.gz`` (one line per item) → :class:`SampleRecord`. JSON Schema for each is exported to
``site_data/schema/`` by ``podium schema`` and checked for drift in CI.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,79}$"
Protocol = Literal["generative", "loglikelihood"]
Scalar = str | int | float | bool | None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- models/<id>.yaml
class Prices(Strict):
    """What a model costs. API models price tokens; self-hosted models price GPU time."""

    input_per_mtok: float | None = Field(None, ge=0, description="USD per 1M input (prompt) tokens.")
    output_per_mtok: float | None = Field(None, ge=0, description="USD per 1M output tokens.")
    gpu_hour: float | None = Field(None, ge=0, description="USD per GPU-hour when self-hosted.")
    gpu_type: str | None = Field(None, description="GPU the gpu_hour price refers to, e.g. 'H100 80GB'.")
    cpu_core_hour: float | None = Field(None, ge=0, description="USD per CPU-core-hour, for models run on CPUs.")
    source: str | None = Field(None, description="Where the price comes from (URL or document) and its date.")


class ModelEntry(Strict):
    """One model: what it is, where its weights or API come from, what it costs."""

    id: Annotated[str, Field(pattern=ID_PATTERN, description="File stem; lowercase slug.")]
    name: str = Field(description="Display name.")
    family: str = Field(description="Model family, e.g. 'Llama 3.1', 'SmolLM2', 'GPT-4o'.")
    parameters_b: float | None = Field(None, gt=0, description="Parameter count in billions.")
    license: str
    open_weights: bool
    source: str = Field(description="Where the weights/API come from: HF repo, PyPI package, API name.")
    revision: str | None = Field(None, description="Commit/version of the weights or dated API snapshot.")
    quantization: str | None = Field(None, description="e.g. 'GGUF Q4_1', 'FP8', null for full precision.")
    chat: bool = Field(True, description="Instruction/chat-tuned (uses a chat template).")
    api_model: str | None = Field(None, description="Model name to send to an OpenAI-compatible API.")
    prices: Prices | None = None
    notes: str | None = None


# ---------------------------------------------------------------- run.json
class MetricValue(Strict):
    """One number with its sample size and 95% confidence interval."""

    name: str = Field(description="Metric name in lm-eval vocabulary: exact_match, acc, acc_norm, pass@k.")
    variant: str = Field("default", description="Filter/variant, e.g. 'strict' or 'flexible'; never joined into name.")
    group: str | None = Field(None, description="Subset this value covers (MMLU subject/category); null = all.")
    value: float
    n: int = Field(ge=0, description="Number of items the value averages over.")
    ci_low: float
    ci_high: float
    ci_method: Literal["wilson", "bootstrap", "stderr", "none"] = "wilson"
    aggregation: Literal["micro", "macro"] = Field("micro", description="micro = mean over items; macro = over groups.")
    higher_is_better: bool = True


class SamplingRecord(Strict):
    max_tokens: int
    temperature: float
    top_p: float
    n: int = 1
    stop: list[str] = Field(default_factory=list)
    seed: int | None = 0


class BackendRecord(Strict):
    name: str = Field(description="embedded | openai | vllm")
    engine: str = Field(description="Engine and version, e.g. 'llama.cpp (xllamacpp 2026.10.11549)'.")
    model: str = Field(description="Model as the backend names it (path, API model name).")
    base_url: str | None = None
    parameters: dict[str, Scalar] = Field(default_factory=dict, description="Engine settings (n_ctx, threads...).")


class ScenarioRecord(Strict):
    """Display metadata of one custom scenario, copied from its YAML into the run that evaluated it."""

    id: str
    title: str
    category: str = Field(description="math | code | tool_use | json_extraction | writing | ...")
    origin: Literal["original", "ours"] = Field(
        description="'original': a prompt of the hands-on test the scenario reproduces; 'ours': added by Podium.")
    version: int
    description: str = ""
    what_is_checked: str = Field("", description="What the graders check, and what cannot be checked headless.")
    protocols: list[str] = Field(default_factory=lambda: ["plain"],
                                 description="plain (no tools) | native | action (tool-calling protocols run).")
    graders: list[str] = Field(default_factory=list, description="Grader types, in order.")
    trials: int = Field(description="Sampled trials per protocol (plus one greedy trial when greedy is true).")
    greedy: bool = True
    sha256: str = Field(description="sha256 of the scenario's YAML text.")


class SuiteRecord(Strict):
    id: str
    version: str = Field(description="sha256 of (dataset sha256, prompt template, few-shot set, grader config).")
    protocol: Protocol
    shots: int
    split: str
    dataset_sha256: str
    template_sha: str
    fewshot_ids: list[str] = Field(default_factory=list)
    grader: str = Field(description="Grader configuration, serialised.")
    items_total: int = Field(description="Items in the full split.")
    selection: str = Field(description="Which items ran, e.g. 'first 20 in file order'.")
    scenarios: list[ScenarioRecord] = Field(
        default_factory=list, description="Scenario suites: what each scenario of the run is (from its YAML).")
    display_name: str | None = Field(None, description="Suite name shown on the site.")
    description: str | None = None
    main_metric: list[str] = Field(default_factory=list, description="[name, variant] of the headline metric.")
    metric_help: dict[str, str] = Field(default_factory=dict, description="What each variant means.")


class CostRecord(Strict):
    usd: float | None
    method: Literal["api_tokens", "gpu_hours", "cpu_hours", "local_cpu", "unknown"]
    detail: str


class RunRecord(Strict):
    """One evaluation of one model on one suite."""

    schema_version: Literal[1] = 1
    run_id: Annotated[str, Field(pattern=r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$")]
    model_id: Annotated[str, Field(pattern=ID_PATTERN)]
    model_revision: str | None
    suite: SuiteRecord
    backend: BackendRecord
    sampling: SamplingRecord
    podium_version: str
    git_commit: str | None
    git_dirty: bool | None
    command: str = Field(description="The exact command line that reproduces this run.")
    started_at: AwareDatetime
    finished_at: AwareDatetime
    wall_seconds: float
    n_items: int
    n_errors: int = Field(description="Items whose request failed (scored 0, kept in samples).")
    prompt_tokens: int
    completion_tokens: int
    prompt_tokens_cached: int = Field(0, description="Prompt tokens served from the engine's prompt cache (a shared "
                                      "few-shot prefix evaluated once); prompt_tokens counts those evaluated.")
    gpu_count: int = 0
    cost: CostRecord
    shard: str | None = Field(None, description="'i/N' when this run is one shard of a larger run.")
    metrics: list[MetricValue]


    def metric(self, name: str, variant: str = "default", group: str | None = None) -> MetricValue | None:
        for m in self.metrics:
            if m.name == name and m.variant == variant and m.group == group:
                return m
        return None


# ---------------------------------------------------------------- samples.jsonl.gz
class ToolCallRecord(Strict):
    """A tool call as the model made it: native (with the API's call id) or parsed from an "Action:" reply."""

    id: str | None = None
    name: str
    arguments: str = Field(description="The arguments as the model wrote them (JSON text).")
    error: str | None = Field(None, description="Why the call could not be read (the model then sees this error).")


class ChatTurn(Strict):
    role: Literal["system", "user", "assistant", "tool"]
    content: str
    name: str | None = None
    tool_calls: list[ToolCallRecord] = Field(default_factory=list, description="Tool calls of an assistant turn.")
    tool_call_id: str | None = Field(None, description="Tool turns: the call this result answers.")


class GradeRecord(Strict):
    """One grader's verdict on one output. ``score`` null = ungraded (e.g. a rubric without a judge)."""

    grader: str = Field(description="Grader type: numeric, exact, regex, contains, json, tool_trace, ...")
    score: float | None = Field(None, ge=0, le=1)
    passed: bool | None = None
    explanation: str
    judge_model: str | None = Field(None, description="rubric: the judge backend and model.")
    judge_raw: str | None = Field(None, description="rubric: the judge's raw reply.")


class OutputRecord(Strict):
    """One generated output (one of n samples / trials) and how it was graded."""

    text: str
    finish: str = Field(description="stop | length | error")
    tokens: int = 0
    extracted: dict[str, str | None] = Field(default_factory=dict, description="Extracted answer per variant.")
    scores: dict[str, float] = Field(default_factory=dict)
    detail: str | None = Field(None, description="Grader explanation shown in the gallery.")
    error: str | None = None
    transcript: list[ChatTurn] | None = Field(
        None, description="Scenario trials: every turn after the prompt (replies, tool calls, tool results).")
    grades: list[GradeRecord] = Field(default_factory=list, description="Scenario trials: one per grader.")


class SampleRecord(Strict):
    """One item of a run: the exact prompt, every output, the reference and the scores."""

    item_id: str
    input: str | None = Field(None, description="The item's own text (e.g. the question), without few-shot context.")
    prompt: str | list[ChatTurn]
    reference: str
    choices: list[str] = Field(default_factory=list)
    group: str | None = None
    outputs: list[OutputRecord]
    scores: dict[str, float] = Field(description="Item-level scores (e.g. mean over outputs).")
    prompt_tokens: int = 0
    prompt_tokens_cached: int = Field(0, description="Prompt tokens served from the engine's cache for this item.")


# ---------------------------------------------------------------- reported/*.csv
class ReportedResult(Strict):
    """A published number (model card, paper, vendor run), shown beside reproduced ones — never mixed with them."""

    model: str = Field(description="Model as the source names it.")
    model_id: str | None = Field(None, description="Matching site_data/models id, when there is one.")
    suite: str = Field(description="Podium suite id the number corresponds to (roughly: protocols differ).")
    metric: str = Field(description="e.g. pass@1, exact_match, acc.")
    value: float = Field(ge=0, le=1, description="As a fraction.")
    shots: int | None = None
    protocol: str = Field(description="How the source ran it, in its words.")
    source: str
    source_date: str
    notes: str | None = None


FILE_TYPES: dict[str, type[BaseModel]] = {
    "model": ModelEntry,
    "run": RunRecord,
    "sample": SampleRecord,
    "reported": ReportedResult,
}


def slugify(text: str) -> str:
    """Lowercase slug usable as an id or a path segment."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.")
    return slug[:80] or "x"
