"""Headless Chromium (Debian package) against the site built from synthetic schema-v3 data, served on 127.0.0.1
with every other host unresolvable: sorting, filters, tiers, compare on shared items with a p-value, the gallery
(paging, filters, deep links), navigation (tabs, drawer, every page in two clicks), a table that fits, charts on
every chart page at 1440 and 390 px in light and dark without overlapping text, instant navigation, and a corpus of
hostile outputs and notes that must stay text. Screenshots go to $PODIUM_SHOTS (default /tmp/podium-shots)."""

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

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCALE = 0.004
SHOTS = Path(os.environ.get("PODIUM_SHOTS", "/tmp/podium-shots"))
CHART_PAGES = ["/charts/", "/suites/mmlu/", "/suites/humaneval/", "/quality-vs-cost/", "/scaling/"]
WIDTHS = {1440: 900, 390: 844}


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



class Page:
    def __init__(self, browser, url: str, width: int = 1400, scheme: str = "light") -> None:  # type: ignore[no-untyped-def]
        self.ctx = browser.new_context(viewport={"width": width, "height": WIDTHS.get(width, 900)}, color_scheme=scheme)
        self.page = self.ctx.new_page()
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
        self.ctx.close()

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"))


def names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all("#podium-leaderboard tbody tr:not([hidden]) th", "els => els.map(e => e.textContent)")


def test_leaderboard_sorts_filters_and_shows_tiers(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    p = Page(browser, server + "/")
    page = p.page
    page.wait_for_selector("#podium-filters select", timeout=20_000)
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
    shared = sum(1 for x, y in zip(a, b, strict=True) if x in "01" and y in "01")
    assert row.nth(3).inner_text() == str(shared)  # the items both ran, said
    assert row.nth(7).inner_text().startswith(f"{wins} / {losses} / ")
    assert row.nth(8).inner_text() == "exact McNemar"
    shown = float(row.nth(9).inner_text())
    assert shown == pytest.approx(mcnemar_exact(wins, losses), rel=0.01, abs=0.001)
    js = page.evaluate(f"window.podiumMcNemar({wins + 500}, {losses + 520})")
    assert js == pytest.approx(mcnemar_exact(wins + 500, losses + 520), rel=1e-6)
    assert "bootstrap" in page.locator("#podium-compare-table tr[data-suite=humaneval] td").nth(8).inner_text()
    # GSM8K: synth-002 ran a first-N slice, synth-000 every item — compared on the shared items only
    page.select_option("select[aria-label='model A']", "synth-002")
    page.wait_for_selector("#podium-compare-table tr[data-suite=gsm8k]", timeout=20_000)
    a2 = json.loads((site / "gallery/data/gsm8k/m/synth-002.json").read_text())["s"]
    g = page.locator("#podium-compare-table tr[data-suite=gsm8k] td")
    n_shared = int(g.nth(3).inner_text())
    assert n_shared == sum(1 for x in a2 if x in "01") and n_shared < len(a2)
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
    q = Page(browser, server + "/gallery/#suite=mmlu&item=mmlu%2Fphilosophy%2F0001")
    q.page.wait_for_selector(".podium-item", timeout=20_000)
    assert q.page.locator(".podium-item").count() == 1
    assert q.page.inner_text(".podium-item h3").startswith("mmlu/philosophy/0001")
    q.clean()


def test_humaneval_gallery_bounded_samples(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    p = Page(browser, server + "/gallery/#suite=humaneval&models=synth-004")
    p.page.wait_for_selector(".podium-col .podium-n", timeout=20_000)
    assert "of 12 samples" in (p.page.text_content("#podium-gallery") or "")
    p.page.wait_for_function("window.hljs !== undefined", timeout=20_000)  # loaded only now, from the host
    p.page.wait_for_selector("code.hljs", timeout=20_000)
    p.clean()


# every text element of every rendered chart: its box, its text and its fill (Vega renders SVG here)
TEXT_BOXES = """() => [...document.querySelectorAll('.vega-chart svg')].map((svg, k) => {
  const box = svg.getBoundingClientRect();
  return {chart: k, svg: [box.left, box.top, box.right, box.bottom], drawn: parseFloat(svg.getAttribute('width')),
          texts: [...svg.querySelectorAll('text')].filter(t => t.textContent.trim() && t.getBBox().width > 0)
            .map(t => { const r = t.getBoundingClientRect();
              return {text: t.textContent, box: [r.left, r.top, r.right, r.bottom], fill: getComputedStyle(t).fill}; })};
})"""


def overlaps(texts: list[dict[str, object]], tol: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of chart texts whose boxes intersect by more than ``tol`` px both ways."""
    out = []
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            (al, at, ar, ab), (bl, bt, br, bb) = a["box"], b["box"]  # type: ignore[misc]
            if min(ar, br) - max(al, bl) > tol and min(ab, bb) - max(at, bt) > tol:
                out.append((str(a["text"]), str(b["text"])))
    return out


def luminance(css: str) -> float:
    nums = [float(x) for x in css[css.index("(") + 1:css.index(")")].split(",")[:3]] if "(" in css else [0, 0, 0]
    return (0.2126 * nums[0] + 0.7152 * nums[1] + 0.0722 * nums[2]) / 255


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("path", CHART_PAGES)
def test_every_chart_renders_without_overlapping_text(server: str, browser, path: str, width: int,
                                                      scheme: str) -> None:  # type: ignore[no-untyped-def]
    """Every chart at 1440 and 390 px, light and dark: rendered at its own size (not shrunk to fit), no two text
    boxes overlapping, no text outside its chart (cut), and text readable on the theme's background."""
    p = Page(browser, server + path, width, scheme)
    n = p.page.locator(".vega-chart").count()
    assert n > 0
    p.page.wait_for_function(f"document.querySelectorAll('.vega-chart svg').length >= {n}", timeout=30_000)
    p.page.wait_for_timeout(300)
    for chart in p.page.evaluate(TEXT_BOXES):
        texts = chart["texts"]
        assert texts, f"{path}: chart {chart['chart']} has no text"
        assert overlaps(texts) == [], f"{path} @{width}px {scheme}: chart {chart['chart']} text overlaps"
        left, _top, right, _bottom = chart["svg"]
        # drawn at its own width, never shrunk to fit (a shrunk chart shrinks its text below legible)
        assert right - left >= chart["drawn"] - 1, f"{path} @{width}px: chart {chart['chart']} drawn {chart['drawn']} px wide, shown {right - left:.0f}"
        cut = [t["text"] for t in texts if t["box"][0] < left - 1 or t["box"][2] > right + 1]
        assert cut == [], f"{path} @{width}px: text cut at the chart's edge: {cut}"
        for t in texts:
            lum = luminance(t["fill"])
            assert (lum > 0.45) if scheme == "dark" else (lum < 0.6), f"{path} {scheme}: {t['text']!r} is {t['fill']}"
    assert p.page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
    p.shot(f"chart-{path.strip('/').replace('/', '-')}-{width}-{scheme}")
    p.clean()


def test_overlap_check_finds_overlapping_text() -> None:
    a = {"text": "SmolLM2 135M Instruc", "box": [100, 10, 200, 22]}
    b = {"text": "GPT-4o 90.2%", "box": [150, 15, 230, 27]}
    c = {"text": "beside", "box": [201, 10, 260, 22]}
    assert overlaps([a, b, c]) == [("SmolLM2 135M Instruc", "GPT-4o 90.2%"), ("GPT-4o 90.2%", "beside")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_home_table_fits_and_loads_no_chart_library(server: str, browser, width: int,
                                                    scheme: str) -> None:  # type: ignore[no-untyped-def]
    """At 1440 px every column is visible without sideways scrolling; at 390 px the rows stack; nothing sticky
    prints over a neighbour; Vega is not fetched (the home page has no chart)."""
    p = Page(browser, server + "/", width, scheme)
    urls: list[str] = []
    p.page.on("request", lambda r: urls.append(r.url))
    p.page.reload(wait_until="networkidle")
    table = p.page.locator("#podium-leaderboard")
    sw, cw = p.page.evaluate("(() => {const t = document.querySelector('#podium-leaderboard');"
                             " return [t.scrollWidth, t.parentElement.clientWidth]; })()")
    assert sw <= cw + 1 and p.page.evaluate("document.documentElement.scrollWidth") <= width
    positions = p.page.eval_on_selector_all("#podium-leaderboard th, #podium-leaderboard td",
                                            "els => [...new Set(els.map(e => getComputedStyle(e).position))]")
    assert "sticky" not in positions
    box = table.locator("thead th").last.bounding_box() if width == 1440 else None
    assert box is None or box["x"] + box["width"] <= width  # the last column (Cost) is on screen
    if width == 390:  # stacked: each cell says what it is
        assert p.page.eval_on_selector("#podium-leaderboard tbody td[data-label=Avg]",
                                       "e => getComputedStyle(e, '::before').content") == '"Avg"'
    assert not [u for u in urls if "vendor/vega" in u]
    p.shot(f"home-{width}-{scheme}")
    p.clean()


def test_navigation_tabs_drawer_and_every_page_in_two_clicks(server: str, site: Path,
                                                             browser) -> None:  # type: ignore[no-untyped-def]
    """Desktop: the nine tabs, on the home page too; from a tab, its section's pages. Phone: the drawer. Every page
    of the site (the sitemap) is a tab or a link of a tab's navigation."""
    import re

    tabs = ["Leaderboard", "Benchmarks", "Models", "Compare", "Charts", "The question", "Gallery", "Methodology",
            "Contribute"]
    p = Page(browser, server + "/", 1440)
    page = p.page
    assert [t.strip() for t in page.eval_on_selector_all(".md-tabs__link", "els => els.map(e => e.textContent)")] == tabs
    assert page.locator(".md-sidebar--primary[hidden]").count() == 0  # navigation is not hidden on the home page
    reached = set()
    for href in page.eval_on_selector_all(".md-tabs__link", "els => els.map(e => e.href)"):
        page.goto(href)
        reached.add(page.url)
        reached.update(page.eval_on_selector_all(".md-sidebar--primary a.md-nav__link[href]",
                                                 "els => els.map(e => e.href)"))
    reached = {u.split("#")[0] for u in reached}
    sitemap = re.findall(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text())
    pages = {server + "/" + u.split("/", 3)[3] if u.count("/") >= 3 else server + "/" for u in sitemap}
    assert pages and pages <= reached, sorted(pages - reached)
    p.clean()
    q = Page(browser, server + "/small-vs-large/", 390)
    q.page.click(".md-header label[for=__drawer]")
    q.page.wait_for_selector(".md-nav--primary .md-nav__link:has-text('Benchmarks')", state="visible", timeout=10_000)
    q.shot("drawer-390")
    q.clean()


def test_instant_navigation_and_dark_mode(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    p = Page(browser, server + "/")
    page = p.page
    page.wait_for_selector("#podium-filters select", timeout=20_000)
    page.click("#podium-leaderboard thead a[href*='suites/mmlu']")
    page.wait_for_url("**/suites/mmlu/")
    page.wait_for_selector(".vega-chart svg", timeout=20_000)
    page.click(".md-tabs a[href*='compare']")
    page.wait_for_selector("#podium-compare-table", timeout=20_000)  # scripts re-run after instant navigation
    page.click(".md-tabs a[href*='charts']")
    page.wait_for_selector(".vega-chart svg", timeout=20_000)
    page.click(".md-sidebar--primary a[href$='quality-vs-cost/']")
    page.wait_for_selector(".vega-chart svg", timeout=20_000)
    page.click("label[for='__palette_1']")
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    page.wait_for_function("[...document.querySelectorAll('.vega-chart')].every(e => e.dataset.done === 'dark' && e.querySelector('svg'))",
                           timeout=30_000)
    p.shot("quality-vs-cost-dark")
    p.clean()


def test_hostile_names_and_notes_stay_text(site: Path, server: str, browser) -> None:  # type: ignore[no-untyped-def]
    for page_path in ("index.html", "models/evil-model/index.html", "suites/gsm8k/index.html",
                      "small-vs-large/index.html", "downloads/index.html"):
        html = (site / page_path).read_text()
        assert "<img src=x" not in html and "<script>window.__pwned" not in html, page_path
    for path in ("/models/evil-model/", "/suites/gsm8k/", "/small-vs-large/", "/scenarios/"):
        p = Page(browser, server + path)
        p.page.wait_for_load_state("load")
        assert p.page.locator("article img, article b:has-text('Model'), article b:has-text('note')").count() == 0
        p.clean()
