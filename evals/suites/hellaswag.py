"""HellaSwag validation (10,042 items), zero-shot, lm-eval ``hellaswag`` v1.0 preprocessing; acc and acc_norm."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from evals.data import require_file
from evals.grader_records import ChoiceGrader
from evals.records import MetricRef
from evals.suites.base import Item, SuiteInfo
from evals.suites.multiple_choice import MCItem, MultipleChoiceSuite


def preprocess(text: str) -> str:
    """lm-eval's cleanup: bracketed WikiHow artifacts removed, ' [title]' → '. ', double spaces collapsed."""
    text = text.strip()
    text = text.replace(" [title]", ". ")
    text = re.sub("\\[.*?\\]", "", text)
    return text.replace("  ", " ")


def query(row: dict[str, object]) -> str:
    ctx = f"{row['ctx_a']} {str(row['ctx_b']).capitalize()}"
    return preprocess(f"{row['activity_label']}: {ctx}")


class HellaSwag(MultipleChoiceSuite):
    norm_metric = True
    base_info = SuiteInfo(
        id="hellaswag", display_name="HellaSwag",
        description="Commonsense sentence completion, validation split, zero-shot (lm-eval hellaswag v1.0). acc "
                    "picks the ending with the highest log-likelihood; acc_norm divides by its length in characters.",
        protocol="loglikelihood", shots=0, split="validation", main_metric=MetricRef(name="acc_norm", variant="loglikelihood"),
        files=("hellaswag/hellaswag_val.jsonl.gz",),
        metric_help={"acc": "highest summed log-likelihood", "acc_norm": "highest log-likelihood per character"},
    )

    def load(self, data_dir: Path) -> list[Item]:
        items: list[Item] = []
        with gzip.open(require_file(data_dir, self.info.files[0]), "rt", encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                row = json.loads(line)
                q = query(row)
                endings = tuple(preprocess(str(e)) for e in row["endings"])
                items.append(MCItem(id=f"hellaswag/val/{i:05d}",
                                    fields={"activity": str(row["activity_label"]),
                                            "source": str(row.get("source_id", "")).partition("~")[0]},
                                    reference=str(row["label"]), choices=endings, contexts=(q,) * 4,
                                    continuations=tuple(f" {e}" for e in endings), gold=int(row["label"]),
                                    question=f"How does this most plausibly continue?\n{q}"))
        return items

    strata_name = "source"  # ActivityNet (the file's first 3,243 rows, easier) and WikiHow

    def stratum(self, item: Item) -> str:
        return item.fields.get("source", "")

    def template(self) -> str:
        return "{activity_label}: {ctx_a} {ctx_b.capitalize()}|' {ending}'|preprocess=lm-eval-v1"

    def grader_config(self) -> ChoiceGrader:
        return ChoiceGrader(protocol=self.protocol,
                            acc_norm="len(choice) characters, as preprocessed (a leading space kept)")
