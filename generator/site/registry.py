"""The site's pages and charts, declared once: each :class:`Page` names its route, its place in the navigation,
the template and typed view it renders and the charts it embeds; each :class:`ChartRef` names a chart's file for
the Python that writes it and the template that embeds it alike."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.site.pages import render, write_json

# top-level navigation: tabs on a desktop, the drawer on a phone; every page sits under one of them
TABS = ("Leaderboard", "Benchmarks", "Models", "Compare", "Charts", "The question", "Gallery", "Methodology",
        "Contribute")


@dataclass(frozen=True)
class ChartRef:
    """One chart: ``charts/<name>.json`` (a Vega-Lite spec), embedded with ``label`` as its accessible name."""

    name: str
    label: str

    @property
    def file(self) -> str:
        return f"charts/{self.name}.json"

    def src(self, root: str) -> str:
        return root + self.file


@dataclass
class Page:
    """One page: ``route`` (relative to docs/, e.g. ``suites/<id>.md``), the tab and nav title it sits under, and —
    for generated pages — the template, the typed view it renders and the chart specs it embeds. A hand-written page
    (``template`` None) is copied from docs/; ``writer`` renders a page another module owns."""

    route: str
    tab: str
    title: str
    template: str | None = None
    view: Any = None
    charts: list[tuple[ChartRef, dict[str, Any]]] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    writer: Callable[[Path], None] | None = None
    in_nav: bool = True

    def __post_init__(self) -> None:
        if self.tab not in TABS:
            raise ValueError(f"page {self.route}: unknown tab {self.tab!r} (one of {', '.join(TABS)})")

    def chart(self, ref: ChartRef, spec: dict[str, Any]) -> ChartRef:
        self.charts.append((ref, spec))
        return ref

    def write(self, docs: Path) -> None:
        for ref, spec in self.charts:
            write_json(docs / ref.file, spec)
        if self.writer is not None:
            self.writer(docs)
        elif self.template is not None:
            render(self.template, self.route, docs, view=self.view, **self.context)


def nav(pages: list[Page]) -> list[Any]:
    """MkDocs ``nav``: one entry per tab in :data:`TABS` order — the page itself when the tab holds one page, else
    a section of its pages (in registration order)."""
    out: list[Any] = []
    for tab in TABS:
        here = [p for p in pages if p.tab == tab and p.in_nav]
        if len(here) == 1 and here[0].title == tab:
            out.append({tab: here[0].route})
        elif here:  # titles are data (model and suite names): MkDocs prints them unescaped
            out.append({tab: [{html.escape(p.title): p.route} for p in here]})
    return out
