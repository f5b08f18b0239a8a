"""``podium init``: the team's repository it writes, where that repository installs Podium from, and init + run /
validate / build with a pip-installed (non-editable) Podium outside the source checkout.

The full journey (a wheel from a clean clone, a fresh venv with its dependencies from the index, the embedded
model, Chromium) is tests/e2e/test_wheel.py; the generated workflows run in tests/e2e/test_scaffold_workflows.py."""

from __future__ import annotations

import os
import re
import site
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from evals.errors import ConfigError
from generator.cli import init as init_mod
from tests.conftest import podium
from tests.support.servers import REPO

SCAFFOLD = REPO / "generator" / "scaffold"
TITLE = 'ACME: "small" models — board'
WORKFLOWS = ("ci", "validate-pr", "gpu-eval", "pages")


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})})
    assert r.returncode == 0, f"{cmd}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("whl")
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work),
         str(REPO)], cwd=work)
    (whl,) = work.glob("podium_evals-*.whl")
    return whl


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel in a fresh venv (--no-deps; dependencies from the repository's .venv through a .pth line)."""
    work = tmp_path_factory.mktemp("pip")
    run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", str(work / "venv")], cwd=work)
    py = work / "venv" / "bin" / "python"
    target = run([str(py), "-c", "import site; print(site.getsitepackages()[0])"], cwd=work).stdout.strip()
    (Path(target) / "podium-deps.pth").write_text(site.getsitepackages()[0] + "\n")
    run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], cwd=work)
    where = run([str(py), "-c", "import generator; print(generator.__file__)"], cwd=work).stdout
    assert str(REPO) not in where, "the installed package must not be the checkout"
    return work / "venv" / "bin" / "podium"


def test_init_writes_the_teams_repository(tmp_path: Path) -> None:
    root = tmp_path / "board"
    r = podium("init", str(root), "--title", TITLE, "--podium-source", "podium-evals==0.1.0", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert {"README.md", "Makefile", "requirements.txt", ".gitignore", "mkdocs.yml", "docs/contributing.md",
            "docs/methodology.md", "docs/where-things-go.md", "site_data/models/smollm2-135m-instruct.yaml",
            "site_data/schema/run.schema.json", *(f".github/workflows/{w}.yml" for w in WORKFLOWS)} <= files
    for rel in files - {f for f in files if f.startswith("site_data/schema/")}:
        assert not re.search(r"@[A-Z_]+@", (root / rel).read_text()), f"placeholder left in {rel}"
    assert yaml.safe_load((root / "mkdocs.yml").read_text())["site_name"] == TITLE
    assert (root / "README.md").read_text().startswith(f"# {TITLE}\n")
    # the one place Podium comes from; the Makefile and every workflow install through it
    assert [ln for ln in (root / "requirements.txt").read_text().splitlines()
            if not ln.startswith("#")] == ["podium-evals==0.1.0"]
    for rel in files - {"requirements.txt"}:
        assert "podium-evals==" not in (root / rel).read_text(), rel
    assert "-r requirements.txt" in (root / "Makefile").read_text()
    for w in WORKFLOWS:
        text = (root / ".github" / "workflows" / f"{w}.yml").read_text()
        assert "pip install" not in text and "make " in text and "Makefile" not in text, w
    # the README is the team's path; the docs describe the team's repository, not Podium's source tree
    readme = (root / "README.md").read_text().partition("## From here to a live site")[2]
    steps = ["git push -u origin main", "**GitHub Actions**", "podium data fetch", "podium add-model",
             "podium run --suite", "podium validate", "Open a pull request"]
    assert [readme.index(s) for s in steps] == sorted(readme.index(s) for s in steps)
    for doc in (root / "docs").glob("*.md"):
        text = doc.read_text()
        assert not re.search(r"`(evals|generator|tests|tools)/|/podium &&", text), doc.name


def test_podium_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    req = init_mod.requirement
    assert req("pypi", tmp_path) == ("podium-evals==" + init_mod.__version__.split("+")[0], None)
    git = "git+https://github.com/o/podium@0123abc"
    assert req(git, tmp_path) == (f"podium-evals @ {git}", None)
    url = "https://example.org/podium_evals-0.1.0-py3-none-any.whl"
    assert req(url, tmp_path) == (f"podium-evals @ {url}", None)
    assert req("podium-evals~=0.2", tmp_path) == ("podium-evals~=0.2", None)
    whl = tmp_path / "podium_evals-0.1.0-py3-none-any.whl"
    whl.write_bytes(b"PK")
    assert req(str(whl), tmp_path) == (f"./wheels/{whl.name}", whl)
    with pytest.raises(ConfigError, match="not a Podium source"):
        req(str(tmp_path / "missing.whl"), tmp_path)
    monkeypatch.setattr(init_mod, "own_source", lambda: ("https://github.com/o/podium.git", "c0ffee", False))
    assert req(None, tmp_path) == ("podium-evals @ git+https://github.com/o/podium.git@c0ffee", None)
    monkeypatch.setattr(init_mod, "own_source", lambda: (None, "c0ffee", False))
    with pytest.raises(ConfigError, match="--podium-source"):
        req(None, tmp_path)
    assert init_mod._public_url("git@github.com:o/podium.git") == "https://github.com/o/podium.git"
    assert init_mod._public_url("/work/main") is None


def test_a_local_wheel_is_copied_into_the_repository(tmp_path: Path) -> None:
    whl = tmp_path / "podium_evals-0.1.0-py3-none-any.whl"
    whl.write_bytes(b"PK\x05\x06" + bytes(18))
    r = podium("init", str(tmp_path / "b"), "--podium-source", str(whl), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "b" / "wheels" / whl.name).read_bytes() == whl.read_bytes()
    assert (tmp_path / "b" / "requirements.txt").read_text().splitlines()[-1] == f"./wheels/{whl.name}"
    assert yaml.safe_load((tmp_path / "b" / "mkdocs.yml").read_text())["site_name"] == "b"


def test_init_without_a_source_to_pin_says_what_to_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(init_mod, "own_source", lambda: (None, None, False))
    with pytest.raises(ConfigError) as exc:
        init_mod.init.main([str(tmp_path / "b")], standalone_mode=False)
    assert "--podium-source" in exc.value.one_line() and not (tmp_path / "b").exists()


@pytest.mark.slow
def test_init_run_validate_build_without_the_checkout(installed: Path, wheel: Path, tmp_path: Path,
                                                      data_dir: Path) -> None:
    root = tmp_path / "board"
    env = {"PODIUM_DATA_DIR": str(data_dir), "PODIUM_CACHE_DIR": str(tmp_path / "cache")}
    run([str(installed), "init", str(root), "--title", "Board", "--podium-source", str(wheel)], cwd=tmp_path, env=env)
    run([str(installed), "run", "--suite", "gsm8k", "--limit", "2", "--max-tokens", "48"], cwd=root, env=env)
    assert "ok: 1 model(s), 1 run(s)" in run([str(installed), "validate"], cwd=root, env=env).stdout
    run([str(installed), "build"], cwd=root, env=env)
    assert "<title>" in (root / "site" / "index.html").read_text() and "Board" in (
        root / "site" / "index.html").read_text()


def test_init_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("x")
    r = podium("init", str(tmp_path), "--podium-source", "pypi")
    assert r.returncode != 0 and "not empty" in r.stderr
