"""GSM8K answer extraction and scoring (lm-eval gsm8k_cot rules), table-driven, on real rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.backends.base import Completion
from evals.records import SelectionRecord
from evals.suites.gsm8k import (
    GSM8K,
    INVALID,
    build_prompt,
    extract_flexible,
    extract_strict,
    is_correct,
    reference_answer,
)


def real_rows(data_dir: Path) -> list[dict[str, str]]:
    with (data_dir / "gsm8k" / "test.jsonl").open() as fh:
        return [json.loads(line) for line in fh]


@pytest.mark.parametrize(("text", "strict", "flexible"), [
    (" She makes 9 * 2 = $18 every day. The answer is 18.", "18", "18."),
    (" The answer is 1,080. So she needs 1,080 pounds.", "1,080.", "1,080"),  # lm-eval keeps the dot
    (" It costs $70,000. The answer is $70,000.", INVALID, "$70,000."),
    (" The temperature fell to -5 degrees. The answer is -5.", "-5", "-5."),
    (" 3 + 4 = 7 so the total is 7", INVALID, "7"),
    (" No numbers at all.", INVALID, INVALID),
    (" The answer is 5. Q: next", "5.", "5."),
    (" The answer is 3.5 hours.", "3.5", "3.5"),
    (" The answer is 12.\nThe answer is 13.", "12", "13."),
])
def test_extraction(text: str, strict: str, flexible: str) -> None:
    assert extract_strict(text) == strict
    assert extract_flexible(text) == flexible


@pytest.mark.parametrize(("extracted", "reference", "ok"), [
    ("18", "18", True), ("18.", "18", True), ("1,080", "1080", True), ("$70,000.", "70000", True),
    ("-5", "-5", True), ("5", "-5", False), ("18.0", "18", False), (INVALID, "18", False), ("3.5", "3.5", True),
])
def test_normalised_comparison(extracted: str, reference: str, ok: bool) -> None:
    assert is_correct(extracted, reference) is ok


def test_reference_answers_of_real_rows(data_dir: Path) -> None:
    rows = real_rows(data_dir)
    assert len(rows) == 1319
    assert reference_answer(rows[0]["answer"]) == "18"  # Janet's ducks
    refs = [reference_answer(r["answer"]) for r in rows]
    assert all(r and "####" not in r for r in refs)
    with_comma = [r for r in refs if "," in r]
    negative = [r for r in refs if r.startswith("-")]
    assert with_comma, "the test split has answers written with thousands separators"
    for ref in with_comma[:5]:  # a model writing the number either way is correct
        plain = ref.replace(",", "")
        assert is_correct(extract_strict(f"The answer is {plain}."), ref)
        assert is_correct(extract_flexible(f"So ${ref} in total."), ref)
    for ref in negative:
        assert is_correct(extract_strict(f"The answer is {ref}."), ref)


def test_prompt_is_lm_eval_gsm8k_cot(data_dir: Path) -> None:
    q = real_rows(data_dir)[0]["question"]
    prompt = build_prompt(q)
    assert prompt.startswith("Q: There are 15 trees in the grove.")
    assert prompt.count("Q: ") == 9 and prompt.count("The answer is") == 8
    assert prompt.endswith(f"\n\nQ: {q}\nA:")
    assert "The answer is 6.\n\nQ: If there are 3 cars" in prompt


def test_grading_and_metrics_on_real_items(data_dir: Path) -> None:
    suite = GSM8K()
    items = suite.load(data_dir)[:3]
    texts = [" The answer is 18.", f" She has {items[1].reference} bolts.", " I do not know."]
    samples = []
    for item, text in zip(items, texts, strict=True):
        samples.append(suite.score(item, [Completion(item.id, (text,), ("stop",), 100, 5)]))
    assert [s.scores["strict"] for s in samples] == [1.0, 0.0, 0.0]
    assert [s.scores["flexible"] for s in samples] == [1.0, 1.0, 0.0]
    metrics = {m.variant: m for m in suite.metrics(samples)}
    assert metrics["strict"].value == pytest.approx(1 / 3) and metrics["strict"].n == 3
    assert metrics["flexible"].ci_low < 2 / 3 < metrics["flexible"].ci_high


def test_suite_version_changes_with_the_grader() -> None:
    a = GSM8K().record("sha", [], SelectionRecord(kind="full"))
    b = GSM8K().record("sha2", [], SelectionRecord(kind="full"))
    assert a.version != b.version and len(a.version) == 16
