"""Tool calling for scenarios: the prompt-based "Action:" protocol, native OpenAI tool calls, a safe
executor and a small builtin tool library (factorial, gcd, primality, lcm, digit sums).

The "Action:" protocol (from the original "Llama 3.1 vs GPT-4o" test) asks the model to answer with::

    Action:
    '''
    [{"tool_name": "calculate_gcd", "parameters": {"a": 10, "b": 8}}]
    '''

Nothing here raises on model output: bad output becomes ``ToolCall.parse_error`` / ``ToolResult.error``.
"""

from __future__ import annotations

import importlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from pydantic import BaseModel, ConfigDict, Field

from evals.backends.base import ToolCallMsg, parse_tool_calls
from evals.grading.extract import bracket_spans, code_blocks, normalize_number, parse_jsonish


@dataclass(frozen=True)
class ToolCall:
    """One tool call as the model made it; ``parse_error`` is set when it could not be read."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    parse_error: str | None = None
    call_id: str | None = None


@dataclass(frozen=True)
class ToolResult:
    """Outcome of :func:`execute`: ``ok`` with a ``value``, or not ok with an ``error`` message."""

    ok: bool
    value: object = None
    error: str | None = None

    def as_text(self) -> str:
        """What to show the model as the observation."""
        if not self.ok:
            return f"Error: {self.error}"
        if isinstance(self.value, bool):
            return str(self.value).lower()
        if isinstance(self.value, int):
            return int_to_str(self.value)
        return json.dumps(self.value) if isinstance(self.value, dict | list) else str(self.value)


class ToolSpec(BaseModel):
    """A tool: JSON-Schema ``parameters`` plus a Python implementation given as ``"module:function"``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$")
    description: str
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    implementation: str | None = Field(default=None, pattern=r"^[\w.]+:\w+$")

    @property
    def param_names(self) -> list[str]:
        return list(self.parameters.get("properties", {}))


ToolRegistry = Mapping[str, ToolSpec]


# ------------------------------------------------------------------------------------- builtin tools

MAX_FACTORIAL_N = 10_000
MAX_PRIME_BITS = 4096


def int_to_str(value: int) -> str:
    """``str(int)`` without Python's 4300-digit conversion limit (factorial(10000) has 35660 digits)."""
    try:
        return str(value)
    except ValueError:
        high, low = divmod(abs(value), 10**4000)
        return ("-" if value < 0 else "") + int_to_str(high) + str(low).zfill(4000)


def calculate_factorial(n: int) -> int:
    """n! for 0 <= n <= 10000."""
    if not 0 <= n <= MAX_FACTORIAL_N:
        raise ValueError(f"n must be between 0 and {MAX_FACTORIAL_N}, got {n}")
    return math.factorial(n)


def calculate_gcd(a: int, b: int) -> int:
    """Greatest common divisor."""
    return math.gcd(a, b)


def calculate_lcm(a: int, b: int) -> int:
    """Least common multiple."""
    return math.lcm(a, b)


def sum_digits(n: int) -> int:
    """Sum of the decimal digits of |n|."""
    return sum(int(d) for d in int_to_str(abs(n)))


def is_prime(n: int) -> bool:
    """Primality: deterministic Miller-Rabin for n < 3.3e24, strong probable-prime test above."""
    if n.bit_length() > MAX_PRIME_BITS:
        raise ValueError(f"n has more than {MAX_PRIME_BITS} bits")
    if n < 2:
        return False
    bases = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
    if n in bases:
        return True
    if any(n % p == 0 for p in bases):
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in bases:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _int_params(*names: str, **bounds: int) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": "integer", **bounds}
    return {"type": "object", "properties": {n: dict(prop) for n in names}, "required": list(names),
            "additionalProperties": False}


def _builtin(func: Callable[..., object], description: str, params: dict[str, Any]) -> ToolSpec:
    return ToolSpec(name=func.__name__, description=description, parameters=params,
                    implementation=f"{__name__}:{func.__name__}")


BUILTIN_TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        _builtin(calculate_factorial, "Compute the factorial n! of a non-negative integer n (n <= 10000).",
                 _int_params("n", minimum=0, maximum=MAX_FACTORIAL_N)),
        _builtin(calculate_gcd, "Compute the greatest common divisor of two integers a and b.",
                 _int_params("a", "b")),
        _builtin(is_prime, "Check whether an integer n is a prime number; returns true or false.",
                 _int_params("n")),
        _builtin(calculate_lcm, "Compute the least common multiple of two integers a and b.",
                 _int_params("a", "b")),
        _builtin(sum_digits, "Compute the sum of the decimal digits of an integer n.", _int_params("n")),
    )
}


def openai_tools(specs: Iterable[ToolSpec]) -> list[dict[str, Any]]:
    """Specs as the ``tools=`` argument of the OpenAI chat API (native function calling)."""
    return [{"type": "function",
             "function": {"name": s.name, "description": s.description, "parameters": s.parameters}}
            for s in specs]


def action_prompt(specs: Sequence[ToolSpec]) -> str:
    """The original protocol's instructions for answering with an ``Action:`` list of the given tools."""
    names = ", ".join(s.name for s in specs)
    described = "\n".join(f"- {s.name}({', '.join(s.param_names)}): {s.description}" for s in specs)
    return (f"You can use these tools:\n{described}\n\n"
            'Write "Action:", followed by the list of actions you want to call, in the following format:\n'
            "Action:\n'''\n[\n    {\n"
            f'        "tool_name": "Tool name (choose from [{names}])",\n'
            '        "parameters": "Input parameters for the tool"\n    }\n]\n\'\'\'')


# ------------------------------------------------------------------------------------ Action: parsing

_NAME_KEYS = ("tool_name", "name", "tool", "function", "action")
_PARAM_KEYS = ("parameters", "arguments", "args", "params", "input", "tool_input")
_PAIR_RE = re.compile(r"^\s*([A-Za-z_]\w*)\s*[=:]\s*(.+)$")


def _literal(text: str) -> object:
    try:
        return parse_jsonish(text)
    except ValueError:
        return text.strip().strip("'\"")


def _positional(values: Sequence[object], names: Sequence[str]) -> dict[str, Any]:
    return {(names[i] if i < len(names) else f"arg{i}"): v for i, v in enumerate(values)}


def _params_from_string(text: str, names: Sequence[str]) -> dict[str, Any]:
    """ "10" / "[3628800, 40320]" / '{"n": 10}' / "a=3628800, b=40320" / "3628800, 40320"."""
    stripped = text.strip()
    if not stripped:
        return {}
    parsed = _literal(stripped)
    if not isinstance(parsed, str):
        return _coerce_params(parsed, names)
    parts = [p for p in re.split(r"\s*[,;]\s*|\s+and\s+", stripped.strip("()")) if p.strip()]
    pairs = [_PAIR_RE.match(p) for p in parts]
    if parts and all(pairs):
        return {m.group(1): _literal(m.group(2)) for m in pairs if m}
    return _positional([_literal(p) for p in parts], names)


def _coerce_params(params: object, names: Sequence[str]) -> dict[str, Any]:
    if params is None:
        return {}
    if isinstance(params, dict):
        return {str(k): v for k, v in params.items()}
    if isinstance(params, list):
        return _positional(params, names)
    if isinstance(params, str):
        return _params_from_string(params, names)
    return _positional([params], names)


def _action_to_call(item: object, tools: ToolRegistry | None) -> ToolCall:
    if not isinstance(item, dict):
        return ToolCall(name="", parse_error=f"action is not an object: {item!r}"[:200])
    name = next((item[k] for k in _NAME_KEYS if isinstance(item.get(k), str)), None)
    if name is None:
        return ToolCall(name="", parse_error=f"action has no tool_name: {item!r}"[:200])
    name = name.strip()
    spec = tools.get(name) if tools else None
    raw = next((item[k] for k in _PARAM_KEYS if k in item), None)
    return ToolCall(name=name, arguments=_coerce_params(raw, spec.param_names if spec else []))


def _calls_from_value(value: object, tools: ToolRegistry | None) -> list[ToolCall]:
    items = value if isinstance(value, list) else [value]
    return [_action_to_call(item, tools) for item in items]


def _looks_like_actions(value: object) -> bool:
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(isinstance(i, dict) and any(k in i for k in _NAME_KEYS) for i in items)


def _first_value(segment: str) -> object:
    """The action list in ``segment``: a bracketed span when the segment starts with one, else the first
    fenced block (''' / ``` / ~~~), else the first bracketed span anywhere."""
    spans = bracket_spans(segment)
    if spans and not segment[: spans[0][0]].strip():
        return parse_jsonish(segment[spans[0][0] : spans[0][1]])
    for block in code_blocks(segment, fence_chars="'`~"):
        if block.strip():
            return parse_jsonish(block)
    if not spans:
        raise ValueError("no action list found after 'Action:'")
    return parse_jsonish(segment[spans[0][0] : spans[0][1]])


def _call_syntax(segment: str, tools: ToolRegistry | None) -> list[ToolCall] | None:
    """``Action: calculate_gcd(3628800, 40320)`` — Python call syntax right after the marker."""
    m = re.match(r"\s*+`*+\s*+([A-Za-z_]\w*+)\s*+\(([^()]*)\)", segment)
    if m is None or (tools and m.group(1) not in tools):
        return None
    spec = tools.get(m.group(1)) if tools else None
    names = spec.param_names if spec else []
    return [ToolCall(name=m.group(1), arguments=_params_from_string(m.group(2), names))]


def parse_actions(text: str, tools: ToolRegistry | Sequence[ToolSpec] | None = None) -> list[ToolCall] | None:
    """Tool calls of an ``Action:`` reply; None when the reply contains no action (a final answer).

    Accepts ''' / ``` / ~~~ fences or none, JSON or Python-literal lists/objects (``ast.literal_eval``,
    never ``eval``), ``name(args)`` call syntax, and ``parameters`` as dict, list, scalar or string
    ("10", "a=3628800, b=40320", "3628800, 40320"). Positional values are mapped onto the tool's
    parameter names when ``tools`` is given (``arg0``, ``arg1``… otherwise). An ``Action:`` whose list
    cannot be read gives ``[ToolCall(name="", parse_error=...)]`` so the runner can report it.
    """
    registry = {t.name: t for t in tools} if isinstance(tools, Sequence) else tools
    markers = list(re.finditer(r"\bAction\s*+(?:\*\*)?\s*+:(?:\*\*)?", text, re.I))
    error = "no action list found after 'Action:'"
    for marker in markers:
        segment = text[marker.end():]
        try:
            return _calls_from_value(_first_value(segment), registry)
        except ValueError as err:
            error = str(err)
        calls = _call_syntax(segment, registry)
        if calls:
            return calls
    if markers:
        return [ToolCall(name="", parse_error=error)]
    for block in code_blocks(text, fence_chars="'`~"):
        try:
            value = parse_jsonish(block)
        except ValueError:
            continue
        if _looks_like_actions(value):
            return _calls_from_value(value, registry)
    return None


def parse_native_tool_calls(message: Mapping[str, Any]) -> list[ToolCall]:
    """``tool_calls`` of an OpenAI chat message (or a whole response / choice); arguments is a JSON
    string, and malformed JSON gives a ToolCall with ``parse_error`` set."""
    if "choices" in message and message["choices"]:
        message = message["choices"][0]
    if "message" in message and isinstance(message["message"], Mapping):
        message = message["message"]
    raw_calls = list(message.get("tool_calls") or [])
    if not raw_calls and isinstance(message.get("function_call"), Mapping):
        raw_calls = [{"function": message["function_call"]}]
    raw_calls = [raw for raw in raw_calls if isinstance(raw, Mapping)]
    wire = parse_tool_calls(raw_calls)  # the one reader of OpenAI-shaped calls (backends use it too)
    return [call_from_wire(m, keep_id=isinstance(raw.get("id"), str)) for m, raw in zip(wire, raw_calls, strict=True)]


def call_from_wire(msg: ToolCallMsg, keep_id: bool = True) -> ToolCall:
    """A native tool call as a backend returned it (JSON arguments as text) → a :class:`ToolCall`; malformed
    JSON gives a ToolCall with ``parse_error`` set. ``keep_id``: False when the server sent no id."""
    name, args = msg.name, msg.arguments
    call_id = msg.id if keep_id else None
    try:
        parsed = json.loads(args) if args.strip() else {}
    except ValueError as err:
        return ToolCall(name=name, parse_error=f"invalid JSON arguments {args!r:.80}: {err}", call_id=call_id)
    if not isinstance(parsed, dict):
        why = f"arguments is not a JSON object: {args!r:.80}"
        return ToolCall(name=name, parse_error=why, call_id=call_id)
    return ToolCall(name=name, arguments=parsed, call_id=call_id)


# ------------------------------------------------------------------------------------------ execution


def _to_number(value: str) -> object:
    digits = value.strip().replace(",", "")
    if re.fullmatch(r"[-+]?\d+", digits):
        try:
            return int(digits)
        except ValueError:  # more than 4300 digits
            return value
    number = normalize_number(value)
    return value if number is None else number


def _coerce_value(value: object, schema: Mapping[str, Any]) -> object:
    kind = schema.get("type")
    if kind in ("integer", "number") and isinstance(value, str):
        value = _to_number(value)
    if kind == "integer" and isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if kind == "boolean" and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if kind == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def coerce_arguments(arguments: Mapping[str, Any], spec: ToolSpec) -> dict[str, Any]:
    """Arguments with strings turned into numbers/booleans where the schema asks for them ("10" → 10);
    positional ``arg0``, ``arg1``… (from parsing without a registry) are renamed to the spec's names."""
    names = spec.param_names
    if arguments and all(re.fullmatch(r"arg\d+", k) for k in arguments):
        arguments = {names[int(k[3:])] if int(k[3:]) < len(names) else k: v for k, v in arguments.items()}
    props: Mapping[str, Any] = spec.parameters.get("properties", {})
    return {k: _coerce_value(v, props.get(k, {})) for k, v in arguments.items()}


def _resolve(implementation: str) -> Callable[..., object]:
    module_name, func_name = implementation.split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    if not callable(func):
        raise TypeError(f"{implementation} is not callable")
    return func  # type: ignore[no-any-return]


def execute(call: ToolCall, registry: ToolRegistry = BUILTIN_TOOLS) -> ToolResult:
    """Run ``call`` against ``registry``; every failure (unknown tool, bad arguments, exceptions in the
    tool) comes back as ``ToolResult(ok=False, error=...)`` — this never raises."""
    if call.parse_error:
        return ToolResult(ok=False, error=f"could not parse the tool call: {call.parse_error}")
    spec = registry.get(call.name)
    if spec is None:
        return ToolResult(ok=False, error=f"unknown tool {call.name!r}; available: {', '.join(registry)}")
    if spec.implementation is None:
        return ToolResult(ok=False, error=f"tool {call.name!r} has no implementation")
    args = coerce_arguments(call.arguments, spec)
    problem = next(iter(jsonschema.Draft202012Validator(spec.parameters).iter_errors(args)), None)
    if problem is not None:
        where = "/".join(str(p) for p in problem.absolute_path)
        prefix = f"{where}: " if where else ""
        return ToolResult(ok=False, error=f"invalid arguments for {call.name}: {prefix}{problem.message}")
    try:
        return ToolResult(ok=True, value=_resolve(spec.implementation)(**args))
    except Exception as err:  # a tool failing is data for the model, not a crash of the run
        return ToolResult(ok=False, error=f"{type(err).__name__}: {err}")


# ----------------------------------------------------------------------------------- trace matching


def values_equal(expected: object, actual: object) -> bool:
    """Loose argument equality: numbers as numbers ("10" == 10 == 10.0), strings trimmed/case-insensitive."""
    exp_num, act_num = _as_number(expected), _as_number(actual)
    if exp_num is not None and act_num is not None:
        return math.isclose(exp_num, act_num, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, str) and isinstance(actual, str):
        return expected.strip().casefold() == actual.strip().casefold()
    return expected == actual


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return normalize_number(value) if isinstance(value, str) else None


def arguments_match(expected: Mapping[str, Any] | Sequence[Any], actual: Mapping[str, Any],
                    *, unordered: bool = False) -> bool:
    """``expected`` (a subset, by name; or a list of positional values) matches ``actual``.

    Named expectations whose names are absent fall back to positional comparison when the counts agree
    (a model writing ``x``/``y`` for ``a``/``b``). ``unordered`` compares values as a multiset.
    """
    if isinstance(expected, Mapping) and all(k in actual for k in expected) and not unordered:
        return all(values_equal(v, actual[k]) for k, v in expected.items())
    exp_values = list(expected.values()) if isinstance(expected, Mapping) else list(expected)
    act_values = list(actual.values())
    if len(exp_values) != len(act_values) and (isinstance(expected, Mapping) or unordered):
        return False
    if unordered:
        remaining = list(act_values)
        for v in exp_values:
            hit = next((i for i, a in enumerate(remaining) if values_equal(v, a)), None)
            if hit is None:
                return False
            remaining.pop(hit)
        return True
    return len(act_values) >= len(exp_values) and all(map(values_equal, exp_values, act_values))


def format_args(arguments: Mapping[str, Any] | Sequence[Any]) -> str:
    """ "(3628800, 40320)" — argument values only, as shown in explanations."""
    values = arguments.values() if isinstance(arguments, Mapping) else arguments
    shown = [int_to_str(v) if isinstance(v, int) and not isinstance(v, bool) else repr(v) for v in values]
    return "(" + ", ".join(s if len(s) <= 40 else s[:37] + "..." for s in shown) + ")"
