"""Render view-models into Markdown/HTML pages with Jinja2 (autoescaped, StrictUndefined)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2

from generator.site.views import pct, usd

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("generator.site", "templates"),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False, keep_trailing_newline=True,
)
_ENV.globals.update(pct=pct, usd=usd)


def write_text(path: Path, text: str) -> None:
    """A file of the build's scratch directory (never ``site_data``): a plain write, no fsync per file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_json(path: Path, obj: Any) -> None:
    """Compact JSON (chart specs): the page loads it, nobody reads it by hand; NaN is refused (invalid JSON)."""
    write_text(path, json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False))


def root_for(page: str) -> str:
    """Relative path from a page (served with directory URLs) back to the site root."""
    parts = Path(page).with_suffix("").parts
    depth = len(parts) - (1 if parts[-1] == "index" else 0)
    return "../" * depth


def render(template: str, page: str, docs_dir: Path, **context: Any) -> Path:
    text = _ENV.get_template(template).render(root=root_for(page), **context)
    path = docs_dir / page
    write_text(path, text)
    return path
