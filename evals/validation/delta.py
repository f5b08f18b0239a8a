"""Which runs a change touches: each run of a tree against the same run folder of a base tree, by content hash.

A run is the folder ``runs/<model>/<suite>/<run-id>/``; its content hash is the sha256 over its two files'
names, lengths and bytes (``run.json`` and ``samples.jsonl.gz`` exactly as stored: re-compressing the same
samples is a change). Against the base tree a run is

- **new**: the base has no folder at that path;
- **changed**: the base has it, and the hashes differ (any byte of either file, a file added or missing);
- **unchanged**: the hashes are equal — the bytes are the base's, which passed validation when they were merged.

``podium validate --base`` checks new and changed runs deeply (samples decompressed and parsed, metrics
recomputed, prompts rebuilt and hashed, scores re-graded) and unchanged runs by the cheap checks (layout, sizes,
run.json strictly against its schema and the suite registry, cross-file ids) plus the hash equality. Sizes are
compared first, so a file is read and hashed only when it has the base's size: nothing in the tree is read whole
that the base does not bound. A folder with anything but its two regular files is never unchanged.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from evals.validation.layout import RUN_FILES


@dataclass(frozen=True)
class Delta:
    """Run folders (relative to the tree's root, ``runs/<model>/<suite>/<run-id>``) by what the change did."""

    new: frozenset[Path] = field(default_factory=frozenset)
    changed: frozenset[Path] = field(default_factory=frozenset)
    unchanged: frozenset[Path] = field(default_factory=frozenset)
    removed: frozenset[Path] = field(default_factory=frozenset)


def run_dirs(root: Path) -> set[Path]:
    """Every ``runs/<model>/<suite>/<run-id>`` folder under ``root`` (relative), links not followed."""
    out: set[Path] = set()
    runs = root / "runs"
    if runs.is_symlink() or not runs.is_dir():
        return out
    for dirpath, dirnames, _ in os.walk(runs, followlinks=False):
        rel = Path(dirpath).relative_to(root)
        if len(rel.parts) == 3:
            out.update(rel / d for d in dirnames)
            dirnames.clear()
    return out


def _files(run_dir: Path) -> dict[str, int] | None:
    """The run folder's file sizes by name, or None when it holds anything but regular run files."""
    sizes: dict[str, int] = {}
    try:
        entries = list(os.scandir(run_dir))
        for e in entries:
            st = e.stat(follow_symlinks=False)
            if e.name not in RUN_FILES or not stat.S_ISREG(st.st_mode):
                return None
            sizes[e.name] = st.st_size
    except OSError:
        return None
    return sizes


def content_hash(run_dir: Path) -> str | None:
    """sha256 over the run folder's files (name, length, bytes, in name order); None when it is not plain files."""
    sizes = _files(run_dir)
    if sizes is None:
        return None
    h = hashlib.sha256()
    for name in sorted(sizes):
        h.update(f"{name}\0{sizes[name]}\0".encode())
        with open(run_dir / name, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()


def same_run(root: Path, base: Path, rel: Path) -> bool:
    """True when the run folder ``rel`` holds the same bytes in both trees (sizes first, then content hashes)."""
    mine, theirs = _files(root / rel), _files(base / rel)
    if mine is None or theirs is None or mine != theirs:
        return False
    return content_hash(root / rel) == content_hash(base / rel)


def delta(root: Path, base: Path) -> Delta:
    """Every run folder of ``root`` as new, changed or unchanged against ``base``, and those only ``base`` has."""
    mine, theirs = run_dirs(root), run_dirs(base)
    unchanged = {rel for rel in mine & theirs if same_run(root, base, rel)}
    return Delta(new=frozenset(mine - theirs), changed=frozenset((mine & theirs) - unchanged),
                 unchanged=frozenset(unchanged), removed=frozenset(theirs - mine))
