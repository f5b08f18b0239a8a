"""What a suite asks for, typed: the requests an item needs and the outputs the runner hands back to score it.

A suite is data plus pure functions — ``requests(item, sampling)`` and ``score(item, outputs)``. The runner
(:mod:`evals.dispatch`) sends each kind of request where it belongs, as lm-eval's evaluator does by request type:

============== =========================================== ===========================================
request        what the runner does                        output handed to ``score``
============== =========================================== ===========================================
Generate       backend ``generate``                        :class:`~evals.backends.base.Completion`
LogLikelihood  backend ``loglikelihood``                   :class:`~evals.backends.base.Loglikelihood`
JudgedCode     ``generate``, then every text in the        :class:`Judged` (the completion and one
               sandbox, judged by the benchmark's tests    verdict per text)
Converse       the tool loop, turn by turn, then the       :class:`Conversed` (the finished
               scenario graders (sandbox, judge model)     conversation and its grades)
============== =========================================== ===========================================

``podium validate``'s re-grade and the imports call the same ``score`` on outputs rebuilt from a stored sample
(:func:`replay`): log-likelihoods, texts, sandbox verdicts and grader verdicts are what a run measured; the score
is recomputed from them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from evals.backends.base import (
    Backend,
    ChatMessage,
    Completion,
    FinishReason,
    GenerateRequest,
    Loglikelihood,
    LoglikelihoodRequest,
    Sampling,
)
from evals.records import (
    ChoiceDetail,
    CodeDetail,
    GradeRecord,
    OutputRecord,
    SampleRecord,
    ScenarioDetail,
)
from evals.sandbox import ExecResult, JudgedProgram, Limits, Verdict
from evals.scenarios.graders import GraderConfig
from evals.scenarios.tool_loop import Conversation, LoopConfig


@dataclass(frozen=True)
class Generate:
    """One generation request (``sampling.n`` samples)."""

    request: GenerateRequest


@dataclass(frozen=True)
class LogLikelihood:
    """log P(continuation | context): one per choice of a multiple-choice item."""

    request: LoglikelihoodRequest


@dataclass(frozen=True)
class JudgedCode:
    """Generate, then run every text as a program in the sandbox, judged by the benchmark's tests."""

    request: GenerateRequest
    program: Callable[[str], JudgedProgram]  # a generated text → what runs
    limits: Limits


@dataclass(frozen=True)
class Converse:
    """A conversation driven by the tool loop until it ends, then graded by ``graders``."""

    key: str
    messages: tuple[ChatMessage, ...]
    sampling: Sampling
    config: LoopConfig
    graders: tuple[GraderConfig, ...]
    task: str  # what a judge model is shown as the task
    judge: Backend | None = None
    judge_sampling: Sampling | None = None
    workers: int | None = None  # sandbox processes for code checks
    cheap: bool = True  # graded as soon as it ends (no sandbox, no judge)

    def conversation(self) -> Conversation:
        return Conversation(key=self.key, messages=list(self.messages), sampling=self.sampling, config=self.config)


Request = Generate | LogLikelihood | JudgedCode | Converse


@dataclass(frozen=True)
class Judged:
    completion: Completion
    verdicts: tuple[ExecResult, ...]  # one per text of the completion


@dataclass(frozen=True)
class Conversed:
    conversation: Conversation
    grades: tuple[GradeRecord, ...] = field(default=())


Output = Completion | Loglikelihood | Judged | Conversed


# ---------------------------------------------------------------------------------------------- replay

def replay(requests: Sequence[Request], sample: SampleRecord) -> list[Output] | None:
    """The outputs a stored sample was scored from, one per request (None when they cannot be rebuilt)."""
    if not requests:
        return None
    first = requests[0]
    if isinstance(first, LogLikelihood):
        return _replay_loglikelihoods(len(requests), sample)
    if isinstance(first, Converse):
        return _replay_conversation(first, sample)
    return _replay_texts(requests, sample)


def _replay_loglikelihoods(n: int, sample: SampleRecord) -> list[Output] | None:
    if len(sample.outputs) != 1:
        return None
    out = sample.outputs[0]
    d = out.detail
    if not isinstance(d, ChoiceDetail) or len(d.loglikelihoods) != n:
        return None
    greedy = list(d.greedy) + [False] * (n - len(d.greedy))
    return [Loglikelihood(key=f"{sample.item_id}#{k}", logprob=float("nan") if ll is None else ll,
                          is_greedy=greedy[k], n_tokens=0, error=out.error if k == 0 else None,
                          prompt_tokens=sample.prompt_tokens if k == 0 else 0,
                          cached_tokens=sample.prompt_tokens_cached if k == 0 else 0)
            for k, ll in enumerate(d.loglikelihoods)]


def _completion(key: str, outs: Sequence[OutputRecord], prompt_tokens: int, cached: int) -> Completion:
    finish: tuple[FinishReason, ...] = tuple(o.finish for o in outs)  # type: ignore[misc]
    error = next((o.error for o in outs if o.error), None)
    return Completion(key=key, texts=tuple(o.text for o in outs), finish=finish, prompt_tokens=prompt_tokens,
                      completion_tokens=sum(o.tokens for o in outs), error=error, cached_tokens=cached)


def _replay_texts(requests: Sequence[Request], sample: SampleRecord) -> list[Output] | None:
    """Generate / JudgedCode: each request took ``sampling.n`` of the stored outputs, in order."""
    outs, at = sample.outputs, 0
    got: list[Output] = []
    for k, req in enumerate(requests):
        if not isinstance(req, Generate | JudgedCode):
            return None
        n = req.request.sampling.n
        mine = outs[at:at + n]
        at += n
        comp = _completion(req.request.key, mine, sample.prompt_tokens if k == 0 else 0,
                           sample.prompt_tokens_cached if k == 0 else 0)
        if isinstance(req, Generate):
            got.append(comp)
            continue
        verdicts = tuple(_verdict(o) for o in mine)
        if any(v is None for v in verdicts) and comp.error is None:
            return None
        got.append(Judged(comp, tuple(v or _failed() for v in verdicts)))
    return got if at == len(outs) else None


def _verdict(out: OutputRecord) -> ExecResult | None:
    d = out.detail
    if not isinstance(d, CodeDetail):
        return None
    return ExecResult(verdict=Verdict(d.verdict), reason=d.reason, seconds=d.seconds, exit_code=None,
                      stdout_tail="", stderr_tail=d.error_line or "")


def _failed() -> ExecResult:
    return ExecResult(verdict=Verdict.ERROR, reason="request failed", seconds=0.0, exit_code=None, stdout_tail="",
                      stderr_tail="")


def _replay_conversation(req: Converse, sample: SampleRecord) -> list[Output] | None:
    from evals.backends.base import Sampling as S

    if len(sample.outputs) != 1 or not isinstance(sample.outputs[0].detail, ScenarioDetail):
        return None
    out = sample.outputs[0]
    d = out.detail
    assert isinstance(d, ScenarioDetail)
    s = d.sampling
    conv = Conversation(key=sample.item_id, messages=list(req.messages),
                        sampling=S(max_tokens=s.max_tokens, temperature=s.temperature, top_p=s.top_p, n=s.n,
                                   stop=tuple(s.stop), seed=s.seed),
                        config=req.config, transcript=list(out.transcript or []), final=out.text, finish=out.finish,
                        error=out.error, requests=d.turns, prompt_tokens=sample.prompt_tokens,
                        completion_tokens=out.tokens, done=True)
    conv.notes = list(stored_notes(out.explanation or "", out.grades, conv))
    return [Conversed(conv, tuple(out.grades))]


def stored_notes(explanation: str, grades: Sequence[GradeRecord], conv: Conversation) -> list[str]:
    """The conversation's notes, read back from a stored explanation (grade lines, failure, notes, measures)."""
    from evals.suites.scenario_grading import explain

    head = explain(grades, conv)  # conv has no notes yet
    rest = explanation[len(head):] if explanation.startswith(head) else ""
    lines = [ln for ln in rest.split("\n") if ln]
    return [ln for ln in lines if not ln.startswith("measured: ")]
