"""Grading finished scenario conversations: pure graders at once, every ``code_tests`` check of a batch in
one sandbox pool, every ``rubric`` of a batch in one judge ``generate`` call.

A rubric without a judge is *ungraded* (score ``None``) — never guessed. An item passes when every graded
grader passes; an item with no graded grader is ungraded and left out of success rates (and counted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evals.backends.base import Backend, ChatMessage, GenerateRequest, Sampling
from evals.records import GradeRecord, TextStats
from evals.sandbox import run_many
from evals.scenarios.code_tests import CodeRun, grade_code_run, prepare
from evals.scenarios.graders import CodeTestsGrader, GraderConfig, RubricGrader, grade
from evals.scenarios.judge import judge_prompt, judge_verdict
from evals.scenarios.textstats import text_stats
from evals.scenarios.tool_loop import Conversation

JUDGE_SAMPLING = Sampling(max_tokens=384, temperature=0.0, top_p=1.0, n=1, seed=0)


@dataclass(frozen=True)
class GradeJob:
    """One finished conversation to grade: its graders and the task text (what a judge is shown)."""

    conv: Conversation
    graders: Sequence[GraderConfig]
    task: str


def judge_name(judge: Backend | None) -> str | None:
    return None if judge is None else f"{judge.info.name}:{judge.info.model}"


def _record(cfg: GraderConfig, score: float, passed: bool, explanation: str) -> GradeRecord:
    return GradeRecord(grader=cfg.type, score=score, passed=passed, explanation=explanation)


def grade_batch(jobs: Sequence[GradeJob], judge: Backend | None, workers: int | None = None,
                judge_sampling: Sampling = JUDGE_SAMPLING) -> list[list[GradeRecord]]:
    """One list of grades per job (empty for a failed conversation), in order."""
    slots: list[list[GradeRecord | None]] = [[None] * len(j.graders) for j in jobs]
    code: list[tuple[int, int, CodeTestsGrader, CodeRun]] = []
    rubric: list[tuple[int, int, RubricGrader, GenerateRequest]] = []
    for ji, job in enumerate(jobs):
        if job.conv.error is not None:
            slots[ji] = []
            continue
        answer = job.conv.final
        for gi, cfg in enumerate(job.graders):
            if isinstance(cfg, CodeTestsGrader):
                code.append((ji, gi, cfg, prepare(cfg, answer)))
            elif isinstance(cfg, RubricGrader):
                if judge is None:
                    slots[ji][gi] = GradeRecord(grader="rubric", explanation="ungraded: no judge configured "
                                                "(podium run --judge-model …)")
                else:
                    req = GenerateRequest(f"judge/{job.conv.key}/{gi}",
                                          (ChatMessage("user", judge_prompt(cfg, job.task, answer)),), judge_sampling)
                    rubric.append((ji, gi, cfg, req))
            else:
                res = grade(cfg, answer, job.conv.trace)
                slots[ji][gi] = _record(cfg, res.score, res.passed, res.explanation)
    _run_code(code, slots, workers)
    _run_judge(rubric, slots, judge)
    return [[g for g in row if g is not None] for row in slots]


def _run_code(jobs: list[tuple[int, int, CodeTestsGrader, CodeRun]], slots: list[list[GradeRecord | None]],
              workers: int | None) -> None:
    if not jobs:
        return
    limits = {cfg.limits() for _, _, cfg, _ in jobs}
    if len(limits) == 1:  # the usual case: every check of the batch in one pool
        results = run_many([p for *_, run in jobs for p in run.programs], limits.pop(), workers)
    else:
        results = [r for _, _, cfg, run in jobs for r in run_many(list(run.programs), cfg.limits(), workers)]
    at = 0
    for ji, gi, cfg, run in jobs:
        res = grade_code_run(cfg, run, results[at:at + len(run.programs)])
        at += len(run.programs)
        slots[ji][gi] = _record(cfg, res.score, res.passed, res.explanation)


def _run_judge(jobs: list[tuple[int, int, RubricGrader, GenerateRequest]], slots: list[list[GradeRecord | None]],
               judge: Backend | None) -> None:
    if not jobs or judge is None:
        return
    replies = judge.generate([req for *_, req in jobs])
    name = judge_name(judge)
    for (ji, gi, cfg, _), comp in zip(jobs, replies, strict=True):
        if comp.error is not None:
            slots[ji][gi] = GradeRecord(grader="rubric", explanation=f"ungraded: judge request failed ({comp.error})",
                                        judge_model=name)
            continue
        raw = comp.texts[0] if comp.texts else ""
        score, passed, explanation = judge_verdict(cfg, raw)
        slots[ji][gi] = GradeRecord(grader="rubric", score=score, passed=passed, explanation=explanation,
                                    judge_model=name, judge_raw=raw)


def item_scores(grades: Sequence[GradeRecord], failed: bool) -> dict[str, float]:
    """``pass`` (absent when ungraded), ``score`` (mean partial credit of the graded graders), ``ungraded``
    (graders without a verdict)."""
    if failed:
        return {"pass": 0.0, "score": 0.0}
    graded = [g for g in grades if g.score is not None]
    scores: dict[str, float] = {}
    if graded:
        scores["pass"] = float(all(g.passed for g in graded))
        scores["score"] = round(sum(g.score or 0.0 for g in graded) / len(graded), 6)
    if len(graded) < len(grades):
        scores["ungraded"] = float(len(grades) - len(graded))
    return scores


def explain(grades: Sequence[GradeRecord], conv: Conversation) -> str:
    marks = {True: "✓", False: "✗", None: "?"}
    lines = [f"{marks[g.passed]} {g.grader}: {g.explanation}" for g in grades]
    if conv.error:
        lines.append(f"✗ request failed: {conv.error}")
    return "\n".join(lines + conv.notes)


def writing_stats(text: str) -> TextStats:
    """Cheap measured facts about a piece of writing, shown beside the judge's grade."""
    st = text_stats(text)
    return TextStats(words=st.words, sentences=st.sentences, type_token_ratio=st.type_token_ratio, mtld=st.mtld)
