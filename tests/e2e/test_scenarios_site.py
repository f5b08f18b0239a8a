"""A real scenario run (embedded model, with the embedded model as judge) through the CLI, `podium build`, the
scenarios page and the per-scenario gallery with full transcripts — also in headless Chromium, where hostile
text in a tool result and in a reply must stay text."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evals.records import ChatTurn, ToolCallRecord
from evals.store import read_run, read_samples, write_run
from generator.site.build import build_site
from tests.support.servers import REPO, static_server

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs

SCENARIOS = ("math-9-11-vs-9-9", "tool-factorials", "writing-alps-sunrise")
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import copy_site_data, podium

    root = tmp_path_factory.mktemp("scenario-site")
    data = copy_site_data(root)
    scen = root / "scenarios"
    scen.mkdir()
    for sid in SCENARIOS:
        shutil.copyfile(REPO / "evals" / "scenarios" / f"{sid}.yaml", scen / f"{sid}.yaml")
    r = podium("run", "--suite", "scenarios", "--limit", "1", "--max-tokens", "48", "--scenarios-dir", str(scen),
               "--judge-model", "smollm2-135m-instruct", "--judge-max-tokens", "24", "--no-cache",
               "--site-data", str(data), cwd=root)
    assert r.returncode == 0, r.stderr
    assert "per scenario" in r.stdout and "tool-factorials" in r.stdout
    (run_json,) = data.glob("runs/*/scenarios/*/run.json")
    run, samples = read_run(run_json), read_samples(run_json.parent / "samples.jsonl.gz")
    # a second model whose tool result and final reply are hostile HTML
    tool = next(s for s in samples if s.item_id == "tool-factorials/native/greedy")
    out = tool.outputs[0].model_copy(update={"text": HOSTILE + " 3628800 and 40320", "transcript": [
        ChatTurn(role="assistant", content="", tool_calls=[ToolCallRecord(id="c1", name="calculate_factorial",
                                                                          arguments='{"n": 10}')]),
        ChatTurn(role="tool", content=HOSTILE + " 3628800", name="calculate_factorial", tool_call_id="c1"),
        ChatTurn(role="assistant", content=HOSTILE + " 3628800 and 40320")]})
    evil = [s.model_copy(update={"outputs": [out]}) if s is tool else s for s in samples]
    (data / "models" / "evil-model.yaml").write_text(
        "id: evil-model\nname: Evil & \"Model\"\nfamily: test\nlicense: MIT\nopen_weights: true\nsource: test\n")
    write_run(data, run.model_copy(update={"model_id": "evil-model", "run_id": run.run_id[:-6] + "eeeeee"}), evil)
    build_site(data, root / "site", mkdocs_yml=REPO / "mkdocs.yml", work=root / "work")
    return root


def test_run_records_transcripts_grades_and_the_judge(built: Path) -> None:
    (run_json,) = (built / "site_data" / "runs" / "smollm2-135m-instruct" / "scenarios").glob("*/run.json")
    run = read_run(run_json)
    assert [s.id for s in run.suite.scenarios] == list(SCENARIOS)
    assert "--judge-model smollm2-135m-instruct" in run.command and "--scenarios-dir" in run.command
    samples = {s.item_id: s for s in read_samples(run_json.parent / "samples.jsonl.gz")}
    assert set(samples) == {"math-9-11-vs-9-9/plain/greedy", "tool-factorials/native/greedy",
                            "tool-factorials/action/greedy", "writing-alps-sunrise/plain/greedy"}
    writing = samples["writing-alps-sunrise/plain/greedy"].outputs[0]
    assert writing.grades[0].judge_model and writing.grades[0].judge_raw is not None
    assert writing.detail is not None and writing.detail.kind == "scenario" and writing.detail.stats is not None
    action = samples["tool-factorials/action/greedy"]
    assert isinstance(action.prompt, list) and action.prompt[0].content.startswith('Write "Action:"')


def test_scenarios_page_and_gallery_data(built: Path) -> None:
    site = built / "site"
    page = (site / "scenarios" / "index.html").read_text()
    for title in ("Which is larger, 9.11 or 9.9?", "Tool use — factorials of 10 and 8",
                  "Creative writing — sunrise in the Alps"):
        assert title in page
    assert "Evil &amp; &#34;Model&#34;" in page  # a display name is plain text (no markup), escaped
    assert "gallery/#suite=scenarios&amp;q=tool-factorials/" in page
    assert ">native<" in page and ">action<" in page and "original test" in page
    assert 'href="scenarios/"' in (site / "index.html").read_text() or "Scenarios" in (site / "index.html").read_text()
    data = site / "gallery" / "data"
    index = json.loads((data / "index.json").read_text())
    assert any(s["id"] == "scenarios" for s in index["suites"])
    suite = json.loads((data / "scenarios" / "index.json").read_text())
    assert [s["id"] for s in suite["scenarios"]] == sorted(SCENARIOS)
    shard = [i for f in sorted((data / "scenarios").glob("shard-*.json")) for i in json.loads(f.read_text())]
    outs = [o for f in sorted((data / "scenarios/o/smollm2-135m-instruct").glob("*.json"))
            for o in json.loads(f.read_text())]
    pos = next(k for k, i in enumerate(shard) if i["id"] == "tool-factorials/native/greedy")
    tool = shard[pos]
    out = outs[pos]["outputs"][0]
    assert tool["prompt"][0]["role"] == "user" and out["transcript"]
    assert out["grades"][0]["grader"] == "tool_trace"


@pytest.mark.browser
def test_gallery_renders_transcripts_as_text(built: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.test_browser import CHROMIUM

    with sync_playwright() as p, static_server(built / "site") as base:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/gallery/#suite=scenarios&q=tool-factorials/native")
        page.wait_for_selector(".podium-col .podium-turn-tool", timeout=20_000)
        page.wait_for_function("document.querySelectorAll('.podium-col').length >= 2")
        text = page.text_content("#podium-gallery") or ""
        assert "<script>window.__pwned = 1</script>" in text  # shown literally, in the tool result and the reply
        assert page.evaluate("window.__pwned") is None and page.locator("#podium-gallery img").count() == 0
        assert "tool result · calculate_factorial" in text and '→ call calculate_factorial {"n": 10}' in text
        assert "tool_trace" in text and 'Write "Action:"' not in text  # the native trial's prompt has no Action block
        assert page.locator("select[aria-label=scenario] option").count() == len(SCENARIOS) + 1
        page.select_option("select[aria-label=filter]", "disagree")
        page.wait_for_function("location.hash.includes('filter=disagree')")
        page.goto(base + "/scenarios/")
        page.click("#podium-scenarios a[href*='q=writing-alps-sunrise/']")
        page.wait_for_selector(".podium-col .podium-turn-assistant", timeout=20_000)
        assert "Description of the sunrise scenery in the Alps" in (page.text_content("#podium-gallery") or "")
        assert errors == []
        browser.close()
