"""The ``json`` grader: find JSON in an output and check keys, values, a JSON Schema, terms and relations."""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

import jsonschema
from pydantic import Field, field_validator

from evals.grading import extract as ex
from evals.scenarios.base import GraderBase, GradeResult

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
