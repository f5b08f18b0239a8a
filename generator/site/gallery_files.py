"""The gallery's files, laid out to grow with (items + outputs) and rebuilt incrementally.

Per suite, under ``gallery/data/<suite>/``:

- ``index.json``: the models (run, coverage, main score), where each item range starts, whether question text is
  available — small; ``ids.json``: the item ids in the one order every other file follows;
- ``m/<model>.json``: the model's per-item status string (``1`` right, ``0`` wrong, ``p`` partly, ``?`` ungraded,
  ``-`` not run) and, for fractional scores (pass rates), the values — the gallery's filters and the compare
  page's paired tests read these, fetched only for the models on screen;
- ``shard-NNNN.json``: one item range, each item with its question text once (joined at build time from the
  benchmark data, never stored in ``site_data``) and the prompt a run stored;
- ``o/<model>/NNNN.json``: the model's outputs for the items of range NNNN, aligned with the range (``null``: not
  run). Output text is capped (full text stays in the run's ``samples.jsonl.gz``); repeated samples show the first few
  samples plus passing ones, with complete counts.

Item ranges depend on the items and their text only, so adding a model writes its own files and the small
indexes, and leaves every other file as it was. The tree is kept between builds (:class:`Tree`): a file is
written only when its bytes change, and a model's output files are not even re-encoded while its run, the item
ranges and this code are unchanged. The page inserts every string with ``textContent`` — never as HTML.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.records import ItemText
from generator.site.gallery import (
    FIRST_SAMPLES,
    MAX_PASSING,
    RunHead,
    _text,
    cache_key,
    dumps,
    run_head,
    run_items,
    status,
    warm_cache,
)
from generator.site.load import LoadedRun, SiteData

SHARD_BYTES = 256_000  # an item range closes once its question text is this large ...
SHARD_ITEMS = 250  # ... or it holds this many items (one output each: a model's file stays small) ...
SHARD_OUTPUTS = 100  # ... or, when items show several outputs (repeated samples), this many outputs per model
SCENARIO_ITEMS = 25  # ... or, for scenario trials (multi-turn transcripts, up to ~14 KB each on the page), this many
CODE_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass
class Tree:
    """A directory written incrementally. ``manifest`` (JSON, outside the tree) keeps each file's digest and the
    key of each group of files (a model's outputs of a suite); a file whose bytes are unchanged is not
    rewritten, a group whose key is unchanged is kept without being re-encoded, and files no longer produced
    are removed. Without a manifest every file is written."""

    root: Path
    manifest: Path | None = None
    old: dict[str, str] = field(default_factory=dict)
    old_groups: dict[str, list[Any]] = field(default_factory=dict)
    new: dict[str, str] = field(default_factory=dict)
    groups: dict[str, list[Any]] = field(default_factory=dict)
    written: int = 0

    def __post_init__(self) -> None:
        if self.manifest is not None and self.manifest.is_file() and self.root.is_dir():
            try:
                raw = json.loads(self.manifest.read_text("utf-8"))
                self.old, self.old_groups = raw["files"], raw["groups"]
            except (ValueError, KeyError):
                self.old, self.old_groups = {}, {}
        elif self.root.exists():
            shutil.rmtree(self.root)

    def put(self, rel: str, data: bytes) -> None:
        d = digest(data)
        self.new[rel] = d
        path = self.root / rel
        if self.old.get(rel) == d and path.is_file():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # a new file: a site built before keeps its hard link to the old bytes
        self.written += 1

    def put_json(self, rel: str, obj: Any) -> int:
        data = dumps(obj).encode("utf-8")
        self.put(rel, data)
        return len(data)

    def keep_group(self, name: str, key: str) -> bool:
        """Keep the group's files from the last build when its key is unchanged and they are all there."""
        old = self.old_groups.get(name)
        if old is None or old[0] != key or not all(r in self.old and (self.root / r).is_file() for r in old[1]):
            return False
        for r in old[1]:
            self.new[r] = self.old[r]
        self.groups[name] = old
        return True

    def put_group(self, name: str, key: str, files: dict[str, bytes]) -> None:
        for rel, data in files.items():
            self.put(rel, data)
        self.groups[name] = [key, sorted(files)]

    def finish(self) -> None:
        """Remove files no longer produced; save the manifest."""
        for rel in sorted(set(self.old) - set(self.new)):
            (self.root / rel).unlink(missing_ok=True)
        if self.manifest is not None:
            self.manifest.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.manifest.with_suffix(".tmp")
            tmp.write_text(json.dumps({"files": self.new, "groups": self.groups}, sort_keys=True), "utf-8")
            tmp.replace(self.manifest)

    def place(self, dest: Path) -> list[str]:
        """Make ``dest`` hold the tree's files as hard links (copies where the file system refuses), relinking only
        those the tree replaced since the last build and removing the rest; return those (re)placed."""
        placed: list[str] = []
        for rel in sorted(self.new):
            src, dst = self.root / rel, dest / rel
            try:
                if dst.stat().st_ino == src.stat().st_ino or (dst.stat().st_size == src.stat().st_size
                                                              and dst.read_bytes() == src.read_bytes()):
                    continue
            except FileNotFoundError:
                pass
            dst.parent.mkdir(parents=True, exist_ok=True)
            tmp = dst.with_name(dst.name + ".tmp")
            tmp.unlink(missing_ok=True)
            try:
                os.link(src, tmp)
            except OSError:
                shutil.copyfile(src, tmp)
            tmp.replace(dst)
            placed.append(rel)
        if dest.is_dir():
            for path in sorted(dest.rglob("*"), reverse=True):
                if path.is_file() and path.relative_to(dest).as_posix() not in self.new:
                    path.unlink()
                elif path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
        return placed


@dataclass
class SuiteVectors:
    """Per-item main scores of every shown model of a suite, aligned on ``ids`` (None: not run or ungraded)."""

    ids: list[str]
    values: dict[str, list[float | None]]
    fractional: bool


def item_ranges(heads: list[str], per_item_outputs: int, transcripts: bool = False) -> list[int]:
    """First index of each item range, from the encoded question records and the suite's kind only (never from model
    outputs, so adding a model moves no range): ``transcripts`` (scenario trials) ranges are short, so that one
    model's outputs for a range stay well under 500 KB."""
    limit = SHARD_ITEMS if per_item_outputs <= 1 else max(1, SHARD_OUTPUTS // per_item_outputs)
    if transcripts:
        limit = min(limit, SCENARIO_ITEMS)
    starts: list[int] = []
    size = count = 0
    for pos, head in enumerate(heads):
        if not starts or size >= SHARD_BYTES or count >= limit:
            starts.append(pos)
            size = count = 0
        size += len(head)
        count += 1
    return starts


def _model_meta(mid: str, name: str, lr: LoadedRun) -> dict[str, Any]:
    run = lr.run
    main = run.main()
    return {"id": mid, "name": name, "run_id": run.run_id, "n": run.n_items, "total": run.suite.items_total,
            "partial": run.partial, "value": main.value if main else None,
            "ci": [main.ci_low, main.ci_high] if main else None, "metric": main.label if main else None}


def _outputs(lr: LoadedRun, cache: Path | None, ids: list[str], starts: list[int],
             sid: str, mid: str) -> dict[str, bytes]:
    """The model's output files: one per item range holding at least one of its items."""
    items = run_items(lr, cache)
    files = {}
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(ids)
        chunk = [items.get(iid) for iid in ids[start:end]]
        if any(c is not None for c in chunk):
            files[f"{sid}/o/{mid}/{k:04d}.json"] = ("[" + ",".join(c or "null" for c in chunk) + "]").encode("utf-8")
    return files


@dataclass
class SuiteHeads:
    """A suite's runs as their heads give them: item ids in first-seen order (models sorted), groups, stored
    prompts, scenario titles, and each model's status string and score vector aligned on the ids."""

    heads: dict[str, RunHead]
    ids: list[str]
    groups: dict[str, str]
    prompts: dict[str, Any]
    scenarios: dict[str, str]
    marks: dict[str, str]
    vectors: SuiteVectors


def suite_heads(runs: dict[str, LoadedRun], cache: Path | None) -> SuiteHeads:
    heads: dict[str, RunHead] = {mid: run_head(runs[mid], cache) for mid in sorted(runs)}
    ids: list[str] = []
    seen: set[str] = set()
    groups: dict[str, str] = {}
    prompts: dict[str, Any] = {}
    scenarios: dict[str, str] = {}
    for mid, head in heads.items():
        for iid in head.ids:
            if iid not in seen:
                seen.add(iid)
                ids.append(iid)
        for iid, g in head.groups.items():
            groups.setdefault(iid, g)
        for iid, pr in head.prompts.items():
            prompts.setdefault(iid, pr)
        for sc in runs[mid].run.suite.scenarios:
            scenarios.setdefault(sc.id, sc.title)
    vectors = SuiteVectors(ids, {}, any(h.fractional for h in heads.values()))
    marks: dict[str, str] = {}
    for mid, head in heads.items():
        if head.ids == ids:  # the usual case: every model ran every item, in one order
            marks[mid], vectors.values[mid] = head.status, head.values
        else:
            vals = head.vals()
            marks[mid] = "".join(status(vals[i]) if i in vals else "-" for i in ids)
            vectors.values[mid] = [vals.get(i) for i in ids]
    return SuiteHeads(heads, ids, groups, prompts, scenarios, marks, vectors)


def gallery_heads(data: SiteData, cache: Path | None) -> dict[str, SuiteHeads]:
    """Every suite's :class:`SuiteHeads` (their ``vectors`` are what :func:`write_gallery` returns), writing nothing."""
    return {sid: suite_heads(runs, cache) for sid, runs in _by_suite(data).items()}


def write_suite(sid: str, name: str, runs: dict[str, LoadedRun], model_names: Mapping[str, str], tree: Tree,
                texts: Mapping[str, ItemText] | None, hint: str | None,
                cache: Path | None = None, sh: SuiteHeads | None = None) -> tuple[dict[str, Any], SuiteVectors]:
    """Write one suite's index, status files, question shards and per-model outputs; return its site-index entry
    and score vectors. ``sh``: the suite's heads when already read."""
    sh = sh if sh is not None else suite_heads(runs, cache)
    heads, ids, groups, prompts, scenarios, vectors = sh.heads, sh.ids, sh.groups, sh.prompts, sh.scenarios, sh.vectors
    fractional = vectors.fractional
    for mid in heads:
        rec: dict[str, Any] = {"s": sh.marks[mid]}
        if fractional:
            rec["v"] = [None if v is None else round(float(v), 4) for v in vectors.values[mid]]
        tree.put_json(f"{sid}/m/{mid}.json", rec)
    encoded = [dumps({"id": iid, "group": groups.get(iid), "text": _text(texts.get(iid) if texts else None),
                      "prompt": prompts.get(iid)}) for iid in ids]
    per_item = max((min(lr.run.sampling.n, FIRST_SAMPLES + MAX_PASSING) for lr in runs.values()), default=1)
    starts = item_ranges(encoded, per_item, transcripts=bool(scenarios))
    nbytes = 0
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(ids)
        data = ("[" + ",".join(encoded[start:end]) + "]").encode("utf-8")
        tree.put(f"{sid}/shard-{k:04d}.json", data)
        nbytes += len(data)
    layout = digest("\n".join([CODE_VERSION, *map(str, starts), *ids]).encode("utf-8"))
    for mid in heads:
        group_key = f"{cache_key(runs[mid]) if cache is not None else ''}|{layout}"
        if cache is None or not tree.keep_group(f"{sid}/o/{mid}", group_key):
            files = _outputs(runs[mid], cache, ids, starts, sid, mid)
            tree.put_group(f"{sid}/o/{mid}", group_key, files)
    tree.put_json(f"{sid}/ids.json", ids)  # item order (the gallery loads it; the compare page needs only the index)
    index = {"id": sid, "name": name, "models": [_model_meta(mid, model_names[mid], runs[mid]) for mid in heads],
             "n_items": len(ids), "starts": starts, "fractional": fractional, "texts": texts is not None,
             "hint": None if texts is not None else hint,
             "scenarios": [{"id": k, "title": v} for k, v in sorted(scenarios.items())]}
    tree.put_json(f"{sid}/index.json", index)
    entry = {"id": sid, "name": name, "items": len(ids), "models": len(heads), "shards": len(starts),
             "bytes": nbytes}
    return entry, vectors


def _by_suite(data: SiteData) -> dict[str, dict[str, LoadedRun]]:
    by_suite: dict[str, dict[str, LoadedRun]] = {}
    for (mid, sid), lr in sorted(data.latest().items()):
        by_suite.setdefault(sid, {})[mid] = lr
    return dict(sorted(by_suite.items()))


def write_gallery(data: SiteData, tree: Tree, texts: Mapping[str, ItemText] | None = None,
                  hint: str | None = None, names: Mapping[str, str] | None = None,
                  cache: Path | None = None, heads: Mapping[str, SuiteHeads] | None = None) -> dict[str, SuiteVectors]:
    """Write ``index.json`` (the suites) and every suite's data into ``tree``; return each suite's score vectors.
    ``heads``: :func:`gallery_heads` when already read."""
    by_suite = _by_suite(data)
    model_names = {mid: m.name for mid, m in data.models.items()}
    if cache is not None:
        warm_cache([lr for runs in by_suite.values() for lr in runs.values()], cache)
    suites = []
    vectors: dict[str, SuiteVectors] = {}
    for sid, runs in sorted(by_suite.items()):
        entry, vectors[sid] = write_suite(sid, (names or {}).get(sid, sid), runs, model_names, tree, texts, hint,
                                          cache, (heads or {}).get(sid))
        suites.append(entry)
    tree.put_json("index.json", {"suites": suites, "texts": texts is not None,
                                 "hint": None if texts is not None else hint})
    tree.finish()
    return vectors


class BackgroundGallery:
    """:func:`write_gallery` in a forked process, so that the gallery's files are written while this process
    renders the pages and runs MkDocs (which need only the vectors of :func:`gallery_heads`); :meth:`wait` takes
    the tree's file list back (for :meth:`Tree.place`) or raises what the writer raised. The files are the same
    bytes as a plain call writes: the same function on the same data, in another process."""

    def __init__(self, data: SiteData, tree: Tree, texts: Mapping[str, ItemText] | None, hint: str | None,
                 names: Mapping[str, str] | None, cache: Path | None,
                 heads: Mapping[str, SuiteHeads] | None = None) -> None:
        ctx = multiprocessing.get_context("fork")  # the data is inherited, not pickled
        self.tree = tree
        self._recv, send = ctx.Pipe(duplex=False)
        args = (send, data, tree, texts, hint, names, cache, heads)
        self._proc = ctx.Process(target=_write_and_report, args=args)
        self._proc.start()
        send.close()

    def wait(self) -> None:
        try:
            status, payload = self._recv.recv()
        except EOFError:
            status, payload = "error", RuntimeError("gallery writer ended without a result")
        finally:
            self._recv.close()
            self._proc.join()
        if status == "error":
            raise payload
        self.tree.new, self.tree.groups, self.tree.written = payload


def _write_and_report(send: Any, data: SiteData, tree: Tree, texts: Mapping[str, ItemText] | None,
                      hint: str | None, names: Mapping[str, str] | None, cache: Path | None,
                      heads: Mapping[str, SuiteHeads] | None) -> None:
    try:
        write_gallery(data, tree, texts, hint, names, cache=cache, heads=heads)
        send.send(("ok", (tree.new, tree.groups, tree.written)))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the build, which raises it
        try:
            send.send(("error", exc))
        except Exception:  # noqa: BLE001 - an exception that cannot be pickled: its text
            send.send(("error", RuntimeError("".join(traceback.format_exception(exc)))))
    finally:
        send.close()
