"""Atomic file writes: write to a temp file in the same directory, fsync, then ``os.replace``.

A reader sees either the old file or the new one, never a partial file, even if the writer is killed.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_UMASK = os.umask(0o022)  # read once, at import (single-threaded), and put back at once
os.umask(_UMASK)


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file 0600; give it the mode a plain open() would (or the replaced file's own)
        os.fchmod(fd, path.stat().st_mode & 0o7777 if path.is_file() else 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def write_jsonl_gz(path: Path, rows: Iterable[str]) -> None:
    """Write already-serialised JSON lines, gzip-compressed with a fixed mtime (reproducible bytes)."""
    body = "".join(row if row.endswith("\n") else row + "\n" for row in rows).encode("utf-8")
    write_bytes(path, gzip.compress(body, compresslevel=6, mtime=0))
