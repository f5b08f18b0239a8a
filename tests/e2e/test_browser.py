"""Headless Chromium (Debian package) against the site built from synthetic schema-v2 data, served on 127.0.0.1
with every other host unresolvable: sorting, filters, tiers, compare with a p-value, the gallery (paging,
filters, deep links), charts on every chart page, instant navigation, dark mode, and a corpus of hostile
outputs, names and notes that must stay text. Screenshots go to $PODIUM_SHOTS (default /tmp/podium-shots)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from evals.records import ItemText
from generator.site.build import build_site
from generator.site.stats import mcnemar_exact
from tests.support.servers import REPO, static_server
from tools.synth_site_data import HOSTILE, all_texts, generate

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCALE = 0.004
SHOTS = Path(os.environ.get("PODIUM_SHOTS", "/tmp/podium-shots"))
CHART_PAGES = ["/", "/suites/mmlu/", "/suites/humaneval/", "/quality-vs-cost/", "/scaling/"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """5 synthetic models + one whose outputs, name and reported note are hostile; question text joined."""
    root = tmp_path_factory.mktemp("browser")
    generate(root / "site_data", models=5, scale=SCALE, samples=12, trials=2, hostile=True)
    texts = dict(all_texts(SCALE))
    texts["gsm8k/test/0000"] = ItemText(item_id="gsm8k/test/0000", question=" ".join(HOSTILE), reference="0")
    build_site(root / "site_data", root / "site", mkdocs_yml=REPO / "mkdocs.yml", work=root / "work", texts=texts)
    return root / "site"


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    with static_server(site) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])
        yield b
        b.close()


class Page:
    def __init__(self, browser, url: str) -> None:  # type: ignore[no-untyped-def]
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.errors: list[str] = []
        self.offhost: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.offhost.append(r.url) if urlparse(r.url).hostname != "127.0.0.1"
                     and not r.url.startswith("data:") else None)
        self.page.goto(url)

    def clean(self) -> None:
        assert self.errors == [] and self.offhost == []
        assert self.page.evaluate("window.__pwned") is None  # nothing hostile ever ran
        self.page.close()

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"))


def names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all("#podium-leaderboard tbody tr:not([hidden]) th", "els => els.map(e => e.textContent)")


def test_leaderboard_sorts_filters_and_shows_tiers(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    p = Page(browser, server + "/")
    page = p.page
    page.wait_for_selector(".vega-chart svg", timeout=20_000)
    assert page.locator("#podium-leaderboard tbody tr").count() == 6
    tiers = page.eval_on_selector_all("#podium-leaderboard tbody tr td:first-child", "els => els.map(e => +e.textContent)")
    assert tiers[0] == 1 and tiers == sorted(tiers)
    p.shot("home")
    # sort by model name with the keyboard: focus the header's button, press Enter
    page.focus("#podium-leaderboard thead th:nth-child(2) button")
    page.keyboard.press("Enter")
    assert names(page) == sorted(names(page), key=str.lower)
    assert page.get_attribute("#podium-leaderboard thead th:nth-child(2)", "aria-sort") == "ascending"
    page.keyboard.press("Enter")
    assert names(page) == sorted(names(page), key=str.lower, reverse=True)
    # filters: API only, then protocol generative hides the loglikelihood columns
    page.select_option("select[aria-label=weights]", "api")
    kinds = page.eval_on_selector_all("#podium-leaderboard tbody tr:not([hidden])", "els => els.map(e => e.dataset.kind)")
    assert kinds and set(kinds) == {"api"}
    page.select_option("select[aria-label=weights]", "")
    page.select_option("select[aria-label=protocol]", "generative")
    assert page.locator("#podium-leaderboard thead th[data-protocol=loglikelihood]:not([hidden])").count() == 0
    assert page.locator("#podium-leaderboard thead th[data-protocol=generative]:not([hidden])").count() >= 2
    page.fill("input[aria-label='min B']", "5")
    params = page.eval_on_selector_all("#podium-leaderboard tbody tr:not([hidden])", "els => els.map(e => +e.dataset.params)")
    assert all(x >= 5 for x in params)
    p.clean()


def test_table_works_without_javascript(site: Path) -> None:
    html = (site / "index.html").read_text()
    assert html.count("<tr data-kind=") == 6 and "podium-ci" in html and 'href="models/synth-000/#reproduce"' in html


def test_compare_shows_mcnemar_p_value(server: str, site: Path, browser) -> None:  # type: ignore[no-untyped-def]
    p = Page(browser, server + "/compare/#a=synth-004&b=synth-000")
    page = p.page
    page.wait_for_selector("#podium-compare-table tr[data-suite=mmlu]", timeout=20_000)
    row = page.locator("#podium-compare-table tr[data-suite=mmlu] td")
    a = json.loads((site / "gallery/data/mmlu/m/synth-004.json").read_text())["s"]
    b = json.loads((site / "gallery/data/mmlu/m/synth-000.json").read_text())["s"]
    wins = sum(1 for x, y in zip(a, b, strict=True) if x == "1" and y == "0")
    losses = sum(1 for x, y in zip(a, b, strict=True) if x == "0" and y == "1")
    assert row.nth(5).inner_text().startswith(f"{wins} / {losses} / ")
    assert row.nth(6).inner_text() == "exact McNemar"
    shown = float(row.nth(7).inner_text())
    assert shown == pytest.approx(mcnemar_exact(wins, losses), rel=0.01, abs=0.001)
    js = page.evaluate(f"window.podiumMcNemar({wins + 500}, {losses + 520})")
    assert js == pytest.approx(mcnemar_exact(wins + 500, losses + 520), rel=1e-6)
    assert "bootstrap" in page.locator("#podium-compare-table tr[data-suite=humaneval] td").nth(6).inner_text()
    p.shot("compare")
    page.click("#podium-compare-table tr[data-suite=mmlu] a")
    page.wait_for_selector(".podium-item", timeout=20_000)
    assert "filter=disagree" in page.url
    p.clean()


def test_gallery_text_paging_filters_and_deep_link(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    p = Page(browser, server + "/gallery/#suite=gsm8k&models=evil-model,synth-004")
    page = p.page
    page.wait_for_selector(".podium-item .podium-col .podium-out", timeout=20_000)
    page.wait_for_function("document.querySelectorAll('.podium-col').length >= 4")
    text = page.text_content("#podium-gallery") or ""
    assert "<script>window.__pwned = 1</script>" in text and "javascript:window.__pwned=3" in text  # literally
    assert page.locator("#podium-gallery img, #podium-gallery script, #podium-gallery a[href^=javascript]").count() == 0
    assert page.locator(".podium-q").first.inner_text().startswith("<script>")  # hostile question text too
    assert "more characters — full text in the run's samples" in text  # the 1 MB line, capped
    p.shot("gallery")
    page.select_option("select[aria-label=suite]", "mmlu")
    page.wait_for_selector(".podium-item h3:has-text('mmlu/')", timeout=20_000)
    # an item's question and outputs arrive after its card (its range's files are fetched on demand)
    page.wait_for_selector(".podium-q:has-text('Synthetic question 0 of MMLU')", timeout=20_000)
    page.wait_for_selector(".podium-col.pass, .podium-col.fail", timeout=20_000)
    assert page.locator(".podium-col.pass, .podium-col.fail").count() > 0  # MC items carry their grade
    page.click("button:has-text('next ›')")
    page.wait_for_function("location.hash.includes('page=1')")
    page.select_option("select[aria-label=filter]", "fail")
    page.wait_for_function("location.hash.includes('filter=fail')")
    assert page.locator(".podium-col.pass").count() == 0
    p.clean()
    q = Page(browser, server + "/gallery/#suite=mmlu&item=mmlu%2Fanatomy%2F0001")
    q.page.wait_for_selector(".podium-item", timeout=20_000)
    assert q.page.locator(".podium-item").count() == 1
    assert q.page.inner_text(".podium-item h3").startswith("mmlu/anatomy/0001")
    q.clean()


def test_humaneval_gallery_bounded_samples(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    p = Page(browser, server + "/gallery/#suite=humaneval&models=synth-004")
    p.page.wait_for_selector(".podium-col .podium-n", timeout=20_000)
    assert "of 12 samples" in (p.page.text_content("#podium-gallery") or "")
    p.page.wait_for_function("window.hljs !== undefined", timeout=20_000)  # loaded only now, from the host
    p.page.wait_for_selector("code.hljs", timeout=20_000)
    p.clean()


@pytest.mark.parametrize("path", CHART_PAGES)
def test_every_chart_renders(server: str, browser, path: str) -> None:  # type: ignore[no-untyped-def]
    p = Page(browser, server + path)
    n = p.page.locator(".vega-chart").count()
    assert n > 0
    p.page.wait_for_function(f"document.querySelectorAll('.vega-chart svg').length >= {n}", timeout=30_000)
    p.shot("chart-" + (path.strip("/").replace("/", "-") or "home"))
    p.clean()


def test_instant_navigation_and_dark_mode(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    p = Page(browser, server + "/")
    page = p.page
    page.wait_for_selector(".vega-chart svg", timeout=20_000)
    page.click("#podium-leaderboard thead a[href*='suites/mmlu']")  # the home page hides the sidebar
    page.wait_for_url("**/suites/mmlu/")
    page.wait_for_selector(".vega-chart svg", timeout=20_000)
    page.click("nav a[href*='compare']")
    page.wait_for_selector("#podium-compare-table", timeout=20_000)  # scripts re-run after instant navigation
    page.click("nav a[href$='quality-vs-cost/']")
    page.wait_for_selector(".vega-chart svg", timeout=20_000)
    page.click("label[for='__palette_1']")
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    page.wait_for_function("[...document.querySelectorAll('.vega-chart')].every(e => e.dataset.done === 'dark' && e.querySelector('svg'))",
                           timeout=30_000)
    p.shot("quality-vs-cost-dark")
    p.clean()


def test_hostile_names_and_notes_stay_text(site: Path, server: str, browser) -> None:  # type: ignore[no-untyped-def]
    for page_path in ("index.html", "models/evil-model/index.html", "suites/gsm8k/index.html",
                      "small-vs-large/index.html"):
        html = (site / page_path).read_text()
        assert "<img src=x" not in html and "<script>window.__pwned" not in html, page_path
    for path in ("/models/evil-model/", "/suites/gsm8k/", "/small-vs-large/", "/scenarios/"):
        p = Page(browser, server + path)
        p.page.wait_for_load_state("load")
        assert p.page.locator("article img, article b:has-text('Model'), article b:has-text('note')").count() == 0
        p.clean()


def test_seed_page_scenario_cell_opens_that_models_transcripts(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    p = Page(browser, server + "/small-vs-large/")
    page = p.page
    link = page.locator("#podium-seed-scenarios tbody td a[href*='gallery/']").first
    href = link.get_attribute("href") or ""
    assert "suite=scenarios" in href and "&models=" in href
    model = href.rsplit("models=", 1)[1]
    link.click()
    page.wait_for_selector(".podium-item .podium-col", timeout=20_000)
    assert page.locator(".podium-col").count() == page.locator(".podium-item").count()  # that model only
    scenario = href.split("q=", 1)[1].split("/", 1)[0]
    assert all(t.startswith(scenario + "/") for t in page.eval_on_selector_all(
        ".podium-item h3", "els => els.map(e => e.textContent)"))
    assert model in page.evaluate("location.hash")
    p.clean()


def test_leaderboard_chart_follows_the_filters(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    p = Page(browser, server + "/")
    page = p.page
    page.wait_for_selector(".vega-chart[data-follow] svg", timeout=20_000)
    everyone = names(page)
    chart = "document.querySelector('.vega-chart[data-follow] svg').textContent"
    assert all(n[:20] in page.evaluate(chart) for n in everyone)  # (long labels are cut)
    page.fill("input[aria-label='filter by model name']", everyone[0])
    page.wait_for_function(f"!{chart}.includes({json.dumps(everyone[1][:20])})", timeout=20_000)
    assert everyone[0][:20] in page.evaluate(chart)
    page.fill("input[aria-label='filter by model name']", "")
    page.select_option("select[aria-label=protocol]", "generative")  # loglikelihood suites leave the chart
    page.wait_for_function(f"{chart}.includes({json.dumps(everyone[1][:20])}) && !{chart}.includes('hellaswag')", timeout=20_000)
    p.clean()
