"""A build never deletes what it did not write: ``--site`` pointed at the repository, the data or a directory of
someone's files is refused before any work, in one line; a site Podium built (or a new directory) is fine."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.errors import ConfigError
from generator.site.sync import MARKER, check_target, sync_tree
from tests.conftest import podium


def files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_building_over_the_repository_or_its_data_is_refused_and_deletes_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "board"
    assert podium("init", str(repo), "--podium-source", "pypi").returncode == 0
    (repo / "NOTES.md").write_text("mine\n")
    before = files(repo)
    for site in (".", "site_data", "docs", ".."):
        r = podium("build", "--site", site, cwd=repo)
        assert r.returncode == 2 and "Traceback" not in r.stderr, (site, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and "choose" in r.stderr, r.stderr
    assert "would be built over site_data" in podium("build", "--site", ".", cwd=repo).stderr
    assert files(repo) == before


def test_a_non_empty_directory_no_build_wrote_is_refused_and_a_built_one_replaced(tmp_path: Path) -> None:
    data, docs = tmp_path / "site_data", tmp_path / "docs"
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("x")
    with pytest.raises(ConfigError, match=r"not empty and not a site Podium built \(it holds thesis.tex\)"):
        check_target(mine, (data, docs))
    check_target(tmp_path / "new", (data, docs))  # a new directory
    (tmp_path / "empty").mkdir()
    check_target(tmp_path / "empty", (data, docs))
    stage = tmp_path / "stage"
    (stage / "a").mkdir(parents=True)
    (stage / "a" / "index.html").write_text("<p>")
    site = tmp_path / "site"
    sync_tree(stage, site)
    assert (site / MARKER).is_file() and files(site) == {MARKER, "a/index.html"}
    check_target(site, (data, docs))  # a site Podium built may be replaced
