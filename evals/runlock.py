"""One process per run: a second identical ``podium run`` started while the first works refuses in one line."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from evals.errors import PodiumError


class RunBusy(PodiumError):
    """The same run (model, suite, items, backend, sampling) is being measured by another process."""

    exit_code = 1


@contextlib.contextmanager
def run_lock(path: Path, command: str) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (released by the kernel if the process dies) while the run works."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            raise RunBusy("the same run is already being measured by another process (pid " + holder + ")",
                          where=command[:120],
                          fix="wait for it to finish (its items are journaled), or stop it and run again") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)
