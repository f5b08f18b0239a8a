"""Pure graders for custom YAML scenarios: typed configs (discriminated by ``type``) and :func:`grade`.

``numeric``, ``exact``, ``regex``, ``contains``, ``json`` and ``tool_trace`` are graded here from the
model's output (and tool trace) alone. ``code_tests`` and ``rubric`` are configs only — they need a
sandbox or a judge model, which live elsewhere; :func:`parse_judge_verdict` reads a judge's reply.
"""

from __future__ import annotations

import ast
import math
import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, cast

import jsonschema
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from evals.errors import PodiumError
from evals.grading import extract as ex
from evals.grading.tools import ToolCall, arguments_match, format_args


@dataclass(frozen=True)
class GradeResult:
    """One graded answer: ``score`` in [0, 1], ``passed``, a short human-readable ``explanation``."""

    score: float
    passed: bool
    explanation: str
    extracted: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score must be in [0, 1], got {self.score}")


class NeedsRunner(PodiumError):
    """The grader type cannot be graded purely (code execution, LLM judge)."""


class GraderBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


Extraction = Literal["boxed", "answer_is", "last_number"]
DEFAULT_EXTRACT: list[Extraction] = ["boxed", "answer_is", "last_number"]
_EXTRACTORS: dict[str, Callable[[str], str | None]] = {
    "boxed": ex.boxed, "answer_is": ex.answer_is, "last_number": ex.last_number, "full": str.strip,
    "last_line": lambda t: next((ln for ln in reversed(t.splitlines()) if ln.strip()), None),
}
_SOURCE = {"boxed": "\\boxed{}", "answer_is": '"the answer is"', "last_number": "the last number",
           "full": "the whole output", "last_line": "the last line"}


def _to_float(value: object) -> object:
    """Before-validator: numbers may be written "1,234", "$5", "70%", "3/4" in YAML."""
    if isinstance(value, str):
        parsed = ex.normalize_number(value)
        return value if parsed is None else parsed
    if isinstance(value, list):
        return [_to_float(v) for v in value]
    return value


def fmt_number(x: float) -> str:
    """3628800.0 → "3628800", 0.1 → "0.1" (no float noise in explanations)."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else f"{x:.10g}"


# ------------------------------------------------------------------------------------------- numeric


class NumericGrader(GraderBase):
    """Expected number with absolute/relative tolerance. ``choices`` switches to "which candidate does
    the answer pick" mode (e.g. 9.11 vs 9.9), see :func:`asserted_choice`."""

    type: Literal["numeric"] = "numeric"
    expected: float
    tolerance: float = Field(default=1e-6, ge=0)
    relative_tolerance: float = Field(default=0.0, ge=0)
    extract: list[Extraction] = Field(default_factory=lambda: list(DEFAULT_EXTRACT), min_length=1)
    choices: list[float] | None = Field(default=None, min_length=2)

    _numbers = field_validator("expected", "choices", mode="before")(_to_float)

    @model_validator(mode="after")
    def _expected_is_a_choice(self) -> NumericGrader:
        if self.choices and not any(self.close(c) for c in self.choices):
            raise ValueError(f"expected {self.expected} is not one of choices {self.choices}")
        return self

    def close(self, value: float) -> bool:
        return math.isclose(value, self.expected, abs_tol=self.tolerance, rel_tol=self.relative_tolerance)


def extract_number(output: str, methods: Sequence[str]) -> tuple[float, str] | None:
    """First number found by ``methods`` in order, with the method that found it."""
    for method in methods:
        raw = _EXTRACTORS[method](output)
        if raw is None:
            continue
        value = ex.normalize_number(raw)
        last = ex.last_number(raw) if value is None else None
        if value is not None or last is not None:
            return (value if value is not None else float(str(last))), method
    return None


def grade_numeric(cfg: NumericGrader, output: str) -> GradeResult:
    if cfg.choices:
        return _grade_numeric_choice(cfg, output)
    found = extract_number(output, cfg.extract)
    if found is None:
        return GradeResult(0.0, False, "no number found in the output")
    value, method = found
    shown, ok = fmt_number(value), cfg.close(value)
    verdict = "correct" if ok else f"wrong, expected {fmt_number(cfg.expected)}"
    return GradeResult(float(ok), ok, f"extracted {shown} from {_SOURCE[method]} — {verdict}", shown)


_LARGER = r"larger|greater|bigger|higher|more|largest|greatest|biggest|highest|max(?:imum)?"
_SMALLER = r"smaller|less|lesser|lower|fewer|smallest|least|lowest|min(?:imum)?"


def _num(group: str) -> str:
    return rf"\*{{0,2}}\$?(?P<{group}>[-−]?\d[\d,]*(?:\.\d+)?)\$?\*{{0,2}}"


_ADJ = rf"(?P<adj>{_LARGER}|{_SMALLER})"
_COMPARE_RE = re.compile(
    rf"(?<![\d.]){_num('a')}\s+is(?P<neg>\s+not|n't)?\s+(?:the\s+)?(?:(?:much|slightly|actually|indeed)\s+)?"
    rf"{_ADJ}\b(?:\s+(?:number|one|value|of\s+the\s+two))?(?:\s+than\s+{_num('b')})?", re.I)
_SYMBOL_RE = re.compile(rf"(?<![\d.]){_num('a')}\s*(?P<op>>|<|&gt;|&lt;|≥|≤)\s*{_num('b')}")
_SELECT_RE = re.compile(
    rf"\bthe\s+{_ADJ}(?:\s++(?:number|one|value))?(?:\s++of\s++the\s++two(?:\s++numbers)?)?\s*+(?:is|:|=)\s+"
    rf"{_num('a')}", re.I)


def _claims(text: str, cands: Sequence[float]) -> list[tuple[int, float | None, float | None]]:
    """(position, larger, smaller) for every comparison claim about the candidates in ``text``."""
    def cand(token: str | None) -> float | None:
        value = ex.normalize_number(token) if token else None
        return next((c for c in cands if value is not None and math.isclose(c, value)), None)

    def other(x: float) -> float | None:
        rest = [c for c in cands if c != x]
        return rest[0] if len(rest) == 1 else None

    found: list[tuple[int, float | None, float | None]] = []
    for m in [*_COMPARE_RE.finditer(text), *_SELECT_RE.finditer(text)]:
        a, b = cand(m.group("a")), cand(m.groupdict().get("b"))
        if a is None or (m.groupdict().get("b") and b is None):
            continue
        bigger = bool(re.fullmatch(_LARGER, m.group("adj"), re.I)) != bool(m.groupdict().get("neg"))
        rival = b if b is not None else other(a)
        found.append((m.start(), a, rival) if bigger else (m.start(), rival, a))
    for m in _SYMBOL_RE.finditer(text):
        a, b = cand(m.group("a")), cand(m.group("b"))
        if a is not None and b is not None:
            found.append((m.start(), a, b) if m.group("op") in (">", "&gt;", "≥") else (m.start(), b, a))
    return sorted(found, key=lambda claim: claim[0])


def _mentioned(text: str, cands: Sequence[float]) -> list[float]:
    values = [ex.normalize_number(n) for n in ex.numbers(text)]
    return [c for c in cands if any(v is not None and math.isclose(c, v) for v in values)]


def asserted_choice(text: str, cands: Sequence[float], target: str | None,
                    methods: Sequence[str] = DEFAULT_EXTRACT) -> tuple[float, str] | None:
    """Which candidate the answer asserts, and how we know. Rules, first hit wins:

    1. ``\\boxed{}`` / "the answer is" (in ``methods`` order): the single candidate it names, or the
       comparison it states;
    2. comparison claims, the *last* one wins (a corrected "…but actually 9.9 is larger" beats an
       earlier slip): "9.9 is larger than 9.11", "9.11 is not bigger", "the larger number is 9.9",
       "9.9 is the greater one", "9.9 > 9.11". ``target`` ("larger"/"smaller") says which side of a
       claim is the pick; it comes from ``expected`` being the max/min of the choices;
    3. the last bold candidate (``**9.9**``);
    4. the only candidate the answer mentions at all.
    The last number is never used: "9.9 is larger than 9.11" ends with 9.11.
    """
    def pick(snippet: str) -> float | None:
        claims = [c[1] if target == "larger" else c[2] for c in _claims(snippet, cands)] if target else []
        claims = [c for c in claims if c is not None]
        return claims[-1] if claims else None

    for method in methods:
        raw = _EXTRACTORS[method](text) if method != "last_number" else None
        named = _mentioned(raw, cands) if raw else []
        chosen = named[0] if len(named) == 1 else pick(raw) if raw else None
        if chosen is not None:
            return chosen, _SOURCE[method]
    claimed = pick(text)
    if claimed is not None:
        return claimed, "a comparison claim"
    bold = [m for b in re.findall(r"\*\*([^*]{1,40})\*\*", text) if len(m := _mentioned(b, cands)) == 1]
    if bold:
        return bold[-1][0], "bold text"
    named = _mentioned(text, cands)
    return (named[0], "the only candidate mentioned") if len(named) == 1 else None


def _grade_numeric_choice(cfg: NumericGrader, output: str) -> GradeResult:
    cands = cfg.choices or []
    target = "larger" if cfg.close(max(cands)) else "smaller" if cfg.close(min(cands)) else None
    found = asserted_choice(output, cands, target, cfg.extract)
    options = " or ".join(fmt_number(c) for c in cands)
    if found is None:
        return GradeResult(0.0, False, f"could not tell which of {options} the answer picks")
    value, how = found
    ok = cfg.close(value)
    verdict = "correct" if ok else f"wrong, expected {fmt_number(cfg.expected)}"
    return GradeResult(float(ok), ok, f"answer picks {fmt_number(value)} (from {how}) — {verdict}",
                       fmt_number(value))


# --------------------------------------------------------------------------------------------- exact


TextExtraction = Literal["boxed", "answer_is", "last_line", "full"]
DEFAULT_TEXT_EXTRACT: list[TextExtraction] = ["boxed", "answer_is", "full"]


class ExactGrader(GraderBase):
    """Extracted answer equals ``expected`` (or one of a list) after normalisation. ``choices`` mode
    picks the single candidate the answer names (boxed / "the answer is" / bold / only one mentioned)."""

    type: Literal["exact"] = "exact"
    expected: str | list[str]
    case_sensitive: bool = False
    normalize_whitespace: bool = True
    ignore_punctuation: bool = False
    extract: list[TextExtraction] = Field(default_factory=lambda: list(DEFAULT_TEXT_EXTRACT), min_length=1)
    choices: list[str] | None = Field(default=None, min_length=2)

    @property
    def accepted(self) -> list[str]:
        return [self.expected] if isinstance(self.expected, str) else list(self.expected)

    def norm(self, text: str) -> str:
        text = text.strip().strip("*_`\"'").strip().rstrip(".").strip()
        text = text if self.case_sensitive else text.casefold()
        text = re.sub(r"[^\w\s]", "", text) if self.ignore_punctuation else text
        return " ".join(text.split()) if self.normalize_whitespace else text


def _exact_choice(cfg: ExactGrader, output: str) -> tuple[str, str] | None:
    choices = cfg.choices or []
    for method in [m for m in cfg.extract if m != "full"]:
        raw = _EXTRACTORS[method](output)
        named = [c for c in choices if raw and (cfg.norm(raw) == cfg.norm(c) or ex.contains_phrase(raw, c))]
        if len(named) == 1:
            return named[0], _SOURCE[method]
    bold = [n for b in re.findall(r"\*\*([^*]{1,80})\*\*", output)
            if len(n := [c for c in choices if ex.contains_phrase(b, c)]) == 1]
    if bold:
        return bold[-1][0], "bold text"
    named = [c for c in choices if ex.contains_phrase(output, c)]
    return (named[0], "the only candidate mentioned") if len(named) == 1 else None


def grade_exact(cfg: ExactGrader, output: str) -> GradeResult:
    if cfg.choices:
        found = _exact_choice(cfg, output)
    else:
        found = next(((raw, _SOURCE[m]) for m in cfg.extract if (raw := _EXTRACTORS[m](output))), None)
    if found is None:
        return GradeResult(0.0, False, "no answer found in the output")
    raw, how = found
    ok = any(cfg.norm(raw) == cfg.norm(e) for e in cfg.accepted)
    verdict = "correct" if ok else f"wrong, expected {cfg.accepted[0]!r}"
    return GradeResult(float(ok), ok, f"answer {raw[:80]!r} (from {how}) — {verdict}", raw)


# ---------------------------------------------------------------------------------- regex / contains

_FLAGS = {"i": re.I, "ignorecase": re.I, "m": re.M, "multiline": re.M, "s": re.S, "dotall": re.S,
          "x": re.X, "verbose": re.X, "a": re.A, "ascii": re.A}


class RegexGrader(GraderBase):
    """``pattern`` must match somewhere in the output (or must not, with ``must_not_match``)."""

    type: Literal["regex"] = "regex"
    pattern: str
    must_not_match: bool = False
    flags: list[str] = Field(default_factory=list)

    @field_validator("flags")
    @classmethod
    def _known_flags(cls, flags: list[str]) -> list[str]:
        unknown = [f for f in flags if f.lower() not in _FLAGS]
        if unknown:
            raise ValueError(f"unknown regex flags {unknown}; use {sorted(_FLAGS)}")
        return flags

    @model_validator(mode="after")
    def _compiles(self) -> RegexGrader:
        self.compiled()
        return self

    def compiled(self) -> re.Pattern[str]:
        value = 0
        for flag in self.flags:
            value |= _FLAGS[flag.lower()]
        try:
            return re.compile(self.pattern, value)
        except re.error as err:
            raise ValueError(f"invalid regex {self.pattern!r}: {err}") from err


def grade_regex(cfg: RegexGrader, output: str) -> GradeResult:
    m = cfg.compiled().search(output)
    ok = (m is None) if cfg.must_not_match else (m is not None)
    if m is None:
        return GradeResult(float(ok), ok, f"pattern {cfg.pattern!r} not found")
    return GradeResult(float(ok), ok, f"pattern {cfg.pattern!r} matched {m.group(0)[:60]!r}", m.group(0))


class ContainsGrader(GraderBase):
    """All (partial credit = fraction found) or any of ``strings`` appear in the output."""

    type: Literal["contains"] = "contains"
    strings: list[str] = Field(min_length=1)
    mode: Literal["all", "any"] = "all"
    case_sensitive: bool = False
    pass_threshold: float = Field(default=1.0, ge=0, le=1)


def grade_contains(cfg: ContainsGrader, output: str) -> GradeResult:
    def norm(t: str) -> str:
        t = " ".join(t.split())
        return t if cfg.case_sensitive else t.casefold()

    haystack = norm(output)
    missing = [s for s in cfg.strings if norm(s) not in haystack]
    found = len(cfg.strings) - len(missing)
    score = float(found > 0) if cfg.mode == "any" else found / len(cfg.strings)
    ok = score >= cfg.pass_threshold - 1e-9 and score > 0
    detail = f"; missing: {', '.join(repr(s) for s in missing[:5])}" if missing else ""
    return GradeResult(score, ok, f"found {found}/{len(cfg.strings)} ({cfg.mode}){detail}")


# ---------------------------------------------------------------------------------------------- json

FieldKind = Literal["auto", "number", "percentage", "phone", "email", "string", "list", "exact", "bool"]
_PHONE_WORDS = {"phone", "telephone", "tel", "mobile", "cell", "fax"}
_PERCENT_WORDS = {"percent", "percentage", "pct", "share", "margin"}


class FieldCheck(GraderBase):
    """Expected value of one field; ``kind`` auto-detects from the value and the key name."""

    value: Any
    kind: FieldKind = "auto"
    tolerance: float = Field(default=0.01, ge=0)  # relative, for numbers and percentages

    def resolved_kind(self, key: str) -> str:
        if self.kind != "auto":
            return self.kind
        words = ex.key_words(key)
        v = self.value
        if isinstance(v, bool | list):
            return "bool" if isinstance(v, bool) else "list"
        if words & _PHONE_WORDS or any("phone" in w for w in words):
            return "phone"
        if words & {"email", "mail"}:
            return "email"
        if words & _PERCENT_WORDS or (isinstance(v, str) and v.strip().endswith("%")):
            return "percentage"
        if isinstance(v, int | float) or (isinstance(v, str) and _quantity_only(v)):
            return "number"
        return "string"


def _quantity_only(text: str) -> bool:
    return ex.normalize_number(text) is not None or bool(re.fullmatch(
        r"[$€£]?\s*[\d.,]+\s*(?:thousand|million|billion|trillion|k|m|mn|bn)\b\.?", text.strip(), re.I))


class TermSpec(GraderBase):
    """An entity that must appear in the JSON: ``name`` or a synonym, or every ``all_of`` group (each
    group a list of alternatives) found somewhere in the JSON."""

    name: str
    synonyms: list[str] = Field(default_factory=list)
    all_of: list[list[str]] = Field(default_factory=list)

    @field_validator("all_of", mode="before")
    @classmethod
    def _groups(cls, groups: object) -> object:
        return [[g] if isinstance(g, str) else g for g in groups] if isinstance(groups, list) else groups

    @property
    def phrases(self) -> list[str]:
        return [self.name, *self.synonyms]


class RelationSpec(GraderBase):
    """Subject and object (each a phrase, a list of alternatives, or a term name) must be linked."""

    subject: str | list[str]
    object: str | list[str]
    predicate: str | list[str] | None = None


def _is_check(v: object) -> bool:
    return isinstance(v, FieldCheck) or (
        isinstance(v, Mapping) and "value" in v and set(v) <= {"value", "kind", "tolerance"})


def _flatten_expected(value: Mapping[Any, Any], prefix: str = "") -> dict[str, object]:
    """``{address: {city: X}}`` → ``{"address.city": {"value": X}}``; ``{value:, kind:}`` kept as is."""
    flat: dict[str, object] = {}
    for key, v in value.items():
        if isinstance(v, Mapping) and not _is_check(v):
            flat.update(_flatten_expected(v, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = v if _is_check(v) else {"value": v}
    return flat


class JsonGrader(GraderBase):
    """Find JSON in the output and check keys, values, a JSON Schema, terms and relations.

    Score = fraction of checks passed (a list field counts the fraction of its items found).
    """

    type: Literal["json"] = "json"
    required_keys: list[str] = Field(default_factory=list)
    expected: dict[str, FieldCheck] = Field(default_factory=dict)
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    terms: list[TermSpec] = Field(default_factory=list)
    relations: list[RelationSpec] = Field(default_factory=list)
    search_keys: bool = True
    pass_threshold: float = Field(default=1.0, ge=0, le=1)

    @field_validator("expected", mode="before")
    @classmethod
    def _wrap_values(cls, value: object) -> object:
        return _flatten_expected(value) if isinstance(value, Mapping) else value

    @field_validator("terms", mode="before")
    @classmethod
    def _term_shorthand(cls, value: object) -> object:
        def one(t: object) -> object:
            if isinstance(t, str):
                return {"name": t}
            return {"name": t[0], "synonyms": t[1:]} if isinstance(t, list) and t else t
        return [one(t) for t in value] if isinstance(value, list) else value

    @field_validator("relations", mode="before")
    @classmethod
    def _relation_shorthand(cls, value: object) -> object:
        def one(r: object) -> object:
            if isinstance(r, list) and len(r) in (2, 3):
                return {"subject": r[0], "object": r[-1], "predicate": r[1] if len(r) == 3 else None}
            return r
        return [one(r) for r in value] if isinstance(value, list) else value

    @field_validator("json_schema")
    @classmethod
    def _valid_schema(cls, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        if schema is not None:
            try:
                jsonschema.validators.validator_for(schema).check_schema(schema)
            except jsonschema.SchemaError as err:
                raise ValueError(f"invalid JSON Schema: {err.message}") from err
        return schema

    def alternatives(self, phrase: str | list[str]) -> list[str]:
        """A relation end's phrases; a term name brings its synonyms."""
        phrases = [phrase] if isinstance(phrase, str) else list(phrase)
        terms = {t.name.casefold(): t for t in self.terms}
        return [alt for p in phrases for alt in terms.get(p.casefold(), TermSpec(name=p)).phrases]


Path = tuple[str | int, ...]
_MISSING = object()


def _dict_entries(data: object) -> list[tuple[str, object]]:
    """Every (key, value) in ``data``, breadth-first (shallow keys first), lists searched too."""
    entries: list[tuple[str, object]] = []
    queue = deque([data])
    while queue and len(entries) < 20_000:
        current = queue.popleft()
        children = list(current.items()) if isinstance(current, dict) else \
            list(enumerate(current)) if isinstance(current, list) else []
        entries += [(k, v) for k, v in children if isinstance(k, str)]
        queue += [v for _, v in children]
    return entries


def find_key(data: object, key: str) -> tuple[bool, object]:
    """Value of ``key`` anywhere in ``data`` (shallowest first); dotted paths search level by level.

    An exact match after :func:`~evals.grading.extract.normalize_key` wins; otherwise the first key
    containing all the words of ``key`` ("phone" finds "phone_number" / "contactPhone").
    """
    node: object = data
    for part in key.split("."):
        entries, target, words = _dict_entries(node), ex.normalize_key(part), ex.key_words(part)
        hit = next((v for k, v in entries if ex.normalize_key(k) == target), _MISSING)
        if hit is _MISSING:
            hit = next((v for k, v in entries if words <= ex.key_words(k)), _MISSING)
        if hit is _MISSING:
            return False, None
        node = hit
    return True, node


def _leaves(data: object, path: Path = ()) -> list[tuple[Path, bool, str]]:
    """(path, is_key, text) for every scalar and every key in ``data``."""
    if isinstance(data, dict):
        out: list[tuple[Path, bool, str]] = []
        for k, v in data.items():
            out += [(path + (k,), True, k), *_leaves(v, path + (k,))]
        return out
    if isinstance(data, list):
        return [leaf for i, v in enumerate(data) for leaf in _leaves(v, path + (i,))]
    return [] if data is None else [(path, False, str(data))]


def _at(data: object, path: Path) -> object:
    for step in path:
        data = data[step] if isinstance(data, dict | list) else None  # type: ignore[index]
    return data


def _linked(data: object, a: tuple[Path, bool], b: tuple[Path, bool]) -> bool:
    """Two mentions are linked when they are: the same string; a key and (anything under) its value;
    values in one record — one a direct field of the object, the other reached without crossing a list
    of objects (``{"name": "STEMI", "management": ["PCI"]}``); or items of a short [subject, predicate,
    object] tuple inside a list or under a "relations"-like key. Two entries of a collection
    (``{"conditions": [...], "medications": [...]}``) are not linked."""
    (pa, ka), (pb, kb) = a, b
    if (ka and pb[: len(pa)] == pa) or (kb and pa[: len(pb)] == pb) or (pa == pb and ka == kb):
        return True
    n = len(_common(pa, pb))
    node, ra, rb = _at(data, pa[:n]), pa[n:], pb[n:]
    if isinstance(node, dict):
        shallow = not any(isinstance(step, int) for step in ra[:-1] + rb[:-1])  # only leaf lists crossed
        return shallow and not ka and not kb and min(len(ra), len(rb)) == 1
    parent_key = next((s for s in reversed(pa[:n]) if isinstance(s, str)), "")
    tuple_like = isinstance(node, list) and 2 <= len(node) <= 3 and all(
        not isinstance(v, dict | list) for v in node)
    in_table = isinstance(_at(data, pa[: n - 1]), list) if n else False
    relation_key = bool(re.search(r"relat|link|tripl|pair|edge|interact", parent_key, re.I))
    return tuple_like and (in_table or relation_key)


def _token_leaves(data: object, search_keys: bool = True) -> list[tuple[Path, bool, str]]:
    """:func:`_leaves` with texts as :func:`~evals.grading.extract.token_text`, for fast phrase search."""
    return [(p, k, ex.token_text(t)) for p, k, t in _leaves(data) if search_keys or not k]


def _found(leaves: list[tuple[Path, bool, str]], phrases: Sequence[str]) -> list[tuple[Path, bool]]:
    """Mentions of any of ``phrases`` among token-text ``leaves``."""
    needles = [n for n in map(ex.token_text, phrases) if n.strip()]
    return [(p, k) for p, k, text in leaves if any(n in text for n in needles)]


def _term_ok(term: TermSpec, leaves: list[tuple[Path, bool, str]]) -> bool:
    if _found(leaves, term.phrases):
        return True
    return bool(term.all_of) and all(_found(leaves, group) for group in term.all_of)


def _common(pa: Path, pb: Path) -> Path:
    n = next((i for i, (x, y) in enumerate(zip(pa, pb, strict=False)) if x != y), min(len(pa), len(pb)))
    return pa[:n]


Leaf = tuple[Path, bool, str]


def _relation_ok(cfg: JsonGrader, rel: RelationSpec, data: object, leaves: list[Leaf]) -> bool:
    subs, objs = _found(leaves, cfg.alternatives(rel.subject)), _found(leaves, cfg.alternatives(rel.object))
    scopes = [_common(s[0], o[0]) for s in subs for o in objs if _linked(data, s, o)]
    if rel.predicate is None or not scopes:
        return bool(scopes)
    preds = cfg.alternatives(rel.predicate)  # must appear in the record that links them
    return any(_found(_token_leaves(_at(data, scope[:-1] if scope else scope)), preds) for scope in scopes)


def _fraction(value: object) -> float | None:
    text = str(value)
    number = ex.parse_quantity(text) if isinstance(value, str) else float(value) \
        if isinstance(value, int | float) and not isinstance(value, bool) else None
    if number is None:
        return None
    return number / 100 if "%" in text or "percent" in text.lower() or abs(number) > 1 else number


def _quantity(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    return float(value) if isinstance(value, int | float) else ex.parse_quantity(value) \
        if isinstance(value, str) else None


def _phone_ok(expected: object, actual: object) -> bool:
    e, a = re.sub(r"\D", "", str(expected)).lstrip("0"), re.sub(r"\D", "", str(actual)).lstrip("0")
    short, long = sorted((e, a), key=len)
    return e == a or (len(short) >= 7 and long.endswith(short))


def _texts(value: object) -> list[str]:
    return [t for _, _, t in _leaves(value)] if isinstance(value, dict | list) else [str(value)]


def compare_field(kind: str, check: FieldCheck, actual: object) -> tuple[float, str]:
    """Credit in [0, 1] for ``actual`` against ``check`` and a short reason when it is not full."""
    e = check.value
    if kind == "list":
        items = [str(i) for i in (e if isinstance(e, list) else [e])]
        missing = [i for i in items if not any(ex.contains_phrase(t, i) for t in _texts(actual))]
        return 1 - len(missing) / max(len(items), 1), f"missing {', '.join(missing[:4])}" if missing else ""
    if kind in ("number", "percentage"):
        as_pct = kind == "percentage" or (isinstance(actual, str) and re.search(r"%|percent", actual, re.I))
        conv = _fraction if as_pct else _quantity
        want, got = conv(e), conv(actual)
        ok = want is not None and got is not None and math.isclose(got, want, rel_tol=check.tolerance,
                                                                   abs_tol=1e-9 if kind == "number" else 1e-4)
    elif kind == "phone":
        ok = _phone_ok(e, actual)
    elif kind == "email":
        ok = str(actual).strip().lower().removeprefix("mailto:") == str(e).strip().lower()
    elif kind == "bool":
        ok = str(actual).strip().lower() in (("true", "yes", "1") if e else ("false", "no", "0"))
    elif kind == "exact":
        ok = " ".join(str(actual).split()).casefold() == " ".join(str(e).split()).casefold()
    else:
        want_s = " ".join(str(e).split()).casefold()
        ok = any(want_s in " ".join(t.split()).casefold() for t in _texts(actual))
    return float(ok), "" if ok else f"got {str(actual)[:40]!r}, expected {str(e)[:40]!r}"


def _json_checks(cfg: JsonGrader, data: object) -> list[tuple[float, str]]:
    """(credit, problem) for every configured check; problem is "" when the check passed."""
    checks: list[tuple[float, str]] = []
    for key in cfg.required_keys:
        ok = find_key(data, key)[0]
        checks.append((float(ok), "" if ok else f"missing {key}"))
    for key, check in cfg.expected.items():
        present, actual = find_key(data, key)
        credit, why = compare_field(check.resolved_kind(key), check, actual) if present else (0.0, "missing")
        checks.append((credit, f"{key}: {why}" if why else ""))
    if cfg.json_schema is not None:
        validator = jsonschema.validators.validator_for(cfg.json_schema)(cfg.json_schema)
        errors = list(validator.iter_errors(cast(Any, data)))
        checks.append((float(not errors), f"schema: {errors[0].message[:80]}" if errors else ""))
    leaves = _token_leaves(data, cfg.search_keys)
    checks += [(1.0, "") if _term_ok(t, leaves) else (0.0, f"term {t.name!r} not found") for t in cfg.terms]
    for rel in cfg.relations:
        ok = _relation_ok(cfg, rel, data, leaves)
        checks.append((float(ok), "" if ok else f"relation {rel.subject!r}–{rel.object!r} not linked"))
    return checks


def grade_json(cfg: JsonGrader, output: str) -> GradeResult:
    candidates = ex.json_candidates(output)
    if not candidates:
        fenced = ex.code_blocks(output, "json")
        why = "```json block is not valid JSON" if fenced else "no JSON found in the output"
        return GradeResult(0.0, False, why)
    scored = [(_json_checks(cfg, c), c) for c in candidates]
    checks, _ = max(scored, key=lambda s: sum(c for c, _ in s[0]) / max(len(s[0]), 1))
    if not checks:
        return GradeResult(1.0, True, "valid JSON found (no checks configured)")
    score = sum(c for c, _ in checks) / len(checks)
    problems = [p for _, p in checks if p]
    ok = score >= cfg.pass_threshold - 1e-9
    head = f"{sum(1 for c, _ in checks if c == 1)}/{len(checks)} checks passed"
    return GradeResult(round(score, 6), ok, head + (f"; {'; '.join(problems[:6])}" if problems else ""))


# ---------------------------------------------------------------------------------------- tool trace


class ExpectedCall(GraderBase):
    """A call the model should make: ``arguments`` is a subset by name, or a list of positional values."""

    name: str
    arguments: dict[str, Any] | list[Any] = Field(default_factory=dict)
    unordered_args: bool = False  # gcd(a, b) == gcd(b, a)

    def matches(self, call: ToolCall) -> bool:
        return call.name == self.name and call.parse_error is None and arguments_match(
            self.arguments, call.arguments, unordered=self.unordered_args)


class ToolTraceGrader(GraderBase):
    """Check the recorded tool calls and the final answer; one check per expected call, one for
    extra calls when ``allow_extra`` is false, one for the final answer."""

    type: Literal["tool_trace"] = "tool_trace"
    calls: list[ExpectedCall] = Field(default_factory=list)
    order: Literal["strict", "any"] = "any"
    allow_extra: bool = True
    final_answer: float | str | None = None
    tolerance: float = Field(default=1e-6, ge=0)
    extract: list[Extraction] = Field(default_factory=lambda: list(DEFAULT_EXTRACT), min_length=1)


def _show(call: ToolCall | ExpectedCall) -> str:
    return f"{call.name}{format_args(call.arguments)}"


def _match_calls(cfg: ToolTraceGrader, trace: Sequence[ToolCall]) -> tuple[list[str | None], set[int]]:
    """Per expected call: None when matched, else the problem; plus the indices of trace calls used."""
    used: set[int] = set()
    problems: list[str | None] = []
    start = 0
    for exp in cfg.calls:
        lo = start if cfg.order == "strict" else 0
        hit = next((i for i in range(lo, len(trace)) if i not in used and exp.matches(trace[i])), None)
        if hit is not None:
            used.add(hit)
            start = hit + 1
            problems.append(None)
        elif cfg.order == "strict" and any(exp.matches(c) for c in trace[:lo]):
            problems.append(f"{_show(exp)} called out of order")
        else:
            problems.append(_miss(exp, [c for i, c in enumerate(trace) if i not in used]))
    return problems, used


def _miss(exp: ExpectedCall, unused: Sequence[ToolCall]) -> str:
    same = [c for c in unused if c.name == exp.name]
    if not same:
        return f"{exp.name} never called (expected {_show(exp)})"
    bad = same[0]
    got = f"unparseable arguments ({bad.parse_error[:60]})" if bad.parse_error else format_args(bad.arguments)
    return f"{exp.name} called with {got}, expected {format_args(exp.arguments)}"


def _final_check(cfg: ToolTraceGrader, output: str) -> tuple[bool, str]:
    expected = cfg.final_answer
    number = ex.normalize_number(expected) if isinstance(expected, str) else expected
    if isinstance(number, int | float):
        result = grade_numeric(NumericGrader(expected=number, tolerance=cfg.tolerance, extract=cfg.extract),
                               output)
        return result.passed, f"final answer: {result.explanation}"
    ok = ex.contains_phrase(ex.answer_is(output) or output, str(expected))
    return ok, f"final answer {'contains' if ok else 'lacks'} {expected!r}"


def grade_tool_trace(cfg: ToolTraceGrader, output: str, trace: Sequence[ToolCall]) -> GradeResult:
    problems, used = _match_calls(cfg, trace)
    checks = [(p is None, p or f"{_show(e)} ✓") for p, e in zip(problems, cfg.calls, strict=True)]
    if not cfg.allow_extra:
        extra = [_show(c) for i, c in enumerate(trace) if i not in used]
        checks.append((not extra, f"unexpected calls: {', '.join(extra[:4])}" if extra else "no extra calls"))
    if cfg.final_answer is not None:
        checks.append(_final_check(cfg, output))
    if not checks:
        return GradeResult(1.0, True, "no expectations configured")
    passed = sum(ok for ok, _ in checks)
    failed = [why for ok, why in checks if not ok]
    explanation = f"{passed}/{len(checks)} expectations met" + "".join(f"; {why}" for why in failed[:5])
    return GradeResult(passed / len(checks), passed == len(checks), explanation)


# ------------------------------------------------------------------------- code tests, rubric, judge


class CodeTestsGrader(GraderBase):
    """Run ``tests`` (Python source) against the extracted code — executed by a sandbox runner."""

    type: Literal["code_tests"] = "code_tests"
    tests: str
    entry_hint: str | None = None
    setup: str | None = None

    @field_validator("tests", "setup")
    @classmethod
    def _is_python(cls, source: str | None) -> str | None:
        if source is not None:
            try:
                ast.parse(source)
            except SyntaxError as err:
                raise ValueError(f"not valid Python (line {err.lineno}): {err.msg}") from err
        return source


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


# ------------------------------------------------------------------------------------------ registry

GraderConfig = Annotated[
    NumericGrader | ExactGrader | RegexGrader | ContainsGrader | JsonGrader | ToolTraceGrader
    | CodeTestsGrader | RubricGrader,
    Field(discriminator="type"),
]
GRADERS: dict[str, type[GraderBase]] = {
    "numeric": NumericGrader, "exact": ExactGrader, "regex": RegexGrader, "contains": ContainsGrader,
    "json": JsonGrader, "tool_trace": ToolTraceGrader, "code_tests": CodeTestsGrader, "rubric": RubricGrader,
}
_ADAPTER: TypeAdapter[GraderConfig] = TypeAdapter(GraderConfig)


def parse_grader(data: Mapping[str, Any]) -> GraderConfig:
    """Validate a YAML/JSON grader mapping (``{type: numeric, expected: 25}``); pydantic ValidationError
    on bad input."""
    return _ADAPTER.validate_python(data)


def grade(
    config: GraderConfig | Mapping[str, Any], output: str, trace: Sequence[ToolCall] = ()
) -> GradeResult:
    """Grade ``output`` (and the tool ``trace``) with a pure grader; NeedsRunner for code_tests/rubric."""
    cfg = parse_grader(config) if isinstance(config, Mapping) else config
    if isinstance(cfg, NumericGrader):
        return grade_numeric(cfg, output)
    if isinstance(cfg, ExactGrader):
        return grade_exact(cfg, output)
    if isinstance(cfg, RegexGrader):
        return grade_regex(cfg, output)
    if isinstance(cfg, ContainsGrader):
        return grade_contains(cfg, output)
    if isinstance(cfg, JsonGrader):
        return grade_json(cfg, output)
    if isinstance(cfg, ToolTraceGrader):
        return grade_tool_trace(cfg, output, trace)
    raise NeedsRunner(
        f"grader type {cfg.type!r} is not pure and cannot be graded by grade()",
        fix="run it through the code-execution sandbox (code_tests) or the judge runner (rubric)",
    )
