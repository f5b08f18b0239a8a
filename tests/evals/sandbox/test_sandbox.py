"""The sandbox against a hostile corpus - real subprocesses, no mocks."""

from __future__ import annotations

import dis
import json
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from evals.sandbox import (
    ExecResult,
    Limits,
    Problem,
    Verdict,
    _guard,
    humaneval_program,
    limits_record,
    load_problems,
    run_many,
    run_program,
)

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs

GUARD_MARKER = "podium-sandbox-guard"
SECRET = "sk-podium-test-secret-0123456789"
FAST = Limits(cpu_seconds=3, wall_seconds=10)
IS_ROOT = os.geteuid() == 0


def _humaneval_path() -> Path:
    env = os.environ.get("PODIUM_DATA_DIR")
    roots = [Path(env)] if env else []
    here = Path(__file__).resolve()
    roots += [Path.cwd().parent / "shared" / "benchmarks", here.parents[4] / "shared" / "benchmarks"]
    for root in roots:
        if (root / "humaneval" / "HumanEval.jsonl.gz").exists():
            return root / "humaneval" / "HumanEval.jsonl.gz"
    pytest.fail("HumanEval.jsonl.gz not found: set PODIUM_DATA_DIR")


@pytest.fixture(scope="module")
def problems() -> list[Problem]:
    return load_problems(_humaneval_path())


def program(p: Problem, completion: str) -> str:
    return humaneval_program(p["prompt"], completion, p["test"], p["entry_point"])


def sandbox_processes(*markers: str) -> list[str]:
    """Command lines of live (non-zombie) processes mentioning any marker (guards of this interpreter only)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            state = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if GUARD_MARKER in cmdline and not cmdline.startswith(sys.executable + " "):
            continue  # another checkout's sandbox on this machine (its interpreter path differs)
        if state != "Z" and any(m in cmdline for m in markers):
            found.append(f"{entry.name}: {cmdline[:120]}")
    return found


@pytest.fixture(autouse=True)
def _no_leftovers() -> Iterator[None]:
    """Every test ends without a surviving sandbox process (the guard's argv carries the marker); processes
    that were already there (another Podium run on this machine) do not count."""
    before = set(sandbox_processes(GUARD_MARKER, "31415", "31416"))
    yield
    assert [p for p in sandbox_processes(GUARD_MARKER, "31415", "31416") if p not in before] == []


# --------------------------------------------------------------------------- the hostile corpus
@dataclass(frozen=True)
class Case:
    source: str
    verdicts: frozenset[Verdict]
    reason: str = ""
    limits: Limits = FAST


def case(source: str, *verdicts: Verdict, reason: str = "", limits: Limits = FAST) -> Case:
    return Case(source, frozenset(verdicts), reason, limits)


NOT_PASSED = (Verdict.FAILED, Verdict.ERROR, Verdict.TIMEOUT, Verdict.OOM)
EARLY = "exited before tests completed"
WRONG = "def double(x):\n    return x + 1\n"  # wrong for every x but 1
CHECK = "\ndef check(candidate):\n    assert candidate(2) == 4\n    assert candidate(5) == 10\ncheck(double)\n"

CORPUS: dict[str, Case] = {
    "correct": case("def double(x):\n    return 2 * x\n" + CHECK, Verdict.PASSED),
    "wrong": case(WRONG + CHECK, Verdict.FAILED, reason="AssertionError"),
    "syntax_error": case("def double(x) return 2x\n" + CHECK, Verdict.ERROR, reason="syntax error"),
    "infinite_loop": case("while True:\n    pass\n", Verdict.TIMEOUT, reason="CPU time limit",
                          limits=Limits(cpu_seconds=1, wall_seconds=60)),  # the CPU limit ends it, however busy
    "sleep_forever": case("import time\ntime.sleep(3600)\n", Verdict.TIMEOUT, reason="wall-clock",
                          limits=Limits(cpu_seconds=5, wall_seconds=1.5)),
    "fork_bomb": case("import os\nwhile True:\n    os.fork()\n", *NOT_PASSED, reason="os.fork"),
    "fork_bomb_multiprocessing": case(
        "import multiprocessing as mp\nwhile True:\n    mp.Process(target=print).start()\n",
        *NOT_PASSED, reason="os.fork"),
    "subprocess": case("import subprocess\nsubprocess.run(['sh', '-c', 'sleep 31415'])\n", *NOT_PASSED,
                       reason="subprocess.Popen"),
    "os_system": case("import os\nos.system('sleep 31415 &')\n", *NOT_PASSED, reason="os.system"),
    "memory_balloon": case("x = []\nwhile True:\n    x.append(b'a' * 10**7)\n", Verdict.OOM,
                           limits=Limits(cpu_seconds=10, wall_seconds=30, memory_bytes=256 << 20)),
    "memory_balloon_caught": case("x = []\ntry:\n    while True:\n        x.append(b'a' * 10**7)\n"
                                  "except MemoryError:\n    x.clear()\nassert False, 'recovered'\n", Verdict.FAILED,
                                  reason="recovered", limits=Limits(memory_bytes=256 << 20)),
    "memory_one_shot": case("x = bytearray(64 << 30)\n", Verdict.OOM),
    "deep_recursion": case("def f(n):\n    return f(n + 1)\nf(0)\n", Verdict.FAILED, Verdict.ERROR,
                           reason="RecursionError"),
    "socket_localhost": case("import socket\ns = socket.socket()\ns.connect(('127.0.0.1', PORT))\n",
                             *NOT_PASSED, reason="socket"),
    "socket_caught": case("import socket\ntry:\n    socket.create_connection(('127.0.0.1', PORT))\n"
                          "except OSError:\n    pass\n", *NOT_PASSED, reason="socket"),
    "urllib": case("import urllib.request\nurllib.request.urlopen('http://127.0.0.1:PORT/')\n",
                   *NOT_PASSED, reason="socket"),
    "kill_parent": case("import os\nos.kill(os.getppid(), 9)\n", *NOT_PASSED, reason="os.kill"),
    "killpg_parent": case("import os\nos.killpg(os.getpgid(os.getppid()), 9)\n", *NOT_PASSED),
    "delete_canary": case("import os\nos.remove(CANARY)\n", *NOT_PASSED, reason="outside the sandbox"),
    "rmtree_canary_dir": case("import shutil, os\nshutil.rmtree(os.path.dirname(CANARY))\n", *NOT_PASSED),
    "overwrite_canary": case("open(CANARY, 'w').write('pwned')\n", *NOT_PASSED, reason="write access"),
    "write_outside": case("open(OUTSIDE, 'w').write('x')\n", *NOT_PASSED, reason="write access"),
    "rename_canary": case("import os\nos.rename(CANARY, OUTSIDE)\n", *NOT_PASSED),
    "chmod_canary": case("import os\nos.chmod(CANARY, 0o777)\n", *NOT_PASSED),
    "symlink_escape": case("import os\nos.symlink(CANARY, 'link')\nopen('link', 'w').write('x')\n",
                           *NOT_PASSED),
    "write_inside_ok": case("import os, tempfile\nopen('f.txt', 'w').write('x')\nos.mkdir('d')\n"
                            "tempfile.mkstemp()\nos.remove('f.txt')\nassert not os.path.exists('f.txt')\n",
                            Verdict.PASSED),
    "env_secret_absent": case("import os\nassert 'OPENAI_API_KEY' not in os.environ\n"
                              "assert not any('sk-' in v for v in os.environ.values())\n", Verdict.PASSED),
    "env_printed": case("import os\nprint(dict(os.environ))\n", Verdict.PASSED),
    "parent_environ": case("import os\nprint(open(f'/proc/{os.getppid()}/environ').read())\n", *NOT_PASSED),
    "read_harness_file": case("print(open(CANARY).read())\n", *NOT_PASSED, reason="read access"),
    "sys_exit_early": case(WRONG + "import sys\nsys.exit(0)\n" + CHECK, Verdict.FAILED, reason=EARLY),
    "os_exit_early": case(WRONG + "import os\nos._exit(0)\n" + CHECK, Verdict.FAILED, reason=EARLY),
    "exit_early": case(WRONG + "exit()\n" + CHECK, Verdict.FAILED, reason=EARLY),
    "quit_early": case(WRONG + "quit(0)\n" + CHECK, Verdict.FAILED, reason=EARLY),
    "raise_systemexit": case(WRONG + "raise SystemExit(0)\n" + CHECK, Verdict.FAILED, reason=EARLY),
    "exit_inside_candidate": case("import os\ndef double(x):\n    os._exit(0)\n" + CHECK, Verdict.FAILED,
                                  reason=EARLY),
    "systemexit_inside_candidate": case("def double(x):\n    raise SystemExit(0)\n" + CHECK, Verdict.FAILED,
                                        reason=EARLY),
    "patch_builtins_module": case(WRONG + "import builtins\nbuiltins.AssertionError = KeyError\n"
                                  "builtins.abs = lambda x: 0\n" + CHECK, Verdict.FAILED),
    "patch_private_builtins": case("def double(x):\n    return 0\n__builtins__['abs'] = lambda x: 0\n"
                                   "def check(c):\n    assert abs(c(3) - 6) < 1e-9\ncheck(double)\n",
                                   Verdict.FAILED, reason="tampering"),
    "shadow_assertionerror": case(WRONG + "class AssertionError(Exception):\n    pass\n"
                                  "__builtins__['AssertionError'] = AssertionError\n" + CHECK, Verdict.FAILED),
    "import_game": case(WRONG + "import math as _m\n_real = __import__\nclass Fake:\n"
                        "    isclose = staticmethod(lambda *a, **k: True)\n"
                        "__builtins__['__import__'] = lambda n, *a, **k: Fake if n == 'math' else _real(n, *a, **k)\n"
                        "def check(c):\n    import math\n    assert math.isclose(c(3), 6)\ncheck(double)\n",
                        Verdict.FAILED, reason="tampering"),
    "sys_modules_swap": case(WRONG + "import sys\nclass Fake:\n    isclose = staticmethod(lambda *a, **k: True)\n"
                             "sys.modules['math'] = Fake\n"
                             "def check(c):\n    import math\n    assert math.isclose(c(3), 6)\ncheck(double)\n",
                             Verdict.FAILED, reason="tampering"),
    "meta_path_finder": case(WRONG + "import sys, types\nclass F:\n    @staticmethod\n"
                             "    def find_spec(name, path=None, target=None):\n        return None\n"
                             "sys.meta_path.insert(0, F)\n" + CHECK.replace("check(double)", "")
                             + "check(lambda x: 2 * x)\n", Verdict.FAILED, reason="tampering"),
    "settrace_skip_asserts": case(WRONG + "import sys\nsys.settrace(lambda *a: None)\n" + CHECK, *NOT_PASSED),
    "forge_pass_event": case(WRONG + "import sys\nsys.audit('podium.pass')\n" + CHECK, *NOT_PASSED,
                             reason="forged completion"),
    "forge_pass_line": case(WRONG + "import os\nfor fd in range(3, 64):\n    try:\n"
                            "        os.write(fd, b'PASS 0123456789abcdef0123456789abcdef\\n')\n"
                            "    except OSError:\n        pass\nos._exit(0)\n" + CHECK, *NOT_PASSED),
    "guard_introspection": case("import sys\nf = sys._getframe()\nwhile f.f_back:\n    f = f.f_back\n"
                                "print(f.f_code.co_names)\nimport traceback\n"
                                "try:\n    sys.audit('open')\nexcept IndexError as e:\n"
                                "    print(e.__traceback__.tb_next.tb_frame.f_code.co_consts)\n",
                                Verdict.ERROR, reason="introspection of the sandbox guard"),
    "gc_introspection": case("import gc\nprint(len(gc.get_objects()))\n", *NOT_PASSED, reason="gc.get_objects"),
    "ctypes": case("import ctypes\nctypes.CDLL(None).fork()\n", *NOT_PASSED),
    "frame_walk_forgery": case(WRONG + "import sys, os\nf = sys._getframe()\nwhile f is not None:\n"
                               "    if 'result' in f.f_locals:\n        f.f_locals['result'].append('passed')\n"
                               "        os._exit(0)\n    f = f.f_back\n" + CHECK, Verdict.FAILED),
    # shutil's audit events carry the original path object; the hook must not call the program's __fspath__
    # from inside itself, where the frame walk below could reach its closure (and clear the tamper snapshots)
    "fspath_runs_inside_the_hook": case(
        WRONG + "import sys, builtins\nclass P:\n    def __fspath__(self):\n        try:\n"
        "            f = sys._getframe(1)\n            while f is not None:\n"
        "                for v in list(f.f_locals.values()):\n"
        "                    cl = getattr(v, '__closure__', None) if callable(v) and not isinstance(v, type) else None\n"
        "                    for c in cl or ():\n                        x = c.cell_contents\n"
        "                        if isinstance(x, tuple) and x and isinstance(x[0], tuple):\n"
        "                            for _l, _live, snap in x:\n                                snap.clear()\n"
        "                f = f.f_back\n        except Exception:\n            pass\n        return 'f.txt'\n"
        "import os, shutil\nos.mkdir('f.txt')\nshutil.rmtree(P())\nbuiltins.AssertionError = KeyError\n" + CHECK,
        Verdict.ERROR, reason="program-defined type"),
    "pathlib_ok": case("from pathlib import Path\nPath('d').mkdir()\n(Path('d') / 'f.txt').write_text('x')\n"
                       "assert open(Path('d/f.txt')).read() == 'x'\n", Verdict.PASSED),
    "stdlib_ok": case("from collections import namedtuple, Counter\nimport dataclasses, typing, re, heapq\n"
                      "import hashlib, fractions, decimal, statistics, itertools, functools, random, string\n"
                      "import warnings, threading\nwarnings.warn('w')\nP = namedtuple('P', 'x y')\n"
                      "@dataclasses.dataclass\nclass A:\n    x: int\nt = threading.Thread(target=print)\n"
                      "t.start(); t.join()\nassert hashlib.md5(b'').hexdigest().startswith('d41d8')\n",
                      Verdict.PASSED),
}


@pytest.fixture()
def listener() -> Iterator[socket.socket]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.setblocking(False)
    yield srv
    srv.close()


@pytest.mark.parametrize("name", list(CORPUS))
def test_hostile_corpus(name: str, tmp_path: Path, listener: socket.socket,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    c = CORPUS[name]
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    canary = tmp_path / "canary.txt"
    canary.write_text("precious")
    outside = tmp_path / "outside.txt"
    source = (c.source.replace("CANARY", repr(str(canary))).replace("OUTSIDE", repr(str(outside)))
              .replace("PORT", str(listener.getsockname()[1])))
    result = run_program(source, c.limits)
    assert result.verdict in c.verdicts, result
    assert c.reason in result.reason, result
    assert canary.read_text() == "precious" and not outside.exists()
    assert not (tmp_path / "link").exists()
    assert SECRET not in result.stdout_tail + result.stderr_tail
    with pytest.raises(BlockingIOError):
        listener.accept()  # nothing ever reached the harness's port
    assert "audit_hook" in result.layers and "rlimits" in result.layers, result.layers
    if IS_ROOT:
        assert {"netns", "ro_root", "tmpfs"} <= set(result.layers)
        assert any(x.startswith("uid=") for x in result.layers)
    if name == "env_printed":
        assert "PATH" in result.stdout_tail and "OPENAI" not in result.stdout_tail


# --------------------------------------------------------------------------- processes & output
def test_escaped_processes_are_killed_even_on_success() -> None:
    """``_posixsubprocess`` is not audited: children in the group, and (as root) setsid'ed ones, must die."""
    src = (
        "import _posixsubprocess, os\n"
        "def spawn(argv, new_session):\n"
        "    r, w = os.pipe()\n"
        "    return _posixsubprocess.fork_exec(argv, [os.fsencode(argv[0])], True, (w,), None, None,\n"
        "        -1, -1, -1, -1, -1, -1, r, w, True, new_session, -1, None, None, None, -1, None, False)\n"
        f"pids = [spawn(['/bin/sleep', '31416'], False) for _ in range(3)]\n"
        f"pids += [spawn(['/bin/sleep', '31415'], True) for _ in range({3 if IS_ROOT else 0})]\n"
        "n = 0\ntry:\n    while True:\n        spawn(['/bin/sleep', '31416'], False)\n        n += 1\n"
        "except OSError as e:\n    print('stopped after', n, e)\n"
    )
    result = run_program(src, Limits(max_processes=16))
    assert result.verdict is Verdict.PASSED, result
    if IS_ROOT:
        assert "stopped after" in result.stdout_tail  # RLIMIT_NPROC holds for the throw-away uid
    time.sleep(0.1)
    assert sandbox_processes("31415", "31416") == []


@pytest.mark.skipif(not IS_ROOT, reason="mount namespace + read-only root need root")
def test_unaudited_escape_meets_a_read_only_filesystem(tmp_path: Path) -> None:
    """A shell started through the unaudited fork path still cannot write anywhere but the temp dir."""
    target = Path("/tmp") / f"podium-ro-probe-{os.getpid()}"
    src = (
        "import _posixsubprocess, os\nr, w = os.pipe()\n"
        f"cmd = 'echo x > {target}; echo x > {tmp_path}/f; echo x > ./inside && echo inside-ok'\n"
        "pid = _posixsubprocess.fork_exec(['/bin/sh', '-c', cmd], [b'/bin/sh'], True, (w,), None, None,\n"
        "    -1, -1, -1, -1, -1, -1, r, w, True, False, -1, None, None, None, -1, None, False)\n"
        "os.waitpid(pid, 0)\n"
    )
    result = run_program(src)
    assert result.verdict is Verdict.PASSED and "ro_root" in result.layers, result
    assert "Read-only file system" in result.stderr_tail and "inside-ok" in result.stdout_tail
    assert not target.exists() and not (tmp_path / "f").exists()


def test_gigabyte_stdout_flood_is_truncated() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    src = "import sys\nc = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(c)\nassert False, 'flooded'\n"
    result = run_program(src, Limits(output_bytes=4096))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert result.verdict is Verdict.FAILED and "flooded" in result.reason, result
    assert "truncated" in result.stdout_tail and len(result.stdout_tail) < 4096 + 100
    assert after - before < 100_000  # KiB: the harness never held the flood


def test_endless_flood_is_stopped_by_the_wall_clock() -> None:
    result = run_program("import os\nc = b'y' * (1 << 20)\nwhile True:\n    os.write(1, c)\n",
                         Limits(wall_seconds=1.5))
    assert result.verdict is Verdict.TIMEOUT and len(result.stdout_tail) < (64 << 10) + 100


def test_file_size_and_disk_are_capped() -> None:
    big = run_program("open('f', 'wb').write(b'x' * (2 << 20))\n", Limits(file_size_bytes=1 << 20))
    assert big.verdict is Verdict.FAILED and "File too large" in big.reason, big
    if not IS_ROOT:
        pytest.skip("the private tmpfs needs root")
    src = ("n = 0\ntry:\n    while True:\n        with open(f'f{n}', 'wb') as f:\n"
           "            f.write(b'x' * (1 << 20))\n        n += 1\nexcept OSError as e:\n    print(n, e.errno)\n")
    full = run_program(src, Limits(disk_bytes=8 << 20))
    assert full.verdict is Verdict.PASSED and "tmpfs" in full.layers, full
    written, errno = map(int, full.stdout_tail.split())
    assert written <= 8 and errno == 28  # ENOSPC


def test_temp_dir_is_fresh_and_deleted() -> None:
    result = run_program("import os\nprint(os.getcwd())\nassert os.listdir('.') == []\n")
    assert result.verdict is Verdict.PASSED, result
    cwd = result.stdout_tail.strip()
    assert "podium-sbx-" in cwd and not os.path.exists(cwd)


# --------------------------------------------------------------------------- HumanEval rows
def test_canonical_solutions_pass(problems: list[Problem]) -> None:
    results = run_many([program(p, p["canonical_solution"]) for p in problems[:10]])
    assert [r.verdict for r in results] == [Verdict.PASSED] * 10, [r.reason for r in results]


def test_truncated_and_wrong_solutions_fail(problems: list[Problem]) -> None:
    sources = [program(p, p["canonical_solution"][: len(p["canonical_solution"]) // 2]) for p in problems[:10]]
    sources += [program(p, "    return None\n") for p in problems[:10]]
    results = run_many(sources)
    assert all(r.verdict in (Verdict.FAILED, Verdict.ERROR) for r in results), [r.reason for r in results]
    assert all(r.verdict is Verdict.FAILED for r in results[10:])


def test_humaneval_program_matches_reference_layout() -> None:
    assert humaneval_program("P", "C", "T", "f") == "PC\nT\ncheck(f)"


def test_busy_machine_does_not_change_verdicts(problems: list[Problem]) -> None:
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 1)]
    try:
        time.sleep(0.2)
        results = run_many([program(p, p["canonical_solution"]) for p in problems[:20]])
    finally:
        for b in burners:
            b.kill()
            b.wait()
    assert [r.verdict for r in results] == [Verdict.PASSED] * 20, [r.reason for r in results]


# --------------------------------------------------------------------------- API
def test_run_many_keeps_order_and_reports_each_result() -> None:
    sources = [f"assert {i} % 3 != 0\n" for i in range(7)]
    seen: dict[int, ExecResult] = {}
    on_done: Callable[[int, ExecResult], None] = seen.__setitem__
    results = run_many(sources, FAST, workers=3, on_done=on_done)
    assert [r.verdict for r in results] == [Verdict.FAILED if i % 3 == 0 else Verdict.PASSED for i in range(7)]
    assert sorted(seen) == list(range(7)) and all(seen[i] is results[i] for i in range(7))
    assert run_many([]) == []


def test_limits_record_is_json_and_complete() -> None:
    record = limits_record(Limits())
    assert json.loads(json.dumps(record))["cpu_seconds"] == 20.0
    assert record["memory_bytes"] == 2 << 30 and record["wall_seconds"] == 60.0
    assert "sandbox" in record
    with pytest.raises(ValueError):
        Limits(cpu_seconds=0)


def test_audit_hook_reads_no_global_names_and_hides_the_nonce() -> None:
    """The hook and everything it calls must be immune to patched builtins/guard globals."""
    hook = _guard._make_hook(chan=2, nonce_line=b'{"t":"pass","nonce":"feedface"}\n', main_frame=sys._getframe(), sandbox="/x",
                             read_roots=(), tamper=lambda: "", paths=_guard._make_path_tools())
    assert b'{"t":"pass","nonce":"feedface"}\n' in hook.__code__.co_consts and _guard._PLACEHOLDER not in hook.__code__.co_consts
    functions = [hook] + [c.cell_contents for c in hook.__closure__ or ()
                          if callable(c.cell_contents) and getattr(c.cell_contents, "__globals__", None)
                          is vars(_guard)]
    tamper = _guard._make_tamper_check((), {}, {}, ())
    functions.append(tamper)
    assert len(functions) >= 5
    for fn in functions:
        ops = {ins.opname for ins in dis.get_instructions(fn)}
        assert not ops & {"LOAD_GLOBAL", "LOAD_NAME"}, (fn, ops)
