"""BoolQ validation (3,270 items), zero-shot, lm-eval ``boolq`` (super_glue, v2.0): " no" / " yes"."""

from __future__ import annotations

import json
import re
from pathlib import Path

from evals.data import require_file
from evals.grader_records import ChoiceGrader
from evals.records import MetricRef
from evals.suites.base import Item, SuiteInfo
from evals.suites.multiple_choice import MCItem, MultipleChoiceSuite

YES_NO_RE = re.compile(r"\b(yes|no)\b", re.IGNORECASE)
ANSWER_IS_RE = re.compile(r"\banswer\s*(?:is|:)\s*\**\s*(yes|no)\b", re.IGNORECASE)


def context(passage: str, question: str) -> str:
    return f"{passage}\nQuestion: {question}?\nAnswer:"


class BoolQ(MultipleChoiceSuite):
    base_info = SuiteInfo(
        id="boolq", display_name="BoolQ",
        description="Yes/no questions about a Wikipedia passage, validation split, zero-shot (lm-eval boolq v2.0).",
        protocol="loglikelihood", shots=0, split="validation", main_metric=MetricRef(name="acc", variant="loglikelihood"),
        files=("boolq/dev.jsonl",),
        metric_help={"loglikelihood": "pick = higher of log P(' no'), log P(' yes')"},
    )

    def load(self, data_dir: Path) -> list[Item]:
        items: list[Item] = []
        with require_file(data_dir, self.info.files[0]).open(encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                row = json.loads(line)
                # lm-eval reads SuperGLUE's passage, which is "TITLE -- PASSAGE"; this file splits the two
                passage = f"{row['title']} -- {row['passage']}" if row.get("title") else row["passage"]
                ctx = context(passage, row["question"])
                gold = int(bool(row["answer"]))
                items.append(MCItem(id=f"boolq/dev/{i:04d}", fields={"title": row.get("title", "")},
                                    reference="yes" if gold else "no", choices=("no", "yes"), contexts=(ctx,) * 2,
                                    continuations=(" no", " yes"), gold=gold,
                                    question=f"{passage}\nQuestion: {row['question']}?"))
        return items

    def label(self, k: int) -> str:
        return ("no", "yes")[k]

    def parse_choice(self, text: str, it: MCItem) -> int | None:
        """0 for no, 1 for yes: the last "answer is yes/no", else the first yes/no word of the reply."""
        explicit = ANSWER_IS_RE.findall(text)
        words = explicit or YES_NO_RE.findall(text)[:1]
        return ("no", "yes").index(words[-1].lower()) if words else None

    def generative_prompt(self, it: MCItem) -> str:
        return f"{it.question}\n\nAnswer with yes or no only."

    def template(self) -> str:
        return context("{passage}", "{question}") + "|' no',' yes'"

    def grader_config(self) -> ChoiceGrader:
        parse = "answer is yes/no, else the first yes/no word" if self.protocol == "generative" else None
        return ChoiceGrader(protocol=self.protocol, choices=[" no", " yes"], parse=parse)
