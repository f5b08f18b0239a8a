"""``podium init`` + run / validate / build with a pip-installed (non-editable) Podium, outside the source checkout.

The wheel is built from this checkout and installed with --no-deps into a fresh venv whose dependencies come from
the repository's .venv (a .pth path line: the editable install's finder there is not loaded)."""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import podium
from tests.support.servers import REPO

SCAFFOLD = REPO / "generator" / "scaffold"


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})})
    assert r.returncode == 0, f"{cmd}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("pip")
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "whl"), str(REPO)], cwd=work)
    (wheel,) = (work / "whl").glob("podium_evals-*.whl")
    run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", str(work / "venv")], cwd=work)
    py = work / "venv" / "bin" / "python"
    target = run([str(py), "-c", "import site; print(site.getsitepackages()[0])"], cwd=work).stdout.strip()
    (Path(target) / "podium-deps.pth").write_text(site.getsitepackages()[0] + "\n")
    run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], cwd=work)
    where = run([str(py), "-c", "import generator; print(generator.__file__)"], cwd=work).stdout
    assert str(REPO) not in where, "the installed package must not be the checkout"
    return work / "venv" / "bin" / "podium"


def test_init_run_validate_build_without_the_checkout(installed: Path, tmp_path: Path, data_dir: Path) -> None:
    root = tmp_path / "board"
    env = {"PODIUM_DATA_DIR": str(data_dir), "PODIUM_CACHE_DIR": str(tmp_path / "cache")}
    run([str(installed), "init", str(root)], cwd=tmp_path, env=env)
    for rel in ("mkdocs.yml", "Makefile", "docs/methodology.md", "site_data/models/smollm2-135m-instruct.yaml",
                "site_data/schema/run.schema.json", *(f".github/workflows/{w}.yml" for w in
                                                      ("ci", "validate-pr", "gpu-eval", "pages"))):
        assert (root / rel).is_file(), rel
    assert "@PODIUM_VERSION@" not in (root / "Makefile").read_text()
    run([str(installed), "run", "--backend", "fake", "--suite", "gsm8k", "--limit", "2"], cwd=root, env=env)
    assert "ok: 1 model(s), 1 run(s)" in run([str(installed), "validate"], cwd=root, env=env).stdout
    run([str(installed), "build"], cwd=root, env=env)
    assert (root / "site" / "index.html").is_file()


def test_init_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("x")
    r = podium("init", str(tmp_path))
    assert r.returncode != 0 and "not empty" in r.stderr


def test_scaffold_stays_in_step_with_this_repository() -> None:
    """This repository is an instance of the layout: its mkdocs.yml, docs and shared workflows are the template's
    (on drift: `python tools/sync_scaffold.py`)."""
    assert (SCAFFOLD / "mkdocs.yml").read_text() == (REPO / "mkdocs.yml").read_text()
    ours = {d.name: d.read_text() for d in (REPO / "docs").glob("*.md")}
    assert {d.name: d.read_text() for d in (SCAFFOLD / "docs").glob("*.md")} == ours
    for w in ("pages", "validate-pr", "gpu-eval"):
        ours = (REPO / ".github" / "workflows" / f"{w}.yml").read_text().splitlines()
        theirs = (SCAFFOLD / "workflows" / f"{w}.yml").read_text().splitlines()
        assert len(ours) == len(theirs), w  # same steps; only install lines and cache paths differ
        assert sum(a != b for a, b in zip(ours, theirs, strict=True)) <= 3, w
