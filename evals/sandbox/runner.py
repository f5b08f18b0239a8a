"""Parent side of the sandbox: run programs in forked children of warm zygotes, classify the outcomes.

:func:`run_many` keeps one :class:`~evals.sandbox.zygote.Zygote` per worker: a guarded ``python -I -S -B``
that isolated itself once (network namespace; as root a read-only mount namespace) and forks one child per
program with its own session/process group (SIGKILLed as a whole at the end, also on success), temp dir (as
root a private size-capped tmpfs), throw-away uid (as root; every process of it is SIGKILLed afterwards,
which also catches ``setsid`` escapees), rlimits, no_new_privs, audit hook and an environment of only
``PATH``/``LANG``/``HOME``/``TMPDIR``.  stdout/stderr are drained continuously and only their tails are
kept, so an output flood costs neither memory nor disk.  A :class:`~evals.sandbox.judge.JudgedProgram` (HumanEval)
is decided by the trusted judge in the calling thread while the child serves its calls; a plain ``str``
program (whole-program mode) passes only if its result channel ends with the per-run nonce.  Everything the
zygote and the child report is a typed message (:mod:`evals.sandbox._wire`), parsed in one place.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import queue
import secrets
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from functools import cache, partial
from pathlib import Path

from evals.sandbox._wire import wire_message
from evals.sandbox.judge import Judged, JudgedProgram, judge
from evals.sandbox.model import ExecResult, Limits, Verdict
from evals.sandbox.zygote import Outcome, Zygote, ZygoteError

DEFAULT_LIMITS = Limits()
_UID_BASE, _UID_SPAN = 1_500_000_000, 1 << 24
_uid_lock = threading.Lock()
_uids_in_use: set[int] = set()


# The interpreter's -c program: read the (pre-compiled) guard from stdin and run it.  The marker below
# lets tests find stray sandbox processes by their command line.
BOOTSTRAP = """# podium-sandbox-guard
import marshal, os
def _take(n):
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(0, n - len(buf))
        if not chunk:
            raise SystemExit(88)
        buf += chunk
    return bytes(buf)
for _code in marshal.loads(_take(int.from_bytes(_take(8), "big"))):
    exec(_code)
"""


# the child's code, run by the bootstrap in this order in one namespace (each file may use the earlier ones' names)
CHILD_FILES = ("_wire.py", "_reply.py", "_mounts.py", "_zygote.py", "_guard.py")


@cache
def _guard_code() -> bytes:
    """The zygote and the guard, compiled once per harness process (same interpreter, so marshal fits)."""
    codes = tuple(compile(Path(__file__).with_name(name).read_text(encoding="utf-8"), f"<podium-{name[1:-3]}>",
                          "exec", dont_inherit=True) for name in CHILD_FILES)
    blob = marshal.dumps(codes)
    return len(blob).to_bytes(8, "big") + blob


@cache
def _id_ranges(path: str) -> tuple[tuple[int, int], ...]:
    """The ``[first, end)`` id ranges of a ``/proc/self/{uid,gid}_map`` (read once: it cannot change for us)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return ((0, 65536),)
    out = []
    for line in lines:
        inside, _outside, count = (int(x) for x in line.split())
        out.append((inside, inside + count))
    return tuple(out)


def _id_map_covers(path: str, ident: int) -> bool:
    return any(lo <= ident < hi for lo, hi in _id_ranges(path))


def _acquire_identity() -> int | None:
    """A fresh uid (= gid) for one child when running as root, else ``None``."""
    if os.geteuid() != 0:
        return None
    rng = secrets.SystemRandom()
    for _ in range(64):
        uid = _UID_BASE + rng.randrange(_UID_SPAN)
        if not (_id_map_covers("/proc/self/uid_map", uid) and _id_map_covers("/proc/self/gid_map", uid)):
            continue
        with _uid_lock:
            if uid not in _uids_in_use:
                _uids_in_use.add(uid)
                return uid
    return None


def _release_identity(uid: int) -> None:
    with _uid_lock:
        _uids_in_use.discard(uid)


@cache
def _needs_read_cap() -> bool:
    """True if the interpreter or its stdlib is not readable by an arbitrary uid (e.g. ``/root/.pyenv``)."""
    targets = [os.path.realpath(sys.executable), os.path.realpath(os.path.dirname(os.__file__))]
    for target in targets:
        path = Path(target)
        for parent in [*path.parents, path]:
            try:
                mode = parent.stat().st_mode
            except OSError:
                return True
            if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
                return True
        if not path.stat().st_mode & stat.S_IROTH:
            return True
    return False


def _kill_uid(uid: int) -> None:
    """SIGKILL every process of ``uid`` atomically: ``kill(-1)`` sent *as* that uid."""
    argv = ["/bin/kill", "-KILL", "-1"] if os.path.exists("/bin/kill") else \
        [sys.executable, "-I", "-S", "-c", "import os\ntry: os.kill(-1, 9)\nexcept OSError: pass"]
    subprocess.run(argv, user=uid, group=uid, extra_groups=[], env={}, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, cwd="/")


Message = tuple[str, dict[str, object]]


def _channel(run: Outcome) -> tuple[tuple[str, ...], list[Message]]:
    """The child's result channel, parsed by the one wire parser: (layers from its first line, all messages).

    Lines that are not well-formed messages (a program can write anything to an inherited fd) are ignored."""
    msgs = [m for line in run.channel.lines() if (m := wire_message(line)) is not None]
    first = wire_message(run.channel.lines()[0]) if run.channel.total else None
    layers: tuple[str, ...] = ()
    if first is not None and first[0] == "ready":
        named: list[object] = first[1]["layers"]  # type: ignore[assignment]  # the parser checked: a list
        layers = tuple(str(x) for x in named if x) + (("memcg",) if run.memcg else ())
    return layers, msgs


def _classify(run: Outcome, nonce: str) -> tuple[Verdict, str, tuple[str, ...]]:
    returncode, limits = run.returncode, run.limits
    layers, msgs = _channel(run)

    def first(kind: str, field: str) -> str | None:
        return next((str(f[field]) for k, f in msgs if k == kind), None)

    if isinstance(run.judged, Exception):
        return Verdict.ERROR, f"the judge failed: {type(run.judged).__name__}: {run.judged}", layers
    if (setup := first("setup", "why") or run.failure) is not None:
        return Verdict.ERROR, f"sandbox setup failed: {setup}", layers
    if run.timed_out:
        return Verdict.TIMEOUT, f"wall-clock limit of {limits.wall_seconds:g}s exceeded", layers
    if run.oom_killed:
        return Verdict.OOM, f"memory limit of {limits.memory_bytes} bytes exceeded (all memory counted)", layers
    if (violation := first("violation", "what")) is not None:
        return Verdict.ERROR, f"sandbox violation: {violation}", layers
    if (tamper := first("tamper", "what")) is not None:
        return Verdict.FAILED, f"tampering detected: {tamper}", layers
    if returncode == -signal.SIGXCPU or (returncode == -signal.SIGKILL
                                          and run.cpu_seconds >= limits.cpu_seconds - 0.05):
        return Verdict.TIMEOUT, f"CPU time limit of {limits.cpu_seconds:g}s exceeded", layers
    if isinstance(run.judged, Judged):  # judge mode: the trusted judge decides, the child's lines never pass
        if run.judged.verdict is Verdict.PASSED and returncode != 0:
            return Verdict.FAILED, f"the candidate's process ended with exit code {returncode} after the tests", layers
        if run.judged.verdict is not None:
            return run.judged.verdict, run.judged.reason, layers
    elif msgs and msgs[-1] == ("pass", {"nonce": nonce}) and returncode == 0:
        return Verdict.PASSED, "all tests passed", layers
    elif first("pass", "nonce") is not None:
        return Verdict.ERROR, "forged completion signal on the result channel", layers
    return _failure(run, layers, [f for k, f in msgs if k == "result"])


def _failure(run: Outcome, layers: tuple[str, ...], results: list[dict[str, object]]
             ) -> tuple[Verdict, str, tuple[str, ...]]:
    """How a program that did not pass ended: its last ``result`` message, else its exit status."""
    returncode, limits = run.returncode, run.limits
    if results:
        kind, name, line_no, message = (str(results[-1][k]) for k in ("kind", "name", "line", "message"))
        where = f" (line {line_no})" if line_no != "0" else ""
        if kind == "syntax":
            return Verdict.ERROR, f"syntax error: {name}: {message}", layers
        if kind == "oom" or name == "MemoryError":
            return Verdict.OOM, f"MemoryError: memory limit of {limits.memory_bytes} bytes", layers
        if kind == "exit":
            return Verdict.FAILED, f"exited before tests completed (SystemExit: {message}){where}", layers
        return Verdict.FAILED, f"{name}: {message}{where}" if message else f"{name}{where}", layers
    stderr = run.err.text()
    if not layers:
        return Verdict.ERROR, f"sandbox failed to start (exit {returncode}): {stderr[-300:].strip()}", layers
    if returncode < 0:
        if "MemoryError" in stderr or "Cannot allocate memory" in stderr:
            return Verdict.OOM, f"killed by {signal.Signals(-returncode).name} while out of memory", layers
        return Verdict.ERROR, f"killed by signal {signal.Signals(-returncode).name}", layers
    return Verdict.FAILED, f"exited before tests completed (exit code {returncode})", layers


def _nproc_for_shared_uid(limits: Limits) -> int:
    """Without root the child shares our uid, so RLIMIT_NPROC must leave room for what already runs."""
    tasks = 0  # the kernel counts threads, not processes
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == os.getuid():
                    tasks += len(os.listdir(os.path.join(entry.path, "task")))
    return tasks + limits.max_processes


def _header(limits: Limits, nonce: str, uid: int | None) -> dict[str, str]:
    header = {"nonce": nonce, "cpu": str(max(1, int(-(-limits.cpu_seconds // 1)))), "wall": str(limits.wall_seconds),
              "mem": str(limits.memory_bytes), "fsize": str(limits.file_size_bytes), "disk": str(limits.disk_bytes),
              "nproc": str(limits.max_processes if uid is not None else _nproc_for_shared_uid(limits))}
    if uid is not None:
        header.update(uid=str(uid), gid=str(uid), keep_read_cap="1" if _needs_read_cap() else "0")
    return header


def _run_in(zygote: Zygote, program: str | JudgedProgram, limits: Limits) -> ExecResult:
    """One program in a child of ``zygote``; never raises for anything the program does.

    A plain ``str`` runs whole (it passes when it runs to the end: the guard's completion signal); a
    :class:`~evals.sandbox.judge.JudgedProgram` runs only its candidate in the child, and the trusted judge
    (:func:`evals.sandbox.judge.judge`, in this thread) decides the verdict."""
    start = time.monotonic()
    nonce = secrets.token_hex(16)
    uid = _acquire_identity()
    header = _header(limits, nonce, uid)
    source, tests = (program, None) if isinstance(program, str) else (program.candidate, program.tests)
    if tests is not None:
        header.update(mode="call", entry=tests.entry_point)
    try:
        outcome = zygote.run(header, source.encode("utf-8", "surrogatepass"), limits,
                             None if tests is None else partial(judge, tests))
    finally:
        if uid is not None:
            if not zygote.alive:  # it died mid-run: sweep the program's uid from here
                _kill_uid(uid)
            _release_identity(uid)
    verdict, reason, layers = _classify(outcome, nonce)
    return ExecResult(verdict, reason, time.monotonic() - start, outcome.returncode, outcome.out.text(),
                      outcome.err.text(), layers)


def run_program(source: str | JudgedProgram, limits: Limits = DEFAULT_LIMITS) -> ExecResult:
    """Run one untrusted program in the sandbox; never raises for anything the program does."""
    return run_many([source], limits, workers=1)[0]


def _pin_cpus(workers: int) -> list[int]:
    """The CPUs that worker slot ``i`` is pinned to (``cpus[i]``), or ``[]`` for no pinning.

    A judged program is a conversation: each call of the candidate wakes the child, each reply wakes the judge's
    thread.  Pinned together, the two wake each other on one CPU instead of across CPUs (measured on a 2-core VM:
    a call round trip 91 instead of 150 us, and about 10% more programs per second).  Only where every worker
    gets a CPU of its own (``workers`` at most the CPUs this process may use); ``PODIUM_SANDBOX_PIN=0`` turns it off.
    """
    if os.environ.get("PODIUM_SANDBOX_PIN", "1") == "0" or not hasattr(os, "sched_getaffinity"):
        return []
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except OSError:
        return []
    return cpus[:workers] if workers <= len(cpus) else []


def _pin(pid: int, cpu: int) -> None:
    with contextlib.suppress(OSError):
        os.sched_setaffinity(pid, {cpu})


class SandboxPool:
    """Up to ``workers`` warm zygotes (default ``os.cpu_count()``), started on first use and reused by every
    :meth:`run_many` until :meth:`close`; use it as a context manager to grade many small batches cheaply.

    Worker slot ``i`` keeps its zygote; where there are CPUs enough, the slot's zygote (so every child it forks)
    and the thread that talks to it run on one CPU (:func:`_pin_cpus`).  A zygote that cannot start or dies
    turns the affected programs into ERROR verdicts (and is replaced on the next use), never an exception.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._cpus = _pin_cpus(self.workers)
        self._slots: queue.SimpleQueue[tuple[int, Zygote | None]] = queue.SimpleQueue()
        for slot in range(self.workers):
            self._slots.put((slot, None))
        self._made: list[Zygote] = []
        self._lock = threading.Lock()
        self._threads = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sandbox")

    def _one(self, source: str | JudgedProgram, limits: Limits) -> ExecResult:
        slot, zygote = self._slots.get()
        cpu = self._cpus[slot] if self._cpus else None
        try:
            if zygote is None or not zygote.alive:
                zygote = Zygote(_guard_code(), BOOTSTRAP, limits.disk_bytes)
                with self._lock:
                    self._made.append(zygote)
                if cpu is not None:
                    _pin(zygote.proc.pid, cpu)
            if cpu is not None:
                _pin(0, cpu)  # this thread (pool threads only ever run this method)
            return _run_in(zygote, source, limits)
        except ZygoteError as exc:
            return ExecResult(Verdict.ERROR, str(exc), 0.0, None, "", "")
        finally:
            self._slots.put((slot, zygote))

    def run_many(self, sources: Sequence[str | JudgedProgram], limits: Limits = DEFAULT_LIMITS,
                 on_done: Callable[[int, ExecResult], None] | None = None) -> list[ExecResult]:
        """Results in input order; ``on_done(index, result)`` is called from the calling thread as each ends."""
        results: list[ExecResult | None] = [None] * len(sources)
        futures: dict[Future[ExecResult], int] = {
            self._threads.submit(self._one, src, limits): i for i, src in enumerate(sources)}
        try:
            for future in as_completed(futures):
                index = futures[future]
                results[index] = result = future.result()
                if on_done is not None:
                    on_done(index, result)
        finally:
            for future in futures:
                future.cancel()
        return [r for r in results if r is not None]

    def close(self) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            made, self._made = self._made, []
        for zygote in made:
            zygote.close()

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_many(sources: Sequence[str | JudgedProgram], limits: Limits = DEFAULT_LIMITS, workers: int | None = None,
             on_done: Callable[[int, ExecResult], None] | None = None) -> list[ExecResult]:
    """Run programs concurrently on ``workers`` zygotes (default ``os.cpu_count()``); results in input order.

    ``on_done(index, result)`` is called from the calling thread as each program finishes.  A zygote that
    cannot start or dies turns the affected programs into ERROR verdicts (and is replaced), never an exception.
    """
    if not sources:
        return []
    with SandboxPool(min(workers or os.cpu_count() or 1, len(sources))) as pool:
        return pool.run_many(sources, limits, on_done)
