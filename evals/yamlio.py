"""Load YAML files into typed records with ``file:line: what is wrong`` errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from evals.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def _node_line(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the YAML node at pydantic location ``loc`` (deepest one found)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
            if nxt is None:
                continue  # not a key here: a union member's tag (graders.0.numeric.x) or a missing field
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def load_yaml_text(text: str, where: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        # the construct that was left open (context) is where the fix goes; else where parsing stopped
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(
            f"malformed YAML ({problem})", where=f"{where}{line}", fix="fix the YAML syntax at that line"
        ) from None


def validate_yaml(text: str, cls: type[M], where: str, *, extra: dict[str, Any] | None = None) -> M:
    """Parse ``text`` and validate it as ``cls``; errors name the file and line of the bad field."""
    data = load_yaml_text(text, where)
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping of fields at the top level", where=f"{where}:1",
                          fix=f"see the JSON Schema of {cls.__name__} in site_data/schema/")
    if extra:
        data = {**extra, **data}
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        try:
            root = yaml.compose(text)
        except yaml.YAMLError:
            root = None
        line = _node_line(root, loc) or 1
        field = ".".join(str(p) for p in loc) or "(top level)"
        more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise ConfigError(
            f"field '{field}': {err['msg']}{more}", where=f"{where}:{line}",
            fix=f"see the JSON Schema of {cls.__name__} in site_data/schema/",
        ) from None


def load_yaml_model(path: Path, cls: type[M], *, extra: dict[str, Any] | None = None) -> M:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read file ({exc.strerror})", where=str(path)) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[:exc.start].count(b"\n") + 1
        raise ConfigError(f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x})", where=f"{path}:{line}",
                          fix="save the file as UTF-8") from None
    return validate_yaml(text, cls, str(path), extra=extra)
