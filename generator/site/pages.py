"""Render view-models into Markdown/HTML pages with Jinja2 (autoescaped, StrictUndefined)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from evals.atomic import write_text

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("generator.site", "templates"),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False, keep_trailing_newline=True,
)


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
