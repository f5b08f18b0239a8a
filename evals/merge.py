"""Merge the shards of one run (``podium run --shard i/N``) into a single run, verifying coverage.

Each shard must come from the same model, suite version, backend and sampling; shards 1..N must each appear
exactly once; every shard must hold exactly the items its index selects; no item may appear twice.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from evals.errors import DataError
from evals.records import CostRecord, RunRecord, SampleRecord
from evals.store import RunPaths, read_run, read_samples, write_run
from evals.suites import get_suite
from evals.suites.base import SelectionSpec


@dataclass(frozen=True)
class ShardRun:
    """One shard's finished run, as read from its folder."""

    run: RunRecord
    samples: list[SampleRecord]
    dir: Path


def _same(shards: Sequence[ShardRun], what: str, values: Sequence[object]) -> None:
    distinct = {repr(v) for v in values}
    if len(distinct) > 1:
        raise DataError(f"shards differ in {what}: {sorted(distinct)[:3]}", where=str(shards[0].dir.parent),
                        fix="merge only shards of one run (same model, suite version, backend, sampling)")


def load_shards(dirs: Sequence[Path]) -> list[ShardRun]:
    out = []
    for d in dirs:
        run = read_run(d / "run.json")
        if run.shard is None:
            raise DataError("not a shard (run.json has no 'shard')", where=str(d), fix="pass shard runs only")
        out.append(ShardRun(run, read_samples(d / "samples.jsonl.gz"), d))
    return out


def _dirty(flags: Sequence[bool | None]) -> bool | None:
    """One shard run from uncommitted code makes the merged run dirty; clean only when every shard is known clean."""
    return True if any(flags) else (False if all(f is False for f in flags) else None)


def merge(shards: Sequence[ShardRun], data_dir: Path) -> tuple[RunRecord, list[SampleRecord]]:
    if not shards:
        raise DataError("no shard runs given", fix="pass the shard run directories (or their parent)")
    for what, key in (("model", [s.run.model_id for s in shards]),
                      ("suite", [s.run.suite.id for s in shards]),
                      ("suite version", [s.run.suite.version for s in shards]),
                      ("selection", [s.run.suite.selection for s in shards]),
                      ("backend", [(s.run.backend.name, s.run.backend.model) for s in shards]),
                      ("sampling", [s.run.sampling for s in shards])):
        _same(shards, what, key)
    counts = {s.run.shard.count for s in shards if s.run.shard}
    if len(counts) != 1:
        raise DataError(f"shards come from different splits: N ∈ {sorted(counts)}", where=str(shards[0].dir.parent),
                        fix="merge the shards of one --shard i/N split; a shard of another N belongs to another run")
    n = counts.pop()
    seen = sorted(s.run.shard.index for s in shards if s.run.shard)
    if seen != list(range(1, n + 1)):
        missing = sorted(set(range(1, n + 1)) - set(seen))
        dup = sorted({i for i in seen if seen.count(i) > 1})
        raise DataError(f"shards of {n}: missing {missing or 'none'}, duplicated {dup or 'none'}",
                        where=str(shards[0].dir.parent), fix="run the missing shards / remove duplicates")
    first = shards[0].run
    suite = get_suite(first.suite.id, **({"subjects": tuple(first.suite.selection.subjects)}
                                         if first.suite.selection.subjects else {}))
    items = suite.load(data_dir)
    chosen = suite.select(items, SelectionSpec.of(first.suite.selection))
    from evals.runner import Shard as Sel

    by_id: dict[str, SampleRecord] = {}
    for s in sorted(shards, key=lambda s: s.run.shard.index if s.run.shard else 0):
        i = s.run.shard.index if s.run.shard else 0
        expected = Sel(i, n).select(chosen)
        got = [x.item_id for x in s.samples]
        if sorted(got) != sorted(it.id for it in expected):
            extra = sorted(set(got) - {it.id for it in expected})[:3]
            lost = sorted({it.id for it in expected} - set(got))[:3]
            raise DataError(f"shard {i}/{n} holds the wrong items (missing {lost}, unexpected {extra})",
                            where=str(s.dir), fix="re-run that shard")
        for x in s.samples:
            if x.item_id in by_id:
                raise DataError(f"item {x.item_id} appears in two shards", where=str(s.dir))
            by_id[x.item_id] = x
    order = [it.id for it in items if it.id in by_id]
    samples = [by_id[i] for i in order]
    usd = [s.run.cost.usd for s in shards]
    cost = CostRecord(usd=sum(u for u in usd if u is not None) if all(u is not None for u in usd) else None,
                      method=first.cost.method, detail=f"sum over {n} shards")
    now = datetime.now(UTC)
    command = re.sub(r" --shard \S+", "", first.command) + f"   # merged from {n} shards"
    merged = first.model_copy(update={
        "run_id": f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}", "shard": None, "command": command,
        "git_dirty": _dirty([s.run.git_dirty for s in shards]),
        "started_at": min(s.run.started_at for s in shards), "finished_at": max(s.run.finished_at for s in shards),
        "wall_seconds": round(sum(s.run.wall_seconds for s in shards), 3), "n_items": len(samples),
        "n_errors": sum(s.run.n_errors for s in shards), "cost": cost,
        "errors_allowed": sum(s.run.errors_allowed for s in shards),
        "response_bias": suite.response_bias(samples),
        "prompt_tokens": sum(s.run.prompt_tokens for s in shards),
        "prompt_tokens_cached": sum(s.run.prompt_tokens_cached for s in shards),
        "completion_tokens": sum(s.run.completion_tokens for s in shards),
        "metrics": suite.metrics(samples),
    })
    return RunRecord.model_validate(merged.model_dump()), samples


def merge_into(root: Path, dirs: Sequence[Path], data_dir: Path) -> RunPaths:
    run, samples = merge(load_shards(dirs), data_dir)
    return write_run(root, run, samples)
