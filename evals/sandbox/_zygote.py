"""Child-side zygote of the Podium sandbox: one warm, isolated interpreter that forks one child per program.

Runs in the same namespace as :mod:`evals.sandbox._guard` (the bootstrap executes this file's code object
first, then the guard's); standard library only, it must never import ``evals``.  The parent side is
:mod:`evals.sandbox.zygote`.

Once per zygote (the expensive part, paid once instead of per program): as root a fresh network namespace
and a private mount namespace whose every mount is read-only, plus a small tmpfs over the zygote's base
directory; without root a user + network namespace, with the same mount namespace where the kernel allows it
(best-effort).  It then imports the modules HumanEval programs use,
freezes the GC (fewer copy-on-write faults in the children) and serves requests from the harness over a
UNIX socket: header + program source, with the write ends of the child's stdout, stderr and result channel
attached as file descriptors.

Per program it creates ``base/<n>`` (on the zygote's tmpfs of ``disk`` bytes; as root owned by the program's
throw-away uid), forks, and in the child - after moving the pipes to fds 1/2, closing every other fd,
``setsid`` and ``chdir`` - *returns* from :func:`_zygote` with that program's request.  Returning unwinds
the zygote's frames, so the child's stack and state are exactly those of a freshly started guard:
``_main`` goes on to ``_bootstrap`` (rlimits, no_new_privs, uid switch, audit hook) and runs the program.
The zygote meanwhile waits for the child on a pidfd with the wall-clock limit, SIGKILLs its process group
and (as root) every process of its uid, reaps it with ``wait4`` (exit status, CPU seconds), unmounts and
removes the directory and reports a ``done`` message (exit code, CPU seconds, timed out;
:mod:`evals.sandbox._wire`).  The harness closing
the socket ends the zygote (and kills a running child).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import socket as _socket_t

    from evals.sandbox._guard import Kit, _prepare
    from evals.sandbox._mounts import _MS_FLAGS, _MS_REMOUNT, _tmpfs_opts, _zygote_isolate
    from evals.sandbox._wire import wire_line

# Modules HumanEval-style programs import, loaded once here.  Not ``threading`` or ``random`` (nor ``tempfile``,
# which imports it): their at-fork hooks run in every child and tripled the cost of a fork (measured: fork + exit
# of this zygote 0.28 ms without them, 0.81 ms with them); programs that want them import them themselves.
_PRELOAD = ("typing", "re", "collections", "itertools", "functools", "heapq", "string", "hashlib", "bisect",
            "copy", "operator", "dataclasses", "enum", "abc", "numbers", "fractions", "decimal", "traceback",
            "warnings", "resource", "_sitebuiltins", "shutil", "select", "pathlib")


def _recv_exact(sock: _socket_t.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _recv_request(sock: _socket_t.socket) -> tuple[dict[str, str], bytes, list[int]] | None:
    import socket

    # the harness sends the next request only after this one's ``done``: a large first read never takes part of it
    first, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, 5)
    if not first:
        for fd in fds:
            os.close(fd)
        return None
    head = first[:8] + (_recv_exact(sock, 8 - len(first)) or b"") if len(first) < 8 else first[:8]
    size = int.from_bytes(head, "big") if len(head) == 8 else -1
    body = first[8:8 + size] if size >= 0 else None
    if body is not None and len(body) < size:
        more = _recv_exact(sock, size - len(body))
        body = body + more if more is not None else None
    if body is None or len(fds) not in (3, 5):
        for fd in fds:
            os.close(fd)
        return None
    header, _, source = body.partition(b"\n\n")
    cfg = dict(line.split("=", 1) for line in header.decode().split("\n") if "=" in line)
    return cfg, source, fds


def _kill_uid(uid: int) -> None:
    """SIGKILL every process of a throw-away uid: ``kill(-1)`` sent *as* that uid (never reaches the sender)."""
    import signal

    helper = os.fork()
    if helper == 0:
        try:
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        except BaseException:  # noqa: BLE001 - ESRCH when nothing is left
            pass
        os._exit(0)
    os.waitpid(helper, 0)


def _sweep(pid: int, uid: int) -> tuple[int, object]:
    """Kill and reap the child and everything it started; returns its wait status and resource usage.

    The zygote is a child subreaper, so when the program's process exits, every process it left behind
    (also ``setsid`` escapees and their descendants, as they are orphaned) becomes a child of the zygote:
    ``waitpid(-1, WNOHANG)`` raising ``ChildProcessError`` proves nothing survived - the common case costs
    no extra process.  Otherwise the survivors are killed (as root: every process of the throw-away uid,
    atomically; without root: their process groups) and reaped until none is left.
    """
    import signal

    try:  # noqa: SIM105 - contextlib is not preloaded
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    _pid, status, usage = os.wait4(pid, 0)
    for _round in range(10_000):
        try:
            found, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if found:
            continue
        if uid >= 0:
            _kill_uid(uid)
        else:
            for child in _children():
                for kill in (os.killpg, os.kill):
                    try:  # noqa: SIM105
                        kill(child, signal.SIGKILL)
                    except OSError:
                        pass
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    return status, usage


def _remove_tree(path: str) -> bool:
    """Remove what a program left in its directory; returns whether it is gone.  Never raises, never recurses.

    ``shutil.rmtree`` recurses once per directory level, so 1,100 nested directories raised ``RecursionError``
    (not ``OSError``) and killed the zygote.  This walks down and back up with one directory fd at a time
    (``..`` to go up: every process of the program is dead, so the tree no longer changes), never follows a
    symlink, and gives up after a bounded number of steps or at the first error.
    """
    try:
        os.rmdir(path)
        return True
    except OSError:
        pass
    names: list[str] = []
    fd = -1
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        for _step in range(1 << 20):
            with os.scandir(fd) as it:
                entry = next(it, None)
            if entry is None:
                if not names:
                    os.close(fd)
                    fd = -1
                    os.rmdir(path)
                    return True
                up = os.open("..", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                os.close(fd)
                fd = up
                os.rmdir(names.pop(), dir_fd=fd)
            elif entry.is_dir(follow_symlinks=False):
                down = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = down
                names.append(entry.name)
            else:
                os.unlink(entry.name, dir_fd=fd)
    except BaseException:  # noqa: BLE001 - a program-made tree must never stop the zygote
        pass
    if fd >= 0:
        try:  # noqa: SIM105 - contextlib is not preloaded
            os.close(fd)
        except OSError:
            pass
    return False


def _children() -> list[int]:
    """This process's live children (``/proc/self/task/*/children``)."""
    pids: list[int] = []
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/children") as fh:
                pids += [int(x) for x in fh.read().split()]
    except OSError:
        pass
    return pids


def _zygote(cfg: dict[str, str]) -> tuple[dict[str, str], bytes, tuple[object, ...], Kit]:
    """Serve programs; returns only in a forked child, with that child's request (see the module doc), the
    ctypes objects :func:`_isolate` needs (built once here: ``libc``, the capability structs, ``get_errno``)
    and the guard's :func:`_prepare` kit (built once here too).

    Longer than 60 lines on purpose: the fork must happen in this frame so that the child returns out of the
    zygote's frames with a stack exactly like a fresh guard's (a test walks every frame's locals)."""
    import ctypes
    import gc
    import select
    import socket

    root = os.geteuid() == 0
    base = cfg["base"]
    disk = int(cfg.get("disk", str(64 << 20)))
    ctl = socket.socket(fileno=int(cfg["ctl"]))
    libc = ctypes.CDLL(None, use_errno=True)

    class CapData(ctypes.Structure):
        _fields_ = [(n, ctypes.c_uint32) for n in ("effective", "permitted", "inheritable")]

    tools = (libc, CapData * 2, ctypes.c_uint32 * 2, ctypes.get_errno)
    try:
        if libc.prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER: orphans of a program come back here
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
        layers = _zygote_isolate(libc, base, root, disk)
        for name in _PRELOAD:
            __import__(name)
        _ = libc.capset, libc.umount2  # resolve once, not in every child
    except Exception as exc:  # noqa: BLE001 - reported to the harness, which falls back to an error verdict
        ctl.sendall(wire_line("fatal", why=" ".join(f"{type(exc).__name__}: {exc}".split())))
        os._exit(88)
    # programs never see ctypes: only this function's locals (gone in the children) keep it alive
    for name in [m for m in sys.modules if m == "ctypes" or m.startswith(("ctypes.", "_ctypes"))]:
        del sys.modules[name]
    own_tmpfs = "tmpfs" in layers
    kit = _prepare()
    gc.collect()
    gc.freeze()
    ctl.sendall(wire_line("ready", layers=layers))
    serial = 0
    while True:
        req = _recv_request(ctl)
        if req is None:
            os._exit(0)
        job, source, fds = req
        out_w, err_w, chan_w = fds[:3]
        serial += 1
        home = f"{base}/{serial}"
        uid = int(job.get("uid", "-1"))
        try:
            want = int(job.get("disk", disk))
            if own_tmpfs and want != disk:  # the tmpfs is empty between programs, so resizing it always works
                if libc.mount(b"podium-sandbox", base.encode(), b"tmpfs", _MS_FLAGS | _MS_REMOUNT,
                              _tmpfs_opts(want).encode()) != 0:
                    raise OSError(ctypes.get_errno(), "remount tmpfs")
                disk = want
            os.mkdir(home, 0o700)
            if uid >= 0:
                os.chown(home, uid, uid)
            pid = os.fork()
        except OSError as exc:
            for fd in fds:
                os.close(fd)
            ctl.sendall(wire_line("done", code=-1, cpu=0.0, timed_out=False,
                                  failure=" ".join(f"setup {type(exc).__name__}: {exc}".split())))
            continue
        if pid == 0:  # the child: clean fds, own session, own dir - then run like a fresh guard
            ctl.detach()
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            keep = sorted(fds[2:])  # the result channel and, in judge mode, the call and reply pipes
            for lo, hi in zip([3] + [k + 1 for k in keep], [*keep, 1 << 16], strict=True):
                os.closerange(lo, hi)
            os.setsid()
            os.chdir(home)
            os.environ["HOME"] = os.environ["TMPDIR"] = home
            try:  # the zygote is the OOM killer's last choice (see evals.sandbox.cgroup), the program its first
                adj = os.open("/proc/self/oom_score_adj", os.O_WRONLY)  # no file object: fewer pages touched
                os.write(adj, b"1000")
                os.close(adj)
            except OSError:
                pass
            job.update(sandbox=home, chan=str(chan_w), layers=",".join(layers))
            if len(fds) == 5:
                job.update(req=str(fds[3]), rep=str(fds[4]))
            return job, source, tools, kit
        for fd in fds:
            os.close(fd)
        pidfd = os.pidfd_open(pid)
        ready: list[int] = select.select([pidfd, ctl.fileno()], [], [], float(job.get("wall", "60")))[0]
        os.close(pidfd)
        lost = ctl.fileno() in ready and pidfd not in ready  # the harness went away (it never writes during a run)
        status, usage = _sweep(pid, uid)
        if not _remove_tree(home) and own_tmpfs:  # whatever was left: a fresh, empty tmpfs instead
            libc.umount2(base.encode(), 2)  # MNT_DETACH
            libc.mount(b"podium-sandbox", base.encode(), b"tmpfs", _MS_FLAGS, f"{_tmpfs_opts(disk)},mode=0711".encode())
        if lost:
            os._exit(0)
        cpu = usage.ru_utime + usage.ru_stime  # type: ignore[attr-defined]
        ctl.sendall(wire_line("done", code=os.waitstatus_to_exitcode(status), cpu=cpu, timed_out=not ready,
                              failure=""))
