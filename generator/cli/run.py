"""``podium run``: evaluate one model on one suite and write the run into site_data/.

The command takes four typed option groups — what to run (:class:`Selection`), how to sample
(:class:`SamplingOptions`), which backend (:class:`~generator.cli.backends.BackendChoice`) and, for scenarios, the
judge (:class:`JudgeOptions`) — and leaves execution to :func:`evals.runner.run_suite`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from evals.backends import backend_module
from evals.backends.base import Backend
from evals.backends.embedded import EMBEDDED_MODEL_ID
from evals.errors import ConfigError
from evals.records import ModelEntry
from evals.runner import RunOptions, Shard, default_cache_dir, run_suite
from evals.store import load_model
from evals.suites import get_suite
from generator.cli.backends import BackendChoice, backend_options, make_backend
from generator.cli.options import data_dir_option, resolve_data_dir, site_data_option
from generator.cli.run_summary import print_summary

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Selection:
    """Which items: ``--limit``, ``--subjects`` (MMLU), ``--shard``."""

    limit: int | None = None
    subjects: str | None = None
    shard: str | None = None

    def flags(self) -> list[tuple[str, object]]:
        return [("--limit", self.limit), ("--subjects", self.subjects), ("--shard", self.shard)]


@dataclass(frozen=True)
class SamplingOptions:
    """Run-level overrides of the suite's sampling (the suite owns the defaults: :meth:`Suite.sampling`)."""

    samples: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None

    def flags(self) -> list[tuple[str, object]]:
        return [("--samples", self.samples), ("--temperature", self.temperature), ("--top-p", self.top_p),
                ("--max-tokens", self.max_tokens), ("--seed", self.seed)]


@dataclass(frozen=True)
class JudgeOptions:
    """Scenarios only: the LLM judge of rubric graders, and where the scenario files are."""

    model: str | None = None
    backend: str | None = None
    base_url: str | None = None
    max_tokens: int | None = None
    scenarios_dir: Path | None = None

    def flags(self) -> list[tuple[str, object]]:
        return [("--judge-model", self.model), ("--judge-backend", self.backend),
                ("--judge-base-url", self.base_url), ("--judge-max-tokens", self.max_tokens),
                ("--scenarios-dir", self.scenarios_dir)]


def grouped(cls: type, options: list[Callable[[F], F]]) -> Callable[[F], F]:
    """Decorate a command with ``options`` whose values arrive as one ``cls`` instance named after it."""
    fields = [f.name for f in dataclasses.fields(cls)]
    arg = {"Selection": "selection", "SamplingOptions": "sampling", "JudgeOptions": "judge"}[cls.__name__]

    def deco(f: F) -> F:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {name: kwargs.pop(f"{arg}_{name}") for name in fields}
            return f(*args, **{arg: cls(**values)}, **kwargs)

        decorated: Callable[..., Any] = wrapper
        for opt in reversed(options):
            decorated = opt(decorated)
        return decorated  # type: ignore[return-value]
    return deco


selection_options = grouped(Selection, [
    click.option("--limit", "selection_limit", type=click.IntRange(min=1), default=None,
                 help="Only the first N items (file order; per subject for MMLU; trials for scenarios)."),
    click.option("--subjects", "selection_subjects", default=None, help="MMLU only: comma-separated subjects."),
    click.option("--shard", "selection_shard", default=None,
                 help="Run shard i of N (round-robin), e.g. 2/8; combine with podium merge."),
])
sampling_options = grouped(SamplingOptions, [
    click.option("--samples", "sampling_samples", type=click.IntRange(1, 1000), default=None,
                 help="Samples per item (HumanEval pass@k: up to 1000; drawn at T=0.8, top_p=0.95 unless set)."),
    click.option("--temperature", "sampling_temperature", type=float, default=None,
                 help="Override the suite's sampling temperature."),
    click.option("--top-p", "sampling_top_p", type=float, default=None, help="Override top_p."),
    click.option("--max-tokens", "sampling_max_tokens", type=click.IntRange(min=1), default=None,
                 help="Override max new tokens."),
    click.option("--seed", "sampling_seed", type=int, default=None, help="Sampling seed (default: the suite's, 0)."),
])
judge_options = grouped(JudgeOptions, [
    click.option("--judge-model", "judge_model", default=None,
                 help="Scenarios: model id (site_data/models/<id>.yaml) of the LLM judge for rubric graders; "
                      "without a judge rubric grades are reported as ungraded."),
    click.option("--judge-backend", "judge_backend", default=None, help="Backend of the judge (default: --backend)."),
    click.option("--judge-base-url", "judge_base_url", default=None,
                 help="OpenAI-compatible base URL of the judge (default: --base-url)."),
    click.option("--judge-max-tokens", "judge_max_tokens", type=click.IntRange(min=1), default=None,
                 help="Longest judge reply in tokens (default 384)."),
    click.option("--scenarios-dir", "judge_scenarios_dir", type=click.Path(path_type=Path, file_okay=False),
                 envvar="PODIUM_SCENARIOS_DIR", default=None,
                 help="Scenarios: folder of scenario YAML files [env PODIUM_SCENARIOS_DIR; default: the scenarios "
                      "shipped with Podium]."),
])


@click.command()
@click.option("--model", "model_id", default=EMBEDDED_MODEL_ID, show_default=True,
              help="Model id: a file site_data/models/<id>.yaml.")
@click.option("--suite", "suite_id", default="gsm8k", show_default=True,
              help="gsm8k | mmlu | hellaswag | boolq | winogrande | humaneval | scenarios | scenario:<id>; "
                   "multiple-choice suites also as <id>:generative for chat-only APIs.")
@selection_options
@sampling_options
@backend_options
@judge_options
@click.option("--cache/--no-cache", "use_cache", default=True, show_default=True,
              help="Answer identical requests from .podium/cache/requests.sqlite (re-runs cost nothing; a killed "
                   "run with --samples resumes per chunk of samples).")
@click.option("--repeat", is_flag=True,
              help="Measure again even when an identical finished run (same model, suite version, items, backend "
                   "and sampling) is already in site_data; without it that run is reported and nothing is written.")
@data_dir_option
@site_data_option()
def run(model_id: str, suite_id: str, selection: Selection, sampling: SamplingOptions, backend: BackendChoice,
        judge: JudgeOptions, use_cache: bool, repeat: bool, data_dir: Path | None, site_data: Path) -> None:
    """Evaluate MODEL on SUITE and write run.json + samples.jsonl.gz into site_data/runs/.

    A killed run resumes: re-run the same command and finished items are not asked again. Any field of the
    backend's config can be set with -B key=value.

    \b
    Examples:
      podium run --suite gsm8k --limit 20
      podium run --suite humaneval --samples 20 --limit 10
      podium run --model gpt-4o --backend openai --suite mmlu:generative
      podium run --model smollm2-135m-instruct --backend openai --base-url http://127.0.0.1:8080/v1
      podium run --backend vllm --tensor-parallel 2 -B gpu_memory_utilization=0.85 --suite mmlu
      podium run --suite scenarios --limit 2 --judge-model smollm2-135m-instruct
    """
    backend_module(backend.name)  # unknown backend / missing package: fail before anything else
    scen = scenario_options(suite_id, sampling.samples, judge)
    suite = get_suite(suite_id, subjects=tuple(selection.subjects.split(",")) if selection.subjects else None,
                      **scen)
    model = load_model(site_data, model_id)
    data = resolve_data_dir(data_dir)
    suite.load(data)  # fail on missing data before starting an engine
    cache_dir = default_cache_dir()
    backend = dataclasses.replace(backend, cache=cache_dir / "cache" / "requests.sqlite" if use_cache else None)
    judge_entry = load_model(site_data, judge.model) if judge.model else None
    with contextlib.ExitStack() as stack:
        be, backend_args = make_backend(backend, model)
        stack.callback(be.close)
        if judge_entry is not None:
            suite = get_suite(suite_id, judge=start_judge(stack, backend, judge, judge_entry), **scen)
        command = reproducing_command(model_id, suite_id, selection, sampling, backend_args, judge, site_data)
        opts = RunOptions(out=site_data, data_dir=data, limit=selection.limit,
                          shard=Shard.parse(selection.shard) if selection.shard else None,
                          sampling=suite.sampling(sampling.samples, sampling.temperature, sampling.top_p,
                                                  sampling.max_tokens, sampling.seed),
                          cache_dir=cache_dir, command=command, repeat=repeat)
        bar = stack.enter_context(Progress(
            TextColumn(f"[bold]{model_id}[/] · {suite_id}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("eta"), TimeRemainingColumn(), console=Console(stderr=True), transient=False))
        task = bar.add_task("items", total=None)
        result = run_suite(suite, be, model, opts,
                           progress=lambda done, total: bar.update(task, completed=done, total=total))
    if result.existing:
        click.echo(f"already measured: {result.paths.dir} (finished {result.run.finished_at:%Y-%m-%d %H:%M} UTC, "
                   f"{result.run.n_items} items) — nothing written; pass --repeat to measure again")
        return
    print_summary(Console(), result)


def start_judge(stack: contextlib.ExitStack, backend: BackendChoice, judge: JudgeOptions,
                entry: ModelEntry) -> Backend:
    """The judge's backend: the run's backend (one slot, the judge model's own name) unless --judge-backend."""
    name = judge.backend or backend.name
    options = {k: v for k, v in backend.options.items() if k != "model"} if name == backend.name else {}
    if name == "embedded":
        options["parallel"] = 1
    if judge.base_url:
        options["base_url"] = judge.base_url
    elif name != backend.name:
        options.pop("base_url", None)
    be, _ = make_backend(BackendChoice(name, options, backend.cache), entry)
    stack.callback(be.close)
    return be


def reproducing_command(model_id: str, suite_id: str, selection: Selection, sampling: SamplingOptions,
                        backend_args: list[str], judge: JudgeOptions, site_data: Path) -> str:
    parts = ["podium", "run", "--model", model_id, "--suite", suite_id, *backend_args]
    flags = [*selection.flags(), *sampling.flags(), *judge.flags()]
    for flag, value in flags:
        if value is not None and not (flag == "--scenarios-dir" and not suite_id.startswith("scenario")):
            parts += [flag, str(value)]
    return shlex.join([*parts, "--out", str(site_data)])


def scenario_options(suite_id: str, samples: int | None, judge: JudgeOptions) -> dict[str, object]:
    """Suite options of the scenario suites; refuses scenario-only options elsewhere."""
    if not suite_id.startswith("scenario"):
        used = [f for f, v in judge.flags()[:4] if v is not None]
        if used:
            raise ConfigError(f"{used[0]} applies only to scenario suites (rubric graders)", where=used[0],
                              fix="drop it, or run --suite scenarios / scenario:<id>")
        return {}
    if samples is not None:
        raise ConfigError("--samples does not apply to scenarios", where="--samples",
                          fix="each scenario sets its trials in its YAML; --limit N keeps the first N")
    if (judge.backend or judge.base_url or judge.max_tokens) and not judge.model:
        raise ConfigError("a judge backend needs a judge model", where="--judge-model",
                          fix="add --judge-model <id> (a file in site_data/models)")
    options: dict[str, object] = {"scenarios_dir": judge.scenarios_dir, "judge_max_tokens": judge.max_tokens}
    return {k: v for k, v in options.items() if v is not None}


__all__ = ["JudgeOptions", "SamplingOptions", "Selection", "run"]
