"""Put a freshly built tree in place over the last build, writing only the files whose bytes changed.

MkDocs empties its output directory and writes every file on each build; it builds into a staging directory and
:func:`sync_tree` then updates the site: a file with the same bytes keeps its inode and modification time (a
deployment that uploads changed files, or a server's caches, see only what changed), new and changed files
are replaced atomically, and files no longer built are removed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from evals.errors import ConfigError

MARKER = ".podium-site"  # written into every site Podium builds: a directory with it may be replaced


@dataclass
class Synced:
    written: list[str] = field(default_factory=list)  # relative paths written (new or changed)
    removed: list[str] = field(default_factory=list)
    kept: int = 0


def _same(a: Path, b: Path) -> bool:
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
        with a.open("rb") as fa, b.open("rb") as fb:
            while True:
                x, y = fa.read(1 << 20), fb.read(1 << 20)
                if x != y:
                    return False
                if not x:
                    return True
    except OSError:
        return False


def _move(src: Path, dst: Path) -> None:
    try:
        os.replace(src, dst)
    except OSError:  # another file system: copy next to the target, then replace it
        tmp = dst.with_name(dst.name + ".podium-tmp")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)


def check_target(dest: Path, protected: Iterable[Path]) -> None:
    """Refuse, before any work, a site directory whose files a build would delete: one that is or holds a path in
    ``protected`` (the data, the hand-written pages), or a non-empty directory that no Podium build wrote."""
    where = dest.resolve()
    for path in protected:
        if where == path.resolve() or where in path.resolve().parents:
            raise ConfigError(f"the site would be built over {path}: a build deletes every file in its directory "
                              "that it did not write", where=str(dest), fix="choose a separate --site directory, "
                              "e.g. --site site")
    if not where.is_dir() or (where / MARKER).exists() or (where / "assets" / "podium.js").is_file():
        return  # new, a Podium site, or one built before the marker existed
    visible = sorted(c.name for c in where.iterdir() if not c.name.startswith("."))
    if visible:
        shown = ", ".join(visible[:3]) + (", …" if len(visible) > 3 else "")
        raise ConfigError(f"not empty and not a site Podium built (it holds {shown}): a build deletes every file "
                          "there that it did not write", where=str(dest),
                          fix="choose an empty or new --site directory, or move those files away first")


def sync_tree(stage: Path, dest: Path, keep: tuple[str, ...] = ()) -> Synced:
    """Make ``dest`` hold exactly ``stage``'s files (paths under a prefix in ``keep``, and top-level hidden entries,
    are left alone), writing only what differs. Files are moved out of ``stage``, so it is consumed."""
    out = Synced()
    dest.mkdir(parents=True, exist_ok=True)
    if not (dest / MARKER).is_file():  # bookkeeping, not a page: like other top-level hidden entries, not in `written`
        (dest / MARKER).write_text("built by Podium: `podium build` replaces every file here\n", encoding="utf-8")
    built: set[str] = set()
    for path in sorted(stage.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(stage).as_posix()
        built.add(rel)
        target = dest / rel
        if target.is_file() and _same(path, target):
            out.kept += 1
            continue
        if target.is_dir():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        _move(path, target)
        out.written.append(rel)
    for path in sorted(dest.rglob("*"), reverse=True):
        rel = path.relative_to(dest).as_posix()
        if rel.startswith(".") or any(rel == k or rel.startswith(k + "/") for k in keep):
            continue  # like MkDocs, top-level hidden entries (a deployment's .git) stay
        if path.is_file() and rel not in built:
            path.unlink()
            out.removed.append(rel)
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return out
