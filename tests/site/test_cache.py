"""The build's run cache is keyed by the content of each run's files: a copy of the data directory elsewhere (a fresh
CI checkout restoring the cache) reads no samples again and builds the same site."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from generator.site.build import build_site
from generator.site.gallery import cache_key, content_digest
from generator.site.load import load_site_data
from tests.support.servers import REPO
from tools.synth_site_data import all_texts, generate

SCALE = 0.004


def digest_tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "sitemap.xml.gz"}


def test_cache_key_follows_content_not_path(tmp_path: Path) -> None:
    root = tmp_path / "a" / "site_data"
    generate(root, models=2, scale=SCALE, samples=4, trials=1)
    moved = tmp_path / "b" / "copy"
    shutil.copytree(root, moved)  # new paths and new modification times
    a, b = load_site_data(root).latest(), load_site_data(moved).latest()
    assert a.keys() == b.keys()
    assert all(cache_key(a[k]) == cache_key(b[k]) for k in a)
    lr = next(iter(b.values()))
    samples = lr.dir / "samples.jsonl.gz"
    samples.write_bytes(samples.read_bytes() + b"\n")  # changed content: another key
    assert content_digest(lr) != content_digest(a[(lr.run.model_id, lr.run.suite.id)])


@pytest.mark.slow
def test_copied_data_dir_reuses_the_cache_and_builds_the_same_site(tmp_path: Path) -> None:
    root = tmp_path / "checkout1" / "site_data"
    generate(root, models=3, scale=SCALE, samples=6, trials=1)
    cache = tmp_path / "cache"
    texts = all_texts(SCALE)

    def build(data: Path, name: str) -> tuple[int, dict[str, str]]:
        r = build_site(data, tmp_path / name / "site", mkdocs_yml=REPO / "mkdocs.yml", work=tmp_path / name / "work",
                       texts=texts, cache=cache)
        assert r.cache == cache
        return r.runs_read, digest_tree(tmp_path / name / "site")

    shown = len(load_site_data(root).latest())
    read1, site1 = build(root, "one")
    assert read1 == shown > 0
    copy = tmp_path / "checkout2" / "elsewhere"
    shutil.copytree(root, copy)
    read2, site2 = build(copy, "two")
    assert read2 == 0  # every run came from the cache
    assert site1 == site2
    # a run whose samples changed is read again, and the entry of its old content is pruned
    entries = sorted((cache / "runs").glob("*.items.jsonl"))
    samples = next(iter(load_site_data(copy).latest().values())).dir / "samples.jsonl.gz"  # a run on the site
    samples.write_bytes(samples.read_bytes())  # same bytes, new mtime: still a hit
    assert build(copy, "three")[0] == 0
    run_json = samples.parent / "run.json"
    run_json.write_text(run_json.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert build(copy, "four")[0] == 1
    after = sorted((cache / "runs").glob("*.items.jsonl"))
    assert len(after) == len(entries) and len(set(after) - set(entries)) == 1
