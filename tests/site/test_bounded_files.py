"""No JSON file the browser fetches is above 500 KB (issue 26): scenario trials are split into short item ranges
like the other suites; every file the gallery's index points at exists."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from generator.site.build import build_site
from generator.site.gallery_files import SCENARIO_ITEMS, item_ranges
from tests.support.servers import REPO

LIMIT = 500_000


def test_scenario_ranges_are_short_and_do_not_depend_on_outputs() -> None:
    heads = ['{"id":"x"}'] * 170
    assert item_ranges(heads, 1) == [0]
    starts = item_ranges(heads, 1, transcripts=True)
    assert starts == list(range(0, 170, SCENARIO_ITEMS))


def referenced(gallery: Path) -> list[Path]:
    """Every file the gallery page can fetch, from the indexes alone (as podium.js builds the names)."""
    files = [gallery / "index.json"]
    for suite in json.loads((gallery / "index.json").read_text())["suites"]:
        sdir = gallery / suite["id"]
        idx = json.loads((sdir / "index.json").read_text())
        files += [sdir / "index.json", sdir / "ids.json"]
        starts = idx["starts"] + [idx["n_items"]]
        files += [sdir / f"shard-{k:04d}.json" for k in range(len(idx["starts"]))]
        for m in idx["models"]:
            files.append(sdir / "m" / f"{m['id']}.json")
            marks = json.loads((sdir / "m" / f"{m['id']}.json").read_text())["s"]
            files += [sdir / "o" / m["id"] / f"{k:04d}.json" for k in range(len(idx["starts"]))
                      if marks[starts[k]:starts[k + 1]].strip("-")]
    return files


@pytest.mark.slow
def test_committed_data_site_has_no_json_over_500_kb(tmp_path: Path) -> None:
    """The committed runs (a real scenario run: 170 trials, 513 KB of page outputs — one file before the split)."""
    build_site(REPO / "site_data", tmp_path / "site", mkdocs_yml=REPO / "mkdocs.yml", work=tmp_path / "work")
    site = tmp_path / "site"
    big = {p.relative_to(site).as_posix(): p.stat().st_size for p in site.rglob("*.json") if p.stat().st_size > LIMIT}
    assert big == {}
    gallery = site / "gallery" / "data"
    files = referenced(gallery)
    assert [f for f in files if not f.is_file()] == []
    scen = json.loads((gallery / "scenarios" / "index.json").read_text())
    assert len(scen["starts"]) > 1 and all(b - a <= SCENARIO_ITEMS for a, b in itertools.pairwise(scen["starts"]))
    assert len(list((gallery / "scenarios" / "o").rglob("*.json"))) > 1
    # the search index leaves out the model pages' run tables (commands, hashes, tokens: 70% of it at 50 models)
    docs = json.loads((site / "search" / "search_index.json").read_text())["docs"]
    model_docs = [d for d in docs if d["location"].startswith("models/smollm2")]
    assert any("SmolLM2" in d["title"] for d in model_docs)
    assert not any("--suite" in d["text"] or "Run metadata" in d["text"] for d in model_docs)
