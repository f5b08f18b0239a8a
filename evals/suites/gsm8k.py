"""GSM8K with lm-evaluation-harness's ``gsm8k_cot`` protocol (task version 3.0).

8-shot chain of thought with the fixed exemplars of Wei et al. (2022), "Q: … A: …" blocks joined by a blank
line, greedy decoding until "Q:", "</s>" or "<|im_end|>" (256 new tokens). Two scores, both reported:
``strict`` — the first "The answer is N." — and ``flexible`` — the last number in the output. Both are
compared after lm-eval's normalisation (drop ",", "$", everything up to "#### ", one trailing "."; case-folded).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from evals.backends.base import Completion, GenerateRequest, Sampling
from evals.data import require_file
from evals.grader_records import AnswerGrader
from evals.grading.stats import proportion
from evals.records import ItemText, MetricRef, MetricValue, NumericDetail, OutputRecord, SampleRecord
from evals.suites.base import Item, Suite, SuiteInfo
from evals.suites.requests import Generate, Output, Request

FEWSHOT: tuple[tuple[str, str], ...] = (
    ("There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, "
     "there will be 21 trees. How many trees did the grove workers plant today?",
     "There are 15 trees originally. Then there were 21 trees after some more were planted. So there must have "
     "been 21 - 15 = 6. The answer is 6."),
    ("If there are 3 cars in the parking lot and 2 more cars arrive, how many cars are in the parking lot?",
     "There are originally 3 cars. 2 more cars arrive. 3 + 2 = 5. The answer is 5."),
    ("Leah had 32 chocolates and her sister had 42. If they ate 35, how many pieces do they have left in total?",
     "Originally, Leah had 32 chocolates. Her sister had 42. So in total they had 32 + 42 = 74. After eating 35, "
     "they had 74 - 35 = 39. The answer is 39."),
    ("Jason had 20 lollipops. He gave Denny some lollipops. Now Jason has 12 lollipops. How many lollipops did "
     "Jason give to Denny?",
     "Jason started with 20 lollipops. Then he had 12 after giving some to Denny. So he gave Denny 20 - 12 = 8. "
     "The answer is 8."),
    ("Shawn has five toys. For Christmas, he got two toys each from his mom and dad. How many toys does he have "
     "now?",
     "Shawn started with 5 toys. If he got 2 toys each from his mom and dad, then that is 4 more toys. 5 + 4 = 9. "
     "The answer is 9."),
    ("There were nine computers in the server room. Five more computers were installed each day, from monday to "
     "thursday. How many computers are now in the server room?",
     "There were originally 9 computers. For each of 4 days, 5 more computers were added. So 5 * 4 = 20 "
     "computers were added. 9 + 20 is 29. The answer is 29."),
    ("Michael had 58 golf balls. On tuesday, he lost 23 golf balls. On wednesday, he lost 2 more. How many golf "
     "balls did he have at the end of wednesday?",
     "Michael started with 58 golf balls. After losing 23 on tuesday, he had 58 - 23 = 35. After losing 2 more, "
     "he had 35 - 2 = 33 golf balls. The answer is 33."),
    ("Olivia has $23. She bought five bagels for $3 each. How much money does she have left?",
     "Olivia had 23 dollars. 5 bagels for 3 dollars each will be 5 x 3 = 15 dollars. So she has 23 - 15 dollars "
     "left. 23 - 15 is 8. The answer is 8."),
)
STOP = ("Q:", "</s>", "<|im_end|>")
STRICT_RE = re.compile(r"The answer is (\-?[0-9\.\,]+).")
FLEXIBLE_RE = re.compile(r"(-?[$0-9.,]{2,})|(-?[0-9]+)")
IGNORE = (",", r"\$", r"(?s).*#### ", r"\.$")
INVALID = "[invalid]"


def fewshot_prefix() -> str:
    """The 8-shot block every prompt starts with, cut before the blank line that follows it (the cut must be a
    token boundary: a trailing "\n\n" would tokenise differently alone than before "Q:")."""
    return "\n\n".join(f"Q: {q}\nA: {a}" for q, a in FEWSHOT)


def build_prompt(question: str) -> str:
    return fewshot_prefix() + f"\n\nQ: {question}\nA:"


def reference_answer(answer_field: str) -> str:
    return answer_field.split("####")[-1].strip()


def extract_strict(text: str) -> str:
    """lm-eval strict-match: first 'The answer is N.' (RegexFilter, group 0, take_first)."""
    found = STRICT_RE.findall(text)
    return found[0].strip() if found else INVALID


def extract_flexible(text: str) -> str:
    """lm-eval flexible-extract: the last number-like span (group_select -1)."""
    found = FLEXIBLE_RE.findall(text)
    if not found:
        return INVALID
    parts = [g for g in found[-1] if g]
    return parts[0].strip() if parts else INVALID


def normalize(text: str) -> str:
    for pattern in IGNORE:
        text = re.sub(pattern, "", text)
    return text.lower()


def is_correct(extracted: str, reference: str) -> bool:
    return normalize(extracted) == normalize(reference)


class GSM8K(Suite):
    info = SuiteInfo(
        id="gsm8k", display_name="GSM8K",
        description="Grade-school math word problems, 8-shot chain of thought (lm-eval gsm8k_cot v3.0).",
        protocol="generative", shots=8, split="test", main_metric=MetricRef(name="exact_match", variant="strict"),
        files=("gsm8k/test.jsonl",),
        metric_help={"strict": "first 'The answer is N.' in the output",
                     "flexible": "last number anywhere in the output"},
    )

    def load(self, data_dir: Path) -> list[Item]:
        path = require_file(data_dir, self.info.files[0])
        items = []
        with path.open(encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                row = json.loads(line)
                items.append(Item(id=f"gsm8k/test/{i:04d}", fields={"question": row["question"]},
                                  reference=reference_answer(row["answer"])))
        return items

    def default_sampling(self) -> Sampling:
        return Sampling(max_tokens=256, temperature=0.0, top_p=1.0, n=1, stop=STOP, seed=0)

    def request(self, item: Item, sampling: Sampling) -> GenerateRequest:
        return GenerateRequest(key=item.id, prompt=build_prompt(item.fields["question"]), sampling=sampling,
                               prefix=fewshot_prefix())

    def requests(self, item: Item, sampling: Sampling) -> list[Request]:
        return [Generate(self.request(item, sampling))]

    def score(self, item: Item, outputs: Sequence[Output]) -> SampleRecord:
        completion = outputs[0]
        assert isinstance(completion, Completion)
        outs = []
        for text, finish in zip(completion.texts, completion.finish, strict=True):
            strict, flexible = extract_strict(text), extract_flexible(text)
            scores = {"strict": float(is_correct(strict, item.reference)),
                      "flexible": float(is_correct(flexible, item.reference))}
            outs.append(OutputRecord(
                text=text, finish=finish, tokens=completion.completion_tokens // max(1, len(completion.texts)),
                scores=scores, error=completion.error, detail=NumericDetail(strict=strict, flexible=flexible)))
        item_scores = {k: sum(o.scores[k] for o in outs) / len(outs) for k in ("strict", "flexible")} if outs else {}
        return SampleRecord(item_id=item.id, prompt_sha256=self.prompt_sha256(item), outputs=outs,
                            scores=item_scores, prompt_tokens=completion.prompt_tokens,
                            prompt_tokens_cached=completion.cached_tokens)

    def item_text(self, item: Item) -> ItemText:
        return ItemText(item_id=item.id, question=item.fields["question"], reference=item.reference)

    def metrics(self, samples: Sequence[SampleRecord]) -> list[MetricValue]:
        return [proportion("exact_match", v, [s.scores[v] for s in samples]) for v in ("strict", "flexible")]

    def template(self) -> str:
        return build_prompt("{question}") + "\n[stop]" + "|".join(STOP)

    def fewshot_ids(self) -> list[str]:
        return [f"gsm8k_cot/wei2022/{i}" for i in range(len(FEWSHOT))]

    def grader_config(self) -> AnswerGrader:
        return AnswerGrader(strict=STRICT_RE.pattern, flexible=FLEXIBLE_RE.pattern, ignore=list(IGNORE),
                            ignore_case=True, lm_eval_task="gsm8k_cot", task_version=3.0)
