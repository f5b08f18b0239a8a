"""The runner's half of the suite contract: send a batch of items' typed requests where they belong, hand each
item's outputs to the suite's ``score`` as soon as they are all in, and report every sample record.

By request type (:mod:`evals.suites.requests`), as lm-eval's evaluator dispatches by request type:

- ``LogLikelihood``: one ``loglikelihood`` call for the batch; items are scored in order.
- ``Generate``: one ``generate`` call; each item is scored on a grader thread as soon as all its completions are
  in, so a killed run loses at most the items in flight.
- ``JudgedCode``: as ``Generate``; the grader thread runs every text in one warm sandbox pool first.
- ``Converse``: the tool loop (:mod:`evals.scenarios.tool_loop`), turn by turn in batches; each finished
  conversation is graded (pure graders at once; code checks in the sandbox and rubrics by the judge model per
  turn batch) and scored.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping, Sequence

from evals.backends.base import Backend, Completion, GenerateRequest, Sampling
from evals.records import SampleRecord
from evals.sandbox import ExecResult, SandboxPool, Verdict
from evals.suites.base import Item, Suite
from evals.suites.requests import (
    Converse,
    Conversed,
    Generate,
    Judged,
    JudgedCode,
    LogLikelihood,
    Output,
    Request,
)

OnSample = Callable[[SampleRecord], None]


def grade_items(suite: Suite, items: Sequence[Item], backend: Backend, sampling: Sampling,
                on_sample: OnSample | None = None) -> list[SampleRecord]:
    """Evaluate ``items``: ``on_sample`` is called once per item as soon as it is scored; the records are also
    returned (in the order they were scored)."""
    got: list[SampleRecord] = []

    def emit(item: Item, outputs: Sequence[Output]) -> None:
        rec = suite.score(item, outputs)
        got.append(rec)
        if on_sample:
            on_sample(rec)

    reqs = {it.id: suite.requests(it, sampling) for it in items}
    kinds = {type(r) for rs in reqs.values() for r in rs}
    if len(kinds) > 1:
        raise TypeError(f"{suite.info.id}: one request type per batch, got {sorted(k.__name__ for k in kinds)}")
    kind = kinds.pop() if kinds else None
    if kind is LogLikelihood:
        _loglikelihoods(items, reqs, backend, emit)
    elif kind is Generate:
        generate_and_grade(items, _generate_requests(reqs), backend, lambda it, comps: emit(it, comps))
    elif kind is JudgedCode:
        _judged_code(items, reqs, backend, emit)
    elif kind is Converse:
        _conversations(items, reqs, backend, emit)
    return got


Emit = Callable[[Item, Sequence[Output]], None]


def _generate_requests(reqs: Mapping[str, Sequence[Request]]) -> dict[str, list[GenerateRequest]]:
    return {iid: [r.request for r in rs if isinstance(r, Generate | JudgedCode)] for iid, rs in reqs.items()}


def _loglikelihoods(items: Sequence[Item], reqs: Mapping[str, Sequence[Request]], backend: Backend,
                    emit: Emit) -> None:
    flat = [r.request for it in items for r in reqs[it.id] if isinstance(r, LogLikelihood)]
    results = iter(backend.loglikelihood(flat))
    for it in items:
        emit(it, [next(results) for _ in reqs[it.id]])


def _judged_code(items: Sequence[Item], reqs: Mapping[str, Sequence[Request]], backend: Backend,
                 emit: Emit) -> None:
    """Generate, then every text of an item in the sandbox pool (a failed request runs nothing)."""
    with SandboxPool() as pool:
        def grade(it: Item, comps: list[Completion]) -> None:
            judged = [r for r in reqs[it.id] if isinstance(r, JudgedCode)]
            todo = [(k, r.program(text), r.limits) for k, (r, c) in enumerate(zip(judged, comps, strict=True))
                    if c.error is None for text in c.texts]
            limits = {lim for *_, lim in todo}
            verdicts = iter(pool.run_many([p for _, p, _ in todo], limits.pop()) if len(limits) == 1 else
                            [v for _, p, lim in todo for v in pool.run_many([p], lim)])
            emit(it, [Judged(c, tuple(next(verdicts) for _ in c.texts) if c.error is None else
                             tuple(_NOT_RUN for _ in c.texts)) for c in comps])

        generate_and_grade(items, _generate_requests(reqs), backend, grade)


_NOT_RUN = ExecResult(verdict=Verdict.ERROR, reason="request failed", seconds=0.0, exit_code=None, stdout_tail="",
                      stderr_tail="")


def _conversations(items: Sequence[Item], reqs: Mapping[str, Sequence[Request]], backend: Backend,
                   emit: Emit) -> None:
    from evals.scenarios.tool_loop import Conversation, run_conversations
    from evals.suites.scenario_grading import JUDGE_SAMPLING, GradeJob, grade_batch

    by_key: dict[str, tuple[Item, Converse]] = {}
    for it in items:
        for r in reqs[it.id]:
            if isinstance(r, Converse):
                by_key[r.key] = (it, r)
    convs = [req.conversation() for _, req in by_key.values()]

    def done(finished: list[Conversation]) -> None:
        jobs = [GradeJob(c, by_key[c.key][1].graders, by_key[c.key][1].task) for c in finished]
        first = by_key[finished[0].key][1]
        graded = grade_batch(jobs, first.judge, first.workers, first.judge_sampling or JUDGE_SAMPLING)
        for job, grades in zip(jobs, graded, strict=True):
            emit(by_key[job.conv.key][0], [Conversed(job.conv, tuple(grades))])

    run_conversations(convs, backend, done, immediate=lambda c: c.error is not None or by_key[c.key][1].cheap)


def generate_and_grade(items: Sequence[Item], requests: Mapping[str, Sequence[GenerateRequest]], backend: Backend,
                       grade: Callable[[Item, list[Completion]], None]) -> None:
    """Send every item's requests in one batch and grade each item on a grader thread as soon as all of its
    completions are in — grading (e.g. in the sandbox) overlaps generation, and each graded item can be
    journaled at once, so a killed run loses at most the items in flight. ``grade`` gets the completions in
    request order; an exception in it stops the run and is re-raised here."""
    owner = {r.key: it for it in items for r in requests[it.id]}
    got: dict[str, dict[str, Completion]] = {it.id: {} for it in items}
    lock = threading.Lock()
    ready: queue.SimpleQueue[Item | None] = queue.SimpleQueue()
    failure: list[BaseException] = []

    def on_result(comp: Completion) -> None:
        it = owner.get(comp.key)
        if it is None:
            return
        with lock:
            mine = got[it.id]
            if comp.key in mine:
                return
            mine[comp.key] = comp
            complete = len(mine) == len(requests[it.id])
        if complete:
            ready.put(it)

    def grade_loop() -> None:
        try:
            while (it := ready.get()) is not None:
                grade(it, [got[it.id][r.key] for r in requests[it.id]])
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            failure.append(exc)
            while ready.get() is not None:  # keep draining so the producer never blocks
                pass

    grader = threading.Thread(target=grade_loop, name="podium-grader", daemon=True)
    grader.start()
    try:
        for comp in backend.generate([r for it in items for r in requests[it.id]], on_result=on_result):
            on_result(comp)  # backends that report only at the end; duplicates are ignored
    finally:
        ready.put(None)
        grader.join()
    if failure:
        raise failure[0]
