"""The "Action:" tool protocol, native tool calls, the executor, builtin tools and the tool_trace grader."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from evals.scenarios.graders import grade
from evals.scenarios.tools import (
    BUILTIN_TOOLS,
    ToolCall,
    ToolResult,
    ToolSpec,
    action_prompt,
    execute,
    int_to_str,
    is_prime,
    openai_tools,
    parse_actions,
    parse_native_tool_calls,
)

FACT10 = ToolCall("calculate_factorial", {"n": 10})
FACT8 = ToolCall("calculate_factorial", {"n": 8})
GCD = ToolCall("calculate_gcd", {"a": 3628800, "b": 40320})

GPT_STYLE = """To find the GCD of 10! and 8!, I first need both factorials.

Action:
'''
[
    {
        "tool_name": "calculate_factorial",
        "parameters": {"n": 10}
    },
    {
        "tool_name": "calculate_factorial",
        "parameters": {"n": 8}
    }
]
'''"""

LLAMA_STRING_PARAM = """Action:
```
[
    {
        "tool_name": "calculate_factorial",
        "parameters": "10"
    }
]
```
I will wait for the result before computing the GCD."""

SINGLE_QUOTED = """Now I can compute the GCD.
Action:
'''
[{'tool_name': 'calculate_gcd', 'parameters': {'a': 3628800, 'b': 40320}}]
'''
"""

KEYWORD_STRING = """Action:
```json
[{"tool_name": "calculate_gcd", "parameters": "a=3628800, b=40320"}]
```"""

POSITIONAL_LIST = 'Action: [{"tool_name": "calculate_gcd", "parameters": [3628800, 40320]}] — then I am done.'
POSITIONAL_STRING = 'Action:\n[{"tool_name": "calculate_gcd", "parameters": "3628800, 40320"}]'
BOLD_MARKER_WITH_OBSERVATION = """**Action:**
'''
[{"tool_name": "is_prime", "parameters": {"n": "97"}},]
'''
Observation: (waiting for the tool)"""
SINGLE_OBJECT = 'Action:\n{"tool_name": "is_prime", "parameters": 97}'
CALL_SYNTAX = "Action: calculate_factorial(n=8)"
NO_MARKER_FENCE = 'I will call:\n```json\n[{"name": "calculate_factorial", "arguments": {"n": 10}}]\n```'
FINAL_ANSWER = "The GCD of 10! and 8! is 40320, because 8! divides 10!.\n\nFinal answer: 40320"
EXAMPLE_ONLY_JSON = 'The config is ```json\n{"a": 1}\n```'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GPT_STYLE, [FACT10, FACT8]),
        (LLAMA_STRING_PARAM, [FACT10]),
        (SINGLE_QUOTED, [GCD]),
        (KEYWORD_STRING, [GCD]),
        (POSITIONAL_LIST, [GCD]),
        (POSITIONAL_STRING, [GCD]),
        (BOLD_MARKER_WITH_OBSERVATION, [ToolCall("is_prime", {"n": "97"})]),
        (SINGLE_OBJECT, [ToolCall("is_prime", {"n": 97})]),
        (CALL_SYNTAX, [FACT8]),
        (NO_MARKER_FENCE, [FACT10]),
        (FINAL_ANSWER, None),
        (EXAMPLE_ONLY_JSON, None),
    ],
)
def test_parse_actions(text: str, expected: list[ToolCall] | None) -> None:
    assert parse_actions(text, BUILTIN_TOOLS) == expected


def test_parse_actions_without_registry_keeps_positions() -> None:
    calls = parse_actions(POSITIONAL_LIST)
    assert calls == [ToolCall("calculate_gcd", {"arg0": 3628800, "arg1": 40320})]
    assert execute(calls[0]).value == 40320  # execute maps arg0/arg1 onto the spec's names


@pytest.mark.parametrize(
    "text",
    [
        'Action:\n\'\'\'\n[{"tool_name": "calculate_gcd", "parameters": {"a": 3628800, "b": }}]\n\'\'\'',
        "Action: I think I should call a tool now.",
        'Action:\n[{"parameters": {"n": 1}}]',
    ],
)
def test_parse_actions_unreadable_action_is_reported_as_data(text: str) -> None:
    calls = parse_actions(text, list(BUILTIN_TOOLS.values()))
    assert calls is not None and len(calls) == 1
    assert calls[0].parse_error
    result = execute(calls[0])
    assert not result.ok and "could not parse" in (result.error or "")


@pytest.mark.parametrize(
    ("call", "ok", "value_or_error"),
    [
        (FACT10, True, 3628800),
        (ToolCall("calculate_factorial", {"n": "10"}), True, 3628800),
        (ToolCall("calculate_gcd", {"a": "3,628,800", "b": 40320.0}), True, 40320),
        (ToolCall("is_prime", {"n": 97}), True, True),
        (ToolCall("is_prime", {"n": "1"}), True, False),
        (ToolCall("calculate_lcm", {"a": 4, "b": 6}), True, 12),
        (ToolCall("sum_digits", {"n": 3628800}), True, 27),
        (ToolCall("calculate_factorial", {"n": 100_000}), False, "greater than the maximum of 10000"),
        (ToolCall("calculate_factorial", {"n": -1}), False, "minimum"),
        (ToolCall("calculate_factorial", {"n": "ten"}), False, "'ten' is not of type 'integer'"),
        (ToolCall("calculate_factorial", {}), False, "'n' is a required property"),
        (ToolCall("calculate_gcd", {"a": 1, "b": 2, "c": 3}), False, "Additional properties"),
        (ToolCall("calculate_square_root", {"x": 2}), False, "unknown tool 'calculate_square_root'"),
        (ToolCall("calculate_gcd", {}, parse_error="invalid JSON"), False, "could not parse"),
    ],
)
def test_execute(call: ToolCall, ok: bool, value_or_error: object) -> None:
    result = execute(call, BUILTIN_TOOLS)
    assert result.ok is ok
    if ok:
        assert result.value == value_or_error
    else:
        assert str(value_or_error) in (result.error or "")


def test_execute_never_raises_on_broken_implementations() -> None:
    registry = {
        "boom": ToolSpec(name="boom", description="d", implementation="math:sqrt",
                         parameters={"type": "object", "properties": {"x": {"type": "number"}}}),
        "fact": ToolSpec(name="fact", description="no schema bounds",
                         implementation="evals.scenarios.tools:calculate_factorial",
                         parameters={"type": "object", "properties": {"n": {"type": "integer"}}}),
        "ghost": ToolSpec(name="ghost", description="d", implementation="no_such_module_xyz:f"),
        "bare": ToolSpec(name="bare", description="d"),
    }
    assert (execute(ToolCall("boom", {"x": -1}), registry).error or "").startswith("TypeError: ")
    assert execute(ToolCall("fact", {"n": 20_000}), registry).error == (
        "ValueError: n must be between 0 and 10000, got 20000")
    assert "ModuleNotFoundError" in (execute(ToolCall("ghost"), registry).error or "")
    assert "no implementation" in (execute(ToolCall("bare"), registry).error or "")


@pytest.mark.parametrize(
    ("result", "text"),
    [
        (ToolResult(True, 3628800), "3628800"),
        (ToolResult(True, True), "true"),
        (ToolResult(True, {"a": 1}), '{"a": 1}'),
        (ToolResult(False, error="bad"), "Error: bad"),
    ],
)
def test_tool_result_as_text(result: ToolResult, text: str) -> None:
    assert result.as_text() == text


def test_big_factorial_prints_despite_the_int_str_limit() -> None:
    text = execute(ToolCall("calculate_factorial", {"n": 10_000})).as_text()
    assert len(text) == 35660 and text.startswith("2846259680917054518906")
    assert int_to_str(-(10**5000)) == "-1" + "0" * 5000


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 97, 561, 7919, 2**61 - 1, 2**61 + 1, 3628800])
def test_is_prime_matches_trial_division(n: int) -> None:
    # 2**61 - 1 is a Mersenne prime; 2**61 + 1 is divisible by 3
    small = n < 10**7
    expected = n >= 2 and all(n % d for d in range(2, math.isqrt(n) + 1)) if small else n == 2**61 - 1
    assert is_prime(n) is expected


def test_openai_tools_and_prompt() -> None:
    tools = openai_tools(BUILTIN_TOOLS.values())
    assert [t["function"]["name"] for t in tools] == list(BUILTIN_TOOLS)
    gcd = next(t for t in tools if t["function"]["name"] == "calculate_gcd")
    assert gcd == {"type": "function", "function": {
        "name": "calculate_gcd", "description": BUILTIN_TOOLS["calculate_gcd"].description,
        "parameters": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                       "required": ["a", "b"], "additionalProperties": False}}}
    json.dumps(tools)  # serialisable
    prompt = action_prompt([BUILTIN_TOOLS[n] for n in ("calculate_factorial", "calculate_gcd", "is_prime")])
    assert "choose from [calculate_factorial, calculate_gcd, is_prime]" in prompt
    assert prompt.rstrip().endswith("'''")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "calculate_factorial", "arguments": '{"n": 10}'}},
            {"id": "call_2", "type": "function",
             "function": {"name": "calculate_factorial", "arguments": '{"n": 8}'}},
        ]}, [ToolCall("calculate_factorial", {"n": 10}, call_id="call_1"),
             ToolCall("calculate_factorial", {"n": 8}, call_id="call_2")]),
        ({"choices": [{"message": {"tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "is_prime", "arguments": {"n": 7}}}]}}]},
         [ToolCall("is_prime", {"n": 7}, call_id="c")]),
        ({"role": "assistant", "content": "The answer is 40320."}, []),
        ({"function_call": {"name": "is_prime", "arguments": ""}}, [ToolCall("is_prime", {})]),
    ],
)
def test_parse_native_tool_calls(message: dict[str, Any], expected: list[ToolCall]) -> None:
    assert parse_native_tool_calls(message) == expected


@pytest.mark.parametrize(
    ("arguments", "error"),
    [('{"a": 3628800, "b": ', "invalid JSON arguments"), ("[1, 2]", "not a JSON object")],
)
def test_parse_native_tool_calls_malformed(arguments: str, error: str) -> None:
    message = {"tool_calls": [{"id": "x", "type": "function",
                               "function": {"name": "calculate_gcd", "arguments": arguments}}]}
    (call,) = parse_native_tool_calls(message)
    assert call.name == "calculate_gcd" and call.arguments == {} and error in (call.parse_error or "")
    assert not execute(call).ok


# ------------------------------------------------------------------------------------- tool_trace

TRACE_CFG: dict[str, Any] = {
    "type": "tool_trace",
    "calls": [
        {"name": "calculate_factorial", "arguments": {"n": 10}},
        {"name": "calculate_factorial", "arguments": {"n": 8}},
        {"name": "calculate_gcd", "arguments": {"a": 3628800, "b": 40320}},
    ],
    "final_answer": 40320,
}
GOOD_FINAL = "The factorial of 10 is 3628800 and of 8 is 40320, so their GCD is **40320**.\n\nAnswer: 40320"
IS_PRIME = ToolCall("is_prime", {"n": 40320})


@pytest.mark.parametrize(
    ("cfg_update", "trace", "final", "passed", "score", "mentions"),
    [
        ({}, [FACT10, FACT8, GCD], GOOD_FINAL, True, 1.0, "4/4 expectations met"),
        ({}, [ToolCall("calculate_factorial", {"n": "10"}), ToolCall("calculate_factorial", {"n": "8"}),
              ToolCall("calculate_gcd", {"a": "3628800", "b": "40320"})], GOOD_FINAL, True, 1.0, "4/4"),
        ({}, [FACT8, FACT10, GCD], GOOD_FINAL, True, 1.0, "4/4"),  # order: any
        ({}, [FACT10, FACT8, ToolCall("calculate_gcd", {"a": 10, "b": 8})], "The GCD is 2.", False, 0.5,
         "calculate_gcd called with (10, 8), expected (3628800, 40320)"),
        ({}, [FACT10, FACT8], GOOD_FINAL, False, 0.75, "calculate_gcd never called"),
        ({}, [FACT10, FACT8, ToolCall("calculate_gcd", {}, parse_error="invalid JSON")], GOOD_FINAL, False,
         0.75, "calculate_gcd called with unparseable arguments"),
        ({}, [FACT10, FACT8, GCD], "So the GCD is 8.", False, 0.75, "final answer: extracted 8"),
        ({}, [FACT10, FACT8, GCD, IS_PRIME], GOOD_FINAL, True, 1.0, "4/4"),  # extras allowed by default
        ({"allow_extra": False}, [FACT10, FACT8, GCD, IS_PRIME], GOOD_FINAL, False, 0.8,
         "unexpected calls: is_prime(40320)"),
        ({"order": "strict"}, [FACT10, FACT8, GCD], GOOD_FINAL, True, 1.0, "4/4"),
        ({"order": "strict"}, [GCD, FACT10, FACT8], GOOD_FINAL, False, 0.75, "called out of order"),
        ({"calls": [{"name": "calculate_gcd", "arguments": [40320, 3628800], "unordered_args": True}]},
         [GCD], GOOD_FINAL, True, 1.0, "2/2"),
        ({"calls": [{"name": "calculate_gcd", "arguments": [40320, 3628800]}]}, [GCD], GOOD_FINAL, False, 0.5,
         "expected (40320, 3628800)"),
        ({"calls": [{"name": "calculate_gcd", "arguments": {"a": 3628800, "b": 40320}}]},
         [ToolCall("calculate_gcd", {"x": 3628800, "y": 40320})], GOOD_FINAL, True, 1.0, "2/2"),
    ],
)
def test_tool_trace(cfg_update: dict[str, Any], trace: list[ToolCall], final: str, passed: bool, score: float,
                    mentions: str) -> None:
    result = grade({**TRACE_CFG, **cfg_update}, final, trace)
    assert result.passed is passed, result.explanation
    assert result.score == pytest.approx(score)
    assert mentions in result.explanation


@pytest.mark.parametrize(("final", "passed"), [("Yes, 97 is prime.", True), ("No, it is not.", False)])
def test_tool_trace_text_final_answer(final: str, passed: bool) -> None:
    cfg = {"type": "tool_trace", "calls": [{"name": "is_prime", "arguments": {"n": 97}}],
           "final_answer": "yes"}
    assert grade(cfg, final, [ToolCall("is_prime", {"n": 97})]).passed is passed


def test_end_to_end_action_protocol() -> None:
    """Parse the model's Action turns, execute them, and grade the recorded trace."""
    turns = [GPT_STYLE, SINGLE_QUOTED, GOOD_FINAL]
    trace: list[ToolCall] = []
    for turn in turns:
        calls = parse_actions(turn, BUILTIN_TOOLS) or []
        assert all(execute(c).ok for c in calls)
        trace += calls
    assert [execute(c).value for c in trace] == [3628800, 40320, 40320]
    assert grade(TRACE_CFG, turns[-1], trace).passed
