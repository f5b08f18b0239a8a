"""Inputs that used to kill or stall a zygote (issue 16): each must end with a verdict and leave it serving."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Iterator

import pytest

from evals.sandbox import Limits, Verdict, run_many, run_program
from tests.evals.sandbox.test_sandbox import GUARD_MARKER, sandbox_processes

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs

FAST = Limits(cpu_seconds=3, wall_seconds=10)
NEXT = "import os\nassert os.listdir('.') == []\n"  # the next program in the same zygote starts clean


@pytest.fixture(autouse=True)
def _no_leftovers() -> Iterator[None]:
    before = set(sandbox_processes(GUARD_MARKER))
    yield
    assert [p for p in sandbox_processes(GUARD_MARKER) if p not in before] == []


def test_deeply_nested_directories_are_removed_without_killing_the_zygote() -> None:
    """1,100 levels made ``shutil.rmtree`` raise ``RecursionError`` in the zygote."""
    nested = "import os\nfor _ in range(1100):\n    os.mkdir('d')\n    os.chdir('d')\nopen('f', 'w').write('x')\n"
    results = run_many([nested, NEXT], FAST, workers=1)
    assert [r.verdict for r in results] == [Verdict.PASSED, Verdict.PASSED], results


def test_odd_files_and_unreadable_directories_are_removed() -> None:
    src = ("import os\nos.makedirs('a/b/c')\nos.mkfifo('a/fifo')\nopen('a/f', 'w').write('x')\nos.chmod('a/f', 0)\n"
           "open('a/b/c/g', 'w').write('y')\nos.chmod('a/b/c', 0)\nos.chmod('a/b', 0)\n")
    results = run_many([src, NEXT], FAST, workers=1)
    assert [r.verdict for r in results] == [Verdict.PASSED, Verdict.PASSED], results


@pytest.mark.parametrize("src", [
    "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)\n",
    "import os, signal\nsignal.raise_signal(signal.SIGSTOP)\n",
    "import signal, threading\nsignal.pthread_kill(threading.main_thread().ident, signal.SIGSTOP)\n",
], ids=["kill", "raise_signal", "pthread_kill"])
def test_a_program_that_stops_itself_meets_the_wall_clock(src: str) -> None:
    """A stopped process uses no CPU, so only the wall clock (the zygote waits on a pidfd) can end it."""
    start = time.monotonic()
    results = run_many([src, "assert 2 + 2 == 4\n"], Limits(cpu_seconds=5, wall_seconds=4), workers=1)
    assert results[0].verdict is Verdict.TIMEOUT and "wall-clock" in results[0].reason, results[0]
    assert results[1].verdict is Verdict.PASSED, results[1]
    assert time.monotonic() - start < 60


# --------------------------------------------------------------------------- read roots (root only)
IS_ROOT = os.geteuid() == 0
root_only = pytest.mark.skipif(not IS_ROOT, reason="the mount-namespace layers need root")


def shell(cmd: str) -> str:
    """A program that runs ``cmd`` through the unaudited ``_posixsubprocess.fork_exec`` (no audit hook there)."""
    return ("import _posixsubprocess, os\nr, w = os.pipe()\n"
            f"pid = _posixsubprocess.fork_exec(['/bin/sh', '-c', {cmd!r}], [b'/bin/sh'], True, (w,), None, None,\n"
            "    -1, -1, -1, -1, -1, -1, r, w, True, False, -1, None, None, None, -1, None, False)\n"
            "os.waitpid(pid, 0)\n")


@root_only
@pytest.mark.parametrize("src", [
    "print(open('/etc/shadow').read())\n",
    "import os\nfd = os.open('.', os.O_RDONLY)\nf = os.open('../' * 30 + 'etc/shadow', os.O_RDONLY, dir_fd=fd)\n"
    "print(os.read(f, 4096))\n",
    shell("cat /etc/shadow /etc/gshadow"),
], ids=["open", "dir_fd_climb", "fork_exec_cat"])
def test_no_secret_file_is_readable(src: str) -> None:
    result = run_program(src, FAST)
    assert "root:" not in result.stdout_tail and "no_shadow" in result.layers, result


@root_only
def test_harness_processes_are_invisible() -> None:
    result = run_program(shell(f"cat /proc/{os.getpid()}/cmdline; echo; ls /proc"), FAST)
    assert "pytest" not in result.stdout_tail and f"{os.getpid()}\n" not in result.stdout_tail, result
    assert "hidepid" in result.layers, result


@root_only
def test_no_filesystem_socket_of_the_harness_is_reachable() -> None:
    """A world-writable AF_UNIX socket in /tmp and one beside the zygote's base: connected to by a fresh,
    unguarded interpreter started through the unaudited fork path."""
    paths = [f"/tmp/podium-probe-{os.getpid()}.sock", f"/dev/shm/podium-probe-{os.getpid()}.sock"]
    servers = []
    try:
        for path in paths:
            srv = socket.socket(socket.AF_UNIX)
            srv.bind(path)
            os.chmod(path, 0o777)
            srv.listen(1)
            srv.setblocking(False)
            servers.append(srv)
        probe = "; ".join(f"python3 -c 'import socket; socket.socket(socket.AF_UNIX).connect(\"{p}\")' && echo reached"
                          for p in paths)
        result = run_program(shell(probe), FAST)
        assert "reached" not in result.stdout_tail and "no_host_sockets" in result.layers, result
        for srv in servers:
            with pytest.raises(BlockingIOError):
                srv.accept()
    finally:
        for srv in servers:
            srv.close()
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


# --------------------------------------------------------------------------- memory that RLIMIT_AS does not see
MEMFD = ("import os\nfd = os.memfd_create('x')\nchunk = b'a' * (1 << 20)\nfor _ in range(768):\n"
         "    os.write(fd, chunk)\nassert False, 'held 768 MiB'\n")


def _memcg_available() -> bool:
    from evals.sandbox.cgroup import MemoryGroup

    group = MemoryGroup.create()
    if group is None:
        return False
    group.remove()
    return True


@pytest.mark.skipif(not _memcg_available(), reason="no writable memory cgroup (needs root)")
@pytest.mark.parametrize("src", [MEMFD, MEMFD.replace("os.memfd_create('x')", "os.open('big', os.O_CREAT | os.O_WRONLY)")],
                         ids=["memfd", "tmpfs_file"])
def test_memory_outside_the_address_space_is_counted(src: str) -> None:
    limits = Limits(cpu_seconds=10, wall_seconds=30, memory_bytes=256 << 20, disk_bytes=1 << 30,
                    file_size_bytes=1 << 30)
    results = run_many([src, "assert [0] * 10**6\n"], limits, workers=1)
    assert results[0].verdict is Verdict.OOM and "memcg" in results[0].layers, results[0]
    assert results[1].verdict is Verdict.PASSED, results[1]
