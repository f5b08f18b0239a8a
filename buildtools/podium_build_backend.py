"""Podium's build backend: setuptools, refusing to build an sdist or wheel without the vendored Vega files.

``podium build`` copies Vega, Vega-Lite, Vega-Embed and highlight.js (npm packages, not committed) into every
site. They are package data (pyproject.toml ``[tool.setuptools.package-data]``, the entries under
``node_modules/``); a distribution built before ``npm ci --prefix generator/site/assets`` would install fine and
fail at the first ``podium build``. This wrapper checks them first and stops the build with one line naming the
missing file and the command that fetches them. Editable installs are not checked (they read the tree, and
``make setup`` installs before it runs npm). Both builds also record the commit they are made from
(``generator/_source.json``, git-ignored).
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path
from typing import Any

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 - the standard hooks, re-exported

FETCH = "npm ci --prefix generator/site/assets --ignore-scripts (or `make setup`)"


def vendored_files(root: Path = Path(".")) -> list[Path]:
    """The vendored package-data files that must be present: every ``node_modules`` entry of the package data."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    package_data: dict[str, list[str]] = config["tool"]["setuptools"]["package-data"]
    return [root / package.replace(".", "/") / entry for package, entries in package_data.items()
            for entry in entries if "node_modules/" in entry]


def check_vendored(root: Path = Path(".")) -> None:
    missing = [p for p in vendored_files(root) if not p.is_file()]
    if missing:
        raise SystemExit(f"error: {missing[0]}: vendored file missing ({len(missing)} of "
                         f"{len(vendored_files(root))}); a Podium built without them cannot build a site "
                         f"— run {FETCH}, then build again")


def record_source(root: Path = Path(".")) -> None:
    """``generator/_source.json``: the git remote and commit this Podium is built from (`podium init` pins a new
    leaderboard repository to them). Outside a git work tree (a build from the sdist) the sdist's record stays."""
    def git(*args: str) -> str:
        r = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
        return r.stdout.strip() if r.returncode == 0 else ""

    commit = git("rev-parse", "HEAD")
    if not commit:
        return
    record = {"commit": commit, "url": git("remote", "get-url", "origin"), "dirty": bool(git("status", "--porcelain",
                                                                                          "--untracked-files=no"))}
    (root / "generator" / "_source.json").write_text(json.dumps(record) + "\n", encoding="utf-8")


def build_wheel(wheel_directory: str, config_settings: dict[str, Any] | None = None,
                metadata_directory: str | None = None) -> str:
    check_vendored()
    record_source()
    return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_sdist(sdist_directory: str, config_settings: dict[str, Any] | None = None) -> str:
    check_vendored()
    record_source()
    return _setuptools.build_sdist(sdist_directory, config_settings)
