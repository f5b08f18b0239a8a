"""ARC-Challenge test split (1,172 questions, 3–5 choices), zero-shot, lm-eval ``arc_challenge`` v1.0.

lm-eval's task (``tasks/arc/arc_easy.yaml``, included by ``arc_challenge.yaml``): ``doc_to_text`` is
``"Question: {{question}}\\nAnswer:"``, ``doc_to_choice`` the choice texts, ``doc_to_target`` the gold index, the
default target delimiter " "; acc by summed log-likelihood, acc_norm by log-likelihood per character of the
choice text. The data file keeps the dataset's choice order and the 0-based gold index (its A–D / 1–4 labels are
not in the source), so the letters shown here are positions: A is the first choice.
"""

from __future__ import annotations

import json
from pathlib import Path

from evals.data import require_file
from evals.grader_records import ChoiceGrader
from evals.records import MetricRef
from evals.suites.base import Item, SuiteInfo
from evals.suites.multiple_choice import MCItem, MultipleChoiceSuite

# the one prompt definition: the prompt below and the suite version (template()) are both built from it
QUESTION = "Question: {question}\nAnswer:"
CHOICE = " {choice}"  # lm-eval's target_delimiter " " + the choice text


def context(question: str) -> str:
    return QUESTION.format(question=question)


def continuation(choice: str) -> str:
    return CHOICE.format(choice=choice)


class ARCChallenge(MultipleChoiceSuite):
    norm_metric = True
    base_info = SuiteInfo(
        id="arc_challenge", display_name="ARC-Challenge",
        description="Grade-school science questions that simple retrieval and co-occurrence methods get wrong "
                    "(AI2 Reasoning Challenge), test split, 3-5 choices, zero-shot (lm-eval arc_challenge v1.0). "
                    "acc picks the answer with the highest log-likelihood; acc_norm divides by its length in "
                    "characters.",
        protocol="loglikelihood", shots=0, split="test",
        main_metric=MetricRef(name="acc_norm", variant="loglikelihood"),
        files=("arc_challenge/test.jsonl",),
        metric_help={"acc": "highest summed log-likelihood", "acc_norm": "highest log-likelihood per character"},
    )

    def load(self, data_dir: Path) -> list[Item]:
        items: list[Item] = []
        with require_file(data_dir, self.info.files[0]).open(encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                row = json.loads(line)
                choices = tuple(str(c) for c in row["choices"])
                gold = int(row["answer_index"])
                ctx = context(str(row["question"]))
                items.append(MCItem(id=f"arc_challenge/test/{i:04d}", fields={"source_id": str(row["id"])},
                                    reference=self.label(gold), choices=choices, contexts=(ctx,) * len(choices),
                                    continuations=tuple(continuation(c) for c in choices), gold=gold,
                                    question=str(row["question"])))
        return items

    def template(self) -> str:
        return f"{QUESTION}|'{CHOICE}'"

    def grader_config(self) -> ChoiceGrader:
        return ChoiceGrader(protocol=self.protocol, acc_norm="len(choice) characters")
