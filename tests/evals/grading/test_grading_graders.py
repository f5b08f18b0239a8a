"""Table-driven tests of the numeric / exact / regex / contains graders, the registry and judge parsing."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from evals.scenarios.graders import (
    GRADERS,
    CodeTestsGrader,
    ContainsGrader,
    ExactGrader,
    GradeResult,
    JsonGrader,
    NeedsRunner,
    NumericGrader,
    RegexGrader,
    RubricGrader,
    ToolTraceGrader,
    grade,
    parse_grader,
    parse_judge_verdict,
)

# --------------------------------------------------------------------------------- f(g(1)) = 25

FG_GOOD_BOXED = r"""We have $g(x) = x^2 + 2$, so $g(1) = 1 + 2 = 3$.
Then $f(x) = 8x + 1$ gives $f(3) = 8 \cdot 3 + 1 = 25$.
Therefore $f(g(1)) = \boxed{25}$."""
FG_GOOD_LATEX_ONLY = r"""First compute the inner function: \(g(1) = 1^2 + 2 = 3\).
Then \(f(3) = 8(3) + 1 = 25\).
So \(f(g(1)) = 25\)."""
FG_GOOD_ANSWER_IS = "g(1) = 3 and f(3) = 25.\n\n**Answer:** 25\n\nLet me double-check with x = 2: g(2) = 6."
FG_BAD_BOXED = r"$g(1) = 3$, $f(3) = 8 \cdot 3 = 24$, so the result is $\boxed{24}$."
FG_BAD_LAST = "g(1) = 3, f(3) = 25... wait, let me recompute: f(g(1)) = 26"
FG_BOX_BEATS_LATER_NUMBERS = r"$\boxed{25}$ (checked for x = 1, 2 and 3)"


@pytest.mark.parametrize(
    ("output", "passed", "extracted", "source"),
    [
        (FG_GOOD_BOXED, True, "25", "boxed"),
        (FG_GOOD_LATEX_ONLY, True, "25", "last number"),
        (FG_GOOD_ANSWER_IS, True, "25", "the answer is"),
        (FG_BOX_BEATS_LATER_NUMBERS, True, "25", "boxed"),
        (FG_BAD_BOXED, False, "24", "boxed"),
        (FG_BAD_LAST, False, "26", "last number"),
        ("I cannot compute this.", False, None, "no number"),
    ],
)
def test_numeric_fg(output: str, passed: bool, extracted: str | None, source: str) -> None:
    result = grade({"type": "numeric", "expected": 25, "tolerance": 1e-6}, output)
    assert result.passed is passed
    assert result.score == float(passed)
    assert result.extracted == extracted
    assert source in result.explanation


@pytest.mark.parametrize(
    ("cfg", "output", "passed"),
    [
        ({"expected": "1,234"}, "The total is $1,234.", True),
        ({"expected": 0.5}, r"\boxed{\frac{1}{2}}", True),
        ({"expected": 100, "relative_tolerance": 0.01}, "about 100.9", True),
        ({"expected": 100, "relative_tolerance": 0.01}, "about 102", False),
        ({"expected": 100, "tolerance": 2}, "about 102", True),
        ({"expected": 7, "extract": ["last_number"]}, r"\boxed{7} and then 9", False),
    ],
)
def test_numeric_options(cfg: dict[str, Any], output: str, passed: bool) -> None:
    assert grade({"type": "numeric", **cfg}, output).passed is passed


# ---------------------------------------------------------------------------- 9.11 vs 9.9 (choices)

LARGER = {"type": "numeric", "expected": 9.9, "choices": [9.11, 9.9]}
SMALLER = {"type": "numeric", "expected": 9.11, "choices": [9.11, 9.9]}


@pytest.mark.parametrize(
    ("output", "passed"),
    [
        ("9.9 is larger than 9.11.", True),
        ("The larger number is 9.9.", True),
        ("**9.9**", True),
        ("9.9", True),
        ("9.9 > 9.11", True),
        ("9.11 < 9.9, because 0.90 > 0.11.", True),
        ("9.11 is not larger than 9.9", True),
        ("9.9 is the greater one: compare tenths, 9 > 1.", True),
        ("Comparing 9.11 and 9.9: 9.11 has more digits, but 9.90 is bigger than 9.11.", True),
        ("At first glance 9.11 is larger than 9.9, but actually 9.9 is larger than 9.11.", True),
        ("Which is larger, 9.11 or 9.9?\n\nThe answer is 9.9.", True),
        (r"$\boxed{9.9}$ is larger than 9.11", True),
        ("9.11 is larger than 9.9.", False),
        ("9.11 is larger", False),
        ("The larger number is 9.11 since 11 > 9.", False),
        ("9.11 > 9.9", False),
        ("**9.11**", False),
        ("9.9 is smaller than 9.11", False),
        ("Both 9.11 and 9.9 are decimals.", False),  # undecidable
    ],
)
def test_numeric_choices_which_is_larger(output: str, passed: bool) -> None:
    result = grade(LARGER, output)
    assert result.passed is passed, result.explanation


@pytest.mark.parametrize(
    ("output", "passed"),
    [
        ("9.11 is smaller than 9.9", True),
        ("9.9 is larger than 9.11, so the smaller one is 9.11", True),
        ("9.9 is larger than 9.11", True),  # a comparison claim implies the smaller one too
        ("9.9 is smaller", False),
    ],
)
def test_numeric_choices_which_is_smaller(output: str, passed: bool) -> None:
    assert grade(SMALLER, output).passed is passed


def test_numeric_choices_explanation_names_the_pick() -> None:
    result = grade(LARGER, "9.11 is larger than 9.9.")
    assert result.extracted == "9.11"
    assert "picks 9.11" in result.explanation and "expected 9.9" in result.explanation


def test_numeric_choices_expected_must_be_a_choice() -> None:
    with pytest.raises(ValidationError, match="not one of choices"):
        parse_grader({"type": "numeric", "expected": 3, "choices": [1, 2]})


# -------------------------------------------------------------------------------------- exact


@pytest.mark.parametrize(
    ("cfg", "output", "passed"),
    [
        ({"expected": "Paris"}, "paris", True),
        ({"expected": "Paris"}, "The answer is **Paris**.", True),
        ({"expected": "Paris", "case_sensitive": True}, "paris", False),
        ({"expected": "New York"}, "new   york", True),
        ({"expected": "New York", "normalize_whitespace": False}, "New   York", False),
        ({"expected": "O'Brien", "ignore_punctuation": True}, "OBrien", True),
        ({"expected": "O'Brien"}, "OBrien", False),
        ({"expected": ["colour", "color"]}, "Answer: color", True),
        ({"expected": "Paris"}, "The capital of France is Paris.", False),
        ({"expected": "Paris", "choices": ["Paris", "Lyon"]}, "The capital of France is Paris.", True),
        ({"expected": "Paris", "choices": ["Paris", "Lyon"]}, "Not Lyon; the answer is Paris.", True),
        ({"expected": "Paris", "choices": ["Paris", "Lyon"]}, "It is **Lyon**, not Paris.", False),
        ({"expected": "Paris", "choices": ["Paris", "Lyon"]}, "Paris or Lyon, hard to say.", False),
    ],
)
def test_exact(cfg: dict[str, Any], output: str, passed: bool) -> None:
    assert grade({"type": "exact", **cfg}, output).passed is passed


# ------------------------------------------------------------------------------- regex / contains


@pytest.mark.parametrize(
    ("cfg", "output", "passed"),
    [
        ({"pattern": r"def \w+\("}, "```python\ndef solve(x):\n```", True),
        ({"pattern": r"^DONE$", "flags": ["MULTILINE"]}, "work\nDONE\n", True),
        ({"pattern": r"^DONE$"}, "work\nDONE\n", False),
        ({"pattern": "hello", "flags": ["i"]}, "HELLO", True),
        ({"pattern": r"as an ai", "flags": ["ignorecase"], "must_not_match": True}, "As an AI, I...", False),
        ({"pattern": r"as an ai", "flags": ["ignorecase"], "must_not_match": True}, "Sure, here it is", True),
    ],
)
def test_regex(cfg: dict[str, Any], output: str, passed: bool) -> None:
    assert grade({"type": "regex", **cfg}, output).passed is passed


@pytest.mark.parametrize(
    "cfg",
    [{"type": "regex", "pattern": "("}, {"type": "regex", "pattern": "a", "flags": ["q"]}],
)
def test_regex_bad_config(cfg: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_grader(cfg)


@pytest.mark.parametrize(
    ("cfg", "output", "score", "passed"),
    [
        ({"strings": ["apple", "banana", "cherry"]}, "Apple and BANANA and cherry", 1.0, True),
        ({"strings": ["apple", "banana", "cherry"]}, "apple and banana", 2 / 3, False),
        ({"strings": ["apple", "banana", "cherry"], "pass_threshold": 0.6}, "apple and banana", 2 / 3, True),
        ({"strings": ["Apple"], "case_sensitive": True}, "apple", 0.0, False),
        ({"strings": ["apple", "kiwi"], "mode": "any"}, "a kiwi", 1.0, True),
        ({"strings": ["apple", "kiwi"], "mode": "any"}, "a pear", 0.0, False),
        ({"strings": ["New York"]}, "new\n  york city", 1.0, True),
    ],
)
def test_contains(cfg: dict[str, Any], output: str, score: float, passed: bool) -> None:
    result = grade({"type": "contains", **cfg}, output)
    assert result.score == pytest.approx(score)
    assert result.passed is passed


# ------------------------------------------------------------------------------------ registry


YAML_CONFIGS = """
- {type: numeric, expected: 25, tolerance: 1e-6}
- {type: exact, expected: Paris}
- {type: regex, pattern: 'def \\w+', flags: [i]}
- {type: contains, strings: [a, b], mode: any}
- type: json
  required_keys: [company_name]
  schema: {type: object}
- type: tool_trace
  calls: [{name: calculate_gcd, arguments: {a: 3628800, b: 40320}}]
  final_answer: 40320
- {type: code_tests, tests: "assert solve(2) == 4", entry_hint: solve}
- {type: rubric, rubric: 'Is it funny?', scale: 10, pass_threshold: 7}
"""


def test_yaml_configs_validate_into_the_right_classes() -> None:
    configs = [parse_grader(d) for d in yaml.safe_load(YAML_CONFIGS)]
    assert [type(c) for c in configs] == [
        NumericGrader, ExactGrader, RegexGrader, ContainsGrader, JsonGrader, ToolTraceGrader,
        CodeTestsGrader, RubricGrader,
    ]
    assert set(GRADERS) == {c.type for c in configs}
    assert all(GRADERS[c.type] is type(c) for c in configs)
    json_cfg = configs[4]
    assert isinstance(json_cfg, JsonGrader) and json_cfg.json_schema == {"type": "object"}


@pytest.mark.parametrize(
    "cfg",
    [
        {"type": "numeric", "expected": 25, "tolerence": 1},  # typo → extra field forbidden
        {"type": "numeric"},
        {"type": "nope", "expected": 1},
        {"type": "contains", "strings": []},
        {"type": "code_tests", "tests": "def broken(:"},
        {"type": "rubric", "rubric": "x", "scale": 5, "pass_threshold": 7},
        {"type": "json", "schema": {"type": "no-such-type"}},
    ],
)
def test_bad_configs_are_rejected(cfg: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_grader(cfg)


@pytest.mark.parametrize(
    "cfg",
    [{"type": "code_tests", "tests": "assert True"}, {"type": "rubric", "rubric": "x", "pass_threshold": 5}],
)
def test_grade_refuses_graders_that_need_a_runner(cfg: dict[str, Any]) -> None:
    with pytest.raises(NeedsRunner, match="not pure"):
        grade(cfg, "output")


def test_grade_accepts_models_and_results_are_frozen() -> None:
    result = grade(NumericGrader(expected=2), "1 + 1 = 2")
    assert result == GradeResult(1.0, True, result.explanation, "2")
    with pytest.raises(AttributeError):
        result.score = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        GradeResult(1.5, True, "bad")


def test_rubric_threshold_on_scale() -> None:
    cfg = RubricGrader(rubric="r", scale=10, pass_threshold=7)
    assert cfg.passes(0.7) and not cfg.passes(0.6)


# ---------------------------------------------------------------------------------- judge verdict


@pytest.mark.parametrize(
    ("text", "scale", "score"),
    [
        ("The story is vivid and coherent.\n\nScore: 7/10", 10, 0.7),
        ("Rating: 4", 5, 0.8),
        ('{"score": 8, "reason": "good pacing"}', 10, 0.8),
        ('```json\n{"Score": "9"}\n```', 10, 0.9),
        ("**Score:** 6", 10, 0.6),
        ("Overall, I'd give it 3 out of 5.", 5, 0.6),
        ("Rating: [[9]]", 10, 0.9),
        ("A score of 10 would need more depth. Final score: 6/10", 10, 0.6),
        ("Grade is 8 out of 10", 10, 0.8),
        ("7", 10, 0.7),
        ("Score: 0/10", 10, 0.0),
        ("Score: 12/10", 10, None),
        ("Rating: 15", 10, None),
        ("I liked it a lot.", 10, None),
        ("", 10, None),
    ],
)
def test_parse_judge_verdict(text: str, scale: int, score: float | None) -> None:
    value, explanation = parse_judge_verdict(text, scale)
    if score is None:
        assert value is None and explanation.startswith("ungraded")
    else:
        assert value == pytest.approx(score)
        assert explanation.startswith("judge score")


def test_judge_verdict_keeps_the_reason() -> None:
    assert "good pacing" in parse_judge_verdict('{"score": 8, "reason": "good pacing"}')[1]
