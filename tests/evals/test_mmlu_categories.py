"""MMLU's category roll-ups are a pure function of the samples: the suite's lm-eval grouping (data in the module)
equals the data directory's categories.json with lm-eval's one override, and metrics need no load() first."""

from __future__ import annotations

from pathlib import Path

from evals.records import Group, SampleRecord
from evals.suites.mmlu import CATEGORIES, CATEGORY_OF, MMLU


def test_grouping_matches_categories_json(data_dir: Path) -> None:
    assert MMLU().categories(data_dir) == CATEGORY_OF
    assert {c: len(s) for c, s in CATEGORIES.items()} == {"STEM": 19, "humanities": 13, "social sciences": 12,
                                                          "other": 13}


def test_category_metrics_without_load() -> None:
    def sample(subject: str, i: int, acc: float) -> SampleRecord:
        return SampleRecord(item_id=f"mmlu/{subject}/{i:04d}", prompt_sha256="0" * 64,
                            group=Group(kind="subject", id=subject), outputs=[], scores={"acc": acc})

    samples = [sample("anatomy", 0, 1.0), sample("anatomy", 1, 0.0), sample("philosophy", 0, 1.0),
               sample("virology", 0, 0.0)]
    by_cat = {m.group.id: (m.value, m.n) for m in MMLU().metrics(samples)
              if m.group is not None and m.group.kind == "category"}
    assert by_cat == {"STEM": (0.5, 2), "humanities": (1.0, 1), "other": (0.0, 1)}
