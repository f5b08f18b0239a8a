"""The record types of ``site_data/`` — these pydantic models ARE the file formats.

``models/<id>.yaml`` → :class:`ModelEntry`; ``runs/<model>/<suite>/<run-id>/run.json`` → :class:`RunRecord`;
``samples.jsonl.gz`` (one line per item) → :class:`SampleRecord`. JSON Schema for each is exported to
``site_data/schema/`` by ``podium schema`` and checked for drift in CI.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from evals.grader_records import GraderConfig
from evals.grader_records import Protocol as Protocol  # re-exported: the protocol of a suite record

SCHEMA_VERSION = 4
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,79}$"
Scalar = str | int | float | bool | None
PLAIN_TEXT = r"^[^<>\x00-\x1f]*$"  # display names: no markup, no control characters


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # .inf in YAML is no number


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
    name: str = Field(min_length=1, max_length=120, pattern=PLAIN_TEXT, description="Display name (plain text).")
    family: str = Field(max_length=120, pattern=PLAIN_TEXT, description="Model family, e.g. 'Llama 3.1', 'SmolLM2', 'GPT-4o'.")
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
GroupKind = Literal["category", "subject", "scenario", "protocol"]


class Group(Strict):
    """A subset a metric or a sample belongs to: an MMLU subject or category, a scenario, a protocol."""

    kind: GroupKind
    id: str = Field(min_length=1, description="e.g. 'anatomy', 'stem', 'math-9-11-vs-9-9', 'native'.")

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class MetricValue(Strict):
    """One number with its sample size and 95% confidence interval."""

    name: str = Field(description="Metric name in lm-eval vocabulary: exact_match, acc, acc_norm, pass@k "
                                  "(with k), success_rate, ...")
    variant: str = Field("default", description="Filter/variant, e.g. 'strict' or 'flexible'; never joined into name.")
    k: int | None = Field(None, ge=1, description="pass@k: the k; null for every other metric.")
    group: Group | None = Field(None, description="Subset this value covers; null = all items.")
    position: int | None = Field(None, ge=1, description="Per-grader scores of scenarios: the grader's position.")
    value: float = Field(allow_inf_nan=False)
    n: int = Field(ge=0, description="Number of items the value averages over.")
    ci_low: float = Field(allow_inf_nan=False)
    ci_high: float = Field(allow_inf_nan=False)
    ci_method: Literal["wilson", "bootstrap", "stderr", "none"] = "wilson"
    aggregation: Literal["micro", "macro"] = Field("micro", description="micro = mean over items; macro = over groups.")
    higher_is_better: bool = True

    @property
    def label(self) -> str:
        """Display name: 'pass@10', 'acc', 'exact_match'."""
        return f"pass@{self.k}" if self.k is not None else self.name

    def is_(self, ref: MetricRef) -> bool:
        return (self.name, self.variant, self.k, self.aggregation) == (ref.name, ref.variant, ref.k, ref.aggregation)


class MetricRef(Strict):
    """Names one metric of a run (e.g. the suite's headline metric): exactly one value per group matches it."""

    name: str
    variant: str = "default"
    k: int | None = None
    aggregation: Literal["micro", "macro"] = "micro"

    @property
    def label(self) -> str:
        return f"pass@{self.k}" if self.k is not None else self.name


class SamplingRecord(Strict):
    max_tokens: int = Field(ge=1)
    temperature: float = Field(ge=0, allow_inf_nan=False)
    top_p: float = Field(gt=0, le=1)
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


SelectionKind = Literal["full", "first_n", "subset"]
IntendedFor = Literal["base", "chat", "any"]


class SelectionRecord(Strict):
    """Which items of the split a run covers (a shard is recorded separately, in :class:`ShardRecord`).

    ``full``: every item; ``first_n``: the first ``n`` in file order (per ``per`` group when set) — lm-eval's
    ``--limit``, kept for parity work, NOT a random sample; ``subset``: ``n`` items drawn at random with ``seed``,
    stratified by ``strata`` (never by the answer), the same items on any machine."""

    kind: SelectionKind
    n: int | None = Field(None, ge=1, description="first_n: N (per group when 'per' is set); subset: items drawn.")
    per: str | None = Field(None, description="first_n: the group N counts in ('subject', 'scenario'), if any.")
    seed: int | None = Field(None, description="subset: the random seed.")
    strata: str | None = Field(None, description="subset: what the draw is stratified by ('subject', 'source').")
    subjects: list[str] = Field(default_factory=list, description="An explicit subset of subjects (--subjects).")

    @property
    def representative(self) -> bool:
        """A full run, a random subset of the whole split or the first trials of every scenario (trials are
        repeated draws of the same task): its score estimates the suite's score."""
        return (self.kind != "first_n" or self.per == "scenario") and not self.subjects

    @property
    def text(self) -> str:
        subj = f" of {len(self.subjects)} subject(s)" if self.subjects else ""
        if self.kind == "full":
            return f"all items{subj}"
        if self.kind == "first_n":
            unit = "trial(s) per scenario and protocol" if self.per == "scenario" else (
                f"per {self.per}" if self.per else "in file order")
            return f"first {self.n} {unit}{subj}" + ("" if self.representative else " (not a random sample)")
        strata = f", stratified by {self.strata}" if self.strata else ""
        return f"random subset of {self.n}{subj} (seed {self.seed}{strata})"


class SuiteRecord(Strict):
    id: str
    base: str = Field(description="The base suite, e.g. 'mmlu' for 'mmlu-generative', 'scenarios' for a scenario.")
    variant: str | None = Field(None, description="Protocol variant of the base suite: 'generative', 'chat'.")
    version: str = Field(description="sha256 of (dataset sha256, prompt template, few-shot set, grader config).")
    protocol: Protocol
    shots: int
    split: str
    dataset_sha256: str
    template_sha: str
    fewshot_ids: list[str] = Field(default_factory=list)
    grader: GraderConfig = Field(description="Grader configuration (its kind, then its settings).")
    items_total: int = Field(description="Items in the full split.")
    selection: SelectionRecord = Field(description="Which items ran.")
    chance: float | None = Field(None, ge=0, le=1, description="Accuracy of uniform random guessing over the full "
                                 "split (mean of 1/choices per item); null where there is no chance level.")
    majority: float | None = Field(None, ge=0, le=1, description="Accuracy of always giving the split's most "
                                   "common answer (label or position); null where there is none.")
    majority_label: str | None = Field(None, description="That most common answer, e.g. 'yes', 'C'.")
    in_average: bool = Field(True, description="Counts in the board's average (scenarios do not).")
    intended_for: IntendedFor = Field("any", description="The kind of model the protocol is made for: 'base' "
                                      "(completion), 'chat' (chat template), 'any'.")
    scenarios: list[ScenarioRecord] = Field(
        default_factory=list, description="Scenario suites: what each scenario of the run is (from its YAML).")
    display_name: str | None = Field(None, description="Suite name shown on the site.")
    description: str | None = None
    main_metric: MetricRef | None = Field(None, description="The headline metric (one value per model).")
    metric_help: dict[str, str] = Field(default_factory=dict, description="What each variant means.")


class ShardRecord(Strict):
    """This run is shard ``index`` of ``count`` (round-robin over the ordered items)."""

    index: int = Field(ge=1)
    count: int = Field(ge=1)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


class CostRecord(Strict):
    usd: float | None = Field(ge=0, allow_inf_nan=False)
    method: Literal["api_tokens", "gpu_hours", "cpu_hours", "local_cpu", "unknown"]
    detail: str


class ImportRecord(Strict):
    """Provenance of a run Podium did not execute itself: the harness, its task and model settings, the source files.

    Imported samples store no prompt text (it is benchmark text): only its sha256. ``prompt_rebuildable`` says
    whether every prompt hashed equal to the one the Podium suite builds for the item — then ``podium validate``
    checks the hashes as for a native run; otherwise the hashes only identify the harness's prompts.
    """

    harness: str = Field(description="e.g. 'lm-evaluation-harness'.")
    harness_version: str
    task: str = Field(description="The harness's task name(s), comma-separated when several were merged (MMLU).")
    task_version: str | None = None
    task_config_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the full task config (JSON).")
    task_config: dict[str, Scalar] = Field(
        default_factory=dict, description="The config's settings without text (few-shot examples, templates).")
    model: str = Field(description="The harness's model type, e.g. 'local-completions'.")
    model_args: str = Field(description="The harness's model arguments, as given.")
    source_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the results file imported.")
    samples_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the sample files imported.")
    prompt_rebuildable: bool = Field(description="Every prompt equals the one the Podium suite builds.")
    prompts_matching: int = Field(ge=0, description="How many samples' prompts equal the suite's.")


class ResponseBias(Strict):
    """How often a multiple-choice run gave its most frequent answer (a model that always says "no" scores the
    share of "no" items, whatever it read)."""

    label: str = Field(description="The most-picked answer, e.g. 'no', 'C'.")
    share: float = Field(ge=0, le=1, description="Its share of the run's picks.")
    yes_share: float | None = Field(None, ge=0, le=1, description="Yes/no suites: share of 'yes' picks.")
    n: int = Field(ge=0, description="Picks counted.")

    @property
    def flagged(self) -> bool:
        return self.share > BIAS_FLAG


BIAS_FLAG = 0.8


class RunRecord(Strict):
    """One evaluation of one model on one suite."""

    schema_version: Literal[4] = 4
    run_id: Annotated[str, Field(pattern=r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$")]
    model_id: Annotated[str, Field(pattern=ID_PATTERN)]
    model_revision: str | None
    suite: SuiteRecord
    backend: BackendRecord
    sampling: SamplingRecord
    podium_version: str
    git_commit: str | None
    git_dirty: bool | None
    command: str = Field(max_length=4096, description="The command line that reproduces this run (machine-local "
                         "paths and ports as placeholders such as <URL>).")
    started_at: AwareDatetime
    finished_at: AwareDatetime
    wall_seconds: float = Field(ge=0, allow_inf_nan=False)
    n_items: int = Field(ge=0)
    n_errors: int = Field(ge=0, description="Items whose request failed (scored 0, kept in samples).")
    errors_allowed: int = Field(0, ge=0, description="Failed items the run accepted (--max-errors); a run with more "
                                "is incomplete and never written.")
    synthetic: bool = Field(False, description="Made by the fake backend (no model): never on a board.")
    response_bias: ResponseBias | None = Field(None, description="Multiple choice: the most frequent answer's share.")
    prompt_tokens: int = Field(ge=0, description="Prompt tokens the engine evaluated (cache hits excluded).")
    completion_tokens: int = Field(ge=0)
    prompt_tokens_cached: int = Field(0, ge=0, description="Prompt tokens served from the engine's prompt cache (a shared "
                                      "few-shot prefix evaluated once); prompt_tokens counts those evaluated.")
    gpu_count: int = Field(0, ge=0)
    cost: CostRecord
    shard: ShardRecord | None = Field(None, description="Set when this run is one shard of a larger run.")
    imported: ImportRecord | None = Field(None, description="Set when another harness ran it (podium import).")
    metrics: list[MetricValue]

    @property
    def partial(self) -> bool:
        """Covers fewer items than the suite's full split (a slice, a subset or a shard)."""
        return self.n_items < self.suite.items_total

    @property
    def representative(self) -> bool:
        """Its score estimates the suite's score: a full run or a random subset, not a shard, not synthetic."""
        return self.suite.selection.representative and self.shard is None and not self.synthetic

    def metric(self, ref: MetricRef, group: Group | None = None) -> MetricValue | None:
        for m in self.metrics:
            if m.is_(ref) and m.group == group:
                return m
        return None

    def main(self) -> MetricValue | None:
        """The headline value over all items, or None when the suite names none."""
        return self.metric(self.suite.main_metric) if self.suite.main_metric else None


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


class ChoiceDetail(Strict):
    """Multiple choice by log-likelihood: one summed log-probability per choice, and the picks."""

    kind: Literal["choice"] = "choice"
    loglikelihoods: list[float | None] = Field(
        description="Summed log P(continuation | context), one per choice; null where that request failed.")
    greedy: list[bool] = Field(description="Whether each continuation is the greedy decoding.")
    picked: int = Field(ge=0, description="Index of the choice with the highest log-likelihood (acc).")
    picked_norm: int | None = Field(None, ge=0, description="Pick by log-likelihood per character (acc_norm).")


class ParsedChoiceDetail(Strict):
    """Multiple choice, generative variant: the label parsed from the reply."""

    kind: Literal["parsed_choice"] = "parsed_choice"
    parsed: str | None = Field(description="The label read from the reply (letter or word), null if none.")
    picked: int | None = Field(None, ge=0, description="Index of the parsed choice.")


class NumericDetail(Strict):
    """Numeric answers (GSM8K): the strict and flexible extractions."""

    kind: Literal["numeric"] = "numeric"
    strict: str | None = Field(description="'The answer is N' extraction.")
    flexible: str | None = Field(description="Last number in the output.")


class CodeDetail(Strict):
    """A program run in the sandbox (HumanEval)."""

    kind: Literal["code"] = "code"
    code: str = Field(description="The code taken from the output (completion, or the extracted code block).")
    verdict: Literal["passed", "failed", "error", "timeout", "oom"]
    reason: str = Field("", description="Why, in one line (e.g. the exception).")
    error_line: str | None = Field(None, description="First line of the error, if any.")
    seconds: float = Field(0.0, ge=0, description="Wall time of the program.")


class TextStats(Strict):
    words: int = Field(ge=0)
    sentences: int = Field(ge=0)
    type_token_ratio: float
    mtld: float | None = None


class ScenarioDetail(Strict):
    """One scenario trial: how it was sampled and what the tool loop did."""

    kind: Literal["scenario"] = "scenario"
    protocol: str = Field(description="plain | native | action")
    trial: int = Field(ge=0, description="0 = the greedy trial, 1.. = sampled trials.")
    sampling: SamplingRecord
    turns: int = Field(ge=0, description="Requests made in the tool loop.")
    stats: TextStats | None = Field(None, description="Writing scenarios: measured text statistics.")


OutputDetail = Annotated[ChoiceDetail | ParsedChoiceDetail | NumericDetail | CodeDetail | ScenarioDetail,
                         Field(discriminator="kind")]


class OutputRecord(Strict):
    """One generated output (one of n samples / trials) and how it was graded."""

    text: str
    finish: str = Field(description="stop | length | error")
    tokens: int = 0
    scores: dict[str, float] = Field(default_factory=dict, description="Metric name → score of this output.")
    detail: OutputDetail | None = Field(None, description="Typed, per-suite grading detail.")
    explanation: str | None = Field(None, description="Grader explanation shown in the gallery.")
    error: str | None = None
    transcript: list[ChatTurn] | None = Field(
        None, description="Scenario trials: every turn after the prompt (replies, tool calls, tool results).")
    grades: list[GradeRecord] = Field(default_factory=list, description="Scenario trials: one per grader.")


class SampleRecord(Strict):
    """One item of a run: which item, the hash of the exact prompt, every output and the scores.

    Benchmark text (question, choices, passage, reference, few-shot context) is NOT stored: ``podium build``
    joins it from the benchmark data directory by ``item_id``. ``prompt`` is stored only when the suite cannot
    rebuild it (imported runs, custom templates, our own scenario prompts).
    """

    item_id: str
    prompt_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the exact prompt sent.")
    prompt: str | list[ChatTurn] | None = None
    group: Group | None = None
    outputs: list[OutputRecord]
    scores: dict[str, float] = Field(description="Item-level scores (e.g. mean over outputs).")
    prompt_tokens: int = 0
    prompt_tokens_cached: int = Field(0, description="Prompt tokens served from the engine's cache for this item.")


class ItemText(Strict):
    """Benchmark text of one item, read from the data directory at build time (never stored in site_data)."""

    item_id: str
    question: str = Field(description="The item's own text (question, passage + question, code prompt).")
    choices: list[str] = Field(default_factory=list)
    reference: str = Field(description="The reference answer (label, number, canonical solution).")
    gold: int | None = Field(None, description="Multiple choice: index of the right choice.")


# ---------------------------------------------------------------- reported/*.csv
class ReportedResult(Strict):
    """A published number (model card, paper, vendor run), shown beside reproduced ones — never mixed with them."""

    model: str = Field(description="Model as the source names it.")
    model_id: str | None = Field(None, description="Matching site_data/models id, when there is one.")
    suite: str = Field(description="Podium suite id the number corresponds to (roughly: protocols differ).")
    metric: str = Field(description="e.g. pass@1, exact_match, acc.")
    value: float = Field(ge=0, le=1, description="As a fraction.")
    shots: int | None = Field(None, ge=0, le=1000, description="In-context examples the source used.")
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
