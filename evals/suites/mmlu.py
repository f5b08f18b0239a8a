"""MMLU, 57 subjects, 5-shot from dev, lm-eval's ``mmlu`` template (task version 1.0), scored on " A".." D".

Item order: subjects alphabetically, rows in file order. ``--limit N`` takes the first N items of EACH subject
(as lm-eval's --limit does for the mmlu group). Reported: overall accuracy as a mean over items (micro, the
main metric, as lm-eval's group score with weight_by_size), the mean over subjects (macro, as Meta's Llama 3.1
card reports), per-category (STEM / humanities / social sciences / other; micro within each) and per-subject.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from evals.data import require_file
from evals.errors import ConfigError
from evals.grader_records import ChoiceGrader
from evals.grading.stats import mean_ci, proportion
from evals.records import Group, MetricRef, MetricValue, SampleRecord
from evals.suites.base import Item, SuiteInfo
from evals.suites.multiple_choice import LETTERS, MCItem, MultipleChoiceSuite

SHOTS = 5  # the few-shot count: the prompt, the few-shot ids and the suite record are all derived from it
CATEGORY_NAMES = {"STEM": "STEM", "humanities": "humanities", "social sciences": "social sciences",
                  "other (business, health, misc.)": "other"}
# The roll-ups follow lm-eval (mmlu_stem/humanities/social_sciences/other, 19/13/12/13 subjects), which differs
# from the dataset's own categories.json (Hendrycks et al.) in one subject: anatomy is "other" (health) there,
# STEM in lm-eval. Found by the parity benchmark; lm-eval's grouping is what leaderboards report.
LMEVAL_CATEGORY = {"anatomy": "STEM"}
# lm-eval's grouping of the 57 subjects, as data: the category roll-ups are a pure function of the samples (no
# state kept from load); a test checks it against the data directory's categories.json with the override above.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "STEM": ("abstract_algebra", "anatomy", "astronomy", "college_biology", "college_chemistry",
             "college_computer_science", "college_mathematics", "college_physics", "computer_security",
             "conceptual_physics", "electrical_engineering", "elementary_mathematics", "high_school_biology",
             "high_school_chemistry", "high_school_computer_science", "high_school_mathematics",
             "high_school_physics", "high_school_statistics", "machine_learning"),
    "humanities": ("formal_logic", "high_school_european_history", "high_school_us_history",
                   "high_school_world_history", "international_law", "jurisprudence", "logical_fallacies",
                   "moral_disputes", "moral_scenarios", "philosophy", "prehistory", "professional_law",
                   "world_religions"),
    "social sciences": ("econometrics", "high_school_geography", "high_school_government_and_politics",
                        "high_school_macroeconomics", "high_school_microeconomics", "high_school_psychology",
                        "human_sexuality", "professional_psychology", "public_relations", "security_studies",
                        "sociology", "us_foreign_policy"),
    "other": ("business_ethics", "clinical_knowledge", "college_medicine", "global_facts", "human_aging",
              "management", "marketing", "medical_genetics", "miscellaneous", "nutrition", "professional_accounting",
              "professional_medicine", "virology"),
}
CATEGORY_OF = {subject: cat for cat, subjects in CATEGORIES.items() for subject in subjects}


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [row for row in csv.reader(fh) if row]


def format_row(row: Sequence[str], with_answer: bool) -> str:
    q, *opts, ans = row
    text = q.strip() + "".join(f"\n{LETTERS[k]}. {o}" for k, o in enumerate(opts)) + "\nAnswer:"
    return text + (f" {ans}" if with_answer else "")


def fewshot_prefix(subject: str, shots: Sequence[Sequence[str]]) -> str:
    """The subject's description and 5-shot block, cut before the blank line that precedes the question (a
    token boundary: "\n\n" before a word tokenises differently than at the end of a text)."""
    desc = f"The following are multiple choice questions (with answers) about {subject.replace('_', ' ')}."
    return desc + "".join("\n\n" + format_row(s, True) for s in shots)


def build_context(subject: str, shots: Sequence[Sequence[str]], row: Sequence[str]) -> str:
    return fewshot_prefix(subject, shots) + "\n\n" + format_row(row, False)


class MMLU(MultipleChoiceSuite):
    base_info = SuiteInfo(
        id="mmlu", display_name="MMLU",
        description="57 subjects, 5-shot from dev (lm-eval mmlu v1.0), log-likelihood of ' A'..' D'. The main "
                    "score is the mean over items; the mean over subjects is also reported.",
        protocol="loglikelihood", shots=SHOTS, split="test", main_metric=MetricRef(name="acc", variant="loglikelihood"),
        files=("mmlu/categories.json",),
        metric_help={"loglikelihood": "pick = highest log P(' A'…' D' | 5-shot prompt)"},
    )

    def __init__(self, protocol: str = "loglikelihood", subjects: Sequence[str] | None = None) -> None:
        super().__init__(protocol)  # type: ignore[arg-type]
        self.subjects = tuple(subjects) if subjects else None

    def categories(self, data_dir: Path) -> dict[str, str]:
        raw = json.loads(require_file(data_dir, "mmlu/categories.json").read_text(encoding="utf-8"))
        subjects = raw.get("subjects", raw)
        return {s: LMEVAL_CATEGORY.get(s) or CATEGORY_NAMES.get(v["category"], v["category"])
                for s, v in subjects.items()}

    def load(self, data_dir: Path) -> list[Item]:
        cats = self.categories(data_dir)
        names = sorted(cats)
        if self.subjects:
            unknown = sorted(set(self.subjects) - set(names))
            if unknown:
                raise ConfigError(f"unknown MMLU subject(s): {', '.join(unknown)}", where="--subjects",
                                  fix=f"choose from: {', '.join(names[:6])}, … ({len(names)} subjects)")
            names = [n for n in names if n in self.subjects]
        items: list[Item] = []
        for subj in names:
            shots = read_csv(require_file(data_dir, f"mmlu/dev/{subj}_dev.csv"))[:SHOTS]
            for i, row in enumerate(read_csv(require_file(data_dir, f"mmlu/test/{subj}_test.csv"))):
                ctx = build_context(subj, shots, row)
                gold = LETTERS.index(row[5].strip())
                items.append(MCItem(id=f"mmlu/{subj}/{i:04d}", fields={"subject": subj}, reference=row[5].strip(),
                                    choices=tuple(row[1:5]), group=Group(kind="subject", id=subj), contexts=(ctx,) * 4,
                                    continuations=tuple(f" {L}" for L in LETTERS[:4]), gold=gold,
                                    question=format_row(row, False).removesuffix("\nAnswer:"),
                                    prefix=fewshot_prefix(subj, shots)))
        return items

    def data_files(self, data_dir: Path) -> list[str]:
        names = sorted(self.categories(data_dir))
        return ["mmlu/categories.json", *(f"mmlu/dev/{n}_dev.csv" for n in names),
                *(f"mmlu/test/{n}_test.csv" for n in names)]

    limit_per = "subject"
    strata_name = "subject"

    def stratum(self, item: Item) -> str:
        return item.group.id if item.group else ""

    def first_n(self, items: Sequence[Item], limit: int) -> list[Item]:
        seen: dict[Group | None, int] = defaultdict(int)
        out = []
        for it in items:
            if seen[it.group] < limit:
                seen[it.group] += 1
                out.append(it)
        return out

    def metrics(self, samples: Sequence[SampleRecord]) -> list[MetricValue]:
        out = super().metrics(samples)
        by_subject: dict[str, list[float]] = defaultdict(list)
        for s in samples:
            by_subject[s.group.id if s.group else "?"].append(s.scores["acc"])
        by_cat: dict[str, list[float]] = defaultdict(list)
        for subj, vals in by_subject.items():
            by_cat[CATEGORY_OF.get(subj, "other")].extend(vals)
        means = [sum(v) / len(v) for v in by_subject.values()]
        if means:  # macro: mean over subjects; CI by normal approximation over subject means
            m, lo, hi = mean_ci(means)
            out.append(MetricValue(name="acc", variant=self.protocol, group=None, value=m, n=len(means),
                                   ci_low=max(0.0, lo), ci_high=min(1.0, hi), ci_method="stderr",
                                   aggregation="macro"))
        out += [proportion("acc", self.protocol, v, Group(kind="category", id=c)) for c, v in sorted(by_cat.items())]
        out += [proportion("acc", self.protocol, v, Group(kind="subject", id=s)) for s, v in sorted(by_subject.items())]
        return out

    def template(self) -> str:
        return build_context("{subject}", [["{shot}", "{a}", "{b}", "{c}", "{d}", "{X}"]] * SHOTS,
                             ["{question}", "{a}", "{b}", "{c}", "{d}", "?"]) + "|' A'..' D'"

    def fewshot_ids(self) -> list[str]:
        return [f"mmlu/dev/<subject>/0-{SHOTS - 1}"]

    def grader_config(self) -> ChoiceGrader:
        return ChoiceGrader(protocol=self.protocol, choices=[" A", " B", " C", " D"], lm_eval="mmlu 1.0",
                            categories="lm-eval groups (anatomy in STEM)")
