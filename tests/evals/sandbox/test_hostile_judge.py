"""The trusted judge against a corpus of wrong HumanEval completions aimed at the sandbox (issue 16).

Every case runs in a one-worker pool followed by the problem's canonical solution in the same zygote: the
wrong one must not pass, nothing may escape (harness file, TCP and AF_UNIX listeners, ``/etc/shadow``, the
harness's command line, leftover processes) and the zygote must still serve the next program correctly.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evals.sandbox import Problem, Verdict, load_problems, run_many
from evals.sandbox.humaneval import humaneval_judged
from tests.evals.sandbox.hostile_judge_cases import CASES
from tests.evals.sandbox.test_sandbox import GUARD_MARKER, SECRET, _humaneval_path, sandbox_processes

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs

IS_ROOT = os.geteuid() == 0


def _nobody_gid() -> int:
    import pwd

    return pwd.getpwnam("nobody").pw_gid


REPO = Path(__file__).resolve().parents[3]
REPO_MARKER = next(line for line in (REPO / "pyproject.toml").read_text().splitlines() if line.startswith("name ="))


def _memcg() -> bool:
    from evals.sandbox.cgroup import MemoryGroup

    group = MemoryGroup.create()
    if group is not None:
        group.remove()
    return group is not None


@pytest.fixture(scope="module")
def problems() -> list[Problem]:
    return load_problems(_humaneval_path())


@pytest.fixture(autouse=True)
def _no_leftovers() -> Iterator[None]:
    before = set(sandbox_processes(GUARD_MARKER, "31417"))
    yield
    assert [p for p in sandbox_processes(GUARD_MARKER, "31417") if p not in before] == []


@pytest.fixture()
def listeners() -> Iterator[tuple[socket.socket, socket.socket, str]]:
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    tcp.setblocking(False)
    path = f"/tmp/podium-judge-probe-{os.getpid()}.sock"
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(path)
    os.chmod(path, 0o777)
    unix.listen(8)
    unix.setblocking(False)
    yield tcp, unix, path
    tcp.close()
    unix.close()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@pytest.mark.parametrize("name", list(CASES))
def test_wrong_completion_never_passes_and_nothing_escapes(
        name: str, problems: list[Problem], tmp_path: Path, listeners: tuple[socket.socket, socket.socket, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    attack = CASES[name]
    if attack.needs == "root" and not IS_ROOT:
        pytest.skip("shows a kernel layer that needs root (mount namespace, throw-away uid)")
    if attack.needs == "memcg" and not _memcg():
        pytest.skip("no writable memory cgroup (needs root)")
    tcp, unix, usock = listeners
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    canary = tmp_path / "canary.txt"
    canary.write_text("precious")
    p = problems[attack.task]
    completion = attack.filled(canary=str(canary), port=tcp.getsockname()[1], usock=usock, harness_pid=os.getpid(),
                               repo_file=str(REPO / "pyproject.toml"), data=str(_humaneval_path()))
    hostile = humaneval_judged(p["prompt"], completion, p["test"], p["entry_point"])
    control = humaneval_judged(p["prompt"], p["canonical_solution"], p["test"], p["entry_point"])
    result, after = run_many([hostile, control], attack.limits, workers=1)
    assert result.verdict is not Verdict.PASSED, result
    assert result.verdict in attack.verdicts and attack.reason in result.reason, result
    assert after.verdict is Verdict.PASSED, after  # the zygote survived and serves the next program
    output = result.stdout_tail + result.stderr_tail
    assert canary.read_text() == "precious"
    assert "root:" not in output and SECRET not in output
    assert Path("/proc/self/cmdline").read_text() not in output and f"{os.getpid()}\n" not in output  # harness /proc
    assert "reached" not in output
    assert REPO_MARKER not in output  # a file of the repository (e.g. an .env next to it) stays unread
    for srv in (tcp, unix):
        with pytest.raises(BlockingIOError):
            srv.accept()
    if IS_ROOT:
        assert {"netns", "ro_root", "tmpfs", "hidepid", "no_host_sockets", "hidden_user_dirs"} <= set(result.layers), result.layers
        assert not any("cap_dac_read_search" in x for x in result.layers), result.layers


def test_every_canonical_solution_passes_the_judge(problems: list[Problem]) -> None:
    results = run_many([humaneval_judged(p["prompt"], p["canonical_solution"], p["test"], p["entry_point"])
                        for p in problems])
    failed = [(p["task_id"], r.verdict.value, r.reason) for p, r in zip(problems, results, strict=True) if not r.passed]
    assert failed == [] and len(results) == 164


def test_a_chatty_correct_candidate_passes(problems: list[Problem]) -> None:
    """stdout is drained while the judge waits for a reply: megabytes of prints never deadlock a call."""
    p = problems[0]
    chatty = "    print('x' * (1 << 20))\n" + p["canonical_solution"]
    result = run_many([humaneval_judged(p["prompt"], chatty, p["test"], p["entry_point"])])[0]
    assert result.verdict is Verdict.PASSED, result


NOBODY: dict[str, Any] = {"user": "nobody", "group": _nobody_gid(), "extra_groups": []} if IS_ROOT else {}


def _unprivileged_python() -> str | None:
    """An interpreter user ``nobody`` may run that imports the sandbox (the venv's may live under ``/root``)."""
    probe = f"import sys; sys.path.insert(0, {str(REPO)!r}); assert sys.version_info >= (3, 11); import evals.sandbox"
    for cand in dict.fromkeys([sys.executable, shutil.which("python3") or "", "/usr/bin/python3"]):
        try:
            if cand and subprocess.run([cand, "-I", "-c", probe], capture_output=True, cwd="/", check=False,
                                       timeout=60, **NOBODY).returncode == 0:
                return cand
        except (OSError, subprocess.SubprocessError):  # e.g. the interpreter lives under /root
            continue
    return None


def _unprivileged_mounts(python: str) -> bool:
    """Whether user nobody may make a user + mount namespace and mount a tmpfs in it (some kernels forbid it)."""
    probe = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
             "assert libc.unshare(0x10000000 | 0x00020000) == 0\n"
             "open('/proc/self/setgroups', 'w').write('deny')\n"
             "open('/proc/self/uid_map', 'w').write(f'{os.getuid()} {os.getuid()} 1')\n"
             "assert libc.mount(b'none', b'/', None, 0x4000 | 0x40000, None) == 0\n"
             "assert libc.mount(b'probe', b'/tmp', b'tmpfs', 0, b'size=64k') == 0\n")
    try:
        return subprocess.run([python, "-I", "-c", probe], capture_output=True, cwd="/", check=False, timeout=60,
                              **NOBODY).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.mark.skipif(not IS_ROOT, reason="starts the harness as user nobody (needs root to switch users)")
def test_without_root_the_corpus_holds_in_a_user_namespace() -> None:
    """The harness unprivileged: the zygote's user namespace gets a mount namespace of its own (user directories
    with the answer key hidden, every mount read-only, a tmpfs temp dir) and the child drops the namespace's
    capabilities - so also a program that neuters the audit hook reads and writes nothing of the user's."""
    python = _unprivileged_python()
    if python is None:
        pytest.skip("no Python interpreter that user nobody may run imports the sandbox")
    work = tempfile.mkdtemp(prefix="podium-nobody-")
    os.chmod(work, 0o777)
    try:
        proc = subprocess.run([python, "-I", str(Path(__file__).with_name("unprivileged_corpus.py")), str(REPO),
                               str(_humaneval_path()), work], capture_output=True, text=True, **NOBODY,
                              cwd=work, timeout=900, check=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    *cases, honest = (json.loads(line) for line in proc.stdout.splitlines())
    assert honest["canonical_passed"] == honest["of"] == 164
    if not _unprivileged_mounts(python):
        pytest.skip("this kernel gives an unprivileged user no mount namespace (user namespaces restricted)")
    assert len(cases) == len(CASES)
    for case in cases:
        assert case["verdict"] != "passed" and case["control"] == "passed", case
        assert case["canary_kept"] and not case["connected"] and not case["read_repository"], case
        assert {"userns+netns", "hidden_user_dirs", "ro_root", "tmpfs", "no_capabilities"} <= set(case["layers"]), case
