"""The trusted judge: a benchmark's tests run in the harness, only the candidate runs in the sandbox.

A :class:`JudgedProgram` is the candidate's source (HumanEval: prompt + completion) plus the :class:`TrustedTests`
that decide it (HumanEval: the prompt's own helper definitions, the ``test`` text and ``check(entry_point)``).
The sandbox child runs only the candidate's source and then serves calls to its entry point
(:func:`evals.sandbox._guard._serve`).  :func:`judge` runs in the harness thread that supervises the child:
in a fresh namespace per program it executes the helpers (benchmark text), binds the entry point's name to a
:class:`Candidate` proxy, executes the test code and calls ``check(proxy)``.  Each call of the proxy sends the
arguments to the child as plain data (:mod:`evals.sandbox._wire`) and returns the child's reply, rebuilt from
exact builtin types only; an exception the candidate raised is raised in the test as the builtin exception of
that name (else :class:`CandidateError`).  So the verdict is decided by trusted code on trusted values: nothing
the candidate does in its own process - patching builtins, frames, audit hooks, ``flush``, signal handlers,
redefining a prompt helper, returning an ``int`` subclass or an always-equal object - reaches the test.

The verdict: PASSED when ``check`` returns; FAILED when it raises (an assertion, the candidate's exception,
a reply that is not plain data, the candidate ending its process mid-call); ERROR when the benchmark's own
code fails or the test passes a value that cannot cross (e.g. a function).  When the candidate goes away
mid-call (killed at a limit, a sandbox violation) the judge returns no verdict and the sandbox's outcome
decides (TIMEOUT, OOM, ERROR ...).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from functools import lru_cache
from types import CodeType
from typing import Protocol

from evals.sandbox._wire import WireError, wire_decode, wire_encode, wire_frame
from evals.sandbox.model import Verdict

# the candidate's exception, raised in the test as the builtin of the same name (never a program-made class)
_BUILTIN_EXCEPTIONS = {name: cls for name, cls in vars(builtins).items()
                       if isinstance(cls, type) and issubclass(cls, Exception) and not issubclass(cls, Warning)}


@dataclass(frozen=True)
class TrustedTests:
    """Trusted test code: ``helpers`` run first (HumanEval: the prompt), then ``test``, then ``check(<proxy>)``."""

    helpers: str
    test: str
    entry_point: str
    check: str = "check"


@dataclass(frozen=True)
class JudgedProgram:
    """Run ``candidate`` in the sandbox and decide it with ``tests`` in the trusted judge."""

    candidate: str
    tests: TrustedTests


@dataclass(frozen=True)
class Judged:
    """The judge's result; ``verdict`` ``None``: the candidate went away mid-call, the sandbox outcome decides."""

    verdict: Verdict | None
    reason: str
    calls: int


class Talk(Protocol):
    def exchange(self, frame: bytes) -> tuple[str, dict[str, object]] | None: ...


class CandidateError(Exception):
    """The candidate raised an exception that is not a builtin one (its type name is in the message)."""


class _Abort(BaseException):
    """Ends the test at once; a ``BaseException`` so that a test's ``except Exception`` cannot swallow it."""

    def __init__(self, verdict: Verdict | None, reason: str = "") -> None:
        super().__init__(reason)
        self.verdict, self.reason = verdict, reason


class Candidate:
    """Stands for the candidate's function in the judge; every call is a round trip to the sandbox."""

    def __init__(self, talk: Talk, name: str) -> None:
        self._talk, self.__name__, self.calls = talk, name, 0

    def __repr__(self) -> str:
        return f"<candidate {self.__name__} in the sandbox>"

    def __call__(self, *args: object, **kwargs: object) -> object:
        if kwargs:
            raise _Abort(Verdict.ERROR, "the test passes keyword arguments; only positional ones cross to the sandbox")
        try:
            frame = wire_frame("call", args=wire_encode(list(args)))
        except WireError as exc:
            raise _Abort(Verdict.ERROR, f"the test passes a value that cannot cross to the sandbox: {exc}") from None
        self.calls += 1
        reply = self._talk.exchange(frame)
        if reply is None:
            raise _Abort(None)
        kind, fields = reply
        if kind == "ret":
            try:
                return wire_decode(fields["value"])
            except WireError as exc:
                raise _Abort(Verdict.FAILED, f"the candidate's reply is not plain data: {exc}") from None
        if kind == "exc":
            name, message = str(fields["name"]), str(fields["message"])
            if name == "MemoryError":
                raise _Abort(Verdict.OOM, "MemoryError in the candidate (memory limit)")
            cls = _BUILTIN_EXCEPTIONS.get(name)
            err = cls(message) if cls is not None else CandidateError(f"{name}: {message}")
            err.podium_candidate = f"{name}: {message}" if message else name  # type: ignore[attr-defined]
            raise err
        if kind == "bad":
            raise _Abort(Verdict.FAILED, str(fields["why"]))
        if kind == "exit":
            raise _Abort(Verdict.FAILED, f"exited before tests completed ({fields['why']})")
        raise _Abort(Verdict.FAILED, f"the candidate sent a {kind!r} message instead of a reply")


@lru_cache(maxsize=1024)
def _compiled(source: str, filename: str) -> CodeType:
    return compile(source, filename, "exec", dont_inherit=True)


def judge(tests: TrustedTests, talk: Talk) -> Judged:
    """Run ``tests`` against the candidate behind ``talk``; never raises."""
    candidate = Candidate(talk, tests.entry_point)
    ns: dict[str, object] = {"__name__": "__podium_judge__", "__builtins__": builtins}
    try:
        exec(_compiled(tests.helpers, "<benchmark helpers>"), ns)  # noqa: S102 - benchmark text, trusted
        ns[tests.entry_point] = candidate
        exec(_compiled(tests.test, "<benchmark test>"), ns)  # noqa: S102
        check = ns[tests.check]
    except Exception as exc:  # noqa: BLE001
        return Judged(Verdict.ERROR, f"the benchmark's test code failed to load: {_describe(exc)}", 0)
    try:
        check(candidate)  # type: ignore[operator]
    except _Abort as abort:
        return Judged(abort.verdict, abort.reason, candidate.calls)
    except Exception as exc:  # noqa: BLE001 - a failed assertion or the candidate's exception
        return Judged(Verdict.FAILED, _describe(exc), candidate.calls)
    if candidate.calls == 0:
        return Judged(Verdict.FAILED, "the tests never called the candidate", 0)
    return Judged(Verdict.PASSED, "all tests passed", candidate.calls)


def _describe(exc: Exception) -> str:
    raised = getattr(exc, "podium_candidate", None)
    if raised is not None:
        return f"{raised} (raised by the candidate)"[:500]
    message = " ".join(str(exc).split())
    return (f"{type(exc).__name__}: {message}" if message else type(exc).__name__)[:500]
