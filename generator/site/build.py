"""Build the site: site_data → tables, charts, pages, gallery shards → MkDocs (material) → ``site/``.

Hand-written pages come from ``docs/``; generated pages are written next to copies of them in a build
directory (never into the source tree), then MkDocs builds from there.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evals.errors import ConfigError, DataError
from evals.records import ItemText
from generator.site.gallery import prune_cache, warm_cache
from generator.site.gallery_files import BackgroundGallery, Tree, gallery_heads
from generator.site.load import load_site_data
from generator.site.pages import write_text
from generator.site.registry import nav
from generator.site.site_pages import site_pages
from generator.site.suites import suite_infos
from generator.site.sync import check_target, sync_tree

ASSETS = Path(__file__).parent / "assets"
VENDOR = {  # npm package → file, pinned in assets/package.json to Altair 6.3's Vega-Lite schema (v6.4.1)
    "vega": "vega/build/vega.min.js",
    "vega-lite": "vega-lite/build/vega-lite.min.js",
    "vega-embed": "vega-embed/build/vega-embed.min.js",
    "highlight.js": "@highlightjs/cdn-assets/highlight.min.js",  # code in the gallery (escapes its input)
    "highlight.js-style": "@highlightjs/cdn-assets/styles/github.min.css",
}


@dataclass(frozen=True)
class BuildResult:
    site_dir: Path
    pages: int
    runs: int
    problems: list[str]
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)  # seconds per build phase
    runs_read: int = 0  # runs whose samples were read (the others came from the cache)
    cache: Path | None = None
    written: list[str] = field(default_factory=list)  # site files written (new or changed), relative to site_dir


def node_modules() -> Path:
    return Path(os.environ.get("PODIUM_NODE_MODULES", ASSETS / "node_modules"))


def copy_vendor(dest: Path) -> None:
    nm = node_modules()
    for name, rel in VENDOR.items():
        src = nm / rel
        if not src.is_file():
            raise ConfigError(f"vendored {name} not installed ({src} missing)", where="generator/site/assets",
                              fix="reinstall podium-evals from a release or a wheel that includes them; in a checkout: make setup")
        shutil.copyfile(src, dest / Path(rel).name)


def _mkdocs_config(base: Path, docs_dir: Path, site_dir: Path, nav: list[Any]) -> Path:
    try:
        cfg = yaml.safe_load(base.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read MkDocs config ({exc})", where=str(base)) from None
    cfg.update(docs_dir=str(docs_dir), site_dir=str(site_dir.resolve()), nav=nav, use_directory_urls=True)
    cfg.setdefault("extra_javascript", [])
    # Vega and highlight.js are loaded by podium.js on the pages that need them (a chart, code), never globally
    cfg["extra_javascript"] = ["assets/podium.js"] + [j for j in cfg["extra_javascript"]
                                                      if "podium" not in j and "vendor" not in j]
    cfg["extra_css"] = ["assets/podium.css"] + [c for c in cfg.get("extra_css", []) if "podium" not in c]
    cfg["not_in_nav"] = "/gallery/\n"
    cfg["theme"] = _theme_overrides(cfg.get("theme"), docs_dir.parent / "overrides", base.parent)
    path = docs_dir.parent / "mkdocs.yml"
    write_text(path, yaml.safe_dump(cfg, sort_keys=False))
    return path


SEARCH_GATE = """{% extends "base.html" %}
{% block scripts %}
<script>GATE</script>
{{ super() }}
{% endblock %}
"""


def _theme_overrides(configured: Any, overrides: Path, base_dir: Path) -> dict[str, Any]:
    """The theme with ``custom_dir`` set to ``overrides``: the configured one's files, and a ``main.html`` that
    inlines ``assets/search-gate.js`` before Material's bundle (the search index is fetched on first use of the
    search box, not on page load). A ``main.html`` of the configured ``custom_dir`` is kept as it is."""
    theme: dict[str, Any] = ({"name": configured} if isinstance(configured, str)
                             else dict(configured or {"name": "material"}))
    if overrides.exists():
        shutil.rmtree(overrides)
    if theme.get("custom_dir"):
        shutil.copytree(base_dir / str(theme["custom_dir"]), overrides)
    overrides.mkdir(parents=True, exist_ok=True)
    main = overrides / "main.html"
    if not main.exists():
        write_text(main, SEARCH_GATE.replace("GATE", (ASSETS / "search-gate.js").read_text(encoding="utf-8")))
    if theme.get("name") == "material":
        _footer_once_escaped(overrides / "partials" / "footer.html")
    theme["custom_dir"] = str(overrides.resolve())
    return theme


def _footer_once_escaped(footer: Path) -> None:
    """Material's footer escapes the previous/next title in its ``aria-label``, but nav titles are escaped already
    (they are data: see :func:`registry.nav`), so a model named ``A & "B"`` was read out as ``A &amp; &quot;B``.
    The override is Material's own footer without that second escape; a configured override is kept."""
    import material  # mkdocs-material: the theme named in mkdocs.yml

    original = Path(material.__file__).parent / "templates" / "partials" / "footer.html"
    if footer.exists() or not original.is_file():
        return
    text = original.read_text(encoding="utf-8")
    if "title | e }}" in text:
        write_text(footer, text.replace("title | e }}", "title }}"))


def build_site(data_root: Path, site_dir: Path, *, mkdocs_yml: Path = Path("mkdocs.yml"),
               docs_src: Path | None = None, work: Path = Path(".podium/site-src"),
               texts: Mapping[str, ItemText] | None = None, texts_hint: str | None = None,
               cache: Path | None = None) -> BuildResult:
    """Build into ``site_dir``; hand-written pages come from ``docs/`` next to ``mkdocs_yml``.

    ``cache`` (default ``site-cache`` next to ``work``) keeps what was read of each run, keyed by the content of
    its files, and the gallery's files between builds: restore it (CI: actions/cache) and only new or changed
    runs are read, wherever the data directory is.

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
    check_target(site_dir, (data_root, docs_src, mkdocs_yml, work, cache or work.parent / "site-cache"))
    data = load_site_data(data_root)
    infos = suite_infos(data.latest())
    docs = _fresh_docs(work, docs_src)

    # gallery data first: every run's samples read once into the cache (worker processes; a rebuild reads only
    # new or changed runs), whose per-item vectors feed the paired tests; the gallery's files are then written
    # into the cache's tree by a second process while this one renders the pages and runs MkDocs (into a staging
    # directory, synced into the site writing only changed files), and linked into the site's gallery/data/
    cache = cache if cache is not None else work.parent / "site-cache"
    hint = texts_hint or "question text not shown: build with the benchmark data directory to join it"
    phases = {"load": time.perf_counter() - t0}
    runs_read = warm_cache(list(data.latest().values()), cache)
    prune_cache(list(data.latest().values()), cache)
    heads = gallery_heads(data, cache)
    vectors = {sid: h.vectors for sid, h in heads.items()}
    phases["read samples"] = time.perf_counter() - t0 - sum(phases.values())
    tree = Tree(cache / "gallery", cache / "gallery-manifest.json")
    writer = BackgroundGallery(data, tree, texts, hint, {sid: m.name for sid, m in infos.items()}, cache, heads)
    try:
        pages = site_pages(data, infos, vectors, docs_src, texts is not None, None if texts is not None else hint)
        for page in pages:
            page.write(docs)
        config = _mkdocs_config(mkdocs_yml, docs.resolve(), work / "site", nav(pages))
        phases["pages"] = time.perf_counter() - t0 - sum(phases.values())
        _run_mkdocs(config)
        phases["mkdocs"] = time.perf_counter() - t0 - sum(phases.values())
    finally:
        writer.wait()
    phases["gallery files (wait)"] = time.perf_counter() - t0 - sum(phases.values())
    written = sync_tree(work / "site", site_dir, keep=("gallery/data",)).written
    written += [f"gallery/data/{rel}" for rel in tree.place(site_dir / "gallery" / "data")]
    phases["place site"] = time.perf_counter() - t0 - sum(phases.values())
    generated = sum(1 for p in pages if p.template is not None or p.writer is not None)
    return BuildResult(site_dir, generated, len(data.runs), data.problems, time.perf_counter() - t0, phases,
                       runs_read, cache, written)


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


def _run_mkdocs(config: Path) -> None:
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    try:
        mkdocs_build(load_config(config_file=str(config)))
    except MkDocsException as exc:
        raise ConfigError(f"MkDocs build failed ({exc})", where=str(config)) from None
