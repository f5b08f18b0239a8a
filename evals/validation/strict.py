"""Strict parsers: JSON without duplicate keys or non-finite numbers, YAML without anchors, aliases or
duplicate keys. Each raises :class:`StrictError` with a 1-based line (or None) instead of a library error."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import yaml

MAX_DEPTH = 64


class StrictError(Exception):
    def __init__(self, what: str, line: int | None, fix: str) -> None:
        super().__init__(what)
        self.what, self.line, self.fix = what, line, fix


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


class _NonFinite(Exception):
    def __init__(self, token: str) -> None:
        self.token = token


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Duplicate(k)
        out[k] = v
    return out


def _constant(token: str) -> Any:
    raise _NonFinite(token)


def _float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise _NonFinite(token)
    return value


def _line_of(text: str, needle: str, nth: int = 1) -> int | None:
    """Line of the ``nth`` occurrence of ``needle`` (1-based), or None."""
    pos = -1
    for _ in range(nth):
        pos = text.find(needle, pos + 1)
        if pos < 0:
            return None
    return text.count("\n", 0, pos) + 1


def _depth(value: Any) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        nxt: list[Any] = []
        for v in level:
            if isinstance(v, dict):
                nxt += v.values()
            elif isinstance(v, list):
                nxt += v
        level = nxt
    return depth


def _check_depth(value: Any, line: int | None) -> None:
    if _depth(value) > MAX_DEPTH:
        raise StrictError(f"nested more than {MAX_DEPTH} levels deep", line, "site_data records are shallow; "
                          "regenerate the file with podium")


def loads_json(text: str) -> Any:
    """Parse JSON strictly (duplicate keys, NaN/Infinity and overflowing numbers are errors)."""
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float)
    except _Duplicate as exc:
        raise StrictError(f"duplicate key '{exc.key}'", _line_of(text, json.dumps(exc.key), 2),
                          "keep one value per key") from None
    except _NonFinite as exc:
        raise StrictError(f"non-finite number '{exc.token}' (JSON has no NaN/Infinity)", _line_of(text, exc.token),
                          "store a finite number, or null where the schema allows it") from None
    except json.JSONDecodeError as exc:
        raise StrictError(f"malformed JSON ({exc.msg})", exc.lineno, "fix the JSON syntax at that line") from None
    except RecursionError:
        raise StrictError("nested too deeply to parse", None, "site_data records are shallow") from None
    _check_depth(value, None)
    return value


_YAML_FIX = "fix the YAML syntax at that line"


def loads_yaml(text: str) -> Any:
    """Parse one YAML document safely: no anchors/aliases (alias bombs), no duplicate keys, no custom tags."""
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                mark = event.start_mark
                raise StrictError("YAML anchor/alias (& or *) — not allowed in site_data",
                                  mark.line + 1 if mark is not None else None, "write the value out in full")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        _no_duplicate_keys(root)
        value = yaml.safe_load(text)
    except StrictError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise StrictError(f"malformed YAML ({problem})", mark.line + 1 if mark else None, _YAML_FIX) from None
    except RecursionError:
        raise StrictError("nested too deeply to parse", None, "site_data records are shallow") from None
    _check_depth(value, None)
    return value


def _no_duplicate_keys(node: yaml.Node | None) -> None:
    stack = [node] if node is not None else []
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in n.value:
                key = str(k.value)
                if key in seen:
                    raise StrictError(f"duplicate key '{key}'", k.start_mark.line + 1, "keep one value per key")
                seen.add(key)
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack += n.value


_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")


def looks_numeric(value: str) -> bool:
    return bool(_NUMBER.match(value.strip()))
