"""WinoGrande 1.1 dev (1,267 items), zero-shot, lm-eval ``winogrande`` v1.0 partial scoring.

Each option is substituted for the blank and the sentence up to it is the context; the rest of the sentence
(after the blank, stripped, with lm-eval's " " target delimiter) is the scored continuation — the same text for
both options, so the comparison is log P(rest | prefix with option).
"""

from __future__ import annotations

import json
from pathlib import Path

from evals.data import require_file
from evals.grader_records import ChoiceGrader
from evals.records import MetricRef
from evals.suites.base import Item, SuiteInfo
from evals.suites.multiple_choice import MCItem, MultipleChoiceSuite


def partial(sentence: str, option: str) -> tuple[str, str]:
    idx = sentence.index("_")
    return sentence[:idx] + option, " " + sentence[idx + 1:].strip()


class Winogrande(MultipleChoiceSuite):
    base_info = SuiteInfo(
        id="winogrande", display_name="WinoGrande",
        description="Pronoun/blank resolution, WinoGrande 1.1 dev split, zero-shot, partial scoring "
                    "(lm-eval winogrande v1.0).",
        protocol="loglikelihood", shots=0, split="dev", main_metric=MetricRef(name="acc", variant="loglikelihood"),
        files=("winogrande/dev.jsonl",),
        metric_help={"loglikelihood": "pick = option whose prefix makes the rest of the sentence most likely"},
    )

    def load(self, data_dir: Path) -> list[Item]:
        items: list[Item] = []
        with require_file(data_dir, self.info.files[0]).open(encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                row = json.loads(line)
                s = row["sentence"]
                (c1, rest), (c2, _) = partial(s, row["option1"]), partial(s, row["option2"])
                gold = int(row["answer"]) - 1
                items.append(MCItem(id=f"winogrande/dev/{i:04d}", fields={"sentence": s},
                                    reference=str(row["answer"]), choices=(row["option1"], row["option2"]),
                                    contexts=(c1, c2), continuations=(rest, rest), gold=gold,
                                    question=f"Fill in the blank: {s}"))
        return items

    def label(self, k: int) -> str:
        return ("A", "B")[k]

    def template(self) -> str:
        return "{sentence[:blank]}{option}|' {sentence[blank+1:].strip()}'"

    def grader_config(self) -> ChoiceGrader:
        return ChoiceGrader(protocol=self.protocol, scoring="partial")
