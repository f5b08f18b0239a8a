"""``podium run``: evaluate one model on one suite and write the run into site_data/."""

from __future__ import annotations

import contextlib
import dataclasses
import shlex
from pathlib import Path

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
from rich.table import Table

from evals.backends import backend_module
from evals.backends.embedded import EMBEDDED_MODEL_ID
from evals.errors import ConfigError
from evals.records import Group, MetricRef, RunRecord
from evals.runner import RunOptions, RunResult, Shard, default_cache_dir, run_suite
from evals.store import load_model
from evals.suites import get_suite
from generator.cli.backends import BackendOptions, make_backend
from generator.cli.options import data_dir_option, resolve_data_dir, site_data_option


def print_summary(console: Console, result: RunResult) -> None:
    run = result.run
    table = Table(title=f"{run.model_id} on {run.suite.id} — {run.n_items} items ({run.suite.selection})")
    for col in ("metric", "variant", "group", "value", "95% CI", "n"):
        table.add_column(col, justify="right" if col in ("value", "95% CI", "n") else "left")
    rows = [m for m in run.metrics if m.group is None or (m.group.kind == "category" and m.name != "ungraded")]
    for m in rows:
        table.add_row(m.label, m.variant + (" (macro)" if m.aggregation == "macro" else ""),
                      m.group.id if m.group else "all", f"{m.value:.1%}",
                      f"{m.ci_low:.1%} – {m.ci_high:.1%}", str(m.n))
    console.print(table)
    if run.suite.scenarios:
        print_scenarios(console, run)
    tps = run.completion_tokens / run.wall_seconds if run.wall_seconds > 0 else 0.0
    cost = f"${run.cost.usd:.4f}" if run.cost.usd is not None else "unknown"
    console.print(f"tokens: {run.prompt_tokens} prompt + {run.completion_tokens} generated · wall "
                  f"{run.wall_seconds:.1f} s · {tps:.0f} generated tokens/s · cost {cost} ({run.cost.method})"
                  + (f" · resumed {result.resumed} items from an interrupted run" if result.resumed else "")
                  + (f" · [red]{run.n_errors} failed requests[/red]" if run.n_errors else ""))
    console.print(f"wrote {result.paths.dir}")


def print_scenarios(console: Console, run: RunRecord) -> None:
    table = Table(title="per scenario: success rate over graded trials")
    for col in ("scenario", "protocol", "success [95% CI]", "graded", "ungraded"):
        table.add_column(col, justify="left" if col in ("scenario", "protocol") else "right")
    for sc in run.suite.scenarios:
        group = Group(kind="scenario", id=sc.id)
        ungraded = run.metric(MetricRef(name="ungraded", variant="trials"), group)
        for variant in ["pass", *(sc.protocols if len(sc.protocols) > 1 else [])]:
            m = run.metric(MetricRef(name="success_rate", variant=variant), group)
            table.add_row(sc.id if variant == "pass" else "", "all" if variant == "pass" else variant,
                          f"{m.value:.0%} [{m.ci_low:.0%}–{m.ci_high:.0%}]" if m else "ungraded",
                          str(m.n) if m else "0",
                          str(round(ungraded.value * ungraded.n)) if ungraded and variant == "pass" else "")
    console.print(table)


@click.command()
@click.option("--model", "model_id", default=EMBEDDED_MODEL_ID, show_default=True,
              help="Model id: a file site_data/models/<id>.yaml.")
@click.option("--suite", "suite_id", default="gsm8k", show_default=True,
              help="gsm8k | mmlu | hellaswag | boolq | winogrande | humaneval | scenarios | scenario:<id>; "
                   "multiple-choice suites also as <id>:generative for chat-only APIs.")
@click.option("--backend", "backend_name", default="embedded", show_default=True,
              help="embedded (llama.cpp, offline) | openai (any OpenAI-compatible server) | vllm (in-process) | "
                   "fake (deterministic, no model: tests and examples).")
@click.option("--base-url", envvar="OPENAI_BASE_URL", default=None,
              help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1 [env OPENAI_BASE_URL].")
@click.option("--api-model", default=None, help="Model name to send to the API (default: the model entry's).")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Only the first N items (file order; per subject for MMLU; trials for scenarios).")
@click.option("--subjects", default=None, help="MMLU only: comma-separated subjects.")
@click.option("--shard", default=None, help="Run shard i of N (round-robin), e.g. 2/8; combine with podium merge.")
@click.option("--samples", type=click.IntRange(1, 1000), default=None,
              help="Samples per item (HumanEval pass@k: up to 1000).")
@click.option("--temperature", type=float, default=None, help="Override the suite's sampling temperature.")
@click.option("--top-p", type=float, default=None, help="Override top_p.")
@click.option("--max-tokens", type=click.IntRange(min=1), default=None, help="Override max new tokens.")
@click.option("--seed", type=int, default=None, help="Sampling seed (default: the suite's, 0).")
@click.option("--concurrency", type=click.IntRange(min=1), default=8, show_default=True,
              help="Requests in flight (openai backend).")
@click.option("--parallel", type=click.IntRange(min=1), default=1, show_default=True,
              help="Decoding slots (embedded backend). 1 keeps every output and log-likelihood bit-for-bit "
                   "reproducible and reuses each few-shot prefix; N > 1 decodes N requests per step (faster "
                   "generation on idle cores) but results then depend on the batch mix, and prefix reuse is off.")
@click.option("--threads", type=click.IntRange(min=0), default=0, show_default=True,
              help="Embedded backend: llama.cpp threads (0 = all cores but one when the machine is idle at start, "
                   "else half; threads that share a busy core slow down badly). Recorded in the run.")
@click.option("--prompt-cache/--no-prompt-cache", default=False, show_default=True,
              help="Embedded backend: llama.cpp's own prompt cache for requests without a declared prefix "
                   "(output may then depend on request order).")
@click.option("--prefix-reuse/--no-prefix-reuse", default=True, show_default=True,
              help="Embedded backend and llama.cpp servers: evaluate each suite's few-shot prefix once, in one "
                   "fixed way, and reuse exactly it (MMLU ~5x faster; same results in any order or slice).")
@click.option("--model-path", default=None, help="vllm: HF model directory or hub id (default: the model entry's).")
@click.option("--tensor-parallel", type=click.IntRange(min=1), default=1, show_default=True, help="vllm: GPUs per stage.")
@click.option("--pipeline-parallel", type=click.IntRange(min=1), default=1, show_default=True,
              help="vllm: pipeline stages (nodes, with --executor ray).")
@click.option("--dtype", default="auto", show_default=True, help="vllm: auto | bfloat16 | float16 | float32.")
@click.option("--quantization", default=None, help="vllm: e.g. fp8, awq, gptq.")
@click.option("--max-model-len", type=click.IntRange(min=128), default=None, help="vllm: context length.")
@click.option("--enforce-eager", is_flag=True, help="vllm: no graph capture (CPU, quick start).")
@click.option("--executor", type=click.Choice(["mp", "ray"]), default=None,
              help="vllm: distributed executor; ray for models spanning several nodes.")
@click.option("--fake-script", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None,
              help='fake backend: JSON {"replies": {"<item id>": "text"}, "logprobs": {"<key>": -1.5}}.')
@click.option("--rpm", type=float, default=None, help="Client-side limit: requests per minute (openai).")
@click.option("--tpm", type=float, default=None, help="Client-side limit: tokens per minute (openai).")
@click.option("--judge-model", default=None,
              help="Scenarios: model id (site_data/models/<id>.yaml) of the LLM judge for rubric graders; "
                   "without a judge rubric grades are reported as ungraded.")
@click.option("--judge-backend", default=None, help="Backend of the judge (default: the --backend).")
@click.option("--judge-base-url", default=None, help="OpenAI-compatible base URL of the judge (default: --base-url).")
@click.option("--judge-max-tokens", type=click.IntRange(min=1), default=None,
              help="Longest judge reply in tokens (default 384).")
@click.option("--scenarios-dir", type=click.Path(path_type=Path, file_okay=False), envvar="PODIUM_SCENARIOS_DIR",
              default=None, help="Scenarios: folder of scenario YAML files [env PODIUM_SCENARIOS_DIR; default: "
                                 "the scenarios shipped with Podium].")
@click.option("--cache/--no-cache", "use_cache", default=True, show_default=True,
              help="Answer identical requests from .podium/cache/requests.sqlite (re-runs cost nothing; a killed "
                   "run with --samples resumes per chunk of samples).")
@click.option("--repeat", is_flag=True,
              help="Measure again even when an identical finished run (same model, suite version, items, backend "
                   "and sampling) is already in site_data; without it that run is reported and nothing is written.")
@data_dir_option
@site_data_option()
def run(model_id: str, suite_id: str, backend_name: str, base_url: str | None, api_model: str | None,
        limit: int | None, subjects: str | None, shard: str | None, samples: int | None,
        temperature: float | None, top_p: float | None, max_tokens: int | None, seed: int | None,
        concurrency: int, parallel: int, threads: int, prompt_cache: bool, prefix_reuse: bool, model_path: str | None, tensor_parallel: int,
        pipeline_parallel: int, dtype: str, quantization: str | None, max_model_len: int | None,
        enforce_eager: bool, executor: str | None, fake_script: Path | None, rpm: float | None, tpm: float | None,
        judge_model: str | None, judge_backend: str | None, judge_base_url: str | None,
        judge_max_tokens: int | None, scenarios_dir: Path | None,
        use_cache: bool, repeat: bool, data_dir: Path | None, site_data: Path) -> None:
    """Evaluate MODEL on SUITE and write run.json + samples.jsonl.gz into site_data/runs/.

    A killed run resumes: re-run the same command and finished items are not asked again.

    \b
    Examples:
      podium run --suite gsm8k --limit 20
      podium run --suite humaneval --samples 20 --limit 10
      podium run --model gpt-4o --backend openai --suite mmlu:generative
      podium run --model smollm2-135m-instruct --backend openai --base-url http://127.0.0.1:8080/v1
      podium run --suite scenarios --limit 2 --judge-model smollm2-135m-instruct
    """
    backend_module(backend_name)  # unknown backend / missing package: fail before anything else
    scen = scenario_options(suite_id, scenarios_dir, samples, judge_model, judge_backend, judge_base_url,
                            judge_max_tokens)
    suite = get_suite(suite_id, subjects=tuple(subjects.split(",")) if subjects else None, **scen)
    model = load_model(site_data, model_id)
    data = resolve_data_dir(data_dir)
    suite.load(data)  # fail on missing data before starting an engine
    sampling = suite.sampling(samples, temperature, top_p, max_tokens, seed)
    cache_dir = default_cache_dir()
    bopts = BackendOptions(name=backend_name, base_url=base_url, api_model=api_model, concurrency=concurrency,
                           parallel=parallel, threads=threads, prompt_cache=prompt_cache,
                           prefix_reuse=prefix_reuse, rpm=rpm, tpm=tpm, model_path=model_path,
                           tensor_parallel=tensor_parallel, pipeline_parallel=pipeline_parallel, dtype=dtype,
                           quantization=quantization, max_model_len=max_model_len, enforce_eager=enforce_eager,
                           executor=executor, fake_script=fake_script,
                           cache=cache_dir / "cache" / "requests.sqlite" if use_cache else None)
    parts = ["podium", "run", "--model", model_id, "--suite", suite_id, *bopts.command_args()]
    for flag, value in (("--limit", limit), ("--subjects", subjects), ("--shard", shard), ("--samples", samples),
                        ("--temperature", temperature), ("--top-p", top_p), ("--max-tokens", max_tokens),
                        ("--seed", seed), ("--judge-model", judge_model), ("--judge-backend", judge_backend),
                        ("--judge-base-url", judge_base_url), ("--judge-max-tokens", judge_max_tokens),
                        ("--scenarios-dir", scenarios_dir if suite_id.startswith("scenario") else None)):
        if value is not None:
            parts += [flag, str(value)]
    opts = RunOptions(out=site_data, data_dir=data, limit=limit, shard=Shard.parse(shard) if shard else None,
                      sampling=sampling, cache_dir=cache_dir, command=shlex.join([*parts, "--out", str(site_data)]),
                      repeat=repeat)
    console = Console(stderr=True)
    judge_opts = dataclasses.replace(bopts, name=judge_backend or backend_name, parallel=1, api_model=None,
                                     base_url=judge_base_url or (base_url if (judge_backend or backend_name)
                                                                 == backend_name else None))
    judge_entry = load_model(site_data, judge_model) if judge_model else None
    with contextlib.ExitStack() as stack:
        be = stack.enter_context(make_backend(bopts, model))
        if judge_entry is not None:
            judge = stack.enter_context(make_backend(judge_opts, judge_entry))
            suite = get_suite(suite_id, judge=judge, **scen)
        bar = stack.enter_context(Progress(
            TextColumn(f"[bold]{model_id}[/] · {suite_id}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("eta"), TimeRemainingColumn(), console=console, transient=False))
        task = bar.add_task("items", total=None)
        result = run_suite(suite, be, model, opts,
                           progress=lambda done, total: bar.update(task, completed=done, total=total))
    if result.existing:
        click.echo(f"already measured: {result.paths.dir} (finished {result.run.finished_at:%Y-%m-%d %H:%M} UTC, "
                   f"{result.run.n_items} items) — nothing written; pass --repeat to measure again")
        return
    print_summary(Console(), result)


def scenario_options(suite_id: str, scenarios_dir: Path | None, samples: int | None, judge_model: str | None,
                     judge_backend: str | None, judge_base_url: str | None,
                     judge_max_tokens: int | None) -> dict[str, object]:
    """Suite options of the scenario suites; refuses scenario-only options elsewhere."""
    if not suite_id.startswith("scenario"):
        used = [f for f, v in (("--judge-model", judge_model), ("--judge-backend", judge_backend),
                               ("--judge-base-url", judge_base_url), ("--judge-max-tokens", judge_max_tokens))
                if v is not None]
        if used:
            raise ConfigError(f"{used[0]} applies only to scenario suites (rubric graders)", where=used[0],
                              fix="drop it, or run --suite scenarios / scenario:<id>")
        return {}
    if samples is not None:
        raise ConfigError("--samples does not apply to scenarios", where="--samples",
                          fix="each scenario sets its trials in its YAML; --limit N keeps the first N")
    if (judge_backend or judge_base_url or judge_max_tokens) and not judge_model:
        raise ConfigError("a judge backend needs a judge model", where="--judge-model",
                          fix="add --judge-model <id> (a file in site_data/models)")
    options: dict[str, object] = {"scenarios_dir": scenarios_dir, "judge_max_tokens": judge_max_tokens}
    return {k: v for k, v in options.items() if v is not None}
