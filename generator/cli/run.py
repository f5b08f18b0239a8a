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
from rich.table import Table

from evals.backends import backend_module
from evals.backends.base import Backend
from evals.backends.embedded import EMBEDDED_MODEL_ID
from evals.errors import ConfigError, PodiumError
from evals.records import ModelEntry
from evals.runner import RunOptions, RunResult, Shard, default_cache_dir, run_suite
from evals.store import load_model
from evals.suites import DEFAULT_SUITE, Suite, for_model, get_suite, takes_option
from evals.suites.base import SelectionSpec
from generator.cli.backends import FLAG_OF, BackendChoice, backend_options, make_backend
from generator.cli.options import data_dir_option, resolve_data_dir, site_data_option
from generator.cli.run_summary import print_summary

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Selection:
    """Which items: ``--subset`` (random, stratified), ``--limit`` (first N), ``--subjects`` (MMLU), ``--shard``."""

    limit: int | None = None
    subset: int | None = None
    subset_seed: int | None = None
    subjects: str | None = None
    shard: str | None = None

    def flags(self) -> list[tuple[str, object]]:
        return [("--subset", self.subset), ("--subset-seed", self.subset_seed), ("--limit", self.limit),
                ("--subjects", self.subjects), ("--shard", self.shard)]

    def spec(self) -> SelectionSpec:
        if self.subset is not None and self.limit is not None:
            raise ConfigError("--subset and --limit are two different selections", where="--limit",
                              fix="use --subset N (a random, stratified sample) or --limit N (the first N), not both")
        if self.subset_seed is not None and self.subset is None:
            raise ConfigError("--subset-seed needs --subset N", where="--subset-seed", fix="add --subset N")
        return SelectionSpec(limit=self.limit, subset=self.subset, seed=self.subset_seed or 0,
                             subjects=tuple(self.subjects.split(",")) if self.subjects else ())


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
    click.option("--subset", "selection_subset", type=click.IntRange(min=1), default=None,
                 help="N items drawn at random, stratified by the suite's strata (MMLU subject, HellaSwag source), "
                      "the same on any machine: an honest sample with honest intervals."),
    click.option("--subset-seed", "selection_subset_seed", type=int, default=None,
                 help="Seed of --subset (default 0)."),
    click.option("--limit", "selection_limit", type=click.IntRange(min=1), default=None,
                 help="The first N items in file order (per subject for MMLU; trials per scenario), as lm-eval's "
                      "--limit — for parity work: NOT a random sample, so never averaged or ranked on the board."),
    click.option("--subjects", "selection_subjects", default=None, help="MMLU only: comma-separated subjects."),
    click.option("--shard", "selection_shard", default=None,
                 help="Run shard i of N (round-robin), e.g. 2/8; combine with podium merge."),
])
sampling_options = grouped(SamplingOptions, [
    click.option("--samples", "sampling_samples", type=click.IntRange(1, 1000), default=None,
                 help="Samples per item (HumanEval pass@k: up to 1000; drawn at T=0.8, top_p=0.95 unless set)."),
    click.option("--temperature", "sampling_temperature", type=click.FloatRange(min=0), default=None,
                 help="Override the suite's sampling temperature (>= 0)."),
    click.option("--top-p", "sampling_top_p", type=click.FloatRange(0, 1, min_open=True), default=None,
                 help="Override top_p, in (0, 1]."),
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
@click.option("--model", "model_ids", default=(EMBEDDED_MODEL_ID,), show_default=True,
              help="Model id(s): files site_data/models/<id>.yaml; several as a,b (or the option repeated).",
              multiple=True)
@click.option("--suite", "suite_ids", default=(DEFAULT_SUITE,), show_default=True, multiple=True,
              help="Suite(s), as gsm8k,boolq (or the option repeated): gsm8k | mmlu | hellaswag | boolq | winogrande "
                   "| arc_challenge | humaneval (chat protocol on a chat model, completion on a base model; "
                   "humaneval:completion / humaneval:chat to choose) | scenarios | scenario:<id>; multiple-choice "
                   "suites also as <id>:generative for chat-only APIs. `podium list suites` lists them.")
@selection_options
@sampling_options
@backend_options
@judge_options
@click.option("--max-errors", "max_errors", type=click.FloatRange(min=0), default=None,
              help="Failed items the run accepts, counted as wrong and shown as 'n errors': a count (3) or a "
                   "fraction of the items (0.01). Default 0: a run with a failed item is incomplete — nothing is "
                   "written, exit 1, and the same command retries only the failed items.")
@click.option("--cache/--no-cache", "use_cache", default=True, show_default=True,
              help="Answer identical requests from .podium/cache/requests.sqlite (re-runs cost nothing; a killed "
                   "run with --samples resumes per chunk of samples).")
@click.option("--repeat", is_flag=True,
              help="Measure again even when an identical finished run (same model, suite version, items, backend "
                   "and sampling) is already in site_data; without it that run is reported and nothing is written.")
@data_dir_option
@site_data_option("--out")
def run(model_ids: tuple[str, ...], suite_ids: tuple[str, ...], selection: Selection, sampling: SamplingOptions,
        backend: BackendChoice, judge: JudgeOptions, max_errors: float | None, use_cache: bool, repeat: bool,
        data_dir: Path | None, site_data: Path) -> None:
    """Evaluate MODEL on SUITE and write run.json + samples.jsonl.gz into site_data/runs/.

    Several models and suites run in one call (each pair its own run, resumed on its own), with one summary at
    the end. A killed run resumes: re-run the same command and finished items are not asked again. A run with
    a failed request is not a result: nothing is written unless --max-errors accepts it. Any field of the
    backend's config can be set with -B key=value.

    \b
    Examples:
      podium run --suite gsm8k --subset 100
      podium run --suite gsm8k,boolq,mmlu --subset 200
      podium run --suite humaneval --samples 20 --subset 40
      podium run --model gpt-4o --backend openai --suite mmlu:generative --max-errors 0.01
      podium run --model smollm2-135m-instruct --backend openai --base-url http://127.0.0.1:8080/v1
      podium run --backend vllm --tensor-parallel 2 -B gpu_memory_utilization=0.85 --suite mmlu
      podium run --suite scenarios --limit 2 --judge-model smollm2-135m-instruct
    """
    backend_module(backend.name)  # unknown backend / missing package: fail before anything else
    models = split_list(model_ids, "--model")
    suites = split_list(suite_ids, "--suite")
    spec = selection.spec()
    for sid in suites:  # suite ids and their options first: a bad suite names itself, whatever the model
        build_suite(for_model(sid, chat=False), selection, sampling, judge)
    entries = [load_model(site_data, m) for m in models]
    data = resolve_data_dir(data_dir)
    plans = [(entry, sid) for entry in entries for sid in suites]
    for entry, sid in plans:  # every suite and its data checked before an engine starts
        build_suite(resolve_suite_id(sid, entry), selection, sampling, judge).load(data)
    cache_dir = default_cache_dir()
    backend = dataclasses.replace(backend, cache=cache_dir / "cache" / "requests.sqlite" if use_cache else None)
    outcomes: list[Outcome] = []
    for entry in entries:
        with contextlib.ExitStack() as stack:
            be, backend_args = make_backend(backend, entry)
            stack.callback(be.close)
            for sid in suites:
                outcomes.append(run_one(stack, be, backend_args, entry, resolve_suite_id(sid, entry), sid,
                                        RunContext(selection, spec, sampling, backend, judge, max_errors, data,
                                                   site_data, cache_dir, repeat)))
    print_outcomes(outcomes)
    failures = [o for o in outcomes if o.error is not None]
    if failures:
        raise SystemExit(max(o.error.exit_code for o in failures if o.error is not None))


@dataclass(frozen=True)
class RunContext:
    """Everything of one ``podium run`` call that each (model, suite) run shares."""

    selection: Selection
    spec: SelectionSpec
    sampling: SamplingOptions
    backend: BackendChoice
    judge: JudgeOptions
    max_errors: float | None
    data: Path
    site_data: Path
    cache_dir: Path
    repeat: bool


@dataclass(frozen=True)
class Outcome:
    model_id: str
    suite_id: str
    result: RunResult | None = None
    error: PodiumError | None = None


def split_list(values: tuple[str, ...], flag: str) -> list[str]:
    """``a,b`` and repeated options alike, in order, without repeats."""
    out: list[str] = []
    for v in values:
        for part in v.split(","):
            if part.strip() and part.strip() not in out:
                out.append(part.strip())
    if not out:
        raise ConfigError("no value given", where=flag, fix=f"e.g. {flag} {'gsm8k,boolq' if flag == '--suite' else 'ID'}")
    return out


def resolve_suite_id(suite_id: str, model: ModelEntry) -> str:
    """The protocol follows the model (the suite registry decides: HumanEval's chat or completion protocol)."""
    return for_model(suite_id, model.chat)


def build_suite(suite_id: str, selection: Selection, sampling: SamplingOptions, judge: JudgeOptions,
                judge_backend: Backend | None = None) -> Suite:
    scen = scenario_options(suite_id, sampling.samples, judge)
    subjects = tuple(selection.subjects.split(",")) if selection.subjects else None
    if judge_backend is not None:
        scen = {**scen, "judge": judge_backend}
    return get_suite(suite_id, subjects=subjects, **scen)


def run_one(stack: contextlib.ExitStack, be: Backend, backend_args: list[str], entry: ModelEntry, suite_id: str,
            asked: str, ctx: RunContext) -> Outcome:
    """One (model, suite) run; a failure is reported and the next pair still runs."""
    console = Console(stderr=True)
    try:
        judge_be = None
        if ctx.judge.model:
            judge_be = start_judge(stack, ctx.backend, ctx.judge, load_model(ctx.site_data, ctx.judge.model))
        suite = build_suite(suite_id, ctx.selection, ctx.sampling, ctx.judge, judge_be)
        if suite_id != asked:
            console.print(f"{entry.id} is a {'chat' if entry.chat else 'base'} model: --suite {asked} runs as "
                          f"{suite_id}")
        command = reproducing_command(entry.id, suite_id, ctx.selection, ctx.sampling,
                                      with_output_params(backend_args, be), ctx.judge, ctx.site_data,
                                      ctx.max_errors)
        opts = RunOptions(out=ctx.site_data, data_dir=ctx.data, selection=ctx.spec,
                          shard=Shard.parse(ctx.selection.shard) if ctx.selection.shard else None,
                          sampling=suite.sampling(ctx.sampling.samples, ctx.sampling.temperature,
                                                  ctx.sampling.top_p, ctx.sampling.max_tokens, ctx.sampling.seed),
                          cache_dir=ctx.cache_dir, command=command, repeat=ctx.repeat, max_errors=ctx.max_errors)
        with Progress(TextColumn(f"[bold]{entry.id}[/] · {suite.info.id}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=console,
                      transient=False) as bar:
            task = bar.add_task("items", total=None)

            def resumed(kept: int, retried: int) -> None:
                bar.console.print(f"resuming an interrupted run: {kept} finished item(s) kept"
                                  + (f", {retried} failed item(s) retried" if retried else ""))

            result = run_suite(suite, be, entry, opts,
                               progress=lambda done, total: bar.update(task, completed=done, total=total),
                               on_start=resumed)
    except PodiumError as exc:
        click.echo(f"error: {exc.one_line()}", err=True)
        return Outcome(entry.id, suite_id, error=exc)
    if result.existing:
        click.echo(f"already measured: {shlex.quote(str(result.paths.dir))} (finished "
                   f"{result.run.finished_at:%Y-%m-%d %H:%M} UTC, {result.run.n_items} items) — nothing written; "
                   f"pass --repeat to measure again")
    else:
        print_summary(Console(), result)
    return Outcome(entry.id, suite_id, result=result)


def print_outcomes(outcomes: list[Outcome]) -> None:
    """One table over every (model, suite) of the call, when there was more than one."""
    if len(outcomes) < 2:
        return
    table = Table(title="podium run — summary")
    for col in ("model", "suite", "items", "headline", "95% CI", "status"):
        table.add_column(col, justify="right" if col in ("items", "headline", "95% CI") else "left")
    for o in outcomes:
        main = o.result.run.main() if o.result else None
        status = ("failed: " + (o.error.what if o.error else "")) if o.result is None else (
            "already measured" if o.result.existing else "written")
        table.add_row(o.model_id, o.suite_id, str(o.result.run.n_items) if o.result else "–",
                      f"{main.label} {main.value:.1%}" if main else "–",
                      f"{main.ci_low:.1%} – {main.ci_high:.1%}" if main else "–", status)
    Console().print(table)


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
                        backend_args: list[str], judge: JudgeOptions, site_data: Path,
                        max_errors: float | None = None) -> str:
    """The command that reproduces the run, published with it: no machine-local path or port (placeholders such
    as ``<URL>``), every value that changes outputs (the resolved engine settings) included."""
    parts = ["podium", "run", "--model", model_id, "--suite", suite_id, *portable(backend_args)]
    flags = [*selection.flags(), *sampling.flags(), *judge.flags(), ("--max-errors", max_errors)]
    for flag, value in flags:
        if value is None or (flag == "--scenarios-dir" and not takes_option(suite_id, "scenarios_dir")):
            continue
        parts += [flag, "<SCENARIOS_DIR>" if flag == "--scenarios-dir" else
                  ("<URL>" if flag == "--judge-base-url" and local_url(str(value)) else f"{value:g}"
                   if isinstance(value, float) else str(value))]
    if site_data != Path("site_data"):
        parts += ["--site-data", "<SITE_DATA>"]
    return shlex.join(parts)


def local_url(url: str) -> bool:
    """A URL only this machine can reach (loopback, private range, a bare port): a placeholder when published."""
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    if host in ("localhost", "") or host.endswith(".local"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local


def portable(args: list[str]) -> list[str]:
    """Backend arguments without machine-local URLs and absolute paths."""
    out: list[str] = []
    for i, a in enumerate(args):
        prev = args[i - 1] if i else ""
        if prev in ("--base-url", "--judge-base-url") and local_url(a):
            out.append("<URL>")
        elif prev == "-B" and "=" in a and (a.partition("=")[2].startswith("/") or local_url(a.partition("=")[2])
                                            and "://" in a):
            out.append(f"{a.partition('=')[0]}=<{a.partition('=')[0].upper()}>")
        elif a.startswith("/"):
            out.append("<PATH>")
        else:
            out.append(a)
    return out


def with_output_params(args: list[str], be: Backend) -> list[str]:
    """The backend's arguments plus every resolved setting that changes outputs (e.g. the embedded engine's
    thread count, which the user may have left at its machine-dependent default)."""
    out = list(args)
    for key in be.info.output_parameters:
        flag = FLAG_OF.get((be.info.name, key))
        if key in be.info.parameters and not (flag in out or any(a.startswith(f"{key}=") for a in out)):
            out += [flag, str(be.info.parameters[key])] if flag else ["-B", f"{key}={be.info.parameters[key]}"]
    return out


def scenario_options(suite_id: str, samples: int | None, judge: JudgeOptions) -> dict[str, object]:
    """Suite options of the scenario suites; refuses scenario-only options elsewhere."""
    if not takes_option(suite_id, "judge"):  # the judge options are options of the suites graded by a judge
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


__all__ = ["JudgeOptions", "Outcome", "SamplingOptions", "Selection", "reproducing_command", "run"]
