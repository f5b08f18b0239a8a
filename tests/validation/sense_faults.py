"""Single-fault copies of the committed ``site_data/``: each fault is one edit of sense, not form — a number out of
bounds, a time in the future, a protocol or backend the registry does not know, an output longer than its
``max_tokens`` allows, a line or field too large, markup in a display name, a synthetic or failed run.

The faults are applied to a copy holding the committed models, schemas and reported numbers and three committed
runs picked by what they are (the smallest generative run, the smallest log-likelihood run, a scenario run), so they
keep working when the committed runs are replaced. Edits go through JSON, so they work on any schema version.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.servers import REPO

COMMITTED = REPO / "site_data"
Json = dict[str, Any]


@dataclass(frozen=True)
class Picked:
    """The committed runs (paths relative to site_data/) the faults are applied to."""

    gen: Path  # the smallest generative, non-scenario run
    ll: Path  # the smallest log-likelihood run
    scen: Path | None  # a scenario run, if one is committed


def _raw(run_dir: Path) -> Json:
    raw: Json = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    return raw


def pick_runs(site_data: Path = COMMITTED) -> Picked:
    runs = sorted(p.parent for p in (site_data / "runs").glob("*/*/*/run.json"))
    info = [(d, _raw(d)) for d in runs]

    def smallest(keep: Callable[[Json], bool]) -> Path:
        d = min((r["n_items"], str(d), d) for d, r in info if keep(r))[2]
        return d.relative_to(site_data)

    scen = [d for d, r in info if r["suite"]["id"].startswith("scenario")]
    return Picked(
        gen=smallest(lambda r: r["suite"]["protocol"] == "generative" and not r["suite"]["id"].startswith("scenario")
                     and r.get("shard") is None and r.get("imported") is None),
        ll=smallest(lambda r: r["suite"]["protocol"] == "loglikelihood" and r.get("shard") is None),
        scen=scen[0].relative_to(site_data) if scen else None)


def copy_tree(dest: Path, picked: Picked) -> Path:
    """``dest/site_data``: the committed tree without runs, plus the picked runs."""
    root = dest / "site_data"
    shutil.copytree(COMMITTED, root, ignore=shutil.ignore_patterns("runs"))
    for rel in (picked.gen, picked.ll, picked.scen):
        if rel is not None:
            shutil.copytree(COMMITTED / rel, root / rel)
    return root


# ---------------------------------------------------------------- edits
def edit_run(run_dir: Path, fn: Callable[[Json], None]) -> None:
    raw = _raw(run_dir)
    fn(raw)
    (run_dir / "run.json").write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def edit_sample(run_dir: Path, fn: Callable[[Json], None], line: int = 1) -> None:
    path = run_dir / "samples.jsonl.gz"
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    sample = json.loads(lines[line - 1])
    fn(sample)
    lines[line - 1] = json.dumps(sample, ensure_ascii=False)
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8")))


def set_path(obj: Json, dotted: str, value: Any) -> None:
    *head, last = dotted.split(".")
    for key in head:
        obj = obj[key]
    obj[last] = value


def setter(dotted: str, value: Any) -> Callable[[Json], None]:
    return lambda raw: set_path(raw, dotted, value)


def _iso(t: dt.datetime) -> str:
    return t.isoformat()


def _future(raw: Json, which: str) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    if which == "started":
        raw["started_at"], raw["finished_at"] = _iso(later), _iso(later + dt.timedelta(hours=1))
    else:
        raw["finished_at"] = _iso(later)


def _swap_times(raw: Json) -> None:
    start = dt.datetime.fromisoformat(raw["finished_at"])
    raw["started_at"], raw["finished_at"] = _iso(start), _iso(start - dt.timedelta(hours=2))


def _fail_first(sample: Json) -> None:
    sample["outputs"][0].update(error="HTTP 500: internal server error", finish="error")


def _scenario_turn(sample: Json) -> None:
    out = sample["outputs"][0]
    turns = out.get("transcript") or []
    turns.append({"role": "assistant", "content": "x" * 1_000_000})
    out["transcript"] = turns


def _move_suite(root: Path, rel: Path, new_id: str) -> None:
    src = root / rel
    dest = root / rel.parts[0] / rel.parts[1] / new_id / rel.parts[3]
    edit_run(src, setter("suite.id", new_id))
    dest.parent.mkdir(parents=True)
    shutil.move(src, dest)


def bomb_bytes(inflated: int = 100 * 1024 * 1024) -> bytes:
    """A gzip of about 100 KB that inflates to one line of ``inflated`` bytes (no newline)."""
    head = b'{"item_id": "' + b"a" * (inflated - 15) + b'"}'
    return gzip.compress(head, compresslevel=9)


@dataclass(frozen=True)
class Fault:
    apply: Callable[[Path, Picked], None]  # (site_data copy, picked runs)
    what: str  # expected in the problem's text
    where: str  # "<run>:<file>[:line]" (run: gen, ll, ll-moved, scen) or "model": the file the problem names


def gen(fn: Callable[[Json], None]) -> Callable[[Path, Picked], None]:
    return lambda root, p: edit_run(root / p.gen, fn)


def gen_sample(fn: Callable[[Json], None]) -> Callable[[Path, Picked], None]:
    return lambda root, p: edit_sample(root / p.gen, fn)


def ll(fn: Callable[[Json], None]) -> Callable[[Path, Picked], None]:
    return lambda root, p: edit_run(root / p.ll, fn)


def model_file(root: Path, p: Picked) -> Path:
    return root / "models" / f"{p.gen.parts[1]}.yaml"


def _model_edit(key: str, value: str) -> Callable[[Path, Picked], None]:
    def apply(root: Path, p: Picked) -> None:
        path = model_file(root, p)
        lines = path.read_text(encoding="utf-8").splitlines()
        lines = [f"{key}: {value}" if ln.startswith(f"{key}:") else ln for ln in lines]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return apply


def _both(*fns: Callable[[Path, Picked], None]) -> Callable[[Path, Picked], None]:
    def apply(root: Path, p: Picked) -> None:
        for fn in fns:
            fn(root, p)
    return apply


def _samples_bytes(data: bytes) -> Callable[[Path, Picked], None]:
    return lambda root, p: (root / p.gen / "samples.jsonl.gz").write_bytes(data)


def _pad_every_line(root: Path, p: Picked) -> None:
    """Every line just under the per-line cap: the whole file inflates far past what its items can need."""
    path = root / p.gen / "samples.jsonl.gz"
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    pad = "x" * (3 * 1024 * 1024)
    out = [ln[:-1] + f', "pad": "{pad}"}}' for ln in lines]
    path.write_bytes(gzip.compress(("\n".join(out) + "\n").encode("utf-8"), compresslevel=1))


RUN = "gen:run.json"
SAMPLES1 = "gen:samples.jsonl.gz:1"

# the 13 sense faults of issue 21 (each passed `podium validate` before), then the further ones
ISSUE_FAULTS: dict[str, Fault] = {
    "n_errors > n_items": Fault(gen(lambda r: r.update(n_errors=r["n_items"] + 5)), "n_errors", RUN),
    "negative prompt_tokens": Fault(gen(setter("prompt_tokens", -5)), "prompt_tokens", RUN),
    "negative cost": Fault(gen(setter("cost.usd", -1.0)), "cost", RUN),
    "started_at in the future": Fault(gen(lambda r: _future(r, "started")), "in the future", RUN),
    "finished_at before started_at": Fault(gen(_swap_times), "before started_at", RUN),
    "unknown suite version": Fault(gen(setter("suite.version", "0123456789abcdef")), "suite version", RUN),
    "protocol contradicts the suite": Fault(ll(setter("suite.protocol", "generative")), "protocol", "ll:run.json"),
    "unknown backend": Fault(gen(setter("backend.name", "quantum")), "backend 'quantum'", RUN),
    "1,000,000-character output": Fault(gen_sample(lambda s: s["outputs"][0].update(text="x" * 1_000_000)),
                                        "characters", SAMPLES1),
    "1,000,000-character command": Fault(gen(setter("command", "podium run " + "x" * 1_000_000)), "command", RUN),
    "HTML display name": Fault(_model_edit("name", "'<b><i>Best model</i></b><script>alert(1)</script>'"),
                               "name", "model"),
    "unknown suite id": Fault(lambda root, p: _move_suite(root, p.ll, p.ll.parts[2] + "-nosuch"),
                              "unknown suite", "ll-moved:run.json"),
    "gzip bomb (one 100 MB line)": Fault(lambda root, p: _samples_bytes(bomb_bytes())(root, p), "line",
                                         "gen:samples.jsonl.gz"),
}

MORE_FAULTS: dict[str, Fault] = {
    "negative completion_tokens": Fault(gen(setter("completion_tokens", -1)), "completion_tokens", RUN),
    "negative prompt_tokens_cached": Fault(gen(setter("prompt_tokens_cached", -1)), "prompt_tokens_cached", RUN),
    "negative wall_seconds": Fault(gen(setter("wall_seconds", -3.0)), "wall_seconds", RUN),
    "negative gpu_count": Fault(gen(setter("gpu_count", -1)), "gpu_count", RUN),
    "finished_at in the future": Fault(gen(lambda r: _future(r, "finished")), "in the future", RUN),
    "negative sample prompt_tokens": Fault(gen_sample(setter("prompt_tokens", -7)), "prompt_tokens", SAMPLES1),
    "negative output tokens": Fault(gen_sample(lambda s: s["outputs"][0].update(tokens=-1)), "tokens", SAMPLES1),
    "output tokens over max_tokens": Fault(gen_sample(lambda s: s["outputs"][0].update(tokens=100_000)),
                                           "max_tokens", SAMPLES1),
    "completion_tokens not the samples' sum": Fault(gen(lambda r: r.update(
        completion_tokens=r["completion_tokens"] + 1000)), "completion_tokens", RUN),
    "prompt_tokens not the samples' sum": Fault(gen(lambda r: r.update(prompt_tokens=r["prompt_tokens"] + 1000)),
                                                "prompt_tokens", RUN),
    "failed item, n_errors 0": Fault(gen_sample(_fail_first), "n_errors", RUN),
    "n_errors > errors_allowed": Fault(_both(gen_sample(_fail_first), gen(setter("n_errors", 1))),
                                       "errors_allowed", RUN),
    "fake backend (synthetic)": Fault(gen(lambda r: (set_path(r, "backend.name", "fake"),
                                                     r.update(synthetic=True) if "synthetic" in r else None)),
                                      "synthetic", RUN),
    "imported harness without import record": Fault(gen(setter("backend.name", "lm-eval:local-completions")),
                                                    "backend", RUN),
    "n_items over items_total": Fault(ll(lambda r: r.update(n_items=r["suite"]["items_total"] + 1)),
                                      "items_total", "ll:run.json"),
    "split not the suite's": Fault(ll(setter("suite.split", "train")), "split", "ll:run.json"),
    "shots not the suite's": Fault(gen(lambda r: r["suite"].update(shots=r["suite"]["shots"] + 3)), "shots", RUN),
    "scenario transcript turn of 1,000,000 characters": Fault(
        lambda root, p: edit_sample(root / p.scen, _scenario_turn) if p.scen else None, "characters", "scen:samples.jsonl.gz:1"),
    "sample line of 5 MB": Fault(gen_sample(lambda s: s["outputs"][0].update(explanation="y" * 5_000_000)),
                                 "line", SAMPLES1),
    "samples far larger than the items need": Fault(_pad_every_line, "decompresses to", "gen:samples.jsonl.gz"),
    "model family with markup": Fault(_model_edit("family", "'<img src=x onerror=alert(1)>'"), "family", "model"),
    "run.json string field of 1 MB": Fault(gen(setter("backend.engine", "e" * 1_000_000)), "backend.engine", RUN),
}

FAULTS: dict[str, Fault] = {**ISSUE_FAULTS, **MORE_FAULTS}


def where_of(fault: Fault, root: Path, picked: Picked) -> str | None:
    """The file (and line) a problem must name, as the problem's text starts; None when the run is not committed."""
    if fault.where == "model":
        return str(model_file(root, picked))
    which, _, rest = fault.where.partition(":")
    rel = {"gen": picked.gen, "ll": picked.ll, "ll-moved": picked.ll, "scen": picked.scen}[which]
    if rel is None:
        return None
    if which == "ll-moved":
        rel = Path(*rel.parts[:2], rel.parts[2] + "-nosuch", rel.parts[3])
    return str(root / rel / rest)
