"""Every ``<suite>:generative`` variant scores a right answer 1 and a wrong answer 0 (on real rows of each dataset).

``boolq:generative`` used to compare a letter with the word label and could never score; replies are written the
way models answer ("Yes.", "No, the answer is no…", "The answer is B.").
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from evals.backends.base import Backend, BackendInfo, Completion, GenerateRequest, OnResult
from evals.dispatch import grade_items
from evals.records import ParsedChoiceDetail, SampleRecord
from evals.suites import get_suite
from evals.suites.multiple_choice import LETTERS, MCItem


class Scripted(Backend):
    """Answers each request with ``reply(item)``."""

    def __init__(self, replies: dict[str, str]) -> None:
        self.replies = replies
        self.info = BackendInfo(name="scripted", engine="test", model="scripted")

    def generate(self, requests: Sequence[GenerateRequest], on_result: OnResult | None = None) -> list[Completion]:
        out = [Completion(r.key, (self.replies[r.key],), ("stop",), prompt_tokens=7, completion_tokens=3)
               for r in requests]
        for c in out:
            if on_result:
                on_result(c)
        return out


def phrasings(suite_id: str, label: str) -> list[str]:
    if suite_id == "boolq":
        word = label.capitalize()
        return [f"{word}.", f"{word}, the answer is {label}.", f"The answer is {label}"]
    return [label, f"The answer is {label}.", f"**{label}**"]


@pytest.mark.parametrize("suite_id", ["mmlu", "hellaswag", "boolq", "winogrande"])
@pytest.mark.parametrize("right", [True, False])
def test_generative_variant_scores_right_and_wrong_answers(suite_id: str, right: bool, data_dir: Path) -> None:
    suite = get_suite(f"{suite_id}:generative", **({"subjects": ("anatomy",)} if suite_id == "mmlu" else {}))
    items = [it for it in suite.load(data_dir)[:3] if isinstance(it, MCItem)]
    labels = ("no", "yes") if suite_id == "boolq" else LETTERS
    replies: dict[str, str] = {}
    expected: dict[str, int] = {}
    for k, it in enumerate(items):
        pick = it.gold if right else (it.gold + 1) % len(it.choices)
        replies[it.id] = phrasings(suite_id, labels[pick])[k % 3]
        expected[it.id] = pick
    out: list[SampleRecord] = []
    grade_items(suite, items, Scripted(replies), suite.default_sampling(), out.append)
    assert [s.item_id for s in out] == [it.id for it in items]
    for s in out:
        detail = s.outputs[0].detail
        assert isinstance(detail, ParsedChoiceDetail) and detail.picked == expected[s.item_id], replies[s.item_id]
        assert s.scores["acc"] == float(right) and s.outputs[0].scores["acc"] == float(right)
    assert suite.metrics(out)[0].value == float(right)


def test_boolq_generative_reads_no_before_a_later_yes(data_dir: Path) -> None:
    suite = get_suite("boolq:generative")
    it = suite.load(data_dir)[0]
    assert isinstance(it, MCItem)
    assert suite.parse_choice("No, the answer is no; yes would be wrong", it) == 0  # type: ignore[attr-defined]
    assert suite.parse_choice("I think the answer is: yes", it) == 1  # type: ignore[attr-defined]
    assert suite.parse_choice("It depends.", it) is None  # type: ignore[attr-defined]
