"""The seed question's pages: names and claims from the story file and the reported rows, the verdict written from
the data (and flipping with it), costs from the stated formula, per-problem bins, the scenario failures with the
model's own outputs, and the head-to-head page (synthetic data, real Jinja templates)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.errors import ConfigError
from evals.records import MetricValue, ReportedResult
from evals.story import HeadToHeadClaim, load_story
from generator.site.load import load_site_data
from generator.site.seed_data import CostModel, ProblemStat, build_question
from generator.site.seed_failures import failure_views, matrix
from generator.site.seed_frames import label_sides
from generator.site.seed_page import head_to_head, render_seed
from generator.site.seed_verdict import usd, verdict
from tools.synth_site_data import generate

AZ = "Azure/azureml-assets evaluation_results/x ({})"
CLAIM = HeadToHeadClaim(title="t", challenger="Llama 3.1 405B", opponent="GPT-4o (", runner="Azure/azureml-assets")
STORY = """\
question: Does {ch} with repeated sampling match {op} on HumanEval?
suite: humaneval
challenger: {{model_id: {ch}, claims: [pass@100, pass@1000]}}
opponent: {{model_id: {op}, reported_as: ["GPT-4o (2024-08-06)", "GPT-4o (2024-05-13)"], metric: pass@1}}
cost:
  tokens: {{prompt_per_problem: 150, completion_per_sample: 200, source: assumed}}
  self_hosted: {{output_tokens_per_second: 4000, source: assumed}}
failures:
  - {{scenario: math-9-11-vs-9-9, label: 9.11 vs 9.9, why: decimals}}
  - {{scenario: tool-factorials, label: tool chaining}}
head_to_head: {{title: h2h, challenger: Llama 3.1 405B, opponent: "GPT-4o (", runner: Azure/azureml-assets}}
"""


def row(model: str, suite: str, value: float, date: str, source: str = AZ.format("abc"),
        metric: str = "acc") -> ReportedResult:
    return ReportedResult(model=model, suite=suite, metric=metric, value=value, shots=5, protocol="p",
                          source=source, source_date=date, notes=f"{model} {date}")


def story_site(tmp_path: Path, *, claims: tuple[float, float] = (0.905, 0.951)) -> Path:
    """Synthetic site_data with a story: synth-000 (Llama family) is the challenger, synth-001 (GPT-4o) the opponent."""
    root = tmp_path / "site_data"
    generate(root, models=3, scale=0.004, samples=12, trials=2)
    (root / "reported" / "claims.csv").write_text(
        "model,model_id,suite,metric,value,shots,protocol,source,source_date,notes\n"
        "Small,synth-000,humaneval,pass@1,0.726,0,card,model card,2024-07-23,\n"
        f"Small,synth-000,humaneval,pass@100,{claims[0]},0,sampling,seed article,2024-08-05,CLAIM\n"
        f"Small,synth-000,humaneval,pass@1000,{claims[1]},0,sampling,seed article,2024-08-05,CLAIM\n"
        "GPT-4o (2024-05-13),,humaneval,pass@1,0.9207,0,azure,Azure,2024-08-13,\n", encoding="utf-8")
    (root / "reported" / "story.yaml").write_text(STORY.format(ch="synth-000", op="synth-001"), encoding="utf-8")
    return root


def test_head_to_head_counts_wins_per_dated_opponent_run() -> None:
    reported = [
        row("Llama 3.1 405B Instruct", "boolq", 0.92, "2024-08-13"),
        row("Llama 3.1 405B Instruct", "piqa", 0.88, "2024-08-13"),
        row("Llama 3.1 405B Instruct", "drop", 0.80, "2024-08-13"),  # no opponent row: left out
        row("GPT-4o (2024-05-13)", "boolq", 0.90, "2024-06-13"),  # stale run: Llama wins both
        row("GPT-4o (2024-05-13)", "piqa", 0.84, "2024-06-13"),
        row("GPT-4o (2024-05-13)", "boolq", 0.91, "2024-08-13"),  # re-run: Llama wins one of two
        row("GPT-4o (2024-05-13)", "piqa", 0.94, "2024-08-13"),
        row("GPT-4o (2024-05-13)", "piqa", 0.99, "2024-05-13", source="openai/simple-evals"),  # other runner
        row("Llama 3.1 405B (base)", "boolq", 0.80, "2024-07-23", source="model card"),
        row("Llama 3.1 405B Instruct", "mmlu", 0.82, "2024-08-13", metric="acc (humanities)"),  # a category ...
        row("GPT-4o (2024-05-13)", "mmlu", 0.80, "2024-06-13", metric="acc (humanities)"),
        row("GPT-4o (2024-05-13)", "mmlu", 0.85, "2024-08-13", metric="acc (STEM)"),  # ... pairs only with itself
    ]
    h = head_to_head(reported, {}, {}, "../", CLAIM)
    assert h.challenger is not None and h.challenger.model == "Llama 3.1 405B Instruct"
    assert [s.date for s in h.sides] == ["2024-06-13", "2024-08-13"]
    assert h.wins(0) == (3, 3) and h.wins(1) == (1, 2)
    assert [(d.suite, d.metric) for d in h.duels] == [("boolq", "acc"), ("mmlu", "acc (humanities)"), ("piqa", "acc")]
    boolq = h.duels[0]
    assert boolq.base is not None and boolq.base.value == 0.80
    assert boolq.podium == "not a Podium suite" and boolq.podium_link is None
    # the names come from the story: another claim pairs other rows
    other = HeadToHeadClaim(title="t", challenger="GPT-4o (", opponent="Llama 3.1 405B", runner="Azure")
    assert head_to_head(reported, {}, {}, "../", other).wins(0) == (1, 3)  # piqa 0.94 > 0.88


def test_head_to_head_says_when_podium_has_no_run_of_either_model(tmp_path: Path) -> None:
    root = tmp_path / "site_data"
    generate(root, models=2, scale=0.004, samples=4, trials=1)
    data = load_site_data(root)
    reported = [row("Llama 3.1 405B Instruct", "boolq", 0.92, "2024-08-13"),
                row("GPT-4o (2024-05-13)", "boolq", 0.90, "2024-06-13")]
    shown = data.selection().shown
    gpt = {mid for mid, m in data.models.items() if m.name.startswith("GPT-4o")}
    (duel,) = head_to_head(reported, shown, data.models, "../", CLAIM).duels
    assert gpt and duel.podium.startswith(data.models[min(gpt)].name + ": acc ")  # a run of a GPT-4o model is shown
    others = {k: lr for k, lr in shown.items() if k[0] not in gpt}
    (duel,) = head_to_head(reported, others, data.models, "../", CLAIM).duels
    assert duel.podium.startswith("no Podium run of Llama 3.1 405B or GPT-4o") and duel.podium_link == "../suites/boolq/"
    views, models = matrix(data, "../")  # every scenario cell links to that model's transcripts
    assert views and models
    for v in views:
        for r in v.rows:
            for mid, c in r.cells.items():
                if c is not None:
                    assert c.link.startswith("../gallery/#suite=scenarios&q=" + v.info.id + "/")
                    assert c.link.endswith(f"&models={mid}")


def test_a_bad_story_file_is_one_line_naming_file_and_line(tmp_path: Path) -> None:
    assert load_story(tmp_path) is None  # no story: the page says so
    (tmp_path / "reported").mkdir()
    (tmp_path / "reported" / "story.yaml").write_text(
        STORY.format(ch="a", op="b").replace("output_tokens_per_second: 4000", "output_tokens_per_second: -1"))
    with pytest.raises(ConfigError) as e:
        load_story(tmp_path)
    assert "story.yaml:7" in str(e.value) and "output_tokens_per_second" in str(e.value)


def test_cost_formula_and_break_even() -> None:
    c = CostModel(150, 200, "", 4000.0, "", 2.5, "H100", "", 2.5, 10.0, "")
    assert c.challenger_usd(100) == pytest.approx(100 * 200 / 4000 * 2.5 / 3600)  # $0.00347
    assert c.opponent_usd() == pytest.approx((150 * 2.5 + 200 * 10) / 1e6)  # $0.002375
    tput, price = c.break_even(100) or (0.0, 0.0)
    assert CostModel(150, 200, "", tput, "", 2.5, "H100", "", 2.5, 10.0, "").challenger_usd(100) == \
        pytest.approx(c.opponent_usd())
    assert CostModel(150, 200, "", 4000.0, "", price, "H100", "", 2.5, 10.0, "").challenger_usd(100) == \
        pytest.approx(c.opponent_usd())
    assert CostModel(150, 200, "", 4000.0, "", None, "", "", None, None, "").break_even(100) is None
    assert [usd(x) for x in (2.5, 0.00238, 3.47e-5)] == ["$2.50", "$0.00238", "$0.0000347"]


def test_problem_bins_and_label_sides() -> None:
    assert [ProblemStat("p", c, 20).bin for c in (0, 1, 9, 10, 20)] == ["never", "many", "many", "one try", "one try"]
    assert label_sides([1, 100, 1000]) == ["left", "right", "right"]
    assert label_sides([100, 100, 1000]) == ["left", "none", "right"]


def test_question_from_story_rows_and_runs(tmp_path: Path) -> None:
    data = load_site_data(story_site(tmp_path))
    story = load_story(data.root)
    assert story is not None
    q = build_question(story, data)
    assert q.band is not None and (q.band.low, q.band.high) == (0.902, 0.9207)  # the model's row + reported_as
    assert [(p.k, p.claim) for p in q.published] == [(1, False), (100, True), (1000, True)]
    assert q.curves and all(c.run.suite.base == "humaneval" for c in q.curves)
    assert q.problems and all(len(pv.problems) == pv.curve.run.n_items for pv in q.problems)
    pv = q.problems[0]
    assert sum(pv.count(b) for b in ("one try", "many", "never")) == len(pv.problems)
    fails, models = failure_views(story.failures, data, "../")
    v = verdict(q, [])
    # the challenger has its own synthetic HumanEval run: the verdict rests on it, not on the claim
    runs = q.challenger_runs()
    assert runs and v.headline in ("Verified", "Refuted", "Not verified")
    assert any("pass@100" in s for s in v.sentences) and v.flips[0].startswith("Verified once a Podium run of")
    t = fails[0].trials[0][1]
    assert t and t[0].label == "greedy" and t[0].link.startswith("../gallery/#suite=scenarios&models=")
    assert "&item=math-9-11-vs-9-9/" in t[0].link


def test_verdict_flips_with_the_measured_run(tmp_path: Path) -> None:
    data = load_site_data(story_site(tmp_path))
    story = load_story(data.root)
    assert story is not None
    q = build_question(story, data)

    def measured(value: float, lo: float, hi: float) -> str:
        c = q.challenger_runs()[0]
        pts = (MetricValue(name="pass@k", variant="completion", k=100, value=value, n=164, ci_low=lo, ci_high=hi),)
        q.curves = [type(c)(c.label, c.model, c.run, pts)]
        return verdict(q, []).headline

    assert measured(0.97, 0.95, 0.99) == "Verified"  # CI above the band's top (92.07%)
    assert measured(0.91, 0.905, 0.915) == "Verified"  # inside the band (90.2%-92.07%): a match is a match
    assert measured(0.5, 0.45, 0.55) == "Refuted"  # CI below the band at the claimed k
    assert measured(0.91, 0.88, 0.94) == "Not verified"  # overlaps the band
    q.curves = [c for c in q.curves if c.model.id != story.challenger.model_id]
    assert verdict(q, []).headline == "Not verified"  # no run of the challenger at all


def test_render_seed_writes_the_question_and_its_head_to_head_page(tmp_path: Path) -> None:
    data = load_site_data(story_site(tmp_path))
    docs = tmp_path / "docs"
    render_seed(data, data.selection().shown, docs, [])
    page = (docs / "small-vs-large.md").read_text()
    for anchor in ("podium-q-verdict", "podium-q-match", "podium-q-cost", "podium-q-fail", "podium-seed-scenarios"):
        assert anchor in page
    assert "claim, not verified" in page and "../small-vs-large/head-to-head/" in page
    assert "k × $0.0000347" in page and "= $0.00237" in page  # the formula, with the story's numbers
    assert "9.11 vs 9.9" in page and "tool chaining" in page and "open in the gallery" in page
    assert "Llama 3.1 405B" not in page  # the other claim lives on its own page
    assert (docs / "small-vs-large" / "head-to-head.md").is_file()
    for chart in ("question-passk", "question-cost"):
        spec = json.loads((docs / "charts" / f"{chart}.json").read_text())
        assert spec["layer"]
    (data.root / "reported" / "story.yaml").unlink()  # without a story: the page says what is missing
    render_seed(load_site_data(data.root), data.selection().shown, docs, [])
    assert "No story file" in (docs / "small-vs-large.md").read_text()


def test_the_question_shows_the_boards_runs_and_counts_published_numbers_honestly() -> None:
    """On the committed data: the question's curves are the runs the board shows (SmolLM2's two HumanEval runs of an
    older suite version are on its model page only), and the band says its three published numbers hold two
    distinct values (two Azure catalogue entries report the same 92.07%)."""
    repo = Path(__file__).parents[2]
    data = load_site_data(repo / "site_data")
    story = load_story(data.root)
    assert story is not None
    q = build_question(story, data)
    shown = {id(lr.run) for lr in data.selection().shown.values()}
    older = [lr.run for lrs in data.selection().other.values() for lr in lrs if lr.run.suite.base == story.suite]
    assert older and q.curves and all(id(c.run) in shown for c in q.curves)
    assert not any(c.run is r for c in q.curves for r in older)
    assert q.band is not None and len(q.band.rows) == 3
    assert q.band.sources_text.startswith("3 published numbers, 2 distinct")


def test_a_tool_call_that_could_not_be_read_says_so() -> None:
    """An unreadable call is stored with no name and '{}' (which the model did not write): the question page says
    'unreadable tool call', never '({})'; what the model did write is kept, a readable call reads name(args)."""
    from evals.records import ToolCallRecord
    from generator.site.seed_failures import call_text

    stored = ToolCallRecord(name="", arguments="{}", error="invalid JSON: Expecting value")
    assert call_text(stored) == "unreadable tool call — invalid JSON: Expecting value"
    raw = ToolCallRecord(name="", arguments="gcd 6 8", error="no JSON object")
    assert call_text(raw) == "unreadable tool call: gcd 6 8 — no JSON object"
    named = ToolCallRecord(name="factorial", arguments='{"n": 5', error="invalid JSON")
    assert call_text(named) == 'factorial {"n": 5 — unreadable: invalid JSON'
    assert call_text(ToolCallRecord(name="gcd", arguments='{"a": 6, "b": 8}')) == 'gcd({"a": 6, "b": 8})'
    assert all("({})" not in call_text(c) for c in (stored, raw, named))
