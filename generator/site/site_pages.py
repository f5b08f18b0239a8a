"""The page registry of one build: every page of the site, in navigation order, each with its route, tab, view and
charts (see :mod:`generator.site.registry`). Hand-written pages (docs/*.md) are registered here too."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from evals.records import ModelEntry
from evals.story import load_story
from generator.site import leaderboard
from generator.site.board_pages import BoardView, board_page, built_at, charts_page, quality_cost_page
from generator.site.downloads import downloads_page
from generator.site.extra_pages import scaling_page
from generator.site.gallery import FIRST_SAMPLES, MAX_PASSING, MAX_TEXT
from generator.site.gallery_files import SuiteVectors
from generator.site.load import SiteData
from generator.site.model_pages import model_pages
from generator.site.registry import Page
from generator.site.scenario_pages import scenarios_page
from generator.site.seed_page import render_seed
from generator.site.suite_pages import suite_page
from generator.site.suites import SuiteInfo
from generator.site.tables import scores_frame

HAND_TABS = {"methodology.md": "Methodology"}  # every other hand-written page: Contribute
SEED_ROUTE = "small-vs-large.md"


@dataclass
class CompareView:
    models: list[ModelEntry]
    suites: list[SuiteInfo]
    default: list[str]

    @property
    def baselines(self) -> dict[str, float]:
        """Suite id → its baseline (the better of chance and the majority answer), where it has one."""
        return {s.id: s.baseline for s in self.suites if s.baseline > 0}


@dataclass
class GalleryView:
    has_texts: bool
    hint: str | None
    first: int = FIRST_SAMPLES  # repeated sampling: the samples shown (see gallery.shown_outputs)
    passing: int = MAX_PASSING
    cap: int = MAX_TEXT


def hand_pages(docs_src: Path) -> list[Page]:
    """docs/*.md (except index.md), titled by their first heading."""
    out = []
    for path in sorted(docs_src.glob("*.md")) if docs_src.is_dir() else []:
        if path.name == "index.md":
            continue
        tab = HAND_TABS.get(path.name, "Contribute")
        out.append(Page(path.name, tab, tab if tab != "Contribute" else _title(path)))
    return out


def _title(path: Path) -> str:
    """A page's first heading as plain text (the template escaped it for HTML; the nav escapes it again)."""
    m = re.search(r"^# (.+)$", path.read_text(encoding="utf-8"), re.M)
    return html.unescape(m.group(1).strip()) if m else path.stem.replace("-", " ").capitalize()


def seed_page(data: SiteData, rows: list[leaderboard.Row], pages: list[Page]) -> Page:
    """The question's page, rendered by :func:`~generator.site.seed_page.render_seed`; the pages it writes under
    ``small-vs-large/`` (e.g. the head-to-head claim) join the tab, titled by their first heading."""
    page = Page(SEED_ROUTE, "The question", "The question")

    def write(docs: Path) -> None:
        render_seed(data, data.latest(), docs, rows)
        for path in sorted((docs / SEED_ROUTE.removesuffix(".md")).glob("*.md")):
            pages.append(Page(path.relative_to(docs).as_posix(), "The question", _title(path)))

    page.writer = write
    return page


def site_pages(data: SiteData, infos: dict[str, SuiteInfo], vectors: dict[str, SuiteVectors], docs_src: Path,
               has_texts: bool, hint: str | None) -> list[Page]:
    sel = data.selection()
    shown = sel.shown
    frame = scores_frame(data)
    cols = list(infos.values())
    rows = leaderboard.build_rows(data.models, shown, cols, data.reported, sel.other)
    reported = leaderboard.reported_rows(data.models, rows, cols, data.reported)
    board = BoardView(cols, rows, reported, sorted({r.model.family for r in rows}), built_at(), len(data.runs))
    pages: list[Page] = [board_page(board), downloads_page(frame, data, sel)]
    pages += [suite_page(info, data, shown, frame, vectors.get(sid), cols) for sid, info in infos.items()]
    scen = scenarios_page(data)
    pages += [scen] if scen is not None else []
    story = load_story(data.root)
    question = (story.question, SEED_ROUTE.removesuffix(".md") + "/",
                frozenset({story.challenger.model_id, story.opponent.model_id})) if story is not None else None
    pages += model_pages(data, sel, rows, question)
    models = sorted((data.models[m] for m in {mid for mid, _ in shown}), key=lambda m: m.name.lower())
    pages.append(Page("compare.md", "Compare", "Compare", "compare.md.j2",
                      CompareView(models, cols, [r.model.id for r in rows[:2]])))
    chart_pages = [quality_cost_page(rows, cols)]
    scaling = scaling_page(data, shown, cols)
    chart_pages += [scaling] if scaling is not None else []
    pages += [charts_page(frame, cols, chart_pages + [p for p in pages if p.charts]), *chart_pages]
    pages.append(seed_page(data, rows, pages))
    pages.append(Page("gallery/index.md", "Gallery", "Gallery", "gallery.md.j2", GalleryView(has_texts, hint)))
    pages += hand_pages(docs_src)  # the same list: the seed writer appends its sub-pages to it while writing
    return pages
