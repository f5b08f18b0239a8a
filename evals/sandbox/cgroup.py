"""A memory cgroup per sandbox zygote (as root): a limit that counts *all* of a program's memory.

``RLIMIT_AS`` counts address space only: a ``memfd`` (or a file on the temp dir's tmpfs) that is written but not
mapped held 2.3 GiB past a 2 GiB limit.  A memory cgroup charges every page - anonymous, shmem, tmpfs, page
tables - to the group.  The harness creates one group per zygote (cgroup v2 ``memory.max`` where the memory
controller is delegated, else cgroup v1 ``memory.limit_in_bytes``), moves the zygote into it (its children
follow), and sets the limit before each program to the zygote's own baseline plus the program's memory limit.
An OOM kill in the group is read back from its event counter, so the verdict says OOM.  Each child makes
itself the OOM killer's first choice (``oom_score_adj`` 1000; the zygote -1000 where the harness may), so a program that
holds its memory outside its own address space cannot get the zygote killed instead.  Without root (or
without a writable memory hierarchy) there is no group: ``RLIMIT_AS`` is the only memory limit.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from pathlib import Path

_SLACK = 64 << 20  # page cache and kernel memory of the program's start-up, on top of its limit
_serial = itertools.count()


class MemoryGroup:
    """One memory cgroup; every method is best-effort (a vanished group reads as no OOM kill)."""

    def __init__(self, path: Path, limit_file: str, events_file: str) -> None:
        self.path, self.limit_file, self.events_file = path, limit_file, events_file
        self.baseline = 0
        self._limit = -1
        self._events = str(path / events_file)
        self._oom_seen = 0

    @classmethod
    def create(cls) -> MemoryGroup | None:
        """A fresh group below this process's own memory cgroup, or None where that is not possible."""
        if os.geteuid() != 0:
            return None
        try:
            lines = Path("/proc/self/cgroup").read_text().splitlines()
        except OSError:
            return None
        for line in lines:
            _id, controllers, rel = line.split(":", 2)
            if "memory" in controllers.split(","):  # cgroup v1
                found = (Path("/sys/fs/cgroup/memory") / rel.lstrip("/"), "memory.limit_in_bytes", "memory.oom_control")
                break
            if controllers == "":  # cgroup v2: only where the memory controller reaches our children
                here = Path("/sys/fs/cgroup") / rel.lstrip("/")
                with contextlib.suppress(OSError):
                    if "memory" in (here / "cgroup.subtree_control").read_text().split():
                        found = (here, "memory.max", "memory.events")
                        break
        else:
            return None
        parent, limit_file, events_file = found
        path = parent / f"podium-sandbox-{os.getpid()}-{next(_serial)}"
        try:
            path.mkdir()
        except OSError:
            return None
        return cls(path, limit_file, events_file)

    def add(self, pid: int) -> bool:
        try:
            (self.path / "cgroup.procs").write_text(str(pid))
        except OSError:
            return False
        with contextlib.suppress(OSError):  # needs CAP_SYS_RESOURCE; each child's 1000 makes it first anyway
            Path(f"/proc/{pid}/oom_score_adj").write_text("-1000")
        return True

    def measure_baseline(self) -> None:
        name = "memory.current" if self.limit_file == "memory.max" else "memory.usage_in_bytes"
        with contextlib.suppress(OSError, ValueError):
            self.baseline = int((self.path / name).read_text())

    def limit(self, memory_bytes: int) -> None:
        want = self.baseline + memory_bytes + _SLACK
        if want != self._limit:
            with contextlib.suppress(OSError):
                (self.path / self.limit_file).write_text(str(want))
                self._limit = want

    def oom_kills(self) -> int:
        """The group's OOM-kill counter (0 where it cannot be read)."""
        try:
            fd = os.open(self._events, os.O_RDONLY)  # plain syscalls: this runs once per program
            try:
                text = os.read(fd, 4096).decode("ascii", "replace")
            finally:
                os.close(fd)
            for line in text.splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def new_oom_kills(self) -> int:
        """OOM kills since the previous call (or since the group was made): one read of the counter per program."""
        now = self.oom_kills()
        new, self._oom_seen = max(0, now - self._oom_seen), max(now, self._oom_seen)
        return new

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.rmdir()
