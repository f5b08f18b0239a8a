"""Build the site: site_data → tables, charts, pages, gallery shards → MkDocs (material) → ``site/``.

Hand-written pages come from ``docs/``; generated pages are written next to copies of them in a build
directory (never into the source tree), then MkDocs builds from there.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from evals.atomic import write_json, write_text
from evals.errors import ConfigError, DataError
from generator.site import charts
from generator.site.gallery import write_gallery
from generator.site.load import SiteData, load_site_data
from generator.site.pages import render
from generator.site.scenario_pages import render_scenarios
from generator.site.suite_pages import render_suite
from generator.site.tables import scores_frame
from generator.site.views import LeaderRow, RunView, SuiteColumn, metric_cell

ASSETS = Path(__file__).parent / "assets"
VENDOR = {  # npm package → file, pinned in assets/package.json to Altair 6.3's Vega-Lite schema (v6.4.1)
    "vega": "vega/build/vega.min.js",
    "vega-lite": "vega-lite/build/vega-lite.min.js",
    "vega-embed": "vega-embed/build/vega-embed.min.js",
    "highlight.js": "@highlightjs/cdn-assets/highlight.min.js",  # code in the gallery (escapes its input)
    "highlight.js-style": "@highlightjs/cdn-assets/styles/github.min.css",
}


@dataclass(frozen=True)
class SuiteMeta:
    id: str
    name: str
    description: str
    protocol: str
    shots: int
    split: str
    main: tuple[str, str]
    metric_help: dict[str, str]

    @property
    def metric_label(self) -> str:
        return f"{self.main[0]} ({self.main[1]})"


@dataclass(frozen=True)
class BuildResult:
    site_dir: Path
    pages: int
    runs: int
    problems: list[str]
    seconds: float


def node_modules() -> Path:
    return Path(os.environ.get("PODIUM_NODE_MODULES", ASSETS / "node_modules"))


def copy_vendor(dest: Path) -> None:
    nm = node_modules()
    for name, rel in VENDOR.items():
        src = nm / rel
        if not src.is_file():
            raise ConfigError(f"vendored {name} not installed ({src} missing)", where="generator/site/assets",
                              fix="run `make setup` (npm ci --prefix generator/site/assets)")
        shutil.copyfile(src, dest / Path(rel).name)


def suite_meta(data: SiteData) -> dict[str, SuiteMeta]:
    """Display metadata per suite id, from the newest run of each suite (site_data is the only input)."""
    metas: dict[str, SuiteMeta] = {}
    for lr in sorted(data.runs, key=lambda r: r.run.finished_at):
        sr = lr.run.suite
        first = lr.run.metrics[0] if lr.run.metrics else None
        main = (sr.main_metric[0], sr.main_metric[1]) if len(sr.main_metric) == 2 else (
            (first.name, first.variant) if first else ("score", "default"))
        metas[sr.id] = SuiteMeta(sr.id, sr.display_name or sr.id, sr.description or "", sr.protocol, sr.shots,
                                 sr.split, main, dict(sr.metric_help))
    return dict(sorted(metas.items()))


def _mkdocs_config(base: Path, docs_dir: Path, site_dir: Path, nav: list[Any]) -> Path:
    try:
        cfg = yaml.safe_load(base.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read MkDocs config ({exc})", where=str(base)) from None
    cfg.update(docs_dir=str(docs_dir), site_dir=str(site_dir.resolve()), nav=nav, use_directory_urls=True)
    cfg.setdefault("extra_javascript", [])
    cfg["extra_javascript"] = [f"assets/vendor/{Path(r).name}" for r in VENDOR.values() if r.endswith(".js")] + [
        "assets/podium.js"] + [j for j in cfg["extra_javascript"] if "podium" not in j and "vendor" not in j]
    cfg["extra_css"] = ["assets/vendor/github.min.css", "assets/podium.css"] + [c for c in cfg.get("extra_css", []) if "podium" not in c]
    cfg["not_in_nav"] = "/gallery/\n"
    path = docs_dir.parent / "mkdocs.yml"
    write_text(path, yaml.safe_dump(cfg, sort_keys=False))
    return path


def build_site(data_root: Path, site_dir: Path, *, mkdocs_yml: Path = Path("mkdocs.yml"),
               docs_src: Path | None = None, work: Path = Path(".podium/site-src")) -> BuildResult:
    """Build into ``site_dir``; hand-written pages come from ``docs/`` next to ``mkdocs_yml``."""
    t0 = time.perf_counter()
    docs_src = docs_src if docs_src is not None else mkdocs_yml.parent / "docs"
    if not mkdocs_yml.is_file():
        raise ConfigError("MkDocs configuration not found", where=str(mkdocs_yml),
                          fix="run from the Podium checkout or pass --config path/to/mkdocs.yml")
    if not data_root.is_dir():
        raise DataError("site data directory not found", where=str(data_root),
                        fix="run `podium run` first or pass --data PATH")
    data = load_site_data(data_root)
    metas = suite_meta(data)
    docs = work / "docs"
    if work.exists():
        shutil.rmtree(work)
    if docs_src.is_dir():
        shutil.copytree(docs_src, docs)
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "assets" / "vendor").mkdir(parents=True, exist_ok=True)
    copy_vendor(docs / "assets" / "vendor")
    for f in ("podium.js", "podium.css"):
        shutil.copyfile(ASSETS / f, docs / "assets" / f)

    pages = _render_pages(data, metas, docs)
    has_scenarios = render_scenarios(data, docs)
    pages += has_scenarios
    write_gallery(data, {sid: m.main[1] for sid, m in metas.items()}, docs / "gallery" / "data")
    pages += 1

    hand = sorted(p.relative_to(docs_src).as_posix() for p in docs_src.glob("*.md")) if docs_src.is_dir() else []
    nav: list[Any] = [{"Leaderboard": "index.md"}]
    if metas:
        benchmarks = [{html.escape(m.name): f"suites/{sid}.md"} for sid, m in metas.items()
                      if not sid.startswith("scenario")]  # scenario suites are under "Scenarios"
        if benchmarks:
            nav.append({"Benchmarks": benchmarks})
    if data.models:
        used = sorted({lr.run.model_id for lr in data.runs})
        nav.append({"Models": [{html.escape(data.models[mid].name): f"models/{mid}.md"} for mid in used]})
    if has_scenarios:
        nav.append({"Scenarios": "scenarios.md"})
    nav.append({"Output gallery": "gallery/index.md"})
    nav += [p for p in hand if p != "index.md"]
    config = _mkdocs_config(mkdocs_yml, docs.resolve(), site_dir, nav)

    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    try:
        mkdocs_build(load_config(config_file=str(config)))
    except MkDocsException as exc:
        raise ConfigError(f"MkDocs build failed ({exc})", where=str(config)) from None
    return BuildResult(site_dir, pages, len(data.runs), data.problems, time.perf_counter() - t0)


def _render_pages(data: SiteData, metas: dict[str, SuiteMeta], docs: Path) -> int:
    main = {sid: m.main for sid, m in metas.items()}
    frame = scores_frame(data, main)
    latest = data.latest()
    built_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    # leaderboard
    suites = [SuiteColumn(sid, m.name, m.metric_label, m.protocol) for sid, m in metas.items()]
    rows: dict[str, LeaderRow] = {}
    for (mid, sid), lr in latest.items():
        metric = lr.run.metric(*metas[sid].main)
        if metric is not None:
            row = rows.setdefault(mid, LeaderRow(data.models[mid]))
            row.cells[sid] = metric_cell(metric, lr.run.suite.protocol)
    ordered = sorted(rows.values(), key=lambda r: -max((c.sort for c in r.cells.values()), default=0))
    render("leaderboard.md.j2", "index.md", docs, suites=suites, rows=ordered, built_at=built_at,
           n_runs=len(data.runs))
    mains = frame[frame["main"]]
    write_json(docs / "charts" / "leaderboard.json",
               charts.score_bars(mains.assign(variant=mains["suite"] + " " + mains["variant"]),
                                 "Main metric per suite (95% CI)"))
    write_json(docs / "charts" / "quality-vs-cost.json",
               charts.quality_vs_cost(mains, "Quality vs cost (main metric, 95% CI)"))
    count = 1
    # per-suite pages
    reported = data.reported
    for sid, meta in metas.items():
        render_suite(sid, meta, data, latest, reported, frame, docs)
        count += 1
    # per-model pages
    for mid in sorted({lr.run.model_id for lr in data.runs}):
        rvs = []
        for lr in sorted((r for r in data.runs if r.run.model_id == mid), key=lambda r: r.run.finished_at,
                         reverse=True):
            link = f"../../gallery/#suite={lr.run.suite.id}&models={mid}"
            rv = RunView(lr.run, data.models[mid], link)
            rvs.append({"run": lr.run, "cost": rv.cost, "tokens_per_second": rv.tokens_per_second,
                        "gallery_link": link, "cells": [(m, metric_cell(m)) for m in lr.run.metrics]})
        render("model.md.j2", f"models/{mid}.md", docs, model=data.models[mid], runs=rvs)
        count += 1
    render("gallery.md.j2", "gallery/index.md", docs)
    downloads = docs / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    frame.to_csv(downloads / "scores.csv", index=False)
    write_text(downloads / "scores.json", json.dumps(frame.to_dict(orient="records"), indent=1, default=str))
    return count
