"""Inputs that used to kill or stall a zygote (issue 16): each must end with a verdict and leave it serving."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from evals.sandbox import Limits, Verdict, run_many
from tests.evals.sandbox.test_sandbox import GUARD_MARKER, sandbox_processes

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
    "import os, signal\nos.killpg(os.getpgid(0), signal.SIGSTOP)\n",
], ids=["kill", "raise_signal", "killpg"])
def test_a_program_that_stops_itself_meets_the_wall_clock(src: str) -> None:
    start = time.monotonic()
    results = run_many([src, "assert 2 + 2 == 4\n"], Limits(cpu_seconds=5, wall_seconds=1.5), workers=1)
    assert results[0].verdict is not Verdict.PASSED, results[0]
    assert results[1].verdict is Verdict.PASSED, results[1]
    assert time.monotonic() - start < 30
