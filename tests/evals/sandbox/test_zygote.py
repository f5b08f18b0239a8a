"""Zygote-specific guarantees: children start pristine, see none of the zygote's state, survive its death."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from evals.sandbox import Limits, Verdict, run_many, run_program
from evals.sandbox.runner import BOOTSTRAP, _guard_code, _run_in
from evals.sandbox.zygote import Zygote
from tests.evals.sandbox.test_sandbox import GUARD_MARKER, sandbox_processes

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs

FAST = Limits(cpu_seconds=3, wall_seconds=10)


@pytest.fixture(autouse=True)
def _no_leftovers() -> Iterator[None]:
    before = set(sandbox_processes(GUARD_MARKER))
    yield
    assert [p for p in sandbox_processes(GUARD_MARKER) if p not in before] == []


def test_a_program_cannot_leave_state_for_the_next_one() -> None:
    """Both run in the same zygote (one worker); the second starts from the pristine fork."""
    first = ("import collections, typing, sys\ncollections.Counter = None\ntyping.List = 'patched'\n"
             "sys.modules['json'] = 'patched'\nopen('left-behind', 'w').write('x')\n")
    second = ("import collections, typing, sys, os\nassert collections.Counter is not None\n"
              "assert typing.List != 'patched'\nassert sys.modules.get('json') != 'patched'\n"
              "assert os.listdir('.') == []\n")
    results = run_many([first, second], FAST, workers=1)
    assert [r.verdict for r in results] == [Verdict.PASSED, Verdict.PASSED], results


def test_children_get_fresh_randomness() -> None:
    src = "import random, os\nprint(random.random(), os.urandom(8).hex())\n"
    results = run_many([src] * 4, FAST, workers=1)
    outputs = [r.stdout_tail for r in results]
    assert all(r.verdict is Verdict.PASSED for r in results) and len(set(outputs)) == 4, outputs


def test_no_zygote_state_is_reachable_from_the_program_frames() -> None:
    """Every frame above the program is the guard's; none holds the request, the socket or libc."""
    src = ("import sys\nf = sys._getframe().f_back\nnames = set()\nwhile f is not None:\n"
           "    names |= set(f.f_locals)\n    f = f.f_back\nprint(sorted(names))\n"
           "assert not names & {'job', 'req', 'ctl', 'libc', 'source', 'cfg', 'nonce', 'nonce_line'}, names\n")
    result = run_program(src, FAST)
    assert result.verdict is Verdict.PASSED, result


def test_a_dead_zygote_gives_error_verdicts_and_is_replaced() -> None:
    zygote = Zygote(_guard_code(), BOOTSTRAP)
    try:
        assert _run_in(zygote, "assert True\n", FAST).verdict is Verdict.PASSED
        os.killpg(zygote.proc.pid, signal.SIGKILL)
        zygote.proc.wait()
        dead = _run_in(zygote, "assert True\n", FAST)
        assert dead.verdict is Verdict.ERROR and "zygote" in dead.reason, dead
    finally:
        zygote.close()
    # run_many replaces a zygote that died; a timeout in one program does not disturb the next
    results = run_many(["while True:\n    pass\n", "assert 2 + 2 == 4\n"], Limits(cpu_seconds=1, wall_seconds=5),
                       workers=1)
    assert [r.verdict for r in results] == [Verdict.TIMEOUT, Verdict.PASSED], results


def test_each_worker_and_its_zygote_share_one_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pinned (the default where every worker gets a CPU): the program's process runs on its slot's CPU only."""
    from evals.sandbox.runner import SandboxPool

    cpus = sorted(os.sched_getaffinity(0))
    workers = min(2, len(cpus))
    src = "import os\nprint(sorted(os.sched_getaffinity(0)))\n"
    with SandboxPool(workers) as pool:
        seen = {r.stdout_tail.strip() for r in pool.run_many([src] * 8, FAST)}
        assert seen <= {str([cpu]) for cpu in cpus[:workers]}, seen
        assert {frozenset(os.sched_getaffinity(z.proc.pid)) for z in pool._made} <= {
            frozenset({cpu}) for cpu in cpus[:workers]}
    monkeypatch.setenv("PODIUM_SANDBOX_PIN", "0")
    with SandboxPool(workers) as pool:
        assert {r.stdout_tail.strip() for r in pool.run_many([src] * 2, FAST)} == {str(cpus)}
    with SandboxPool(len(cpus) + 1) as pool:  # more workers than CPUs: the scheduler places them
        assert pool._cpus == []


def test_large_replies_and_chatty_candidates_cross_whole() -> None:
    """A reply larger than the first read and 200 KB of output during the calls: the judge gets every byte."""
    from evals.sandbox.judge import JudgedProgram, TrustedTests

    candidate = "def f(n):\n    print('x' * 50_000)\n    return list(range(n))\n"
    test = "def check(c):\n    for n in (10, 40_000, 10):\n        assert c(n) == list(range(n))\n    c(0)\n"
    result = run_many([JudgedProgram(candidate, TrustedTests("", test, "f"))], FAST, workers=1)[0]
    assert result.verdict is Verdict.PASSED, result
    assert "x" * 1000 in result.stdout_tail
