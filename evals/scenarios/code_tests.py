"""The ``code_tests`` grader: run scenario checks against the code a model wrote, in the sandbox.

The code is the longest ```python block of the answer (the one naming ``entry_hint`` when given). Every check
is its own sandboxed program — harness + solution + ``setup`` + the check — so one failing check does not
hide the others and the score is the fraction of checks passed. The harness

- puts stand-ins for display and keyboard libraries (pygame, tkinter, curses, turtle, …) into
  ``sys.modules`` before the solution runs: every attribute is a ``MagicMock``, CamelCase names
  (``Tk``, ``Canvas``, ``Rect``, ``Sprite``) are empty classes that can be instantiated and subclassed;
- loads the solution as module ``solution`` (so ``if __name__ == "__main__":`` does not fire) after
  skipping top-level bare calls and ``while`` loops (``main()``, ``root.mainloop()``, a game loop), so
  the game does not start — what is tested is its logic;
- then runs ``setup`` and the check; a check passes when it runs to the end without an exception.

With ``function: <name>`` the checks are assertion-style tests of that one function and run in the **trusted
judge** (:mod:`evals.sandbox.judge`), like HumanEval: only the harness + solution run in the sandbox; ``setup``
and each check run in the harness with ``candidate`` (and ``<name>``) bound to a proxy of the solution's
function - arguments and results cross as plain data only, so the check's verdict cannot be forged from inside
the sandbox.  Without ``function`` (checks that inspect classes, methods or modules - e.g. the Tetris scenario's
probes of a game's structure) the whole program runs in the sandbox and the guard's completion signal decides:
that mode is needed where the checks handle the solution's objects, and it is as forgeable as issue 16 says.

What this cannot see: drawing, timing, input handling and anything that only happens inside the game loop.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from textwrap import indent
from typing import Literal

from pydantic import Field, SerializerFunctionWrapHandler, field_validator, model_serializer, model_validator

from evals.grading.extract import code_blocks
from evals.sandbox import ExecResult, JudgedProgram, Limits, TrustedTests, run_many
from evals.scenarios.base import GraderBase, GradeResult

DISPLAY_MODULES = (
    "pygame", "pygame.locals", "pygame.display", "pygame.draw", "pygame.event", "pygame.font", "pygame.time",
    "pygame.mixer", "pygame.sprite", "pygame.key", "pygame.image", "pygame.surface", "pygame.rect",
    "tkinter", "tkinter.ttk", "tkinter.messagebox", "tkinter.font", "tkinter.simpledialog", "tkinter.constants",
    "_tkinter", "turtle", "curses", "_curses", "curses.textpad", "termios", "tty", "msvcrt", "keyboard",
    "pynput", "pynput.keyboard", "readchar", "getch", "pyglet", "arcade", "pyxel", "colorama", "blessed",
)
# names a star import (``from pygame.locals import *``, ``from tkinter import *``) brings in
STAR_NAMES = (
    "QUIT", "KEYDOWN", "KEYUP", "MOUSEBUTTONDOWN", "USEREVENT", "K_LEFT", "K_RIGHT", "K_UP", "K_DOWN",
    "K_SPACE", "K_ESCAPE", "K_RETURN", "K_p", "K_q", "K_r", "K_a", "K_d", "K_s", "K_w", "K_z", "K_x",
    "Tk", "Canvas", "Frame", "Label", "Button", "Toplevel", "StringVar", "IntVar", "messagebox", "END",
    "LEFT", "RIGHT", "TOP", "BOTTOM", "BOTH", "NW", "CENTER", "HIDDEN", "NORMAL",
)
HARNESS = '''\
import ast as _podium_ast, sys as _podium_sys, types as _podium_types
from unittest import mock as _podium_mock


def _podium_missing(self, name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _podium_mock.MagicMock(name=name)


class _PodiumStub(_podium_types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name[:1].isupper() and not name.isupper():
            value = type(name, (), {{"__init__": lambda self, *a, **k: None, "__getattr__": _podium_missing}})
        else:
            value = _podium_mock.MagicMock(name=self.__name__ + "." + name)
        setattr(self, name, value)
        return value


for _podium_name in {stubs!r}:
    _podium_stub = _PodiumStub(_podium_name)
    _podium_stub.__path__ = []
    _podium_stub.__all__ = list({star!r})
    _podium_sys.modules[_podium_name] = _podium_stub
    _podium_parent, _, _podium_child = _podium_name.rpartition(".")
    if _podium_parent in _podium_sys.modules:
        setattr(_podium_sys.modules[_podium_parent], _podium_child, _podium_stub)

_podium_source = {source!r}
_podium_tree = _podium_ast.parse(_podium_source, "solution.py")
if {skip!r}:
    _podium_tree.body = [
        _n for _n in _podium_tree.body
        if not isinstance(_n, _podium_ast.While)
        and not (isinstance(_n, _podium_ast.Expr) and isinstance(_n.value, _podium_ast.Call))]
solution = _podium_types.ModuleType("solution")
solution.__file__ = "solution.py"
_podium_sys.modules["solution"] = solution
exec(compile(_podium_tree, "solution.py", "exec"), solution.__dict__)
'''


def _python(source: str | None) -> str | None:
    if source is not None:
        try:
            ast.parse(source)
        except SyntaxError as err:
            raise ValueError(f"not valid Python (line {err.lineno}): {err.msg}") from err
    return source


class CodeCheck(GraderBase):
    """One named check: Python that raises (e.g. ``assert``) when the solution lacks what it tests."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    code: str
    description: str | None = None

    _valid = field_validator("code")(_python)


class CodeTestsGrader(GraderBase):
    """Run ``checks`` (or one ``tests`` program) against the extracted code — in the sandbox.

    Score = fraction of checks passed; passed when the score reaches ``pass_threshold``.
    """

    type: Literal["code_tests"] = "code_tests"
    tests: str | None = None
    checks: list[CodeCheck] = Field(default_factory=list)
    entry_hint: str | None = None
    function: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    setup: str | None = None
    stub_modules: list[str] = Field(default_factory=lambda: list(DISPLAY_MODULES))
    skip_toplevel_calls: bool = True
    pass_threshold: float = Field(default=1.0, ge=0, le=1)
    timeout_seconds: float = Field(default=20.0, gt=0, le=300)

    _valid = field_validator("tests", "setup")(_python)

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        """``function`` only when set: graders without it dump (and so hash into suite versions) as before."""
        data: dict[str, object] = handler(self)
        if data.get("function") is None:
            data.pop("function", None)
        return data

    @model_validator(mode="after")
    def _has_checks(self) -> CodeTestsGrader:
        if self.tests is None and not self.checks:
            raise ValueError("give tests (one program) or checks (a list of named checks)")
        names = [c.name for c in self.all_checks()]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate check names in {names}")
        return self

    def all_checks(self) -> list[CodeCheck]:
        return ([CodeCheck(name="tests", code=self.tests)] if self.tests is not None else []) + list(self.checks)

    def limits(self) -> Limits:
        return Limits(cpu_seconds=self.timeout_seconds, wall_seconds=self.timeout_seconds * 2 + 5,
                      memory_bytes=1 << 30)


@dataclass(frozen=True)
class CodeRun:
    """The extracted code and one sandbox program per check (none when there is no code)."""

    code: str | None
    names: tuple[str, ...]
    programs: tuple[str | JudgedProgram, ...]


def extract_code(output: str, entry_hint: str | None = None) -> str | None:
    """The longest ```python block (preferring blocks that mention ``entry_hint``), else any fenced block,
    else the whole output when it parses as Python with a def or class."""
    blocks = [b for b in code_blocks(output, "python") or code_blocks(output, "py") or code_blocks(output)
              if b.strip()]
    if entry_hint:
        blocks = [b for b in blocks if entry_hint in b] or blocks
    if blocks:
        return max(blocks, key=len)
    try:
        tree = ast.parse(output)
    except SyntaxError:
        return None
    return output if any(isinstance(n, ast.FunctionDef | ast.ClassDef) for n in tree.body) else None


def prepare(cfg: CodeTestsGrader, output: str) -> CodeRun:
    code = extract_code(output, cfg.entry_hint)
    checks = cfg.all_checks()
    if code is None:
        return CodeRun(None, tuple(c.name for c in checks), ())
    head = HARNESS.format(stubs=tuple(cfg.stub_modules), star=STAR_NAMES, source=code,
                          skip=cfg.skip_toplevel_calls)
    if cfg.function is not None:  # judge mode: only the solution runs in the sandbox, each check in the judge
        candidate = f"{head}\n{cfg.function} = solution.{cfg.function}\n"
        tests = [TrustedTests(cfg.setup or "", "def check(candidate):\n" + indent(c.code, "    ") + "\n    pass\n",
                              cfg.function) for c in checks]
        return CodeRun(code, tuple(c.name for c in checks), tuple(JudgedProgram(candidate, t) for t in tests))
    setup = f"\n# ---- setup\n{cfg.setup}\n" if cfg.setup else ""
    programs = tuple(f"{head}{setup}\n# ---- check: {c.name}\n{c.code}\n" for c in checks)
    return CodeRun(code, tuple(c.name for c in checks), programs)


def _why(res: ExecResult) -> str:
    tail = [ln.strip() for ln in (res.stderr_tail or "").strip().splitlines() if ln.strip()]
    last = tail[-1] if tail else ""
    return (last or res.reason)[:160]


def grade_code_run(cfg: CodeTestsGrader, run: CodeRun, results: Sequence[ExecResult]) -> GradeResult:
    if run.code is None:
        return GradeResult(0.0, False, "no Python code found in the output")
    passed = [name for name, r in zip(run.names, results, strict=True) if r.passed]
    failed = [f"{name}: {r.verdict.value} — {_why(r)}" for name, r in zip(run.names, results, strict=True)
              if not r.passed]
    score = len(passed) / len(run.names)
    head = f"{len(passed)}/{len(run.names)} checks passed" + (f" ({', '.join(passed)})" if passed else "")
    return GradeResult(round(score, 6), score >= cfg.pass_threshold - 1e-9,
                       head + "".join(f"; {f}" for f in failed[:8]), extracted=None)


def run_code_tests(cfg: CodeTestsGrader, output: str, workers: int | None = None) -> GradeResult:
    """Extract, run every check in the sandbox and grade (convenience for one output)."""
    run = prepare(cfg, output)
    return grade_code_run(cfg, run, run_many(list(run.programs), cfg.limits(), workers=workers))
