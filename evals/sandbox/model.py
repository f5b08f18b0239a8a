"""Value types of the sandbox: verdicts, limits and the result of one execution."""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from enum import StrEnum

GUARD_VERSION = 2  # 2: the trusted judge (tests outside the sandbox), no capability kept, typed messages


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    ERROR = "error"
    OOM = "oom"


@dataclass(frozen=True)
class Limits:
    """Per-program resource limits.

    The defaults are deliberately generous floors (a HumanEval solution needs well under a second and
    a few MB) so that verdicts do not depend on how busy the machine is; record them with
    :func:`limits_record`.
    """

    cpu_seconds: float = 20.0
    wall_seconds: float = 60.0
    memory_bytes: int = 2 << 30
    max_processes: int = 64
    file_size_bytes: int = 16 << 20
    output_bytes: int = 64 << 10
    disk_bytes: int = 64 << 20  # size of the private tmpfs mounted on the temp dir (when root)

    def __post_init__(self) -> None:
        if not (self.cpu_seconds > 0 and self.wall_seconds > 0):
            raise ValueError("cpu_seconds and wall_seconds must be positive")
        for name in ("memory_bytes", "max_processes", "file_size_bytes", "output_bytes", "disk_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")


@dataclass(frozen=True)
class ExecResult:
    """Outcome of one sandboxed program.

    ``layers`` lists the isolation layers the child reported as active (e.g. ``netns``,
    ``no_new_privs``, ``rlimits``, ``uid=...``, ``audit_hook``); empty if it never got that far.
    """

    verdict: Verdict
    reason: str
    seconds: float
    exit_code: int | None
    stdout_tail: str
    stderr_tail: str
    layers: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASSED


def limits_record(limits: Limits) -> dict[str, object]:
    """A JSON-ready description of the limits (and sandbox flavour) a run used."""
    record: dict[str, object] = dataclasses.asdict(limits)
    record["sandbox"] = {
        "guard_version": GUARD_VERSION,
        "interpreter": [sys.executable, "-I", "-S", "-B"],
        "process": "one zygote per worker (isolated once), one forked child per program",
        "python": sys.version.split()[0],
        "layers_requested": ["process_group", "netns", "ro_root_if_root", "tmpfs_if_root", "no_shadow_if_root",
                             "no_host_sockets_if_root", "hidden_user_dirs_if_root", "hidepid_if_root", "interpreter_bind_if_root",
                             "no_capabilities", "memcg_if_root", "no_new_privs", "rlimits", "throwaway_uid_if_root",
                             "audit_hook", "stripped_env", "temp_cwd", "output_cap"],
        "verdict": "trusted judge: the test code runs in the harness, the candidate in the sandbox, values cross "
                   "as exact plain data only (whole-program mode, for checks that need the solution's objects: "
                   "the guard's completion nonce)",
    }
    return record
