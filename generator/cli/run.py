"""``podium run``: evaluate one model on one suite and write the run into site_data/."""

from __future__ import annotations

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
    rows = [m for m in run.metrics if m.group is None or m.group.startswith("category:")]
    for m in rows:
        table.add_row(m.name, m.variant + (" (macro)" if m.aggregation == "macro" else ""),
                      (m.group or "all").removeprefix("category:"), f"{m.value:.1%}",
                      f"{m.ci_low:.1%} – {m.ci_high:.1%}", str(m.n))
    console.print(table)
    tps = run.completion_tokens / run.wall_seconds if run.wall_seconds > 0 else 0.0
    cost = f"${run.cost.usd:.4f}" if run.cost.usd is not None else "unknown"
    console.print(f"tokens: {run.prompt_tokens} prompt + {run.completion_tokens} generated · wall "
                  f"{run.wall_seconds:.1f} s · {tps:.0f} generated tokens/s · cost {cost} ({run.cost.method})"
                  + (f" · resumed {result.resumed} items from an interrupted run" if result.resumed else "")
                  + (f" · [red]{run.n_errors} failed requests[/red]" if run.n_errors else ""))
    console.print(f"wrote {result.paths.dir}")


@click.command()
@click.option("--model", "model_id", default=EMBEDDED_MODEL_ID, show_default=True,
              help="Model id: a file site_data/models/<id>.yaml.")
@click.option("--suite", "suite_id", default="gsm8k", show_default=True,
              help="gsm8k | mmlu | hellaswag | boolq | winogrande | humaneval | scenarios | scenario:<id>; "
                   "multiple-choice suites also as <id>:generative for chat-only APIs.")
@click.option("--backend", "backend_name", default="embedded", show_default=True,
              help="embedded (llama.cpp, offline) | openai (any OpenAI-compatible server) | vllm (in-process).")
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
              help="Decoding slots (embedded backend); 1 keeps greedy output bit-for-bit reproducible.")
@click.option("--prompt-cache/--no-prompt-cache", default=False, show_default=True,
              help="Embedded backend: reuse cached prompt prefixes (~4x faster on few-shot suites; greedy "
                   "output may then depend on request order).")
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
@click.option("--rpm", type=float, default=None, help="Client-side limit: requests per minute (openai).")
@click.option("--tpm", type=float, default=None, help="Client-side limit: tokens per minute (openai).")
@click.option("--cache/--no-cache", "use_cache", default=True, show_default=True,
              help="Answer identical requests from .podium/cache/requests.sqlite (re-runs cost nothing; a killed "
                   "run with --samples resumes per chunk of samples).")
@data_dir_option
@site_data_option()
def run(model_id: str, suite_id: str, backend_name: str, base_url: str | None, api_model: str | None,
        limit: int | None, subjects: str | None, shard: str | None, samples: int | None,
        temperature: float | None, top_p: float | None, max_tokens: int | None, seed: int | None,
        concurrency: int, parallel: int, prompt_cache: bool, model_path: str | None, tensor_parallel: int,
        pipeline_parallel: int, dtype: str, quantization: str | None, max_model_len: int | None,
        enforce_eager: bool, executor: str | None, rpm: float | None, tpm: float | None,
        use_cache: bool, data_dir: Path | None, site_data: Path) -> None:
    """Evaluate MODEL on SUITE and write run.json + samples.jsonl.gz into site_data/runs/.

    A killed run resumes: re-run the same command and finished items are not asked again.

    \b
    Examples:
      podium run --suite gsm8k --limit 20
      podium run --suite humaneval --samples 20 --limit 10
      podium run --model gpt-4o --backend openai --suite mmlu:generative
      podium run --model smollm2-135m-instruct --backend openai --base-url http://127.0.0.1:8080/v1
    """
    backend_module(backend_name)  # unknown backend / missing package: fail before anything else
    suite = get_suite(suite_id, subjects=tuple(subjects.split(",")) if subjects else None)
    model = load_model(site_data, model_id)
    data = resolve_data_dir(data_dir)
    suite.load(data)  # fail on missing data before starting an engine
    base = suite.default_sampling()
    n = samples if samples is not None else base.n
    sampling = dataclasses.replace(
        base, n=n, max_tokens=max_tokens or base.max_tokens,
        temperature=temperature if temperature is not None else (base.temperature if n == 1 else 0.8),
        top_p=top_p if top_p is not None else (base.top_p if n == 1 else 0.95),
        seed=seed if seed is not None else base.seed)
    cache_dir = default_cache_dir()
    bopts = BackendOptions(name=backend_name, base_url=base_url, api_model=api_model, concurrency=concurrency,
                           parallel=parallel, prompt_cache=prompt_cache, rpm=rpm, tpm=tpm, model_path=model_path,
                           tensor_parallel=tensor_parallel, pipeline_parallel=pipeline_parallel, dtype=dtype,
                           quantization=quantization, max_model_len=max_model_len, enforce_eager=enforce_eager,
                           executor=executor,
                           cache=cache_dir / "cache" / "requests.sqlite" if use_cache else None)
    parts = ["podium", "run", "--model", model_id, "--suite", suite_id, *bopts.command_args()]
    for flag, value in (("--limit", limit), ("--subjects", subjects), ("--shard", shard), ("--samples", samples),
                        ("--temperature", temperature), ("--top-p", top_p), ("--max-tokens", max_tokens),
                        ("--seed", seed)):
        if value is not None:
            parts += [flag, str(value)]
    opts = RunOptions(out=site_data, data_dir=data, limit=limit, shard=Shard.parse(shard) if shard else None,
                      sampling=sampling, cache_dir=cache_dir, command=shlex.join([*parts, "--out", str(site_data)]))
    console = Console(stderr=True)
    with make_backend(bopts, model) as be, Progress(
        TextColumn(f"[bold]{model_id}[/] · {suite_id}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("eta"), TimeRemainingColumn(), console=console, transient=False,
    ) as bar:
        task = bar.add_task("items", total=None)
        result = run_suite(suite, be, model, opts,
                           progress=lambda done, total: bar.update(task, completed=done, total=total))
    print_summary(Console(), result)
