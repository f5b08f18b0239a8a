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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from evals.errors import ConfigError, DataError
from evals.records import ItemText, MetricRef
from generator.site import charts, leaderboard
from generator.site.extra_pages import render_scaling
from generator.site.gallery import warm_cache
from generator.site.gallery_files import BackgroundGallery, SuiteVectors, Tree, gallery_heads
from generator.site.load import LoadedRun, SiteData, load_site_data
from generator.site.pages import render, write_json, write_text
from generator.site.scenario_pages import render_scenarios
from generator.site.seed_page import render_seed
from generator.site.stats import base_suite
from generator.site.suite_pages import render_suite
from generator.site.tables import scores_frame
from generator.site.views import RunView, metric_cell, pct

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
    main: MetricRef | None
    metric_help: dict[str, str]
    version: str
    template_sha: str
    dataset_sha256: str

    @property
    def metric_label(self) -> str:
        if self.main is None:
            return "score"
        return f"{self.main.label} ({self.main.variant})" + (" macro" if self.main.aggregation == "macro" else "")


@dataclass(frozen=True)
class BuildResult:
    site_dir: Path
    pages: int
    runs: int
    problems: list[str]
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)  # seconds per build phase


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
    """Display metadata per suite id, from the newest shown run of each suite (site_data is the only input)."""
    metas: dict[str, SuiteMeta] = {}
    for lr in sorted(data.latest().values(), key=lambda r: r.run.finished_at):
        sr = lr.run.suite
        metas[sr.id] = SuiteMeta(sr.id, sr.display_name or sr.id, sr.description or "", sr.protocol, sr.shots,
                                 sr.split, sr.main_metric, dict(sr.metric_help), sr.version, sr.template_sha,
                                 sr.dataset_sha256)
    return dict(sorted(metas.items()))


def _mkdocs_config(base: Path, docs_dir: Path, site_dir: Path, nav: list[Any]) -> Path:
    try:
        cfg = yaml.safe_load(base.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read MkDocs config ({exc})", where=str(base)) from None
    cfg.update(docs_dir=str(docs_dir), site_dir=str(site_dir.resolve()), nav=nav, use_directory_urls=True)
    cfg.setdefault("extra_javascript", [])
    cfg["extra_javascript"] = [f"assets/vendor/{Path(r).name}" for r in VENDOR.values()
                               if r.endswith(".js") and "highlight" not in r] + [
        "assets/podium.js"] + [j for j in cfg["extra_javascript"] if "podium" not in j and "vendor" not in j]
    cfg["extra_css"] = ["assets/podium.css"] + [c for c in cfg.get("extra_css", []) if "podium" not in c]
    cfg["not_in_nav"] = "/gallery/\n"
    path = docs_dir.parent / "mkdocs.yml"
    write_text(path, yaml.safe_dump(cfg, sort_keys=False))
    return path


def build_site(data_root: Path, site_dir: Path, *, mkdocs_yml: Path = Path("mkdocs.yml"),
               docs_src: Path | None = None, work: Path = Path(".podium/site-src"),
               texts: Mapping[str, ItemText] | None = None, texts_hint: str | None = None) -> BuildResult:
    """Build into ``site_dir``; hand-written pages come from ``docs/`` next to ``mkdocs_yml``.

    ``texts`` (item id → benchmark text, read from the benchmark data directory by the caller) fills the
    gallery's question text, stored once per item; without it the gallery shows ids, outputs and grades and
    ``texts_hint`` says how to get the text.
    """
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
    docs = _fresh_docs(work, docs_src)

    # gallery data first: every run's samples read once into the cache (worker processes; a rebuild reads only
    # new or changed runs), whose per-item vectors feed the paired tests; the gallery's files are then written
    # into the cache's tree by a second process while this one renders the pages and runs MkDocs, and linked
    # into the site after MkDocs (which empties the site directory)
    cache = work.parent / "site-cache"
    hint = texts_hint or "question text not shown: build with the benchmark data directory to join it"
    phases = {"load": time.perf_counter() - t0}
    warm_cache(list(data.latest().values()), cache)
    heads = gallery_heads(data, cache)
    vectors = {sid: h.vectors for sid, h in heads.items()}
    phases["read samples"] = time.perf_counter() - t0 - sum(phases.values())
    tree = Tree(cache / "gallery", cache / "gallery-manifest.json")
    writer = BackgroundGallery(data, tree, texts, hint, {sid: m.name for sid, m in metas.items()}, cache, heads)
    try:
        pages = render_all(data, metas, vectors, docs, texts is not None, None if texts is not None else hint)
        has_scenarios = render_scenarios(data, docs)
        pages += has_scenarios
        config = _mkdocs_config(mkdocs_yml, docs.resolve(), site_dir, _nav(metas, docs, docs_src, has_scenarios))
        phases["pages"] = time.perf_counter() - t0 - sum(phases.values())
        _run_mkdocs(config)
        phases["mkdocs"] = time.perf_counter() - t0 - sum(phases.values())
    finally:
        writer.wait()
    phases["gallery files (wait)"] = time.perf_counter() - t0 - sum(phases.values())
    tree.place(site_dir / "gallery" / "data")
    phases["place gallery"] = time.perf_counter() - t0 - sum(phases.values())
    return BuildResult(site_dir, pages, len(data.runs), data.problems, time.perf_counter() - t0, phases)


def _fresh_docs(work: Path, docs_src: Path) -> Path:
    """``work/docs``: the hand-written pages, the vendored Vega files and Podium's own script and styles."""
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
    return docs


def _nav(metas: dict[str, SuiteMeta], docs: Path, docs_src: Path, has_scenarios: bool) -> list[Any]:
    hand = sorted(p.relative_to(docs_src).as_posix() for p in docs_src.glob("*.md")) if docs_src.is_dir() else []
    nav: list[Any] = [{"Leaderboard": "index.md"}]
    benchmarks = [{html.escape(m.name): f"suites/{sid}.md"} for sid, m in metas.items()
                  if not sid.startswith("scenario")]  # scenario suites are under "Scenarios"
    if benchmarks:
        nav.append({"Benchmarks": benchmarks})
    nav += [{"Compare": "compare.md"}, {"Quality vs cost": "quality-vs-cost.md"}]
    if (docs / "scaling.md").exists():
        nav.append({"Scaling (pass@k)": "scaling.md"})
    nav.append({"Small model vs GPT-4o?": "small-vs-large.md"})
    if has_scenarios:
        nav.append({"Scenarios": "scenarios.md"})
    nav += [{"Output gallery": "gallery/index.md"}, {"Models": "models/index.md"}]
    return nav + [p for p in hand if p != "index.md"]


def _run_mkdocs(config: Path) -> None:
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    try:
        mkdocs_build(load_config(config_file=str(config)))
    except MkDocsException as exc:
        raise ConfigError(f"MkDocs build failed ({exc})", where=str(config)) from None


def _usd(x: float | None) -> str:
    if x is None:
        return "–"
    return f"${x:,.0f}" if x >= 100 else f"${x:,.2f}" if x >= 1 else f"${x:.4f}"


def render_all(data: SiteData, metas: dict[str, SuiteMeta], vectors: dict[str, SuiteVectors], docs: Path,
               has_texts: bool, hint: str | None) -> int:
    sel = data.selection()
    shown = sel.shown
    frame = scores_frame(data)
    built_at = datetime.now(UTC).strftime("%Y-%m-%d")
    cols = leaderboard.columns(shown)
    rows = leaderboard.build_rows(data.models, shown, cols, data.reported)
    families = sorted({r.model.family for r in rows})
    render("leaderboard.md.j2", "index.md", docs, cols=cols, rows=rows, built_at=built_at, n_runs=len(data.runs),
           families=families, usd=_usd, pct=pct, chance_cols=[c for c in cols if c.in_average])
    mains = frame[frame["main"].astype(bool)]
    write_json(docs / "charts" / "leaderboard.json", charts.faceted_scores(mains, "Main metric per suite (95% CI)"))
    count = 1 + _render_quality_cost(rows, cols, mains, docs)
    # per-suite pages
    for sid, meta in metas.items():
        render_suite(sid, meta, data, shown, data.reported, frame, docs, vectors.get(sid))
        count += 1
    # scaling + the seed question
    count += render_scaling(data, shown, docs)
    render_seed(data, shown, docs, rows)
    count += 1 + _render_models(data, sel, docs)
    # compare (client-side from the gallery's per-model vectors)
    render("compare.md.j2", "compare.md", docs,
           models=sorted((data.models[m] for m in {mid for mid, _ in shown}), key=lambda m: m.name.lower()),
           suites=cols, default=[r.model.id for r in rows[:2]])
    render("gallery.md.j2", "gallery/index.md", docs, has_texts=has_texts, hint=hint)
    _write_downloads(frame, docs / "downloads")
    return count + 2


def _render_quality_cost(rows: list[Any], cols: list[Any], mains: pd.DataFrame, docs: Path) -> int:
    """Quality vs cost, for the average and per suite, with the Pareto frontier drawn and named."""
    qc_points = [(r.model.name, r.cost, r.average) for r in rows if r.cost is not None and r.average is not None
                 and not r.missing]
    front = leaderboard.pareto([(n, c, q) for n, c, q in qc_points if c is not None and q is not None])
    method = {r.model.name: ", ".join(sorted({c.run.cost.method for c in r.cells.values()})) for r in rows}
    qc = pd.DataFrame([{"model": n, "cost": c, "value": q, "frontier": n in front, "method": method.get(n, "")}
                       for n, c, q in qc_points])
    write_json(docs / "charts" / "qc-average.json", charts.pareto_scatter(
        qc, "Normalised average vs cost of all suites", "normalised average above chance", "cost of all runs (USD)"))
    per_suite_front = {}
    for c in cols:
        sub = mains[(mains["suite"] == c.id) & mains["cost_usd"].notna()]
        pts = [(str(name), float(cost), float(value)) for name, cost, value in
               zip(sub["model"], sub["cost_usd"], sub["value"], strict=True)]
        f = leaderboard.pareto(pts)
        per_suite_front[c.id] = sorted(f)
        how = dict(zip(sub["model"].astype(str), sub["cost_method"].astype(str), strict=True))
        df = pd.DataFrame([{"model": n, "cost": x, "value": y, "frontier": n in f, "method": how.get(n, "")}
                           for n, x, y in pts])
        if len(df):
            write_json(docs / "charts" / f"qc-{c.id}.json", charts.pareto_scatter(
                df, f"{c.name}: {c.metric} vs cost of the run", c.metric, "cost of the run (USD)"))
    render("quality_cost.md.j2", "quality-vs-cost.md", docs, cols=cols, front=sorted(front),
           per_suite_front=per_suite_front,
           points=sorted(qc_points, key=lambda p: p[1] or 0), usd=_usd)
    return 1


def _render_models(data: SiteData, sel: Any, docs: Path) -> int:
    """One page per model (shown runs, other runs, reported vs reproduced) and the models index."""
    shown = sel.shown
    count = 0
    model_links = []
    for mid in sorted({lr.run.model_id for lr in data.runs}):
        shown_here = sorted((lr for (m, _), lr in shown.items() if m == mid), key=lambda lr: lr.run.suite.id)
        others = sel.other.get(mid, [])
        heads = {base_suite(lr.run.suite.id): lr.run.main() for lr in shown_here}
        published = [(r, heads.get(base_suite(r.suite))) for r in data.reported if r.model_id == mid]
        render("model.md.j2", f"models/{mid}.md", docs, model=data.models[mid], published=published,
               runs=[_run_view(lr, data, mid, sel.versions) for lr in shown_here],
               others=[_run_view(lr, data, mid, sel.versions) for lr in others], pct=pct)
        model_links.append(data.models[mid])
        count += 1
    render("models.md.j2", "models/index.md", docs, models=model_links)
    return count


def _write_downloads(frame: pd.DataFrame, downloads: Path) -> None:
    """All scores as CSV and as JSON (valid JSON: a missing value is null, never NaN)."""
    downloads.mkdir(parents=True, exist_ok=True)
    frame.to_csv(downloads / "scores.csv", index=False)
    records = [{k: leaderboard.finite(v) for k, v in rec.items()} for rec in frame.to_dict(orient="records")]
    write_text(downloads / "scores.json", json.dumps(records, separators=(",", ":"), allow_nan=False, default=str))


def _run_view(lr: LoadedRun, data: SiteData, mid: str, versions: dict[str, str]) -> dict[str, Any]:
    run = lr.run
    link = f"../../gallery/#suite={run.suite.id}&models={mid}"
    rv = RunView(run, data.models[mid], link)
    why = ""
    if run.shard is not None:
        why = f"shard {run.shard} (not merged)"
    elif versions.get(run.suite.id) != run.suite.version:
        why = "other suite version"
    elif run.partial:
        why = f"partial: first {run.n_items:,} of {run.suite.items_total:,}"
    main = run.main()
    return {"run": run, "cost": rv.cost, "tokens_per_second": rv.tokens_per_second, "gallery_link": link,
            "main": main, "why": why,
            "cells": [(m, metric_cell(m)) for m in run.metrics if m.group is None or m.group.kind == "category"]}
