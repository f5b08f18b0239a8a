"""Stage 2, sense of samples.jsonl.gz: token counts ≥ 0 and outputs no longer than the run's ``max_tokens`` allows.

No tokenizer is needed: a token is never more than :data:`CHARS_PER_TOKEN` characters of text (real tokenizers
stay far below it — whitespace runs and long words are the longest tokens), so an output of more than
``max_tokens × 32`` characters (plus :data:`SLACK`) was not generated under that limit. Scenario trials record their
own sampling and the number of requests of the tool loop: each assistant turn is bounded by the trial's
``max_tokens``, the output's token count by ``max_tokens × turns``. Text the model did not generate (grader
explanations, errors, tool results) is capped at :data:`MAX_OTHER` characters.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from evals.records import OutputRecord, RunRecord, SampleRecord, ScenarioDetail
from evals.validation.problems import Problem

CHARS_PER_TOKEN = 32
SLACK = 1024  # characters: stop strings, a code fence's wrapper, stripped whitespace put back
MAX_OTHER = 64 * 1024  # characters of an explanation, error, tool result or judge reply
MAX_PER_SAMPLE = 20  # problems reported per sample (one broken line should not bury the rest)
FIX = "outputs are what the model generated under the run's sampling: restore samples.jsonl.gz or re-run"


def output_problems(run: RunRecord, samples: Sequence[SampleRecord], path: Path) -> list[Problem]:
    out: list[Problem] = []
    for lineno, s in enumerate(samples, 1):
        found = [Problem.at(path, lineno, what, FIX) for what in _sample(run, s)]
        out += found[:MAX_PER_SAMPLE]
        if len(out) > 200:
            break
    return out


def _sample(run: RunRecord, s: SampleRecord) -> Iterator[str]:
    for key in ("prompt_tokens", "prompt_tokens_cached"):
        if getattr(s, key) < 0:
            yield f"{s.item_id}: {key} is {getattr(s, key)}, a count below 0"
    for j, o in enumerate(s.outputs):
        yield from (f"{s.item_id} output {j}: {what}" for what in _output(run, o))


def _limits(run: RunRecord, o: OutputRecord) -> tuple[int, int]:
    """(max_tokens of one request, requests made) for this output."""
    if isinstance(o.detail, ScenarioDetail):
        return o.detail.sampling.max_tokens, max(o.detail.turns, 1)
    return run.sampling.max_tokens, 1


def _output(run: RunRecord, o: OutputRecord) -> Iterator[str]:
    if o.tokens < 0:
        yield f"tokens is {o.tokens}, a count below 0"
    yield from _capped("explanation", o.explanation)
    yield from _capped("error", o.error)
    for g in o.grades:
        yield from _capped(f"grade '{g.grader}' explanation", g.explanation)
        yield from _capped(f"grade '{g.grader}' judge reply", g.judge_raw)
    max_tokens, turns = _limits(run, o)
    if max_tokens <= 0:  # imported samples files record no sampling limit
        return
    if o.tokens > max_tokens * turns:
        per = f" × {turns} requests" if turns > 1 else ""
        yield f"{o.tokens:,} tokens, more than max_tokens {max_tokens:,}{per} allows"
    bound = max_tokens * CHARS_PER_TOKEN + SLACK
    whole = bound * turns
    code = getattr(o.detail, "code", None)
    for name, text, cap in (("text", o.text, whole), ("extracted code", code, whole)):
        if text is not None and len(text) > cap:
            yield _too_long(name, len(text), max_tokens, cap, turns)
    for i, turn in enumerate(o.transcript or []):
        if turn.role == "assistant":
            size = len(turn.content) + sum(len(c.arguments) + len(c.name) for c in turn.tool_calls)
            if size > bound:
                yield _too_long(f"transcript turn {i} (assistant)", size, max_tokens, bound, 1)
        else:
            yield from _capped(f"transcript turn {i} ({turn.role})", turn.content)


def _too_long(name: str, size: int, max_tokens: int, cap: int, turns: int) -> str:
    per = f" × {turns} requests" if turns > 1 else ""
    return (f"{name} has {size:,} characters; max_tokens {max_tokens:,}{per} allows at most {cap:,} "
            f"({CHARS_PER_TOKEN} characters per token + {SLACK})")


def _capped(name: str, text: str | None) -> Iterator[str]:
    if text is not None and len(text) > MAX_OTHER:
        yield f"{name} has {len(text):,} characters, over the cap of {MAX_OTHER:,}"
