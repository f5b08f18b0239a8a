"""The gallery in headless Chromium: its view lives in the URL's hash, so Back and Forward (and a hash typed or
linked) re-render the view they name, each selection made on the page is one history entry, and re-rendering adds
none; a tool call the model wrote unreadably is labelled as such (with its raw arguments, as text), never `? ({})`."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evals.atomic import write_jsonl_gz
from generator.site.build import build_site
from tests.e2e.test_browser import Page
from tests.support.servers import REPO, static_server
from tools.synth_site_data import all_texts, generate

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCALE = 0.004
SCENARIO_MODEL = "synth-002"
EVIL_ARGS = '{"n": <img src=x onerror="window.__pwned = 9">'
# as the runners store them (evals/scenarios/tool_loop.py): an "Action:" reply that could not be read has no name and
# arguments "{}"; a native call keeps what the model sent, name and argument text, with the parse error beside
BROKEN_CALLS = [
    {"id": None, "name": "", "arguments": "{}", "error": "invalid JSON: Expecting value: line 1 column 1 (char 0)"},
    {"id": "call_x", "name": "", "arguments": EVIL_ARGS, "error": "invalid JSON arguments: Expecting value"},
    {"id": "call_y", "name": "calculate", "arguments": '{"n": 2', "error": "invalid JSON arguments: Expecting ','"},
    {"id": "call_z", "name": "calculate", "arguments": '{"n": 3}', "error": None},
]


def _break_tool_calls(site_data: Path) -> str:
    """Give the first scenario sample of SCENARIO_MODEL an assistant turn with unreadable tool calls; its item id."""
    (path,) = (site_data / "runs" / SCENARIO_MODEL / "scenarios").glob("*/samples.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    turn = {"role": "assistant", "content": "Action: [oops", "name": None, "tool_calls": BROKEN_CALLS,
            "tool_call_id": None}
    rows[0]["outputs"][0]["transcript"].insert(0, turn)
    write_jsonl_gz(path, (json.dumps(r) for r in rows))
    return str(rows[0]["item_id"])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("gallery-nav")
    generate(root / "site_data", models=3, scale=SCALE, samples=4, trials=2, suites=["mmlu", "gsm8k"])
    item = _break_tool_calls(root / "site_data")
    build_site(root / "site_data", root / "site", mkdocs_yml=REPO / "mkdocs.yml", work=root / "work",
               texts=dict(all_texts(SCALE)))
    return root / "site", item


@pytest.fixture(scope="module")
def server(built: tuple[Path, str]) -> Iterator[str]:
    with static_server(built[0]) as base:
        yield base


def view(page: Any) -> dict[str, Any]:
    """What the gallery shows: the suite picked, the filter, the page line and the items' ids."""
    page.wait_for_function("document.querySelector('.podium-pageinfo') && document.querySelectorAll('.podium-item')"
                           ".length > 0", timeout=20_000)
    shown: dict[str, Any] = page.evaluate("""() => ({
      suite: document.querySelector('#podium-gallery select[aria-label=suite]').value,
      filter: document.querySelector('#podium-gallery select[aria-label=filter]').value,
      info: document.querySelector('.podium-pageinfo').textContent,
      items: [...document.querySelectorAll('.podium-item h3')].map(e => e.firstChild.textContent.trim())})""")
    return shown


def settled(page: Any, hash_has: str, suite: str) -> dict[str, Any]:
    """The view once the URL holds ``hash_has`` and the cards on screen are ``suite``'s."""
    page.wait_for_function("([h, s]) => location.hash.includes(h) && document.querySelector('.podium-item h3')"
                           " && document.querySelector('.podium-item h3').textContent.startsWith(s + '/')",
                           arg=[hash_has, suite], timeout=20_000)
    return view(page)


def test_back_and_forward_restore_the_gallery_view(server: str, browser: Any) -> None:
    p = Page(browser, server + "/gallery/#suite=gsm8k")
    page = p.page
    start = settled(page, "suite=gsm8k", "gsm8k")
    assert start["suite"] == "gsm8k" and len(start["items"]) > 1
    entries = page.evaluate("history.length")  # the first draw completes the hash in place: no entry of its own

    # an item's ¶ link: that item alone, as one entry; Back shows the list again, Forward the item
    second = start["items"][1]
    page.locator(".podium-item").nth(1).locator("h3 a").click()
    page.wait_for_function("location.hash.includes('item=') && document.querySelectorAll('.podium-item').length === 1")
    one = view(page)
    assert one["items"] == [second] and page.evaluate("history.length") == entries + 1
    page.go_back()
    page.wait_for_function("!location.hash.includes('item=')")
    assert settled(page, "suite=gsm8k", "gsm8k") == start
    page.go_forward()
    page.wait_for_function("location.hash.includes('item=') && document.querySelectorAll('.podium-item').length === 1")
    assert view(page) == one
    page.go_back()
    assert settled(page, "suite=gsm8k", "gsm8k") == start

    # selections on the page: one entry each (the item's forward entry is dropped)
    page.select_option("select[aria-label=suite]", "mmlu")
    mmlu = settled(page, "suite=mmlu", "mmlu")
    assert mmlu["suite"] == "mmlu" and mmlu["info"].startswith("50 items · page 1 / 5")
    page.click("button:has-text('next ›')")
    page.wait_for_function("location.hash.includes('page=1')")
    page2 = view(page)
    assert page2["info"].endswith("page 2 / 5") and page2["items"] != mmlu["items"]
    assert page.evaluate("history.length") == entries + 2

    page.go_back()  # → page 1 of MMLU
    page.wait_for_function("!location.hash.includes('page=')")
    assert settled(page, "suite=mmlu", "mmlu") == mmlu
    page.go_back()  # → GSM8K, as first shown
    assert settled(page, "suite=gsm8k", "gsm8k") == start
    page.go_forward()
    assert settled(page, "suite=mmlu", "mmlu") == mmlu
    page.go_forward()
    assert settled(page, "page=1", "mmlu") == page2
    assert page.evaluate("history.length") == entries + 2  # re-rendering after Back/Forward added no entry

    # a hash set by hand (typed, or a link outside the page's control) is a hashchange: the view follows it
    page.evaluate("location.hash = '#suite=gsm8k&filter=fail'")
    fail = settled(page, "filter=fail", "gsm8k")
    assert fail["suite"] == "gsm8k" and fail["filter"] == "fail"
    assert page.evaluate("history.length") == entries + 3  # one entry for it, none from re-rendering: no loop
    page.go_back()
    assert settled(page, "page=1", "mmlu") == page2
    p.clean()


def test_unreadable_tool_call_is_labelled_not_blank(built: tuple[Path, str], server: str, browser: Any) -> None:
    item = built[1]
    p = Page(browser, server + f"/gallery/#suite=scenarios&models={SCENARIO_MODEL}&item={item}")
    page = p.page
    page.wait_for_selector(".podium-call", timeout=20_000)
    calls = page.eval_on_selector_all(".podium-call", "els => els.map(e => e.textContent)")
    assert calls[:4] == [
        "→ unreadable tool call — invalid JSON: Expecting value: line 1 column 1 (char 0)",
        f"→ unreadable tool call: {EVIL_ARGS} — invalid JSON arguments: Expecting value  [call_x]",
        "→ call calculate {\"n\": 2 — unreadable: invalid JSON arguments: Expecting ','  [call_y]",
        "→ call calculate {\"n\": 3}  [call_z]",
    ]
    assert not [c for c in calls if "({})" in c or "call ?" in c]
    assert page.locator("#podium-gallery img").count() == 0  # the raw arguments stay text
    p.clean()
