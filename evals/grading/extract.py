"""Pure text extraction for graders: numbers, ``\\boxed{}``, "the answer is", fences, JSON, choice letters.

Every function here is pure (no I/O, no model calls) and never raises on odd model output — it returns
``None`` / an empty list instead.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence

# ---------------------------------------------------------------------------------------------- numbers

_NUM_BODY = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?"
# A number not glued to a preceding word ("x2", "FY2023") or dot; optional sign and currency either side.
NUMBER_RE = re.compile(
    rf"(?<![\w.])(?:\\?[$€£]\s?)?(?P<sign>[-−+]?)(?:\\?[$€£]\s?)?(?P<body>{_NUM_BODY})(?!\d)"
)
_SCALES = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "millions": 1e6, "mn": 1e6, "mio": 1e6, "m": 1e6,
    "mil": 1e6, "billion": 1e9, "billions": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12,
}
_SCALE_RE = re.compile(r"\s*(?P<w>" + "|".join(sorted(_SCALES, key=len, reverse=True)) + r")\b", re.I)
_FRAC_RE = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_SLASH_RE = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)$")


def _canonical(match: re.Match[str]) -> str:
    sign = "-" if match.group("sign") in ("-", "−") else ""
    return sign + match.group("body").replace(",", "")


def numbers(text: str) -> list[str]:
    """All numbers in ``text`` as canonical strings ("-1234.5": no commas, currency or plus sign)."""
    return [_canonical(m) for m in NUMBER_RE.finditer(text)]


def last_number(text: str) -> str | None:
    """The last number in ``text`` ("The total is $1,234." → "1234"), or None."""
    found = numbers(text)
    return found[-1] if found else None


def normalize_number(s: str) -> float | None:
    """Parse a string that *is* a number: "1,234", "$5", "−3.5", "25.", "70%" (→ 70.0), "3/4", "\\frac{3}{4}".

    Strict: text around the number ("25 apples") gives None — use :func:`last_number` first for that.
    """
    t = s.strip().strip("$").strip()
    t = re.sub(r"^\\[(\[]|\\[)\]]$", "", t).strip()
    t = re.sub(r"\\text\{([^{}]*)\}", r"\1", t).replace("\\!", "").replace("\\,", "").replace("{,}", ",")
    t = _FRAC_RE.sub(r"\1/\2", t).replace("−", "-").replace("\\$", "").replace("\\%", "%")
    t = t.strip().rstrip(".").strip().rstrip("%").strip().lstrip("$€£").strip()
    if re.fullmatch(r"[-+]?[$€£]?" + f"(?:{_NUM_BODY})", t):
        return float(re.sub(r"[,$€£]", "", t))
    frac = _SLASH_RE.match(t)
    if frac and float(frac.group(2)) != 0:
        return float(frac.group(1)) / float(frac.group(2))
    return None


def parse_quantity(text: str) -> float | None:
    """First number in ``text`` times its scale word: "approximately 200 million AUD" → 2e8, "$3.5bn" → 3.5e9."""
    m = NUMBER_RE.search(text)
    if m is None:
        return None
    value = float(_canonical(m))
    scale = _SCALE_RE.match(text, m.end())
    return value * _SCALES[scale.group("w").lower()] if scale else value


# ---------------------------------------------------------------------------------------- answer spans


def _brace_pairs(text: str) -> dict[int, int]:
    """Index of each ``{`` → index of its matching ``}`` (one pass; ``\\{`` and ``\\}`` are skipped)."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for m in re.finditer(r"\\.|[{}]", text, re.S):
        if m.group() == "{":
            stack.append(m.start())
        elif m.group() == "}" and stack:
            pairs[stack.pop()] = m.start()
    return pairs


def boxed(text: str) -> str | None:
    """Content of the last complete ``\\boxed{...}`` (or ``\\fbox{...}``), nested braces allowed."""
    opens = [m.end() - 1 for m in re.finditer(r"\\(?:boxed|fbox)\s*+\{", text)]
    if not opens:
        return None
    pairs = _brace_pairs(text)
    complete = [i for i in opens if i in pairs]
    return text[complete[-1] + 1 : pairs[complete[-1]]].strip() if complete else None


_ANSWER_RE = re.compile(
    r"\b(?:final\s+answer|answer)\s*+(?:\*\*|__)?\s*+(?:is\b\s*+:?|:|=)\s*+(?:\*\*|__)?:?[ \t]*+(?P<rest>[^\n]*)",
    re.I,
)


def _clean_answer(rest: str) -> str:
    rest = re.split(r"\.(?:\s|$)", rest, maxsplit=1)[0]
    return rest.strip().strip("*_`").strip().strip("$").strip().rstrip(".").strip()


def answer_is(text: str) -> str | None:
    """The phrase after the last "The answer is" / "Answer:" / "**Final Answer:**" (case-insensitive).

    The phrase ends at the end of the line or sentence; markdown/``$`` wrappers are stripped. When the
    marker ends its line ("**Answer:**\\n25"), the next non-empty line is used.
    """
    result = None
    for _ in range(3):  # "Answer: The final answer is 12" → "12"
        matches = list(_ANSWER_RE.finditer(text))
        if not matches:
            break
        m = matches[-1]
        rest = _clean_answer(m.group("rest"))
        if not rest:
            following = next((ln for ln in text[m.end() :].splitlines() if ln.strip()), "")
            rest = _clean_answer(following)
        if not rest:
            break
        result = text = rest
    return result


# ------------------------------------------------------------------------------------------ code fences


def _open_fence(line: str, fence_chars: str) -> tuple[str, str] | None:
    m = re.match(r"^[ \t]*+(?P<f>`{3,}+|~{3,}+|'{3,}+)(?P<info>[^`\n]*)$", line)
    if m is None or m.group("f")[0] not in fence_chars:
        return None
    return m.group("f"), m.group("info").strip()


def code_blocks(text: str, lang: str | None = None, *, fence_chars: str = "`~") -> list[str]:
    """Contents of fenced blocks (```` ``` ````/``~~~``; add ``'`` to ``fence_chars`` for ``'''``).

    ``lang`` keeps only blocks whose info string starts with it (case-insensitive); ``lang=""`` keeps
    untagged blocks. An unterminated final fence runs to the end of the text; a closing fence glued to
    the last line (``}```  ``) is accepted.
    """
    blocks: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opened = _open_fence(lines[i], fence_chars)
        i += 1
        if opened is None:
            continue
        fence, info = opened
        body: list[str] = []
        while i < len(lines):
            line = lines[i].rstrip()
            i += 1
            if line.endswith(fence):
                head = line[: -len(fence)].rstrip(fence[0])
                if head.strip():
                    body.append(head)
                break
            body.append(lines[i - 1])
        tag = (info.split() or [""])[0].lower()
        if lang is None or tag == lang.lower():
            blocks.append("\n".join(body))
    return blocks


# -------------------------------------------------------------------------------------------------- JSON

_LITERAL_TOKEN_RE = re.compile(r"(\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*')|\b(true|false|null)\b")
_PY_LITERAL = {"true": "True", "false": "False", "null": "None"}
_PAIRS = {"}": "{", "]": "["}


def _jsonify(value: object) -> object:
    """Turn an ``ast.literal_eval`` result into JSON-shaped data; ValueError for sets, bytes, complex…"""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonify(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonify(v) for k, v in value.items()}
    raise ValueError(f"not JSON data: {type(value).__name__}")


MAX_JSON_DEPTH = 100
_PARSE_ERRORS = (ValueError, TypeError, SyntaxError, MemoryError, RecursionError)


def _depth(value: object) -> int:
    """Nesting depth of parsed JSON, computed without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, level)
            stack += [(child, level + 1) for child in children]
    return deepest


def _python_literal(s: str) -> object:
    if len(s) > 1_000_000:
        raise ValueError("too long for a Python literal")
    return _jsonify(ast.literal_eval(_LITERAL_TOKEN_RE.sub(lambda m: m.group(1) or _PY_LITERAL[m.group(2)], s)))


def parse_jsonish(s: str) -> object:
    """Parse JSON, tolerating trailing commas and Python literals (single quotes, True/None).

    Uses ``json.loads`` then ``ast.literal_eval`` (never ``eval``). Raises ValueError when unparseable
    or nested deeper than ``MAX_JSON_DEPTH``.
    """
    s = s.strip()
    relaxed = re.sub(r",\s*([}\]])", r"\1", s)
    first_error: Exception | None = None
    for parse, text in ((json.loads, s), (json.loads, relaxed), (_python_literal, relaxed)):
        try:
            value = parse(text)
        except _PARSE_ERRORS as err:
            first_error = first_error or err
            continue
        if _depth(value) > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        return value
    raise ValueError(f"invalid JSON: {first_error}")


def bracket_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every balanced ``{...}``/``[...]`` span, outermost first, skipping brackets
    inside double-quoted strings (a raw newline ends a string: JSON strings cannot contain one)."""
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    in_str = escaped = False
    for i, c in enumerate(text):
        if in_str:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c in "\"\n":
                in_str = False
        elif c == '"' and stack:
            in_str = True
        elif c in "{[":
            stack.append((c, i))
        elif c in "}]":
            if stack and stack[-1][0] == _PAIRS[c]:
                spans.append((stack.pop()[1], i + 1))
            else:
                stack.clear()
    return sorted(spans, key=lambda span: (span[0], -span[1]))


def _add_unique(found: list[object], value: object) -> None:
    if all(value != other for other in found):
        found.append(value)


def json_candidates(text: str, *, max_attempts: int = 500, max_chars: int = 2_000_000) -> list[object]:
    """Parsed JSON values found in ``text``: ```` ```json ```` / untagged fences first, then bare
    ``{...}`` / ``[...]`` spans (outermost parseable ones) in order of appearance. Duplicates dropped.
    At most ``max_attempts`` spans / ``max_chars`` characters are tried, so hostile output stays cheap."""
    found: list[object] = []
    for block in code_blocks(text):
        try:
            _add_unique(found, parse_jsonish(block))
        except ValueError:
            continue
    covered_until = attempts = 0
    for start, end in bracket_spans(text):
        if start < covered_until:
            continue
        attempts, max_chars = attempts + 1, max_chars - (end - start)
        if attempts > max_attempts or max_chars < 0:
            break
        try:
            value = parse_jsonish(text[start:end])
        except ValueError:
            continue
        _add_unique(found, value)
        covered_until = end
    return found


# ----------------------------------------------------------------------------------------- choice letters

_ARTICLE_LETTERS = frozenset("AI")  # capital letters that are also English words
_CONNECTORS = frozenset(
    ["because", "since", "as", "is", "was", "which", "and", "with", "would", "seems", "it", "that", "option"]
)
_MARKED_RE = r"\*\*\(?([{L}])\)?\*\*|\(([{L}])\)|\[([{L}])\]"
_LINE_START_RE = r"^\s*(?:\*\*)?\(?([{L}])(?:[.):]|\*\*)"


def _explicit_re(letters: str) -> re.Pattern[str]:
    return re.compile(
        r"(?:\b(?i:answer|(?:correct|right|best)\s+(?:option|choice))\s*+(?:\*\*|__)?\s*+"
        r"(?:(?i:is(?:\s+(?:likely|probably|clearly|definitely))?|would\s+be|should\s+be|will\s+be)\b\s*+:?|:|=)"
        r"|\b(?i:i\s+(?:would\s+)?(?:choose|pick|select|go\s+with)|i'd\s+(?:choose|pick|go\s+with)))"
        r"\s*+(?:\*\*|__)?\s*+(?:(?i:option|choice)\s+)?(?P<open>[(\[]?)\s*+"
        rf"(?P<l>[{letters}])(?P<after>[^\n]{{0,24}})"
    )


def _letter_ok(letter: str, opened: bool, after: str) -> bool:
    """A candidate letter must not start a word; "A"/"I" followed by a lowercase word read as prose."""
    if after[:1].isalnum() or after[:1] == "_":
        return False
    if letter in _ARTICLE_LETTERS and not opened and after[:1] not in ("*", ")", "]", ".", ":", ","):
        word = re.match(r"\s+([a-z]+)", after)
        if word and word.group(1) not in _CONNECTORS:
            return False
    return True


def _lone(text: str, letters: str) -> str | None:
    core = re.sub(r"[\s*_()\[\].:'\"`]", "", text)
    return core.upper() if len(core) == 1 and core.upper() in letters else None


def _option_lines(lines: list[str], letters: str) -> set[int]:
    """Lines of an echoed option list: "(A) 3 (B) 4" on one line, or lines starting "A." / "(B)" / "C)"
    for at least two distinct letters."""
    starts_re = re.compile(_LINE_START_RE.format(L=letters))
    marked_re = re.compile(_MARKED_RE.format(L=letters))
    inline = {i for i, ln in enumerate(lines)
              if len({m.group(0).strip("*()[]") for m in marked_re.finditer(ln)}) > 1}
    starts = {i: m.group(1) for i, ln in enumerate(lines) if (m := starts_re.match(ln))}
    return inline | (set(starts) if len(set(starts.values())) >= 2 else set())


def _marked(lines: list[str], letters: str) -> str | None:
    pattern = re.compile(_MARKED_RE.format(L=letters))
    for line in reversed(lines):
        found = {next(g for g in m.groups() if g) for m in pattern.finditer(line)}
        if len(found) == 1:
            return found.pop()
    return None


def choice_letter(text: str, letters: str = "ABCD") -> str | None:
    """The multiple-choice letter an answer picks, or None. Rules, first hit wins:

    1. explicit: last "answer is/:/= X", "the answer is probably X", "the best option is X",
       "I choose X", "the correct answer is (X)", "**Answer:** X";
       X must not start a word, and "A"/"I" followed by a lowercase prose word ("answer: A train…") is prose;
    2. the whole reply, or its last line, is a lone letter ("B", "(b)", "**C.**");
    3. a marked letter — "**B**", "(B)", "[B]" — on the last line that marks exactly one letter, ignoring
       echoed option lists (lines starting "A." / "(B)" for ≥ 2 distinct letters);
    4. a single remaining line starting "B." / "B)" / "B:".

    A bare capital "A" in prose ("A train leaves…") is never read as a choice.
    """
    letters = "".join(ch for ch in letters.upper() if ch.isalpha())
    if not letters or not text.strip():
        return None
    picks = [m.group("l") for m in _explicit_re(letters).finditer(text)
             if _letter_ok(m.group("l"), bool(m.group("open")), m.group("after"))]
    if picks:
        return picks[-1]
    lines = [ln for ln in text.splitlines() if ln.strip()]
    lone = _lone(text, letters) or _lone(lines[-1], letters)
    if lone:
        return lone
    options = _option_lines(lines, letters)
    rest = [ln for i, ln in enumerate(lines) if i not in options]
    marked = _marked(rest, letters)
    if marked:
        return marked
    starts = [m.group(1) for ln in rest if (m := re.match(_LINE_START_RE.format(L=letters), ln))]
    return starts[0] if len(starts) == 1 else None


# ---------------------------------------------------------------------------------- keys and phrases


def normalize_key(key: str) -> str:
    """Key identity for lenient matching: "Company Name" == "company_name" == "companyName"."""
    return re.sub(r"[\W_]", "", key.casefold())


def key_words(key: str) -> frozenset[str]:
    """Words of a key: "contactPhone" → {"contact", "phone"}, "phone_number" → {"phone", "number"}."""
    return frozenset(re.findall(r"[^\W_]+", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", key).casefold()))


def phrase_tokens(text: str) -> tuple[str, ...]:
    """Lowercased word/number tokens; "140/90mmHg" → ("140/90", "mmhg"), "ST-segment" → ("st", "segment")."""
    return tuple(re.findall(r"[^\W\d_]+|\d+(?:[./]\d+)*", text.casefold()))


def token_text(text: str) -> str:
    """Space-padded token string (" 140/90 mmhg ") — precompute it to search one text many times."""
    return f" {' '.join(phrase_tokens(text))} "


def contains_phrase(haystack: str, needle: str) -> bool:
    """Whole-token phrase search ("PCI" is not found in "specific"); punctuation and case are ignored."""
    wanted = token_text(needle)
    return bool(wanted.strip()) and wanted in token_text(haystack)


def find_any(haystack: str, phrases: Sequence[str]) -> str | None:
    """The first of ``phrases`` found in ``haystack`` (by :func:`contains_phrase`), or None."""
    return next((p for p in phrases if contains_phrase(haystack, p)), None)
