"""The ``rubric`` grader: an LLM judge scores an answer against a written rubric; reading its verdict."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from evals.grading import extract as ex
from evals.scenarios.base import GraderBase, fmt_number


class RubricGrader(GraderBase):
    """An LLM judge scores the answer against ``rubric`` on 0..``scale``; ``pass_threshold`` is on the
    same scale (7 with scale 10)."""

    type: Literal["rubric"] = "rubric"
    rubric: str = Field(min_length=1)
    scale: int = Field(default=10, ge=1)
    pass_threshold: float = Field(ge=0)

    @model_validator(mode="after")
    def _threshold_on_scale(self) -> RubricGrader:
        if self.pass_threshold > self.scale:
            raise ValueError(f"pass_threshold {self.pass_threshold} is above scale {self.scale}")
        return self

    def passes(self, normalised_score: float) -> bool:
        return normalised_score * self.scale >= self.pass_threshold - 1e-9


_SCORE_KEYS = ("score", "rating", "grade", "overallscore", "finalscore")
_NUM = r"(\d+(?:\.\d+)?)"
_LABELLED_RE = re.compile(
    rf"\b(?:final\s+|overall\s+)?(?:score|rating|grade)\b[*_\s]*+(?:(?:[:=]|is\b)[*_\s]*+)?{_NUM}"
    rf"(?:\s*+(?:/|out\s+of)\s*+{_NUM})?", re.I)
_FRACTION_RE = re.compile(rf"(?<![\d.]){_NUM}\s*(?:/|out\s+of)\s*{_NUM}(?!\d|\.\d)", re.I)
_VERDICT_PATTERNS = (re.compile(rf"\[\[{_NUM}\]\]"), _LABELLED_RE, _FRACTION_RE,
                     re.compile(rf"^\s*+\**{_NUM}\**\s*+(?:\.\s*+)?$"))


def _json_verdict(text: str) -> tuple[float, float | None, str] | None:
    for cand in reversed(ex.json_candidates(text)):
        if not isinstance(cand, dict):
            continue
        keys = {ex.normalize_key(k): v for k, v in cand.items()}
        raw = next((keys[k] for k in _SCORE_KEYS if k in keys), None)
        value = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else \
            ex.normalize_number(raw) if isinstance(raw, str) else None
        if value is not None:
            reason = next((str(keys[k]) for k in ("reason", "explanation", "justification", "rationale")
                           if k in keys), "")
            return value, None, reason
    return None


def _text_verdict(text: str) -> tuple[float, float | None] | None:
    for pattern in _VERDICT_PATTERNS:
        found = list(pattern.finditer(text))
        if found:
            groups = found[-1].groups()
            return float(groups[0]), float(groups[1]) if len(groups) > 1 and groups[1] else None
    return None


def parse_judge_verdict(text: str, scale: int = 10) -> tuple[float | None, str]:
    """Normalised [0, 1] score from a judge reply, and an explanation. Tried in order: a JSON object
    with "score"/"rating"/"grade" (last one), ``[[7]]``, the last "Score: 7/10" / "Rating: 4" /
    "Grade is 8 out of 10", the last bare "7/10" or "7 out of 10", a reply that is just a number.
    "x/y" divides by y, otherwise by ``scale``. None (ungraded) when no score or it is out of range."""
    found_json = _json_verdict(text)
    found = found_json[:2] if found_json else _text_verdict(text)
    if found is None:
        return None, "ungraded: no score found in the judge reply"
    value, denominator = found
    denominator = denominator or float(scale)
    if denominator <= 0 or not 0 <= value <= denominator:
        return None, f"ungraded: judge score {fmt_number(value)} is outside 0..{fmt_number(denominator)}"
    reason = f": {found_json[2][:200]}" if found_json and found_json[2] else ""
    return value / denominator, f"judge score {fmt_number(value)}/{fmt_number(denominator)}{reason}"


# ------------------------------------------------------------------------------------- asking a judge

JUDGE_TEMPLATE = """You are an impartial judge. Grade the AI assistant's answer to the task below against the rubric.

[Task given to the assistant]
{task}

[The assistant's answer]
{answer}

[Rubric]
{rubric}

Grade the answer on a scale from 0 to {scale}. Write a short justification, then end with a final line of \
the form "Score: N/{scale}"."""
MAX_ANSWER_CHARS = 12_000


def judge_prompt(cfg: RubricGrader, task: str, answer: str) -> str:
    """The judge's instructions for one answer (long answers are cut, and the judge is told so)."""
    if len(answer) > MAX_ANSWER_CHARS:
        answer = answer[:MAX_ANSWER_CHARS] + f"\n[… {len(answer) - MAX_ANSWER_CHARS} more characters not shown]"
    return JUDGE_TEMPLATE.format(task=task.strip(), answer=answer.strip() or "(empty answer)",
                                 rubric=cfg.rubric.strip(), scale=cfg.scale)


def judge_verdict(cfg: RubricGrader, reply: str) -> tuple[float | None, bool | None, str]:
    """(normalised score or None when ungraded, passed, explanation) from the judge's raw reply."""
    score, explanation = parse_judge_verdict(reply, cfg.scale)
    if score is None:
        return None, None, explanation
    return score, cfg.passes(score), explanation
