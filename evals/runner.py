"""Run a suite against a backend: plan → batch → dispatch (:mod:`evals.dispatch`) → journal → run record. Never
drops an item."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from evals import __version__
from evals.backends.base import Backend, BackendInfo, Sampling
from evals.data import sha256_file
from evals.dispatch import grade_items
from evals.errors import ConfigError, PodiumError
from evals.hashing import sha256_json
from evals.journal import Journal, failed
from evals.records import (
    BackendRecord,
    CostRecord,
    ModelEntry,
    RunRecord,
    SampleRecord,
    SamplingRecord,
    ShardRecord,
    SuiteRecord,
)
from evals.runlock import run_lock
from evals.store import RunPaths, find_runs, write_run
from evals.suites.base import Item, SelectionSpec, Suite

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    @staticmethod
    def parse(text: str) -> Shard:
        try:
            i, n = (int(p) for p in text.split("/"))
        except ValueError:
            raise ConfigError(f"bad shard '{text}'", where="--shard", fix="write it as i/N, e.g. 2/8") from None
        if not 1 <= i <= n:
            raise ConfigError(f"bad shard '{text}'", where="--shard", fix="need 1 <= i <= N")
        return Shard(i, n)

    def select(self, items: Sequence[Item]) -> list[Item]:
        """Deterministic round-robin split of the ordered item list."""
        return [it for k, it in enumerate(items) if k % self.count == self.index - 1]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def record(self) -> ShardRecord:
        return ShardRecord(index=self.index, count=self.count)


@dataclass(frozen=True)
class RunOptions:
    out: Path  # site_data root
    data_dir: Path
    command: str  # canonical command line that reproduces the run
    selection: SelectionSpec = SelectionSpec()
    shard: Shard | None = None
    max_errors: float | None = None  # failed items accepted: a count (>= 1) or a fraction of the items (< 1)
    sampling: Sampling | None = None  # None → the suite's protocol default
    cache_dir: Path = Path(".podium")
    batch_size: int = 64  # requests handed to the backend per call (journal granularity)
    repeat: bool = False  # measure again even when an identical run is already in ``out``


@dataclass(frozen=True)
class RunResult:
    run: RunRecord
    samples: list[SampleRecord]
    paths: RunPaths
    resumed: int  # items taken from a previous, interrupted attempt
    existing: bool = False  # an identical finished run was found; nothing was measured or written
    retried: int = 0  # items that had failed in a previous attempt and were asked again


class RunIncomplete(PodiumError):
    """More items failed than the run accepts: nothing is written, the journal keeps the finished items."""

    exit_code = 1


def errors_allowed(max_errors: float | None, n_items: int) -> int:
    """``--max-errors``: a count (1, 2, …) or a fraction of the items (0 < f < 1); none by default."""
    if max_errors is None or max_errors <= 0:
        return 0
    return int(max_errors) if max_errors >= 1 else int(max_errors * n_items)


def git_state() -> tuple[str | None, bool | None]:
    src = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(src), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(src), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip() != ""
        return commit, dirty
    except (OSError, subprocess.SubprocessError):
        return None, None


def compute_cost(model: ModelEntry, prompt_tokens: int, completion_tokens: int, wall: float,
                 gpus: int, cpu_cores: int = 1, local_cpu: bool = False) -> CostRecord:
    """The run's cost from the model entry's prices. Without a price, only a run on this machine's CPU is free
    (``local_cpu``); an unpriced API or server run is ``unknown``, never $0."""
    p = model.prices
    if p and p.input_per_mtok is not None and p.output_per_mtok is not None:
        usd = prompt_tokens / 1e6 * p.input_per_mtok + completion_tokens / 1e6 * p.output_per_mtok
        return CostRecord(usd=usd, method="api_tokens",
                          detail=f"{prompt_tokens} in × ${p.input_per_mtok}/M + {completion_tokens} out × "
                                 f"${p.output_per_mtok}/M")
    if p and p.gpu_hour is not None and gpus > 0:
        usd = wall / 3600 * gpus * p.gpu_hour
        return CostRecord(usd=usd, method="gpu_hours",
                          detail=f"{wall:.0f} s × {gpus} GPU × ${p.gpu_hour}/GPU-hour")
    if p and p.cpu_core_hour is not None and gpus == 0:
        usd = wall / 3600 * cpu_cores * p.cpu_core_hour
        return CostRecord(usd=usd, method="cpu_hours",
                          detail=f"{wall:.0f} s × {cpu_cores} CPU core(s) × ${p.cpu_core_hour}/core-hour")
    if gpus == 0 and local_cpu:
        return CostRecord(usd=0.0, method="local_cpu", detail=f"{wall:.0f} s on a local CPU; no price applies")
    return CostRecord(usd=None, method="unknown", detail="the model entry has no price for where this run ran")


def journal_fingerprint(model_id: str, suite_rec: SuiteRecord, info: BackendInfo, sampling: Sampling,
                        item_ids: list[str]) -> str:
    """What a resumed run must share with the journal it continues.  Engine settings that change outputs (the
    embedded engine's thread count) are part of it, so a resume never mixes outputs of two settings; without
    them the value is what it always was, so journals of other backends stay resumable."""
    engine = {k: info.parameters[k] for k in info.output_parameters if k in info.parameters}
    suite = {**suite_rec.model_dump(mode="json"), "grader": suite_rec.grader.canonical()}  # as schema v3 hashed it
    return sha256_json({"model": model_id, "suite": suite,
                        "backend": [info.name, info.model, info.base_url],
                        "sampling": _sampling_record(sampling).model_dump(mode="json"), "items": item_ids,
                        **({"engine": engine} if engine else {})})[:20]


def run_suite(suite: Suite, backend: Backend, model: ModelEntry, opts: RunOptions,
              progress: Progress | None = None, on_start: Callable[[int, int], None] | None = None) -> RunResult:
    """Evaluate, journal each item, then write the run — only when no more items failed than it accepts.

    ``on_start(kept, retried)`` is called before the first request when a previous attempt is resumed."""
    all_items = suite.load(opts.data_dir)
    chosen = suite.select(all_items, opts.selection)
    items = opts.shard.select(chosen) if opts.shard else chosen
    sampling = opts.sampling or suite.default_sampling()
    dataset_sha = sha256_json([sha256_file(opts.data_dir / f) for f in suite.data_files(opts.data_dir)])[:16]
    suite_rec = suite.record(dataset_sha, all_items, suite.selection_record(opts.selection))
    info = backend.info
    if not opts.repeat and (same := identical_run(opts, model, suite_rec, info, sampling, len(items))) is not None:
        return RunResult(same[0], [], same[1], 0, existing=True)
    fingerprint = journal_fingerprint(model.id, suite_rec, info, sampling, [it.id for it in items])
    name = f"{model.id}-{suite.info.id}-{fingerprint}"
    with run_lock(opts.cache_dir / "journal" / f"{name}.lock", opts.command):
        journal = Journal(opts.cache_dir / "journal" / f"{name}.jsonl",
                          header={"model": model.id, "suite": suite.info.id, "command": opts.command})
        try:
            return _execute(suite, backend, model, opts, journal, items, suite_rec, sampling, progress, on_start)
        finally:
            journal.close()


def _execute(suite: Suite, backend: Backend, model: ModelEntry, opts: RunOptions, journal: Journal,
             items: list[Item], suite_rec: SuiteRecord, sampling: Sampling, progress: Progress | None,
             on_start: Callable[[int, int], None] | None) -> RunResult:
    retried = sum(1 for it in items if it.id in journal.done and failed(journal.done[it.id]))
    kept = sum(1 for it in items if it.id in journal.done) - retried
    todo = [it for it in items if it.id not in journal.done or failed(journal.done[it.id])]
    if on_start and (kept or retried):
        on_start(kept, retried)
    suite.check_backend(backend)
    t0 = time.perf_counter()
    done = kept
    if progress:
        progress(done, len(items))

    def on_sample(rec: SampleRecord) -> None:
        nonlocal done
        journal.append(rec)
        done += 1
        if progress:
            progress(done, len(items))

    for start in range(0, len(todo), opts.batch_size):
        grade_items(suite, todo[start:start + opts.batch_size], backend, sampling, on_sample)
    wall = journal.prior_seconds + time.perf_counter() - t0  # earlier, killed invocations included
    samples = [journal.done[it.id] for it in items]
    allowed = errors_allowed(opts.max_errors, len(items))
    bad = [s for s in samples if failed(s)]
    if len(bad) > allowed:
        first = next(o.error for o in bad[0].outputs if o.error)
        raise RunIncomplete(
            f"incomplete: {len(bad)} of {len(items)} items failed (first, {bad[0].item_id}: {first}); nothing "
            f"written", where=f"{model.id} on {suite.info.id}",
            fix=f"fix the cause and run the same command again — the {len(items) - len(bad)} finished items are "
                f"kept and only the failed ones retried; or accept failures with --max-errors N (counted as wrong)")
    run = build_record(suite, model, opts, suite_rec, info=backend.info, sampling=sampling, samples=samples,
                       started=journal.started_at, wall=wall, allowed=allowed)
    paths = write_run(opts.out, run, samples)
    journal.remove()
    return RunResult(run, samples, paths, kept, retried=retried)


def identical_run(opts: RunOptions, model: ModelEntry, suite_rec: SuiteRecord, info: BackendInfo,
                  sampling: Sampling, n_items: int) -> tuple[RunRecord, RunPaths] | None:
    """A finished run of the same model, suite version, item selection, backend and sampling, if any."""
    want_sampling = _sampling_record(sampling)
    shard = opts.shard.record() if opts.shard else None
    for run, paths in find_runs(opts.out, model.id, suite_rec.id):
        if (run.suite.version == suite_rec.version and run.suite.selection == suite_rec.selection
                and run.n_items == n_items and run.shard == shard and run.sampling == want_sampling
                and (run.backend.name, run.backend.model, run.backend.base_url) == (info.name, info.model,
                                                                                    info.base_url)):
            return run, paths
    return None


def _sampling_record(sampling: Sampling) -> SamplingRecord:
    return SamplingRecord(max_tokens=sampling.max_tokens, temperature=sampling.temperature, top_p=sampling.top_p,
                          n=sampling.n, stop=list(sampling.stop), seed=sampling.seed)


def build_record(suite: Suite, model: ModelEntry, opts: RunOptions, suite_rec: SuiteRecord, *, info: BackendInfo,
                 sampling: Sampling, samples: list[SampleRecord], started: datetime, wall: float,
                 allowed: int = 0) -> RunRecord:
    now = datetime.now(UTC)
    ptoks = sum(s.prompt_tokens for s in samples)
    ctoks = sum(o.tokens for s in samples for o in s.outputs)
    commit, dirty = git_state()
    return RunRecord(
        run_id=f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}", model_id=model.id, model_revision=model.revision,
        suite=suite_rec,
        backend=BackendRecord(name=info.name, engine=info.engine, model=info.model, base_url=info.base_url,
                              parameters=dict(info.parameters)),
        sampling=_sampling_record(sampling),
        podium_version=__version__, git_commit=commit, git_dirty=dirty, command=opts.command,
        started_at=started, finished_at=now, wall_seconds=round(wall, 3), n_items=len(samples),
        n_errors=sum(1 for s in samples if failed(s)), errors_allowed=allowed, synthetic=info.synthetic,
        response_bias=suite.response_bias(samples),
        prompt_tokens=ptoks, completion_tokens=ctoks, gpu_count=info.gpu_count,
        prompt_tokens_cached=sum(s.prompt_tokens_cached for s in samples),
        cost=compute_cost(model, ptoks, ctoks, wall, info.gpu_count, _int(info.parameters.get("threads"), 1),
                          info.local_cpu),
        shard=opts.shard.record() if opts.shard else None, metrics=suite.metrics(samples),
    )


def default_cache_dir() -> Path:
    return Path(os.environ.get("PODIUM_CACHE_DIR", ".podium"))


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default
