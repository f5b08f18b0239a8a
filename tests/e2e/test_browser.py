"""Headless Chromium (Debian package) loads the built site from a local HTTP server with no network."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from evals.store import read_run, read_samples, write_run
from generator.site.build import build_site
from tests.support.servers import REPO, static_server

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> The answer is 18.'


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site built from a real run plus a copy of it whose first output is hostile HTML."""
    from tests.conftest import copy_site_data, podium

    root = tmp_path_factory.mktemp("browser")
    data = copy_site_data(root)
    r = podium("run", "--suite", "gsm8k", "--limit", "3", "--out", str(data), cwd=root)
    assert r.returncode == 0, r.stderr
    (run_json,) = data.glob("runs/*/gsm8k/*/run.json")
    run, samples = read_run(run_json), read_samples(run_json.parent / "samples.jsonl.gz")
    evil = samples[0].model_copy(update={"outputs": [samples[0].outputs[0].model_copy(update={"text": HOSTILE})]})
    (data / "models" / "evil-model.yaml").write_text(
        "id: evil-model\nname: Evil <b>Model</b>\nfamily: test\nlicense: MIT\nopen_weights: true\nsource: test\n")
    write_run(data, run.model_copy(update={"model_id": "evil-model", "run_id": run.run_id[:-6] + "eeeeee"}),
              [evil, *samples[1:]])
    build_site(data, root / "site", mkdocs_yml=REPO / "mkdocs.yml", work=root / "work")
    return root / "site"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])
        yield b
        b.close()


def open_page(browser, url: str):  # type: ignore[no-untyped-def]
    page = browser.new_page()
    errors: list[str] = []
    offhost: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: offhost.append(r.url) if urlparse(r.url).hostname not in ("127.0.0.1",) and
            not r.url.startswith("data:") else None)
    page.goto(url)
    return page, errors, offhost


def test_leaderboard_chart_renders_offline(site: Path, browser) -> None:  # type: ignore[no-untyped-def]
    with static_server(site) as base:
        page, errors, offhost = open_page(browser, base + "/")
        page.wait_for_selector(".vega-chart svg", timeout=20_000)
        assert page.locator(".vega-chart svg .mark-rect path, .vega-chart svg .mark-rect").count() > 0
        assert "SmolLM2 135M Instruct" in page.inner_text("#podium-leaderboard")
        assert errors == [] and offhost == []
        page.close()


def test_gallery_shows_outputs_as_text(site: Path, browser) -> None:  # type: ignore[no-untyped-def]
    with static_server(site) as base:
        page, errors, offhost = open_page(browser, base + "/gallery/#suite=gsm8k")
        page.wait_for_selector(".podium-item .podium-col .podium-out", timeout=20_000)
        page.wait_for_function("document.querySelectorAll('.podium-col .podium-out').length >= 6")
        text = page.inner_text("#podium-gallery")
        assert "Janet" in text and "Reference: 18" in text
        assert "<script>window.__pwned = 1</script>" in text  # shown literally
        assert page.evaluate("window.__pwned") is None  # never executed
        assert page.locator("#podium-gallery img").count() == 0
        page.select_option("select[aria-label=filter]", "disagree")
        page.wait_for_function("location.hash.includes('filter=disagree')")
        assert errors == [] and offhost == []
        page.close()


def test_model_name_is_escaped_on_pages(site: Path, browser) -> None:  # type: ignore[no-untyped-def]
    html = (site / "index.html").read_text()
    assert "Evil &lt;b&gt;Model&lt;/b&gt;" in html and "Evil <b>Model</b>" not in html
    with static_server(site) as base:
        page, errors, _ = open_page(browser, base + "/models/evil-model/")
        assert page.locator("article b", has_text="Model").count() == 0
        assert errors == []
        page.close()


def test_instant_navigation_keeps_charts_working(site: Path, browser) -> None:  # type: ignore[no-untyped-def]
    with static_server(site) as base:
        page, errors, offhost = open_page(browser, base + "/")
        page.wait_for_selector(".vega-chart svg", timeout=20_000)
        page.click("nav a[href*='suites/gsm8k']")
        page.wait_for_url("**/suites/gsm8k/")
        page.wait_for_selector(".vega-chart svg", timeout=20_000)
        assert errors == [] and offhost == []
        page.close()
