"""``podium run``: evaluate one model on one suite and write the run into site_data/."""

from __future__ import annotations

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
from evals.backends.base import Backend
from evals.backends.embedded import EMBEDDED_MODEL_ID
from evals.errors import ConfigError
from evals.records import ModelEntry
from evals.runner import RunOptions, RunResult, Shard, default_cache_dir, run_suite
from evals.store import load_model
from evals.suites import get_suite
from generator.cli.options import data_dir_option, resolve_data_dir, site_data_option


def make_backend(name: str, model: ModelEntry, base_url: str | None, api_model: str | None,
                 concurrency: int, parallel: int, prompt_cache: bool = False, rpm: float | None = None,
                 tpm: float | None = None, cache: Path | None = None) -> Backend:
    if name == "embedded":
        from evals.backends.embedded import EmbeddedBackend, EmbeddedConfig

        if model.id != EMBEDDED_MODEL_ID:
            raise ConfigError(f"the embedded backend runs only '{EMBEDDED_MODEL_ID}', not '{model.id}'",
                              where="--model", fix="use --backend openai --base-url URL for other models")
        return EmbeddedBackend(EmbeddedConfig(parallel=parallel, prompt_cache=prompt_cache))
    if name == "openai":
        from evals.backends.openai_compat import OpenAICompatBackend, OpenAIConfig

        served = api_model or model.api_model or model.id
        backend = OpenAICompatBackend(OpenAIConfig(model=served, base_url=base_url, concurrency=concurrency,
                                                          requests_per_minute=rpm, tokens_per_minute=tpm,
                                                          cache_path=cache))
        backend.check_reachable()
        return backend
    raise ConfigError(f"backend '{name}' is not available in `podium run` yet", where="--backend")


def canonical_command(model: str, suite: str, backend: str, base_url: str | None, api_model: str | None,
                      limit: int | None, shard: str | None, out: Path, parallel: int = 1,
                      prompt_cache: bool = False) -> str:
    parts = ["podium", "run", "--model", model, "--suite", suite, "--backend", backend]
    if backend == "embedded":
        parts += ["--parallel", str(parallel)] + (["--prompt-cache"] if prompt_cache else [])
    if base_url:
        parts += ["--base-url", base_url]
    if api_model:
        parts += ["--api-model", api_model]
    if limit is not None:
        parts += ["--limit", str(limit)]
    if shard:
        parts += ["--shard", shard]
    parts += ["--out", str(out)]
    return shlex.join(parts)


def print_summary(console: Console, result: RunResult) -> None:
    run = result.run
    table = Table(title=f"{run.model_id} on {run.suite.id} — {run.n_items} items ({run.suite.selection})")
    for col in ("metric", "variant", "value", "95% CI", "n"):
        table.add_column(col, justify="right" if col in ("value", "95% CI", "n") else "left")
    for m in run.metrics:
        if m.group is None:
            table.add_row(m.name, m.variant, f"{m.value:.1%}", f"{m.ci_low:.1%} – {m.ci_high:.1%}", str(m.n))
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
@click.option("--suite", "suite_id", default="gsm8k", show_default=True, help="Suite id, e.g. gsm8k.")
@click.option("--backend", default="embedded", show_default=True,
              help="embedded (llama.cpp, offline) | openai (any OpenAI-compatible server).")
@click.option("--base-url", envvar="OPENAI_BASE_URL", default=None,
              help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1 [env OPENAI_BASE_URL].")
@click.option("--api-model", default=None, help="Model name to send to the API (default: the model entry's).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N items (file order).")
@click.option("--shard", default=None, help="Run shard i of N (round-robin), e.g. 2/8; merge with podium merge.")
@click.option("--concurrency", type=click.IntRange(min=1), default=8, show_default=True,
              help="Requests in flight (openai backend).")
@click.option("--parallel", type=click.IntRange(min=1), default=1, show_default=True,
              help="Decoding slots (embedded backend); 1 keeps greedy output bit-for-bit reproducible.")
@click.option("--prompt-cache/--no-prompt-cache", default=False, show_default=True,
              help="Embedded backend: reuse cached prompt prefixes (~4x faster on few-shot suites; greedy "
                   "output may then depend on request order).")
@click.option("--rpm", type=float, default=None, help="Client-side limit: requests per minute (openai).")
@click.option("--tpm", type=float, default=None, help="Client-side limit: tokens per minute (openai).")
@click.option("--cache/--no-cache", "use_cache", default=True, show_default=True,
              help="openai backend: answer repeated identical requests from .podium/cache (re-runs cost nothing).")
@data_dir_option
@site_data_option()
def run(model_id: str, suite_id: str, backend: str, base_url: str | None, api_model: str | None,
        limit: int | None, shard: str | None, concurrency: int, parallel: int, prompt_cache: bool,
        rpm: float | None, tpm: float | None, use_cache: bool, data_dir: Path | None, site_data: Path) -> None:
    """Evaluate MODEL on SUITE and write run.json + samples.jsonl.gz into site_data/runs/.

    A killed run resumes: re-run the same command and finished items are not asked again.

    \b
    Examples:
      podium run --suite gsm8k --limit 20
      podium run --model gpt-4o --backend openai --suite gsm8k
      podium run --model smollm2-135m-instruct --backend openai --base-url http://127.0.0.1:8080/v1
    """
    backend_module(backend)  # unknown backend / missing package: fail before anything else
    suite = get_suite(suite_id)
    model = load_model(site_data, model_id)
    data = resolve_data_dir(data_dir)
    suite.load(data)  # fail on missing data before starting an engine
    opts = RunOptions(out=site_data, data_dir=data, limit=limit, shard=Shard.parse(shard) if shard else None,
                      cache_dir=default_cache_dir(),
                      command=canonical_command(model_id, suite_id, backend, base_url, api_model, limit, shard,
                                                site_data, parallel, prompt_cache))
    console = Console(stderr=True)
    with make_backend(backend, model, base_url, api_model, concurrency, parallel, prompt_cache, rpm, tpm,
                      opts.cache_dir / "cache" / "requests.sqlite" if use_cache else None) as be, Progress(
        TextColumn(f"[bold]{model_id}[/] · {suite_id}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("eta"), TimeRemainingColumn(), console=console, transient=False,
    ) as bar:
        task = bar.add_task("items", total=None)
        result = run_suite(suite, be, model, opts,
                           progress=lambda done, total: bar.update(task, completed=done, total=total))
    print_summary(Console(), result)
