"""The question page in headless Chromium at 1440 px and 390 px, light and dark, built from the committed
site_data and from synthetic data with a story: the verdict and the four parts are on screen, both charts render
with no two pieces of chart text overlapping, no chart text cut off at the chart's edge and, in dark mode, no dark
text on the dark background; the per-problem squares open that problem in the gallery. Screenshots go to
$PODIUM_SHOTS (default /tmp/podium-shots) as question-<data>-<width>-<scheme>.png."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.site.build import build_site
from tests.support.servers import REPO, static_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("PODIUM_SHOTS", "/tmp/podium-shots"))
WIDTHS = {1440: 900, 390: 844}
PARTS = ["#podium-q-verdict", "#podium-q-match", "#podium-q-cost", "#podium-q-fail"]
# every visible text of each chart: its box, its colour, and whether it lies inside the chart's own box
TEXTS = """() => [...document.querySelectorAll('.vega-chart svg')].map(svg => {
  const box = svg.getBoundingClientRect();
  const shown = el => { for (let e = el; e && e !== svg; e = e.parentElement) {
      const cs = getComputedStyle(e); if (cs.display === 'none' || cs.visibility === 'hidden') return false;
      const o = e.getAttribute('opacity') ?? e.style.opacity; if (o !== null && o !== '' && +o === 0) return false; }
    return true; };
  return [...svg.querySelectorAll('text')].filter(t => t.textContent.trim() && shown(t)).map(t => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, x0: r.left, x1: r.right, y0: r.top, y1: r.bottom, fill: getComputedStyle(t).fill,
            inside: r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1 &&
                    r.bottom <= box.bottom + 1};
  }).filter(t => t.x1 > t.x0);
})"""


def overlaps(texts: list[dict[str, object]]) -> list[tuple[str, str]]:
    out = []
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            if (min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > 1  # type: ignore[operator]
                    and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > 1):  # type: ignore[operator]
                out.append((str(a["text"]), str(b["text"])))
    return out


def luminance(css: str) -> float:
    parts = [float(p) for p in css[css.index("(") + 1:css.index(")")].split(",")[:3]]
    return (0.2126 * parts[0] + 0.7152 * parts[1] + 0.0722 * parts[2]) / 255


@pytest.fixture(scope="module", params=["committed", "synthetic"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp(f"seed-{request.param}")
    if request.param == "committed":
        data = REPO / "site_data"
    else:
        from tests.generator.test_seed_page import story_site

        data = story_site(root)
    build_site(data, root / "site", mkdocs_yml=REPO / "mkdocs.yml", work=root / "work")
    yield request.param, root / "site"



@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_question_page_answers_by_looking(site: tuple[str, Path], browser, width: int,  # type: ignore[no-untyped-def]
                                          scheme: str) -> None:
    name, built = site
    with static_server(built) as base:
        ctx = browser.new_context(viewport={"width": width, "height": WIDTHS[width]}, color_scheme=scheme)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/small-vs-large/", wait_until="networkidle")
        page.wait_for_function("document.querySelectorAll('.vega-chart svg').length === 2", timeout=20_000)
        page.wait_for_timeout(300)
        for part in PARTS:
            el = page.locator(part)
            assert el.count() == 1 and el.is_visible(), part
        verdict = page.locator("#podium-q-verdict").inner_text()
        assert "The verdict:" in verdict and "claim" in verdict and "would change it" in verdict
        assert page.locator("text=claim, not verified").count() >= 1
        charts = page.evaluate(TEXTS)
        assert len(charts) == 2
        for texts in charts:
            assert texts, "a chart without text"
            assert overlaps(texts) == [], f"overlapping chart text at {width}px {scheme}"
            assert [t["text"] for t in texts if not t["inside"]] == [], "chart text cut at the chart's edge"
            if scheme == "dark":
                assert [t["text"] for t in texts if luminance(str(t["fill"])) < 0.45] == [], "dark text on dark"
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1  # no sideways scroll
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"question-{name}-{width}-{scheme}.png"), full_page=True)
        assert errors == []
        ctx.close()


def test_a_problem_square_opens_that_problem_in_the_gallery(site: tuple[str, Path], browser) -> None:  # type: ignore[no-untyped-def]
    _, built = site
    with static_server(built) as base:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(base + "/small-vs-large/", wait_until="networkidle")
        square = page.locator(".podium-q-strip a").first
        item = (square.get_attribute("href") or "").rsplit("item=", 1)[1]
        square.click()
        page.wait_for_selector(".podium-item", timeout=20_000)
        assert page.locator(".podium-item").count() == 1 and item in page.locator(".podium-item h3").inner_text()
        page.goto(base + "/small-vs-large/head-to-head/", wait_until="networkidle")
        assert page.locator("h1").count() == 1
        page.close()
