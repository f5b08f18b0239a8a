"""Parent side of the sandbox: start one guarded interpreter per program, supervise it, classify it.

Each program runs in ``python -I -S -B -c <guard>`` (see :mod:`evals.sandbox._guard`) with a fresh
temporary directory as cwd (deleted afterwards), an environment of only ``PATH``/``LANG``/``HOME``/
``TMPDIR``, its own session/process group (SIGKILLed as a whole at the end, also on success) and,
when the harness is root, its own throw-away uid whose processes are all SIGKILLed afterwards with
``kill(-1)`` from that uid - which also catches processes that escaped the process group via
``setsid``.  stdout/stderr are drained continuously and only their tails are kept, so an output flood
costs neither memory nor disk.  The child reports through a private pipe; only a line carrying the
per-run nonce counts as a pass.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import secrets
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from functools import cache
from pathlib import Path

from evals.sandbox.model import ExecResult, Limits, Verdict

DEFAULT_LIMITS = Limits()
_UID_BASE, _UID_SPAN = 1_500_000_000, 1 << 24
_CHANNEL_CAP = 64 << 10
_DRAIN_GRACE_S = 2.0
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
exec(marshal.loads(_take(int.from_bytes(_take(8), "big"))))
"""


@cache
def _guard_code() -> bytes:
    """The guard compiled once per harness process (same interpreter, so marshal is compatible)."""
    path = Path(__file__).with_name("_guard.py")
    code = compile(path.read_text(encoding="utf-8"), "<podium-guard>", "exec", dont_inherit=True)
    blob = marshal.dumps(code)
    return len(blob).to_bytes(8, "big") + blob


@cache
def _sandbox_base() -> str | None:
    """Where temp dirs go: as root they only serve as tmpfs mount points, so a fast tmpfs is best."""
    if os.geteuid() == 0 and os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK | os.X_OK):
        return "/dev/shm"
    return None


def _id_map_covers(path: str, ident: int) -> bool:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return ident < 65536
    for line in lines:
        inside, _outside, count = (int(x) for x in line.split())
        if inside <= ident < inside + count:
            return True
    return False


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


def _killpg(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class _Tail:
    """Keeps the first ``head`` and the last ``cap`` bytes of a stream, counting the rest."""

    def __init__(self, cap: int, head: int = 0) -> None:
        self.cap, self.head_cap = cap, head
        self.head, self.buf, self.total = bytearray(), bytearray(), 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        if len(self.head) < self.head_cap:
            self.head += data[: self.head_cap - len(self.head)]
        self.buf += data
        if len(self.buf) > 2 * self.cap:
            del self.buf[: -self.cap]

    def text(self) -> str:
        tail = bytes(self.buf[-self.cap:])
        dropped = self.total - len(tail)
        prefix = f"[... {dropped} bytes truncated ...]\n" if dropped > 0 and self.head_cap == 0 else ""
        return prefix + tail.decode("utf-8", "replace")

    def lines(self) -> list[str]:
        if self.total <= self.cap:
            return bytes(self.buf).decode("utf-8", "replace").splitlines()
        head = bytes(self.head).decode("utf-8", "replace").splitlines()[:1]
        return head + bytes(self.buf[-self.cap:]).decode("utf-8", "replace").splitlines()[1:]


class _Run:
    """Supervises one child: feeds stdin, drains pipes, enforces the wall clock, reaps."""

    def __init__(self, proc: subprocess.Popen[bytes], chan: int, payload: bytes, limits: Limits,
                 uid: int | None, start: float) -> None:
        self.proc, self.chan, self.payload, self.limits, self.uid = proc, chan, payload, limits, uid
        self.deadline = start + limits.wall_seconds
        self.out, self.err = _Tail(limits.output_bytes), _Tail(limits.output_bytes)
        self.channel = _Tail(_CHANNEL_CAP, head=4096)
        self.timed_out = self.swept = False
        self.cpu_seconds = 0.0

    def supervise(self) -> int:
        proc = self.proc
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        sel = selectors.DefaultSelector()
        sinks = {proc.stdout.fileno(): self.out, proc.stderr.fileno(): self.err, self.chan: self.channel}
        for fd in sinks:
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)
        stdin_fd = proc.stdin.fileno()
        os.set_blocking(stdin_fd, False)
        sel.register(stdin_fd, selectors.EVENT_WRITE)
        pidfd = os.pidfd_open(proc.pid)
        sel.register(pidfd, selectors.EVENT_READ)
        offset, exited = 0, False
        try:
            while not exited:
                remaining = self.deadline - time.monotonic()
                if remaining <= 0:
                    self.timed_out = True
                    break
                for key, _mask in sel.select(remaining):
                    fd = key.fd
                    if fd == pidfd:
                        exited = True
                    elif fd == stdin_fd:
                        try:
                            offset += os.write(stdin_fd, self.payload[offset: offset + (1 << 16)])
                        except (BlockingIOError, InterruptedError):
                            continue
                        except OSError:  # the child is gone: BrokenPipeError and friends
                            offset = len(self.payload)
                        if offset >= len(self.payload):
                            sel.unregister(stdin_fd)
                            proc.stdin.close()
                    else:
                        self._read(sel, fd, sinks)
            _killpg(proc.pid)  # the leader is at worst a zombie here, so the group id cannot be reused
            if self.uid is not None:
                _kill_uid(self.uid)
                self.swept = True
            sel.unregister(pidfd)
            drain_until = time.monotonic() + _DRAIN_GRACE_S
            while sel.get_map() and time.monotonic() < drain_until:
                for key, _mask in sel.select(max(0.0, drain_until - time.monotonic())):
                    if key.fd == stdin_fd:
                        sel.unregister(stdin_fd)
                        proc.stdin.close()
                    else:
                        self._read(sel, key.fd, sinks)
        finally:
            sel.close()
            os.close(pidfd)
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                stream.close()
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        self.cpu_seconds = usage.ru_utime + usage.ru_stime
        return proc.returncode

    @staticmethod
    def _read(sel: selectors.BaseSelector, fd: int, sinks: dict[int, _Tail]) -> None:
        try:
            data = os.read(fd, 1 << 16)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            sinks[fd].add(data)
        else:
            sel.unregister(fd)


def _classify(run: _Run, nonce: str, returncode: int) -> tuple[Verdict, str, tuple[str, ...]]:
    lines = run.channel.lines()
    layers: tuple[str, ...] = ()
    if lines and lines[0].startswith("READY "):
        layers = tuple(x for x in lines[0][6:].split(",") if x)

    def first(prefix: str) -> str | None:
        return next((line[len(prefix):] for line in lines if line.startswith(prefix)), None)

    limits = run.limits
    if (setup := first("SETUP ")) is not None:
        return Verdict.ERROR, f"sandbox setup failed: {setup}", layers
    if run.timed_out:
        return Verdict.TIMEOUT, f"wall-clock limit of {limits.wall_seconds:g}s exceeded", layers
    if (violation := first("VIOLATION ")) is not None:
        return Verdict.ERROR, f"sandbox violation: {violation}", layers
    if (tamper := first("TAMPER ")) is not None:
        return Verdict.FAILED, f"tampering detected: {tamper}", layers
    if lines and lines[-1] == f"PASS {nonce}" and returncode == 0:
        return Verdict.PASSED, "all tests passed", layers
    if returncode == -signal.SIGXCPU or (returncode == -signal.SIGKILL
                                          and run.cpu_seconds >= limits.cpu_seconds - 0.05):
        return Verdict.TIMEOUT, f"CPU time limit of {limits.cpu_seconds:g}s exceeded", layers
    if first("PASS ") is not None:
        return Verdict.ERROR, "forged completion signal on the result channel", layers
    results = [line[len("RESULT "):] for line in lines if line.startswith("RESULT ")]
    if results:
        kind, name, line_no, message = (results[-1].split("\t", 3) + ["", "", ""])[:4]
        where = f" (line {line_no})" if line_no not in ("", "0") else ""
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


def run_program(source: str, limits: Limits = DEFAULT_LIMITS) -> ExecResult:
    """Run one untrusted program in the sandbox; never raises for anything the program does."""
    start = time.monotonic()
    nonce = secrets.token_hex(16)
    sandbox = os.path.realpath(tempfile.mkdtemp(prefix="podium-sbx-", dir=_sandbox_base()))
    uid = _acquire_identity()
    run: _Run | None = None
    try:
        if uid is not None:
            os.chown(sandbox, uid, uid)
        cfg = {"nonce": nonce, "sandbox": sandbox, "cpu": str(max(1, int(-(-limits.cpu_seconds // 1)))),
               "mem": str(limits.memory_bytes), "fsize": str(limits.file_size_bytes), "disk": str(limits.disk_bytes),
               "nproc": str(limits.max_processes if uid is not None else _nproc_for_shared_uid(limits))}
        if uid is not None:
            cfg.update(uid=str(uid), gid=str(uid), keep_read_cap="1" if _needs_read_cap() else "0")
        read_end, write_end = os.pipe()
        cfg["chan"] = str(write_end)
        payload = _guard_code() + ("\n".join(f"{k}={v}" for k, v in cfg.items()) + "\n\n").encode() + \
            source.encode("utf-8", "surrogatepass")
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": sandbox, "TMPDIR": sandbox}
        try:
            proc = subprocess.Popen([sys.executable, "-I", "-S", "-B", "-c", BOOTSTRAP],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    cwd=sandbox, env=env, pass_fds=(write_end,), start_new_session=True)
        except OSError as exc:
            os.close(read_end)
            return ExecResult(Verdict.ERROR, f"could not start the sandbox: {exc}", time.monotonic() - start,
                              None, "", "")
        finally:
            os.close(write_end)
        run = _Run(proc, read_end, payload, limits, uid, start)
        try:
            returncode = run.supervise()
        finally:
            os.close(read_end)
        verdict, reason, layers = _classify(run, nonce, returncode)
        return ExecResult(verdict, reason, time.monotonic() - start, returncode, run.out.text(),
                          run.err.text(), layers)
    finally:
        if uid is not None:
            if run is None or not run.swept:
                _kill_uid(uid)
            _release_identity(uid)
        shutil.rmtree(sandbox, ignore_errors=True)


def _nproc_for_shared_uid(limits: Limits) -> int:
    """Without root the child shares our uid, so RLIMIT_NPROC must leave room for what already runs."""
    tasks = 0  # the kernel counts threads, not processes
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == os.getuid():
                    tasks += len(os.listdir(os.path.join(entry.path, "task")))
    return tasks + limits.max_processes


def run_many(sources: Sequence[str], limits: Limits = DEFAULT_LIMITS, workers: int | None = None,
             on_done: Callable[[int, ExecResult], None] | None = None) -> list[ExecResult]:
    """Run programs concurrently (``workers`` defaults to ``os.cpu_count()``); results in input order.

    ``on_done(index, result)`` is called from the calling thread as each program finishes.
    """
    results: list[ExecResult | None] = [None] * len(sources)
    pool = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1, thread_name_prefix="sandbox")
    try:
        futures: dict[Future[ExecResult], int] = {
            pool.submit(run_program, src, limits): i for i, src in enumerate(sources)}
        for future in as_completed(futures):
            index = futures[future]
            results[index] = result = future.result()
            if on_done is not None:
                on_done(index, result)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [r for r in results if r is not None]
