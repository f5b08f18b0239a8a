"""Table-driven tests of the pure text extractors."""

from __future__ import annotations

import pytest

from evals.grading import extract as ex


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The total is $1,234.", "1234"),
        ("It costs $5", "5"),
        ("The temperature dropped to -12 degrees.", "-12"),
        ("Result: −3.5", "-3.5"),
        ("So the answer is 25.", "25"),
        ("9.9 is larger than 9.11.", "9.11"),
        ("gcd(10,8)", "8"),
        ("Revenue in FY2023 was 1,234,567.89 dollars", "1234567.89"),
        ("tolerance 1e-6", "1e-6"),
        ("pages 3-5", "5"),
        ("x2 and H2O have no standalone numbers", None),
        ("no digits here", None),
        ("", None),
    ],
)
def test_last_number(text: str, expected: str | None) -> None:
    assert ex.last_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234", 1234.0),
        ("$5", 5.0),
        ("-$5", -5.0),
        ("−3.5", -3.5),
        ("25.", 25.0),
        ("70%", 70.0),
        ("3/4", 0.75),
        (r"\frac{3}{4}", 0.75),
        (r"\dfrac{1}{8}", 0.125),
        ("$25$", 25.0),
        (r"\text{42}", 42.0),
        ("1e-6", 1e-6),
        ("25 apples", None),
        ("abc", None),
        ("1/0", None),
        ("", None),
    ],
)
def test_normalize_number(text: str, expected: float | None) -> None:
    assert ex.normalize_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"Therefore $f(g(1)) = \boxed{25}$.", "25"),
        (r"first \boxed{3} then \boxed{\frac{1}{2}}", r"\frac{1}{2}"),
        (r"\boxed{a{b{c}}d}", "a{b{c}}d"),
        (r"\boxed{ 7 }", "7"),
        (r"\fbox{8}", "8"),
        (r"\boxed{unterminated", None),
        ("no box", None),
    ],
)
def test_boxed(text: str, expected: str | None) -> None:
    assert ex.boxed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The answer is 25.", "25"),
        ("THE ANSWER IS 9.9. It is larger because...", "9.9"),
        ("answer: 42", "42"),
        ("**Answer:** 17", "17"),
        ("**Final Answer:** **$3.50**", "3.50"),
        ("The final answer is $\\boxed{25}$. I hope it is correct.", "\\boxed{25}"),
        ("Final Answer: The final answer is 12. I hope it is correct.", "12"),
        ("**Answer:**\n\n25", "25"),
        ("We need an answer quickly; the result is 5", None),
        ("No marker here, just 25", None),
    ],
)
def test_answer_is(text: str, expected: str | None) -> None:
    assert ex.answer_is(text) == expected


FENCED = """Here you go:
```python
def f():
    return 1
```
and JSON:
```json
{"a": 1}
```
~~~
plain
~~~
```js
console.log(1)"""


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (None, ["def f():\n    return 1", '{"a": 1}', "plain", "console.log(1)"]),
        ("python", ["def f():\n    return 1"]),
        ("JSON", ['{"a": 1}']),
        ("", ["plain"]),
        ("js", ["console.log(1)"]),  # unterminated final fence runs to the end
        ("rust", []),
    ],
)
def test_code_blocks(lang: str | None, expected: list[str]) -> None:
    assert ex.code_blocks(FENCED, lang) == expected


def test_code_blocks_glued_closing_fence_and_single_quotes() -> None:
    assert ex.code_blocks('```json\n{"a": 1}```\nafter') == ['{"a": 1}']
    assert ex.code_blocks("'''\n[1]\n'''") == []
    assert ex.code_blocks("'''\n[1]\n'''", fence_chars="'") == ["[1]"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('```json\n{"name": "Acme", "n": 2}\n```', [{"name": "Acme", "n": 2}]),
        ('Sure! Here is the data: {"a": {"b": [1, 2]}} Hope that helps.', [{"a": {"b": [1, 2]}}]),
        ('Prose with {braces} and a "quote" then {"k": "v } inside string"}', [{"k": "v } inside string"}]),
        ('```\n{"a": 1,}\n```', [{"a": 1}]),  # trailing comma tolerated
        ("{'a': 'single', 'ok': true, 'none': null}", [{"a": "single", "ok": True, "none": None}]),
        ('two objects {"a": 1} and [1, 2]', [{"a": 1}, [1, 2]]),
        ('```json\n{"a": 1}\n```\nrepeated {"a": 1}', [{"a": 1}]),  # duplicates dropped
        ('```json\n{"a": 1, "b": }\n```', []),
        ("{1, 2} is a set, not JSON", []),
        ("no json at all", []),
    ],
)
def test_json_candidates(text: str, expected: list[object]) -> None:
    assert ex.json_candidates(text) == expected


@pytest.mark.parametrize(
    ("text", "letters", "expected"),
    [
        ("Answer: B", "ABCD", "B"),
        ("The correct answer is C.", "ABCD", "C"),
        ("**Answer:** (D)", "ABCD", "D"),
        ("the answer is: **B**", "ABCD", "B"),
        ("The answer is A.", "ABCD", "A"),
        ("The answer is A because the others are wrong.", "ABCD", "A"),
        ("I choose option C", "ABCD", "C"),
        ("The correct option is B", "ABCD", "B"),
        ("I think the answer is likely C, since it is larger.", "ABCD", "C"),
        ("Correct answer: **B) 14**", "ABCD", "B"),
        ("A) Paris", "AB", "A"),
        ("(B)", "ABCD", "B"),
        ("B.", "ABCD", "B"),
        ("b", "ABCD", "B"),
        ("**C**", "ABCD", "C"),
        ("Let me think step by step.\nThe speed is 60 km/h.\nD", "ABCD", "D"),
        ("B. Because the train is faster.", "ABCD", "B"),
        ("A. 12\nB. 14\nC. 16\nD. 18\n\nThe answer is C", "ABCD", "C"),
        ("(A) 3 (B) 4 (C) 5 (D) 6\nSo the result is (B).", "ABCD", "B"),
        ("Answer: E", "ABCDE", "E"),
        # prose must not be read as a choice
        ("A train leaves the station at 3 pm travelling at 60 km/h.", "ABCD", None),
        ("Answer: A train covers 120 km in two hours.", "ABCD", None),
        ("A. 12\nB. 14\nC. 16\nD. 18", "ABCD", None),  # an echoed option list only
        ("(A) 3 (B) 4 (C) 5 (D) 6", "ABCD", None),
        ("Answer: Because it is faster.", "ABCD", None),
        ("Answer: E", "ABCD", None),
        ("", "ABCD", None),
    ],
)
def test_choice_letter(text: str, letters: str, expected: str | None) -> None:
    assert ex.choice_letter(text, letters) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("approximately 200 million AUD", 200e6),
        ("AUD 200,000,000", 200e6),
        ("$3.5bn", 3.5e9),
        ("$200M", 200e6),
        ("12k", 12e3),
        ("140 mmHg", 140.0),
        ("none", None),
    ],
)
def test_parse_quantity(text: str, expected: float | None) -> None:
    assert ex.parse_quantity(text) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [("Company Name", "company_name"), ("companyName", "company-name"), ("E-mail", "email")],
)
def test_normalize_key(a: str, b: str) -> None:
    assert ex.normalize_key(a) == ex.normalize_key(b)


@pytest.mark.parametrize(
    ("haystack", "needle", "expected"),
    [
        ("Blood pressure 140/90mmHg on admission", "140/90 mmHg", True),
        ("anterior wall ST-segment elevation", "ST segment elevation", True),
        ("Troponin-I elevated", "troponin I", True),
        ("a specific finding", "PCI", False),
        ("underwent primary PCI", "PCI", True),
    ],
)
def test_contains_phrase(haystack: str, needle: str, expected: bool) -> None:
    assert ex.contains_phrase(haystack, needle) is expected


def test_parse_jsonish_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        ex.parse_jsonish("not json")
    assert ex.parse_jsonish("[1, 2,]") == [1, 2]
    assert ex.parse_jsonish("('a', 1)") == ["a", 1]
