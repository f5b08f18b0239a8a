"""A rebuild writes only the site files whose bytes change: after adding one model (built from a copy of the data
directory, as a CI checkout is), that model's files and the indexes that list models; every other file keeps its
inode."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.site.build import build_site
from tests.support.servers import REPO
from tools.synth_site_data import add_model, all_texts, generate

SCALE = 0.004
# files that list every model (or are rebuilt whole by MkDocs): they may change when a model is added
INDEXES = ("search/search_index.json", "sitemap.xml", "sitemap.xml.gz", "gallery/data/index.json")


def snapshot(site: Path) -> dict[str, tuple[int, bytes]]:
    """The site's pages and data: top-level hidden entries (the build's .podium-site marker) are bookkeeping."""
    return {p.relative_to(site).as_posix(): (p.stat().st_ino, p.read_bytes()) for p in site.rglob("*")
            if p.is_file() and not p.relative_to(site).as_posix().startswith(".")}


@pytest.mark.slow
def test_rebuild_after_adding_a_model_writes_only_what_changed(tmp_path: Path) -> None:
    root = tmp_path / "one" / "site_data"
    generate(root, models=3, scale=SCALE, samples=6, trials=1)
    site, cache, texts = tmp_path / "site", tmp_path / "cache", all_texts(SCALE)

    def build(data: Path) -> list[str]:
        r = build_site(data, site, mkdocs_yml=REPO / "mkdocs.yml", work=tmp_path / "work", texts=texts, cache=cache)
        return r.written

    first = build(root)
    before = snapshot(site)
    assert sorted(first) == sorted(before)  # a first build writes everything
    assert set(build(root)) <= {"sitemap.xml.gz"}  # nothing changed: nothing written (the sitemap gzip has a date)
    assert snapshot(site).keys() == before.keys()

    copy = tmp_path / "two" / "checkout" / "site_data"
    shutil.copytree(root, copy)
    new = add_model(copy, 3, scale=SCALE, samples=6, trials=1).id
    written = set(build(copy))
    after = snapshot(site)
    changed = {rel for rel, (_, data) in after.items() if rel not in before or before[rel][1] != data}
    assert written == changed  # no file rewritten with the same bytes
    kept = set(after) - written
    assert all(after[rel][0] == before[rel][0] for rel in kept)  # unchanged files keep their inode
    mine = {rel for rel in written if new in rel}
    assert any(rel.startswith(f"models/{new}/") for rel in mine)
    assert any(rel.startswith("gallery/data/") and f"/o/{new}/" in rel for rel in mine)
    others = written - mine
    # the rest: pages (every page's navigation lists the models), charts and downloads, the indexes
    assert all(rel.endswith(".html") or rel.startswith(("charts/", "downloads/")) or rel in INDEXES
               or (rel.startswith("gallery/data/") and rel.endswith(("/index.json", "/ids.json")))
               for rel in others), sorted(others)
    assert not any(rel.startswith("assets/") for rel in written)
    assert not any("shard-" in rel or "/o/synth-000/" in rel or "/m/synth-000" in rel for rel in written)
