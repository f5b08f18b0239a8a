"""The seed question's page: the head-to-head from reported rows and the scenario matrix's links (synthetic data)."""

from __future__ import annotations

from pathlib import Path

from evals.records import ReportedResult
from generator.site.load import load_site_data
from generator.site.seed_page import _matrix, head_to_head
from tools.synth_site_data import generate

AZ = "Azure/azureml-assets evaluation_results/x ({})"


def row(model: str, suite: str, value: float, date: str, source: str = AZ.format("abc"),
        metric: str = "acc") -> ReportedResult:
    return ReportedResult(model=model, suite=suite, metric=metric, value=value, shots=5, protocol="p",
                          source=source, source_date=date, notes=f"{model} {date}")


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
    h = head_to_head(reported, {}, {}, "../")
    assert h.challenger is not None and h.challenger.model == "Llama 3.1 405B Instruct"
    assert [s.date for s in h.sides] == ["2024-06-13", "2024-08-13"]
    assert h.wins(0) == (3, 3) and h.wins(1) == (1, 2)
    assert [(d.suite, d.metric) for d in h.duels] == [("boolq", "acc"), ("mmlu", "acc (humanities)"), ("piqa", "acc")]
    boolq = h.duels[0]
    assert boolq.base is not None and boolq.base.value == 0.80
    assert boolq.podium == "not a Podium suite" and boolq.podium_link is None


def test_head_to_head_says_when_podium_has_no_run_of_either_model(tmp_path: Path) -> None:
    root = tmp_path / "site_data"
    generate(root, models=2, scale=0.004, samples=4, trials=1)
    data = load_site_data(root)
    reported = [row("Llama 3.1 405B Instruct", "boolq", 0.92, "2024-08-13"),
                row("GPT-4o (2024-05-13)", "boolq", 0.90, "2024-06-13")]
    shown = data.selection().shown
    gpt = {mid for mid, m in data.models.items() if m.name.startswith("GPT-4o")}
    (duel,) = head_to_head(reported, shown, data.models, "../").duels
    assert gpt and duel.podium.startswith(data.models[min(gpt)].name + ": acc ")  # a run of a GPT-4o model is shown
    others = {k: lr for k, lr in shown.items() if k[0] not in gpt}
    (duel,) = head_to_head(reported, others, data.models, "../").duels
    assert duel.podium.startswith("no Podium run of Llama 3.1 405B or GPT-4o") and duel.podium_link == "../suites/boolq/"
    # the scenario matrix: every cell links to that model's transcripts of that scenario
    views, models = _matrix(data, "../")
    assert views and models
    for v in views:
        for r in v.rows:
            for mid, c in r.cells.items():
                if c is not None:
                    assert c.link.startswith("../gallery/#suite=scenarios&q=" + v.info.id + "/")
                    assert c.link.endswith(f"&models={mid}")
