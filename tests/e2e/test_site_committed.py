"""The site built from the committed ``site_data/`` (real runs), read as a reader would in headless Chromium: the
Scenarios category chart draws the stored success rates (never the ungraded share), the first view of the home page
and of a gallery stays light (served gzip-compressed, as GitHub Pages serves it), and the labels come from the
records (selection, prices, throughput)."""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from evals.records import Group
from evals.store import iter_run_files, read_run
from generator.site.build import build_site
from tests.support.servers import REPO

pytestmark = [pytest.mark.slow, pytest.mark.browser]
HOME_BUDGET = 300_000  # bytes transferred on a first view, 2 models (issue 23)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("committed")
    build_site(REPO / "site_data", out / "site", mkdocs_yml=REPO / "mkdocs.yml", work=out / "work")
    return out / "site"


class Gzip(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip-compressed for a client that accepts it (as GitHub Pages does)."""

    def log_message(self, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file() or "gzip" not in self.headers.get("Accept-Encoding", ""):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        import io

        return io.BytesIO(body)


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Gzip, directory=str(site)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def first_view(url: str, width: int = 1440) -> int:
    from playwright.sync_api import sync_playwright

    from tests.e2e.test_browser import CHROMIUM

    sizes: list[int] = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = b.new_context(viewport={"width": width, "height": 900}).new_page()
        page.on("requestfinished", lambda r: sizes.append(r.sizes()["responseBodySize"]
                                                          + r.sizes()["responseHeadersSize"]))
        page.goto(url, wait_until="networkidle")
        page.wait_for_timeout(500)
        b.close()
    return sum(sizes)


def test_scenarios_category_chart_draws_the_stored_success_rates(site: Path) -> None:
    runs = [read_run(p) for p in iter_run_files(REPO / "site_data")]
    run = next(r for r in runs if r.suite.scenarios and r.suite.id == r.suite.base)
    main = run.suite.main_metric
    assert main is not None
    spec = json.loads((site / "charts" / f"categories-{run.suite.id}.json").read_text())
    drawn = {d["group"]: d["value"] for rows in spec["datasets"].values() for d in rows if "group" in d}
    stored = {m.group.id.replace("_", " "): m.value for m in run.metrics
              if m.group is not None and m.group.kind == "category" and m.is_(main)}
    assert drawn == stored  # code is drawn at its success rate (0%), never at its ungraded share (100%)
    ungraded_only = {m.group.id for m in run.metrics if m.group and m.group.kind == "category"} - {
        g.replace(" ", "_") for g in stored}
    assert all(g.replace("_", " ") not in drawn for g in ungraded_only)  # all-ungraded categories: not drawn
    assert Group(kind="category", id="code") in {m.group for m in run.metrics}


def test_labels_come_from_the_records(site: Path) -> None:
    for path in iter_run_files(REPO / "site_data"):
        run = read_run(path)
        page = (site / "models" / run.model_id / "index.html").read_text()
        assert run.suite.selection.text.replace("(", "").split()[0] in page
        if not run.completion_tokens and run.prompt_tokens:
            assert "prompt tokens/s" in page  # log-likelihood runs generate nothing: not "0 tokens/s"
    gemma = (site / "models" / "gemma-3-270m" / "index.html").read_text()
    assert "$0.05 / CPU core-hour" in gemma
    assert "GSM8 K" not in (site / "index.html").read_text()


def test_first_view_weight(server: str) -> None:
    home = first_view(server + "/")
    gallery = first_view(server + "/gallery/#suite=mmlu")
    print(f"first view (gzip): home {home / 1e3:.1f} KB, MMLU gallery {gallery / 1e3:.1f} KB")
    assert home <= HOME_BUDGET


def test_every_model_is_averaged_over_the_suites_its_kind_runs(server: str) -> None:
    """On the committed board a base model (Gemma) and a chat model (SmolLM2) each run HumanEval with the protocol
    made for their kind: both are averaged over every suite (no '†'), the quality-vs-cost chart of the average
    draws them and names its frontier, and a column a model's kind is not run on says why (as a reader sees it)."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.test_browser import CHROMIUM

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = b.new_context(viewport={"width": 1440, "height": 900}).new_page()
        page.goto(server + "/", wait_until="networkidle")
        avg = {r.locator("th[data-label=Model] a").first.inner_text(): r.locator("td[data-label=Avg]").inner_text()
               for r in page.locator("tr[data-kind]:not([data-reported-only])").all()}
        gemma = page.locator("tr[data-kind]", has_text="Gemma 3 270M").first
        not_run = {c: gemma.locator(f'td[data-label="{c}"]').inner_text() for c in ("Scenarios", "HumanEval (chat)")}
        mark = gemma.locator('td[data-label="Scenarios"] .podium-not-run')
        title = (mark.get_attribute("title") or "") if mark.count() else ""
        page.goto(server + "/quality-vs-cost/", wait_until="networkidle")
        frontier = page.locator("p", has_text="On the frontier").first.inner_text()
        b.close()
    assert set(avg) == {"Gemma 3 270M", "SmolLM2 135M Instruct"}
    for name, text in avg.items():
        m = re.search(r"(\d+) of (\d+) suites", text)
        assert "†" not in text and m and m[1] == m[2] and int(m[2]) >= 6, (name, text)
    assert not_run == {"Scenarios": "chat-only suite", "HumanEval (chat)": "chat-only suite"}
    assert "base (pretrained) model" in title
    assert "none" not in frontier and "Gemma 3 270M" in frontier


def test_board_cells_say_what_their_numbers_are(server: str) -> None:
    """Read as a reader reads the committed board: a lopsided interval is shown as [low–high], not ±; BoolQ below its
    always-'yes' baseline is flagged; a chat model's empty completion column links its older-version runs on the
    model page (and the link lands on them); a published number sits in one HumanEval column, not both; the Cost
    cell names what its mean is made of."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.test_browser import CHROMIUM

    runs = [read_run(p) for p in iter_run_files(REPO / "site_data")]
    he = next(r for r in runs if r.model_id == "gemma-3-270m" and r.suite.id == "humaneval" and r.shard is None)
    main = he.main()
    assert main is not None and (main.ci_high - main.value) - (main.value - main.ci_low) > 0.002
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = b.new_context(viewport={"width": 1440, "height": 900}).new_page()
        page.goto(server + "/", wait_until="networkidle")
        gemma = page.locator("tr[data-kind]", has_text="Gemma 3 270M").first
        smol = page.locator("tr[data-kind]", has_text="SmolLM2 135M Instruct").first
        he_text = gemma.locator('td[data-label="HumanEval"]').inner_text()
        boolq = [r.locator('td[data-label="BoolQ"] .podium-flag-floor').get_attribute("title") for r in (gemma, smol)]
        shown = [r.locator('td[data-label="BoolQ"] .podium-flag-floor').inner_text() for r in (gemma, smol)]
        cost = smol.locator('td[data-label="Cost / 1k items"]').get_attribute("title") or ""
        cost_shown = smol.locator('td[data-label="Cost / 1k items"]').inner_text()
        gpt = page.locator("tr[data-kind]", has_text="GPT-4o").first
        reported_cols = [c.get_attribute("data-label") for c in gpt.locator("td:has(.podium-reported)").all()]
        older = smol.locator('td[data-label="HumanEval"] a', has_text="older runs")
        older_count = older.count()
        if older_count:
            older.click()
            page.wait_for_load_state("networkidle")
            landed = page.url
            heading = page.locator("#other-runs").inner_text()
        b.close()
    assert f"[{main.ci_low * 100:.1f}–{main.ci_high * 100:.1f}]" in he_text and "±" not in he_text, he_text
    assert all(t and "always answering 'yes' (62.2%)" in t for t in boolq), boolq
    assert shown == ["≤ baseline 62.2%"] * 2, shown  # the baseline is on the cell, not only in a hover title
    assert older_count == 1 and landed.endswith("/models/smollm2-135m-instruct/#other-runs") and "Other runs" in heading
    assert reported_cols.count("HumanEval (chat)") + reported_cols.count("HumanEval") == 1, reported_cols
    assert re.search(r"HumanEval \(chat\) \(20 samples per item\) \$[\d.]+, 9\d% of the sum", cost), cost
    assert re.search(r"9\d% HumanEval \(chat\)", cost_shown), cost_shown  # on the cell too: a phone has no hover


def test_compare_flags_runs_at_or_below_their_baseline_and_names_what_it_left_out(server: str) -> None:
    """The compare page on the committed board (Gemma vs SmolLM2): BoolQ's significant difference is between two
    runs that do no better than always answering 'yes' — both say so; HumanEval, which each ran with its own
    protocol, is named as not compared instead of vanishing."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.test_browser import CHROMIUM

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = b.new_context(viewport={"width": 1440, "height": 900}).new_page()
        page.goto(server + "/compare/", wait_until="networkidle")
        page.wait_for_selector("#podium-compare-table tbody tr")
        boolq = [f.inner_text() for f in page.locator('tr[data-suite="boolq"] .podium-flag-floor').all()]
        wino = page.locator('tr[data-suite="winogrande"] .podium-flag-floor').count()
        only = page.locator(".podium-compare-only").inner_text()
        b.close()
    assert boolq == ["≤ baseline 62.2%", "≤ baseline 62.2%"], boolq
    assert wino == 0  # both beat always-'B' (50.4%)
    assert "HumanEval (A only)" in only and "HumanEval (chat) (B only)" in only, only


def test_a_published_number_sits_on_the_protocol_made_for_its_model(site: Path) -> None:
    """GPT-4o's and Llama 3.1's HumanEval numbers were measured on assistants: they are on the chat protocol's page
    and chart, not beside Gemma's completion curve, and the model pages name that column."""
    completion = (site / "suites" / "humaneval" / "index.html").read_text()
    chat = (site / "suites" / "humaneval-chat" / "index.html").read_text()
    completion_chart = (site / "charts" / "passk-humaneval.json").read_text()
    chat_chart = (site / "charts" / "passk-humaneval-chat.json").read_text()
    for name in ("Llama 3.1 8B Instruct", "GPT-4o (2024-05-13)"):
        assert f"<td>{name}</td>" in chat and f"<td>{name}</td>" not in completion, name
        assert name in chat_chart and name not in completion_chart, name
    llama = (site / "models" / "llama-3.1-8b-instruct" / "index.html").read_text()
    assert "<td>HumanEval (chat)</td>" in llama and "<td>humaneval</td>" not in llama


def test_model_pages_repeat_their_board_row_and_link_the_question(site: Path) -> None:
    home = (site / "index.html").read_text()
    for mid in ("gemma-3-270m", "smollm2-135m-instruct"):
        row = re.search(rf'<tr data-kind(?:(?!</tr>).)*?models/{mid}/(?:(?!</tr>).)*</tr>', home, re.S)
        assert row, mid
        avg = re.search(r'data-label="Avg".*?podium-score">([\d.]+)<', row.group(0), re.S)
        assert avg, mid
        page = (site / "models" / mid / "index.html").read_text()
        assert f"Avg {avg.group(1)} [" in page and "tier " in page, mid
    for mid in ("gpt-4o", "llama-3.1-8b-instruct"):
        assert 'href="../../small-vs-large/"' in (site / "models" / mid / "index.html").read_text(), mid
    assert 'href="../../small-vs-large/">Does' not in (site / "models" / "gemma-3-270m" / "index.html").read_text()


def test_no_run_at_or_below_its_baseline_is_on_a_frontier(site: Path) -> None:
    """Both committed BoolQ runs do no better than always answering 'yes': the BoolQ quality-vs-cost chart names
    no frontier and draws the baseline; a suite whose runs beat it keeps its frontier."""
    page = (site / "quality-vs-cost" / "index.html").read_text()
    boolq = page[page.index('id="boolq"'):page.index('id="gsm8k"')]
    assert "On the frontier: none — no score beats the suite's baseline (62.2%)" in boolq
    spec = json.loads((site / "charts" / "qc-boolq.json").read_text())
    rows = [d for data in spec["datasets"].values() for d in data]
    assert not any(d.get("frontier") for d in rows) and any(d.get("baseline") == pytest.approx(0.6217, abs=1e-4)
                                                            for d in rows)
    wino = page[page.index('id="winogrande"'):]
    assert "On the frontier: Gemma 3 270M" in wino  # 53.7% beats always-'B' (50.4%)
