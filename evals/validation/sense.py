"""Stage 2, sense: what a run's numbers, times, backend and fields must satisfy beyond their types.

- counts: ``n_errors`` ≤ ``n_items`` and equal to the items with a failed request, within ``errors_allowed``;
  token counts, cost, wall time and GPU count ≥ 0; the run's token totals are the sums over its samples;
- times: ``finished_at`` ≥ ``started_at``, neither (nor the run id's time) in the future, allowing clock skew;
- backend: a registered backend for runs Podium made, the harness for imported runs; the fake backend's runs are
  synthetic and never go on a board;
- fields: ``command`` and every other string of run.json are capped, so one edit cannot make a field cost a minute.

Every problem names run.json and, where the key is found, its line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.records import RunRecord, SampleRecord
from evals.validation.problems import Problem

CLOCK_SKEW = dt.timedelta(minutes=10)
MAX_COMMAND = 4096  # characters: a command line, never a file's content
MAX_RUN_STRING = 64 * 1024  # characters of any other string in run.json (the largest real one: a grader config)
IMPORT_BACKENDS = ("import", "lm-eval:")  # backend names of imported runs: the samples importer, lm-eval:<model>
RERUN = "restore run.json as `podium run` wrote it, or re-run the evaluation"


def registered_backends() -> tuple[str, ...]:
    from evals.backends import BACKENDS

    return tuple(BACKENDS)


def run_problems(run: RunRecord, raw: Mapping[str, Any], path: Path, lines: Mapping[str, int],
                 now: dt.datetime | None = None) -> list[Problem]:
    """Problems of ``run`` found in run.json alone (``raw``: its parsed JSON; ``lines``: key → line)."""
    def at(key: str, what: str, fix: str = RERUN) -> Problem:
        return Problem.at(path, lines.get(key.rsplit(".", 1)[-1]), what, fix)

    out = [at(k, m, f) for k, m, f in _string_caps(raw)]
    out += [at(k, m) for k, m in _counts(run)]
    out += [at(k, m, f) for k, m, f in _times(run, now or dt.datetime.now(dt.UTC))]
    out += [at(k, m, f) for k, m, f in _backend(run)]
    return out


def _string_caps(raw: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    command = raw.get("command")
    if isinstance(command, str) and len(command) > MAX_COMMAND:
        yield ("command", f"command is {len(command):,} characters, over the cap of {MAX_COMMAND:,}",
               "store the command line that reproduces the run, nothing else")
    for key, value in _strings(raw, ""):
        if key != "command" and len(value) > MAX_RUN_STRING:
            yield (key, f"field '{key}' is {len(value):,} characters, over the cap of {MAX_RUN_STRING:,} for one "
                   "string in run.json", RERUN)


def _strings(value: Any, key: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{key}[{i}]")


def _counts(run: RunRecord) -> Iterator[tuple[str, str]]:
    for key in ("n_items", "n_errors", "prompt_tokens", "prompt_tokens_cached", "completion_tokens", "gpu_count"):
        if getattr(run, key) < 0:
            yield key, f"{key} is {getattr(run, key)}, a count below 0"
    if run.wall_seconds < 0:
        yield "wall_seconds", f"wall_seconds is {run.wall_seconds}, below 0"
    if run.cost.usd is not None and run.cost.usd < 0:
        yield "usd", f"cost.usd is {run.cost.usd}, below 0"
    if run.n_errors > run.n_items:
        yield "n_errors", f"n_errors ({run.n_errors}) is larger than n_items ({run.n_items})"
    if not run.suite.id.startswith("scenario") and run.n_items > run.suite.items_total:
        yield "n_items", f"n_items ({run.n_items}) is larger than the split's items_total ({run.suite.items_total})"


def error_problems(run: RunRecord, path: Path, lines: Mapping[str, int], failed: int) -> list[Problem]:
    """``n_errors`` against the samples with a failed request (``failed``) and the errors the run accepted."""
    out = []
    line = lines.get("n_errors")
    if failed != run.n_errors:
        out.append(Problem.at(path, line, f"n_errors is {run.n_errors} but {failed} item(s) of samples.jsonl.gz "
                              "have a failed request", RERUN))
    allowed = int(getattr(run, "errors_allowed", 0))
    if max(failed, run.n_errors) > allowed and run.n_errors <= run.n_items:
        out.append(Problem.at(path, line, f"{max(failed, run.n_errors)} item(s) failed, more than the run's "
                              f"errors_allowed ({allowed}): an incomplete run is not a result",
                              "run the same command again (only the failed items are retried), or accept "
                              "failures explicitly with --max-errors"))
    return out


def _times(run: RunRecord, now: dt.datetime) -> Iterator[tuple[str, str, str]]:
    fix = "restore the times `podium run` recorded (UTC, with offset); check the clock of the machine that ran it"
    if run.finished_at < run.started_at:
        yield ("finished_at", f"finished_at {run.finished_at.isoformat()} is before started_at "
               f"{run.started_at.isoformat()}", fix)
    latest = now + CLOCK_SKEW
    for key in ("started_at", "finished_at"):
        t: dt.datetime = getattr(run, key)
        if t > latest:
            yield key, f"{key} {t.isoformat()} is in the future (now {now:%Y-%m-%dT%H:%M:%SZ})", fix
    try:
        stamp = dt.datetime.strptime(run.run_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        yield "run_id", f"run id '{run.run_id}' does not start with a valid UTC time", fix
        return
    if stamp > latest:
        yield "run_id", f"run id '{run.run_id}' is dated in the future", fix


def _backend(run: RunRecord) -> Iterator[tuple[str, str, str]]:
    name = run.backend.name
    if name == "fake" or getattr(run, "synthetic", False):
        yield ("name" if name == "fake" else "synthetic", "made by the fake backend — synthetic data never goes on "
               "the board", "remove the run (run the real model: --backend embedded, openai or vllm)")
        return
    if run.imported is not None:
        if not name.startswith(IMPORT_BACKENDS) or name in registered_backends():
            yield ("name", f"imported run names backend '{name}', not its harness", "restore run.json as podium "
                   "import wrote it (backend 'import' or 'lm-eval:<model type>')")
    elif name not in registered_backends():
        imported = " (an imported run's harness, but the run has no 'imported' record)" \
            if name.startswith(IMPORT_BACKENDS) else ""
        yield ("name", f"backend '{name}' is no backend Podium has{imported}",
               f"backends are {', '.join(b for b in registered_backends() if b != 'fake')}: {RERUN}")


def token_problems(run: RunRecord, samples: Sequence[SampleRecord], path: Path,
                   lines: Mapping[str, int]) -> list[Problem]:
    """The run's token totals are the sums over its samples (a shard merge sums them too)."""
    sums = {"prompt_tokens": sum(s.prompt_tokens for s in samples),
            "prompt_tokens_cached": sum(s.prompt_tokens_cached for s in samples),
            "completion_tokens": sum(o.tokens for s in samples for o in s.outputs)}
    return [Problem.at(path, lines.get(key), f"{key} is {getattr(run, key):,} but the samples add up to {total:,}",
                       RERUN) for key, total in sums.items() if getattr(run, key) != total]
