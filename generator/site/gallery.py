"""What the gallery shows of one run: each item's outputs trimmed for the page (capped text, a bounded number of
repeated samples with complete counts, typed details), its main score and prompt — read once per run and cached
between builds. :mod:`generator.site.gallery_files` lays these out as files.

The page inserts every string with ``textContent`` — never as HTML.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import multiprocessing
import os
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from evals.errors import DataError
from evals.records import ItemText, MetricRef
from generator.site.load import LoadedRun

MAX_TEXT = 4096  # characters of one output shown on the site
MAX_QUESTION = 8192
FIRST_SAMPLES = 3  # repeated sampling: the first few samples ...
MAX_PASSING = 5  # ... plus up to this many more passing ones (distinct code)


def cap(text: str, limit: int = MAX_TEXT) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… [{len(text) - limit:,} more characters — full text in the run's samples]"


# one encoder for the whole build (``json.dumps`` with options builds a new one per call), for the indexes and heads;
# the per-item outputs use orjson (:func:`dumps_outputs`)
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False).encode


def dumps(obj: Any) -> str:
    """Compact, deterministic JSON; a NaN would be invalid JSON and raises instead."""
    return _ENCODE(obj)


def dumps_outputs(obj: Any) -> str:
    """One item's outputs for the page, the bulk of what a build writes: orjson, a third of the cost of reading a run
    less than :func:`dumps`. The same values (float text may differ: ``1e-05`` is written ``0.00001``; ``JSON.parse``
    reads both alike); records that ``podium validate`` passed hold no NaN (orjson would write null). The standard
    encoder for what orjson refuses (a lone surrogate)."""
    try:
        return orjson.dumps(obj).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError
        return dumps(obj)


def loads(line: str) -> Any:
    """One JSON document, as :func:`json.loads` reads it: orjson (the same values, about twice as fast on sample
    records) for what it accepts; the standard parser for the rest (NaN literals, lone surrogate escapes). The one
    difference, an integer past 64 bits read as a float, cannot occur in a valid record (its integers are counts)."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


def score_key(ref: MetricRef | None, scores: Mapping[str, float]) -> str | None:
    """The per-item score key of a suite's main metric: pass@k → pass_rate; else the metric name (acc, acc_norm),
    else its variant (strict/flexible, pass)."""
    if ref is None:
        return next(iter(scores), None)
    for key in (("pass_rate",) if ref.k is not None else ()) + (ref.name, ref.variant):
        if key in scores:
            return key
    return None


def status(score: float | None) -> str:
    if score is None:
        return "?"
    return "1" if score >= 1 else "0" if score <= 0 else "p"


def _turns(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"role": t["role"], "content": cap(t["content"]), "name": t.get("name"),
             "tool_call_id": t.get("tool_call_id"),
             "tool_calls": [{"id": c.get("id"), "name": c["name"], "arguments": cap(c["arguments"]),
                             "error": c.get("error")} for c in t.get("tool_calls") or []]}
            for t in turns]


def _detail(d: dict[str, Any] | None) -> dict[str, Any] | None:
    """The typed output detail (see ``evals.records.OutputDetail``), trimmed for the page."""
    kind = d.get("kind") if d else None
    if d is None or kind is None:
        return None
    if kind == "choice":
        lls = [None if x is None else round(x, 3) for x in d["loglikelihoods"]]  # null: that request failed
        return {"kind": kind, "ll": lls, "picked": d["picked"], "picked_norm": d.get("picked_norm")}
    if kind == "parsed_choice":
        return {"kind": kind, "parsed": d.get("parsed"), "picked": d.get("picked")}
    if kind == "numeric":
        return {"kind": kind, "strict": d.get("strict"), "flexible": d.get("flexible")}
    if kind == "code":
        err = d.get("error_line")
        return {"kind": kind, "code": cap(d["code"]), "verdict": d["verdict"], "reason": cap(d.get("reason") or "", 500),
                "error_line": cap(err, 500) if err else None, "seconds": d.get("seconds", 0.0)}
    if kind == "scenario":
        sp = d["sampling"]
        return {"kind": kind, "protocol": d["protocol"], "trial": d["trial"], "turns": d["turns"],
                "sampling": f"temperature {sp['temperature']}, top_p {sp['top_p']}, max_tokens {sp['max_tokens']}"}
    return None


def _output(o: dict[str, Any], index: int) -> dict[str, Any]:
    out: dict[str, Any] = {"i": index, "text": cap(o["text"]), "finish": o["finish"], "scores": o.get("scores", {}),
                           "detail": _detail(o.get("detail"))}
    if o.get("explanation"):
        out["explanation"] = cap(o["explanation"], 2000)
    if o.get("error"):
        out["error"] = cap(o["error"], 1000)
    if o.get("transcript") is not None:
        out["transcript"] = _turns(o["transcript"])
    if o.get("grades"):
        out["grades"] = [{"grader": g["grader"], "score": g.get("score"), "passed": g.get("passed"),
                          "explanation": cap(g["explanation"]), "judge_model": g.get("judge_model"),
                          "judge_raw": cap(g["judge_raw"]) if g.get("judge_raw") else None}
                         for g in o["grades"]]
    return out


def _passed(o: dict[str, Any]) -> bool:
    return bool((o.get("scores") or {}).get("pass", 0) >= 1)


def shown_outputs(outputs: list[dict[str, Any]]) -> list[int]:
    """Indexes of the outputs shown: all when few; else the first few plus passing ones with distinct code."""
    if len(outputs) <= FIRST_SAMPLES + MAX_PASSING:
        return list(range(len(outputs)))
    keep = list(range(FIRST_SAMPLES))
    seen = {outputs[i]["text"] for i in keep}
    for i, o in enumerate(outputs[FIRST_SAMPLES:], FIRST_SAMPLES):
        if len(keep) >= FIRST_SAMPLES + MAX_PASSING:
            break
        if _passed(o) and o["text"] not in seen:
            keep.append(i)
            seen.add(o["text"])
    return keep


def _model_item(s: dict[str, Any]) -> dict[str, Any]:
    outputs = s["outputs"]
    keep = shown_outputs(outputs)
    entry: dict[str, Any] = {"scores": s["scores"], "outputs": [_output(outputs[i], i) for i in keep]}
    if len(keep) < len(outputs):
        entry["n"] = len(outputs)
        entry["c"] = sum(1 for o in outputs if _passed(o))
    return entry


def _prompt(s: dict[str, Any]) -> Any:
    p = s.get("prompt")
    if p is None:
        return None
    return cap(p, MAX_QUESTION) if isinstance(p, str) else _turns(p)


def sample_dicts(lr: LoadedRun) -> Iterator[dict[str, Any]]:
    """The run's samples as plain dicts in the schema-v2 layout of :class:`SampleRecord`.

    The site reads ``samples.jsonl.gz`` with the C JSON parser — building typed records for a 50-model site
    (1.5 M samples, 100 outputs per code problem) costs most of the build — and only for committed, validated data
    (``podium validate`` checks every record in CI). Files of schema v1 go through the typed reader, which
    upgrades them.
    """
    path = lr.dir / "samples.jsonl.gz"
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            first = fh.readline()
            if first and '"prompt_sha256"' not in first:
                for rec in lr.samples():  # v1: upgraded in memory by evals.store
                    yield rec.model_dump(mode="json")
                return
            for line in itertools.chain([first], fh):
                if line.strip():
                    yield loads(line)
    except (OSError, EOFError, ValueError) as exc:
        raise DataError(f"cannot read samples ({exc})", where=str(path), fix="re-run the evaluation") from None


def _text(t: ItemText | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {"question": cap(t.question, MAX_QUESTION), "choices": [cap(c, 1000) for c in t.choices],
            "reference": cap(t.reference, MAX_QUESTION), "gold": t.gold}


CACHE_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]  # this file's code


@dataclass
class RunHead:
    """What the gallery takes from one run besides its outputs, aligned on ``ids`` (first-seen item order): main
    scores, their status string (see :func:`status`), groups and stored prompts."""

    ids: list[str]
    values: list[float | None]
    groups: dict[str, str]
    prompts: dict[str, Any]
    status: str = ""
    fractional: bool = False  # some score strictly between 0 and 1 (pass rates)

    def vals(self) -> dict[str, float | None]:
        return dict(zip(self.ids, self.values, strict=True))


@dataclass
class RunProduct:
    head: RunHead
    items: dict[str, str]  # item id → the model's outputs for the page, already JSON (same order as head.ids)


def _read_run(lr: LoadedRun) -> RunProduct:
    ref = lr.run.suite.main_metric
    vals: dict[str, float | None] = {}
    groups: dict[str, str] = {}
    prompts: dict[str, Any] = {}
    items: dict[str, str] = {}
    for lineno, s in enumerate(sample_dicts(lr), 1):
        try:
            iid, scores = s["item_id"], s["scores"]
            if s.get("group"):
                groups.setdefault(iid, s["group"]["id"])
            if iid not in prompts and s.get("prompt") is not None:
                prompts[iid] = _prompt(s)
            key = score_key(ref, scores)
            vals[iid] = scores.get(key) if key else None
            items[iid] = dumps_outputs(_model_item(s))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"bad sample record ({exc!r})", where=f"{lr.dir / 'samples.jsonl.gz'}:{lineno}",
                            fix="run `podium validate` and re-run the evaluation that produced it") from None
    values = list(vals.values())
    head = RunHead(list(vals), values, groups, prompts, "".join(status(v) for v in values),
                   any(v is not None and 0 < v < 1 for v in values))
    return RunProduct(head, items)


_DIGESTS: dict[tuple[str, int, int, int, int], str] = {}  # (run dir, sizes, mtimes) → content digest, this process


def content_digest(lr: LoadedRun) -> str:
    """sha256 of the run's ``run.json`` and ``samples.jsonl.gz`` bytes — the same for a copy of the data anywhere
    (a fresh CI checkout, a moved directory). Hashed once per process (about 0.3 s for 200 MB)."""
    files = (lr.dir / "run.json", lr.dir / "samples.jsonl.gz")
    st = [f.stat() for f in files]
    memo = (str(lr.dir), st[0].st_size, st[0].st_mtime_ns, st[1].st_size, st[1].st_mtime_ns)
    if memo not in _DIGESTS:
        h = hashlib.sha256()
        for f in files:
            with f.open("rb") as fh:
                h.update(b"%d|" % f.stat().st_size)
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
        _DIGESTS[memo] = h.hexdigest()
    return _DIGESTS[memo]


def cache_key(lr: LoadedRun) -> str:
    """Changes when the run's files (``run.json``, its samples) or this module's code change — by content, never by
    path or modification time, so a restored cache serves a fresh checkout of the same data."""
    return hashlib.sha256(f"{CACHE_VERSION}|{content_digest(lr)}".encode()).hexdigest()[:24]


def cache_path(lr: LoadedRun, cache: Path) -> Path:
    return cache / "runs" / f"{cache_key(lr)}.items.jsonl"


def _warm(lr: LoadedRun, cache: Path) -> None:
    run_head(lr, cache)


def warm_cache(runs: list[LoadedRun], cache: Path, workers: int | None = None) -> int:
    """Read the runs not cached yet (largest first) and return how many were read: in parallel worker processes
    when there are several (``workers``: default the cores, at most 4), else in this process.

    Reading samples is most of a cold build and each run is independent; the suites are then assembled from
    the cache in this process, so the output does not depend on the worker count."""
    for lr in runs:  # digests in this process: the forked workers inherit them
        content_digest(lr)
    todo = [lr for lr in runs if not cache_path(lr, cache).is_file()]
    workers = workers if workers is not None else min(4, os.cpu_count() or 1)
    todo.sort(key=lambda lr: -(lr.dir / "samples.jsonl.gz").stat().st_size)
    (cache / "runs").mkdir(parents=True, exist_ok=True)
    if workers < 2 or len(todo) < 2:
        for lr in todo:
            _warm(lr, cache)
        return len(todo)
    with ProcessPoolExecutor(min(workers, len(todo)), mp_context=multiprocessing.get_context("fork")) as ex:
        list(ex.map(_warm, todo, [cache] * len(todo)))
    return len(todo)


def prune_cache(runs: list[LoadedRun], cache: Path) -> int:
    """Remove the cache entries of runs not in ``runs`` (changed, removed, or read by older code), so that a cache
    kept between CI runs stays the size of one site; return how many runs' entries were removed."""
    keep = {cache_key(lr) for lr in runs}
    gone = 0
    for path in (cache / "runs").glob("*.items.jsonl") if (cache / "runs").is_dir() else []:
        if path.name.split(".", 1)[0] not in keep:
            _head_path(path).unlink(missing_ok=True)
            path.unlink(missing_ok=True)
            gone += 1
    return gone


def _head_path(items_path: Path) -> Path:
    return items_path.with_name(items_path.name.replace(".items.jsonl", ".head.json"))


def _store(prod: RunProduct, items_path: Path) -> None:
    """Cache files of one run: ``KEY.head.json`` and ``KEY.items.jsonl`` (written last: its presence means both)."""
    h = prod.head
    pid = os.getpid()
    head_path = _head_path(items_path)
    tmp = head_path.with_suffix(f".{pid}.tmp")
    tmp.write_text(dumps(h.__dict__), "utf-8")
    tmp.replace(head_path)
    tmp = items_path.with_suffix(f".{pid}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:  # line i: the outputs of item ``ids[i]`` (one line)
        fh.writelines(js + "\n" for js in prod.items.values())
    tmp.replace(items_path)


def _cached(lr: LoadedRun, cache: Path | None) -> tuple[Path | None, RunProduct | None]:
    """(the run's items cache file once it exists, the product when it had to be read now)."""
    if cache is None:
        return None, _read_run(lr)
    path = cache_path(lr, cache)
    if path.is_file():
        return path, None
    prod = _read_run(lr)
    path.parent.mkdir(parents=True, exist_ok=True)
    _store(prod, path)
    return path, prod


def run_head(lr: LoadedRun, cache: Path | None) -> RunHead:
    """The run's :class:`RunHead`, cached per run next to its outputs (see :func:`run_items`)."""
    path, prod = _cached(lr, cache)
    if prod is not None:
        return prod.head
    assert path is not None
    raw = loads(_head_path(path).read_text("utf-8"))
    return RunHead(**raw)


def run_items(lr: LoadedRun, cache: Path | None) -> dict[str, str]:
    """Item id → the run's outputs as page JSON. Cached per run in a scratch directory next to the build's work
    directory: a rebuild reads only runs that are new or changed (or all of them when this module changed)."""
    path, prod = _cached(lr, cache)
    if prod is not None:
        return prod.items
    assert path is not None
    keys = loads(_head_path(path).read_text("utf-8"))["ids"]
    with path.open(encoding="utf-8", newline="") as fh:
        lines = fh.read().split("\n")[:-1]
    if len(lines) != len(keys):
        raise DataError("gallery cache file damaged", where=str(path), fix="delete the build cache directory")
    return dict(zip(keys, lines, strict=True))
