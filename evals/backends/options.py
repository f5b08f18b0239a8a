"""A backend's typed config from loose options (``-B key=value`` on the command line, YAML, a workflow input).

Each backend module owns a frozen dataclass config and builds itself from it (``Backend.configure`` fills the
defaults that come from the model entry); this module only turns ``{"threads": "2"}`` into ``threads=2`` by the
field's declared type — int, float, bool, str, Path, ``X | None`` and ``Literal[...]`` — and says which keys
exist when one does not. :func:`changed_options` is the inverse: the fields a config sets differently from a
reference config, which is what a run's reproducing command has to say.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from evals.errors import ConfigError

T = TypeVar("T")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _coerce(value: object, hint: Any, key: str, where: str) -> object:
    if not isinstance(value, str):
        return value
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value.lower() in ("none", "null", ""):
            return None
        return _coerce(value, args[0], key, where) if len(args) == 1 else value
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise ConfigError(f"{key}={value!r} is not one of {', '.join(map(str, allowed))}", where=where,
                              fix=f"-B {key}={allowed[0]}")
        return value
    try:
        if hint is bool:
            if value.lower() not in _TRUE | _FALSE:
                raise ValueError(value)
            return value.lower() in _TRUE
        if hint in (int, float):
            return hint(value)
        if hint is Path:
            return Path(value)
    except ValueError:
        raise ConfigError(f"{key}={value!r} is not a valid {getattr(hint, '__name__', hint)}", where=where,
                          fix=f"e.g. -B {key}=1") from None
    return value


def config_from(cls: type[T], values: Mapping[str, object], where: str) -> T:
    """``cls(**values)`` with string values converted to each field's type; unknown keys are one clear error."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(cls)
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ConfigError(f"unknown option '{unknown[0]}'", where=where, fix=f"options are: {', '.join(names)}")
    hints = typing.get_type_hints(cls)
    kwargs = {k: _coerce(v, hints[k], k, where) for k, v in values.items()}
    return cls(**kwargs)


def changed_options(config: object, reference: object) -> dict[str, object]:
    """Fields of ``config`` that differ from ``reference`` (same dataclass type), in declaration order."""
    if not dataclasses.is_dataclass(config) or type(config) is not type(reference):
        raise TypeError(config)
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)
            if f.init and getattr(config, f.name) != getattr(reference, f.name)}


def parse_pairs(pairs: tuple[str, ...], where: str = "-B") -> dict[str, str]:
    """``("threads=2", "dtype=bfloat16")`` → ``{"threads": "2", "dtype": "bfloat16"}``."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"backend option '{pair}' is not key=value", where=where, fix="e.g. -B threads=2")
        out[key.strip().replace("-", "_")] = value
    return out
