"""The judge's parts without a sandbox: the plain-data wire format, the message parser, the proxy's mapping of
replies - and code_tests' judge mode (through the sandbox)."""

from __future__ import annotations

import collections
import math

import pytest

from evals.sandbox import Verdict
from evals.sandbox._wire import (
    WIRE_MAX_DEPTH,
    WireError,
    wire_decode,
    wire_encode,
    wire_frame,
    wire_line,
    wire_message,
)
from evals.sandbox.judge import Judged, TrustedTests, judge
from evals.scenarios.code_tests import CodeCheck, CodeTestsGrader, run_code_tests

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs

PLAIN = [None, True, False, 0, -7, 1 << 4000, 10 ** 5000, 0.1, -0.0, math.inf, -math.inf, "", "é\ud800x", b"\x00\xff",
         [1, [2, (3, "x")]], (), {"a": 1, 2: [3], (1, "t"): None, frozenset({1}): 0.5}, {1, "a", (2,)}, frozenset()]


@pytest.mark.parametrize("value", PLAIN, ids=[str(i) for i in range(len(PLAIN))])
def test_plain_data_round_trips_exactly(value: object) -> None:
    msg = wire_message(wire_frame("ret", value=wire_encode(value))[4:])
    assert msg is not None
    back = wire_decode(msg[1]["value"])
    assert back == value and type(back) is type(value)
    assert type(value) is int or repr(back) == repr(value)


def test_nan_and_signed_zero_survive() -> None:
    nan, zero = wire_decode(wire_encode(math.nan)), wire_decode(wire_encode(-0.0))
    assert isinstance(nan, float) and math.isnan(nan)
    assert isinstance(zero, float) and math.copysign(1, zero) == -1


def test_stdlib_dict_subclasses_become_dicts() -> None:
    for d in (collections.OrderedDict(a=1), collections.defaultdict(int, a=1), collections.Counter(a=1)):
        assert type(wire_decode(wire_encode(d))) is dict


class Sub(int):
    pass


@pytest.mark.parametrize("value", [Sub(1), [Sub(1)], (x for x in ()), object(), print, {"k": Sub(2)}, type])
def test_anything_but_exact_plain_data_is_refused(value: object) -> None:
    with pytest.raises(WireError, match="not plain data"):
        wire_encode(value)


def test_depth_and_cycles_are_refused() -> None:
    deep: list[object] = []
    for _ in range(WIRE_MAX_DEPTH + 2):
        deep = [deep]
    loop: list[object] = []
    loop.append(loop)
    for value in (deep, loop):
        with pytest.raises(WireError, match="nested deeper"):
            wire_encode(value)


@pytest.mark.parametrize("tree", [["i", "zz"], ["x", []], ["d", [[["l", []], ["n"]]]], ["l", "no"], "n", [],
                                  ["s", 1], ["n", 1], ["b", 1], ["", "1"], ["if", "1"], ["f", "0x1p+99999"]])
def test_malformed_trees_are_refused(tree: object) -> None:
    with pytest.raises(WireError):
        wire_decode(tree)


def test_the_one_parser_checks_kinds_and_fields() -> None:
    assert wire_message(wire_line("done", code=0, cpu=0.25, timed_out=False, failure="")) == (
        "done", {"code": 0, "cpu": 0.25, "timed_out": False, "failure": ""})
    assert wire_message('{"t":"done","code":0,"cpu":1,"timed_out":false,"failure":""}') == (
        "done", {"code": 0, "cpu": 1.0, "timed_out": False, "failure": ""})
    for bad in ('{"t":"done","code":"0","cpu":1,"timed_out":false,"failure":""}', '{"t":"ready"}',
                '{"t":"ready","layers":[],"x":1}', '{"t":"nope"}', "PASS 00", "[" * 100_000, "{}", "null"):
        assert wire_message(bad) is None
    with pytest.raises(WireError):
        wire_line("ready", layers=[], extra=1)


class Script:
    """A fake sandbox: replies from a list."""

    def __init__(self, *replies: tuple[str, dict[str, object]] | None) -> None:
        self.replies = list(replies)

    def exchange(self, frame: bytes) -> tuple[str, dict[str, object]] | None:
        return self.replies.pop(0)


TESTS = TrustedTests(helpers="def helper(x):\n    return 2 * x\n",
              test="def check(candidate):\n    assert candidate(1) == helper(1)\n", entry_point="f")


@pytest.mark.parametrize(("reply", "verdict", "reason"), [
    (("ret", {"value": ["i", "0x2"]}), Verdict.PASSED, "all tests passed"),
    (("ret", {"value": ["i", "0x3"]}), Verdict.FAILED, "AssertionError"),
    (("ret", {"value": ["zz"]}), Verdict.FAILED, "not plain data"),
    (("exc", {"name": "ValueError", "message": "no"}), Verdict.FAILED, "ValueError: no (raised by the candidate)"),
    (("exc", {"name": "Weird", "message": "x"}), Verdict.FAILED, "Weird: x (raised by the candidate)"),
    (("exc", {"name": "MemoryError", "message": ""}), Verdict.OOM, "MemoryError"),
    (("bad", {"why": "the candidate returned a generator"}), Verdict.FAILED, "generator"),
    (("exit", {"why": "SystemExit raised by the candidate"}), Verdict.FAILED, "exited before tests completed"),
    (("call", {"args": []}), Verdict.FAILED, "instead of a reply"),
    (None, None, ""),
])
def test_replies_map_to_verdicts(reply: tuple[str, dict[str, object]] | None, verdict: Verdict | None,
                                 reason: str) -> None:
    got = judge(TESTS, Script(reply))
    assert isinstance(got, Judged) and got.verdict is verdict and reason in got.reason, got


def test_an_exception_the_test_catches_is_the_builtin_one() -> None:
    tests = TrustedTests("", "def check(c):\n    try:\n        c(1)\n    except ValueError:\n        return\n"
                  "    raise AssertionError\n", "f")
    assert judge(tests, Script(("exc", {"name": "ValueError", "message": ""}))).verdict is Verdict.PASSED


def test_the_test_cannot_swallow_an_abort_and_must_call_the_candidate() -> None:
    swallow = TrustedTests("", "def check(c):\n    try:\n        c(1)\n    except Exception:\n        pass\n", "f")
    assert judge(swallow, Script(("bad", {"why": "x"}))).verdict is Verdict.FAILED
    assert judge(TrustedTests("", "def check(c):\n    pass\n", "f"), Script()).reason == "the tests never called the candidate"
    assert judge(TrustedTests("", "def check(c):\n    c(print)\n", "f"), Script()).verdict is Verdict.ERROR
    assert judge(TrustedTests("syntax error(", "", "f"), Script()).verdict is Verdict.ERROR


def test_code_tests_judge_mode_runs_checks_outside_the_sandbox() -> None:
    cfg = CodeTestsGrader(function="add", setup="BIG = 10 ** 6\n", checks=[
        CodeCheck(name="adds", code="assert candidate(2, 3) == 5"),
        CodeCheck(name="by_name", code="assert add(BIG, 1) == BIG + 1"),
        CodeCheck(name="loop", code="for i in range(5):\n    assert candidate(-i, i) == 0")])
    assert cfg.model_dump()["function"] == "add"
    assert "function" not in CodeTestsGrader(tests="assert True").model_dump()  # suite versions stay as they were
    good = run_code_tests(cfg, "```python\ndef add(a, b):\n    return a + b\n```", workers=1)
    assert good.passed and good.score == 1.0, good
    forged = ("```python\nimport builtins\nbuiltins.AssertionError = KeyError\ndef add(a, b):\n"
              "    class I(int):\n        def __eq__(self, o): return True\n    return I(0)\n```")
    bad = run_code_tests(cfg, forged, workers=1)
    assert bad.score == 0.0 and "not plain data" in bad.explanation, bad
    missing = run_code_tests(cfg, "```python\ndef plus(a, b):\n    return a + b\n```", workers=1)
    assert missing.score == 0.0 and "has no attribute 'add'" in missing.explanation, missing


def test_the_child_files_share_one_namespace_without_collisions() -> None:
    """The bootstrap runs _wire, _reply, _mounts, _zygote and _guard in one namespace: a name defined in two of them would
    silently replace the other's.  Only stdlib modules and ``TYPE_CHECKING`` may be shared."""
    import ast
    from pathlib import Path

    import evals.sandbox as pkg

    defined: dict[str, set[str]] = {}
    from evals.sandbox.runner import CHILD_FILES

    for name in CHILD_FILES:
        tree = ast.parse((Path(pkg.__file__).parent / name).read_text())
        names: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        defined[name] = names
    files = list(defined)
    for i, a in enumerate(files):
        for b in files[i + 1:]:
            assert defined[a] & defined[b] <= {"TYPE_CHECKING"}, (a, b, defined[a] & defined[b])
