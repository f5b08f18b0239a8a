"""The search index is fetched on first use of the search box, not on page load (issue 26: it was half of the home
page's first view at 50 models) — and search still finds a model once it is used."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.site.build import build_site
from generator.site.load import load_site_data
from tests.support.servers import REPO, static_server
from tools.synth_site_data import all_texts, generate

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCALE = 0.004


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("lazy-search")
    generate(root / "site_data", models=3, scale=SCALE, samples=4, trials=1)
    build_site(root / "site_data", root / "site", mkdocs_yml=REPO / "mkdocs.yml", work=root / "work",
               texts=all_texts(SCALE))
    model = sorted(load_site_data(root / "site_data").models.values(), key=lambda m: m.id)[-1]
    return root / "site", model.name


@pytest.fixture(scope="module")
def server(built: tuple[Path, str]) -> Iterator[str]:
    with static_server(built[0]) as base:
        yield base


def test_search_index_loads_on_first_use_and_finds_a_model(server: str, built: tuple[Path, str],
                                                           browser) -> None:  # type: ignore[no-untyped-def]
    _, name = built
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    urls: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    assert not [u for u in urls if "search_index" in u or "/workers/search." in u], urls
    page.click(".md-search__input") if page.locator(".md-search__input").is_visible() else page.click(
        "label[for=__search]")
    page.keyboard.type(name.split()[0])
    hit = page.locator(".md-search-result__item", has_text=name).first
    hit.wait_for(state="visible", timeout=20_000)
    assert [u for u in urls if u.endswith("search/search_index.json")]
    assert [u for u in urls if "/workers/search." in u]
    assert errors == []
    ctx.close()
