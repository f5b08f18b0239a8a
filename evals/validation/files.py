"""Stage 1: every path under site_data as bytes — layout, links, sizes, encoding, strict syntax, secrets."""

from __future__ import annotations

import gzip
import json
import os
import re
import stat
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.validation.layout import kind_of, misplaced_fix
from evals.validation.problems import Problem
from evals.validation.secrets import FIX as SECRET_FIX
from evals.validation.secrets import find_secrets
from evals.validation.strict import StrictError, loads_json, loads_yaml

MiB = 1024 * 1024
SAFE_NAME = re.compile(r"^[A-Za-z0-9._:+@=-]+$")
CONFLICT_MARKERS = ("<<<<<<<", "=======", ">>>>>>>", "|||||||")


KiB = 1024


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 25 * MiB  # any one file as stored (GitHub refuses files over 100 MB)
    samples_bytes: int = 256 * MiB  # one samples.jsonl.gz once decompressed
    line_bytes: int = 4 * MiB  # one decompressed sample line (the largest real one: ~40 KiB, 20 HumanEval samples)
    item_bytes: int = 256 * KiB  # decompressed samples per item and output sampled (the run's n), on average
    kind_bytes: tuple[tuple[str, int], ...] = (("model", 64 * KiB), ("story", 64 * KiB), ("run", 4 * MiB))  # run.json: ~70 KiB at most

    def of_kind(self, kind: str) -> int:
        return min([self.file_bytes, *(b for k, b in self.kind_bytes if k == kind)])


@dataclass
class Scan:
    problems: list[Problem] = field(default_factory=list)
    seen: list[Path] = field(default_factory=list)
    clean: dict[Path, Any] = field(default_factory=dict)  # file → parsed content (None for samples / csv text)
    models: list[Path] = field(default_factory=list)
    runs: list[Path] = field(default_factory=list)
    unchanged: frozenset[Path] = frozenset()  # run folders equal to the base's by content hash: cheap checks only


def check_files(root: Path, limits: Limits, unchanged: frozenset[Path] = frozenset()) -> Scan:
    """Stage 1 over every path under ``root``. The samples of an ``unchanged`` run folder (the base's bytes, see
    :mod:`evals.validation.delta`) are size-checked but not decompressed."""
    scan = Scan(unchanged=unchanged)
    if root.is_symlink():
        scan.problems.append(Problem.at(root, None, "site_data is a symbolic link", "use a real directory"))
        return scan
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        for d in list(dirnames):
            if (here / d).is_symlink():
                dirnames.remove(d)
                scan.problems.append(_link_problem(here / d))
            elif kind_of((here / d).relative_to(root).parts) not in (None, "keep"):
                dirnames.remove(d)  # a folder where a file belongs (models/x.yaml/, a run's samples.jsonl.gz/)
                scan.problems.append(Problem.at(here / d, None, "a folder where a file belongs",
                                                "replace it with the file (or remove it)"))
        dirnames.sort()
        for name in sorted(filenames):
            _check_path(root, here / name, limits, scan)
    return scan


def _link_problem(path: Path) -> Problem:
    return Problem.at(path, None, f"symbolic link (→ {os.readlink(path)})",
                      "site_data holds plain files only: replace the link with the file's own content")


def _check_path(root: Path, path: Path, limits: Limits, scan: Scan) -> None:
    scan.seen.append(path)
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        scan.problems.append(_link_problem(path))
        return
    if not stat.S_ISREG(mode):
        scan.problems.append(Problem.at(path, None, "not a regular file", "remove it"))
        return
    parts = path.relative_to(root).parts
    odd = next((p for p in parts if not SAFE_NAME.match(p)), None)
    if odd is not None:
        scan.problems.append(Problem.at(path, None, f"file or folder name {odd!r} has characters other than "
                                        "ASCII letters, digits and . _ - : + @ =", "rename it"))
        return
    kind = kind_of(parts)
    if kind is None:
        scan.problems.append(Problem.at(path, None, "stray or misplaced file", misplaced_fix(parts)))
        return
    size, cap = path.stat().st_size, limits.of_kind(kind)
    if size > cap:
        scan.problems.append(Problem.at(path, None, f"file is {_size(size)}, over the limit of {_size(cap)} for "
                                        f"a {kind} file", "evaluate fewer items per run or store less per sample"
                                        if kind in ("run", "samples") else "keep the file small: it is metadata"))
        return
    if kind == "samples":
        if path.parent in scan.unchanged or _check_samples(path, limits, scan.problems):
            scan.clean[path] = None
        return
    before = len(scan.problems)
    content = _check_text(path, kind, scan.problems)
    if len(scan.problems) == before:
        scan.clean[path] = content
        if kind == "model":
            scan.models.append(path)
        elif kind == "run":
            scan.runs.append(path.parent)


def _decode(data: bytes, path: Path, problems: list[Problem]) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append(Problem.at(path, 1, "starts with a UTF-8 byte-order mark (BOM)",
                                   "save the file as UTF-8 without BOM"))
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        problems.append(Problem.at(path, line, f"not UTF-8 (byte 0x{data[exc.start]:02x} at column {col})",
                                   "save the file as UTF-8"))
        return None


def _check_text(path: Path, kind: str, problems: list[Problem]) -> Any:
    text = _decode(path.read_bytes(), path, problems)
    if text is None:
        return None
    lines = text.splitlines()
    conflicted = any(ln.startswith(("<<<<<<<", ">>>>>>>")) for ln in lines)  # "=======" alone is a Markdown rule
    for lineno, line in enumerate(lines, 1):
        if conflicted and line.startswith(CONFLICT_MARKERS):
            problems.append(Problem.at(path, lineno, "merge-conflict marker",
                                       "resolve the conflict (keep one side) and remove the marker lines"))
    problems += [Problem.at(path, line, what, SECRET_FIX) for line, what in find_secrets(text)]
    try:
        if kind in ("run", "schema"):
            return loads_json(text)
        if kind in ("model", "story"):
            return loads_yaml(text)
    except StrictError as exc:
        problems.append(Problem.at(path, exc.line, exc.what, exc.fix))
        return None
    return text


def _size(n: int) -> str:
    return f"{round(n / MiB, 1):g} MiB" if n >= MiB else f"{round(n / KiB):g} KiB"


def samples_budget(path: Path, limits: Limits) -> tuple[int, str]:
    """How many bytes ``path`` may decompress to, and why: the run's items × outputs × :attr:`Limits.item_bytes`
    (read from the run.json beside it), never more than :attr:`Limits.samples_bytes`."""
    whole = (limits.samples_bytes, _size(limits.samples_bytes))
    try:
        raw = json.loads((path.parent / "run.json").read_bytes()[:limits.of_kind("run")])
        n_items, n = raw["n_items"], raw["sampling"].get("n", 1)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return whole
    if type(n_items) is not int or type(n) is not int or n_items < 0:
        return whole
    budget = MiB + n_items * max(n, 1) * limits.item_bytes
    return (budget, f"{_size(budget)}, what {n_items} item(s) × {max(n, 1)} output(s) may need") \
        if budget < limits.samples_bytes else whole


def _check_samples(path: Path, limits: Limits, problems: list[Problem]) -> bool:
    """Stream-decompress (never more than the budget, no line over the line cap), each line strict JSON; True when
    clean. A small file that inflates to one huge line stops at the cap: a few MiB decompressed, not the line."""
    before = len(problems)
    total, lineno, pending = 0, 0, b""
    budget, why = samples_budget(path, limits)
    try:
        with gzip.open(path, "rb") as fh:
            while chunk := fh.read(1 * MiB):
                total += len(chunk)
                if total > budget:
                    problems.append(Problem.at(path, None, f"decompresses to more than {why} (gzip bomb or "
                                               "oversized run)", "evaluate fewer items per run or store less per "
                                               "sample"))
                    return False
                *lines, pending = (pending + chunk).split(b"\n")
                for raw in lines:
                    lineno += 1
                    if not _line_fits(path, lineno, len(raw), limits, problems):
                        return False
                    _check_sample_line(path, lineno, raw, problems)
                if not _line_fits(path, lineno + 1, len(pending), limits, problems):
                    return False
    except (OSError, EOFError, zlib.error) as exc:
        problems.append(Problem.at(path, None, f"not a valid gzip file ({exc})",
                                   "re-create it with podium (a truncated upload or an uncompressed file?)"))
        return False
    if pending.strip():
        _check_sample_line(path, lineno + 1, pending, problems)
    return len(problems) == before


def _line_fits(path: Path, lineno: int, size: int, limits: Limits, problems: list[Problem]) -> bool:
    if size <= limits.line_bytes:
        return True
    problems.append(Problem.at(path, lineno, f"decompressed line {lineno} is over {_size(limits.line_bytes)} "
                               "(one item's record; a gzip bomb or an oversized output)",
                               "store what the run produced: outputs within max_tokens, no padding"))
    return False


def _check_sample_line(path: Path, lineno: int, raw: bytes, problems: list[Problem]) -> None:
    if len(problems) > 200:
        return  # one broken file should not bury the rest of the report
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem.at(path, lineno, f"not UTF-8 (byte 0x{raw[exc.start]:02x}, decompressed line "
                                   f"{lineno})", "write samples as UTF-8"))
        return
    problems += [Problem.at(path, lineno, f"{what} (decompressed line {lineno})", SECRET_FIX)
                 for _, what in find_secrets(text)]
    if not text.strip():
        problems.append(Problem.at(path, lineno, "empty line in samples", "one JSON object per line"))
        return
    try:
        value = loads_json(text)
    except StrictError as exc:
        problems.append(Problem.at(path, lineno, f"{exc.what} (decompressed line {lineno})", exc.fix))
        return
    if not isinstance(value, dict):
        problems.append(Problem.at(path, lineno, "sample line is not a JSON object", "one JSON object per line"))
