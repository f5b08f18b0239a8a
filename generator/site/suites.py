"""What the site knows of each suite, read from its runs' records (never from the suite's id): names, protocol,
main metric, baselines (chance, majority), whether it counts in the average and which models its protocol is for."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from evals.records import MetricRef, ModelEntry, ReportedResult, RunRecord, SuiteRecord
from generator.site.load import LoadedRun

S = TypeVar("S", "SuiteInfo", SuiteRecord)  # a suite as the board sees it, or as its run records it

PLAIN_VARIANTS = ("default", "loglikelihood", "completion", "pass")  # variants not worth naming in a label


def metric_label(ref: MetricRef | None) -> str:
    """'acc', 'exact_match · strict', 'acc · macro', 'pass@1' — the one label of a main metric."""
    if ref is None:
        return "score"
    extra = [] if ref.variant in PLAIN_VARIANTS else [ref.variant]
    if ref.aggregation == "macro":
        extra.append("macro")
    return " · ".join([ref.label, *extra])


@dataclass(frozen=True)
class SuiteInfo:
    """One suite as its newest shown run records it."""

    id: str
    base: str
    name: str
    description: str
    protocol: str
    shots: int
    split: str
    main: MetricRef | None
    metric_help: dict[str, str]
    version: str
    template_sha: str
    dataset_sha256: str
    items_total: int
    chance: float | None
    majority: float | None
    majority_label: str | None
    in_average: bool
    intended_for: str

    @classmethod
    def of(cls, s: SuiteRecord) -> SuiteInfo:
        return cls(s.id, s.base, s.display_name or s.id, s.description or "", s.protocol, s.shots, s.split,
                   s.main_metric, dict(s.metric_help), s.version, s.template_sha, s.dataset_sha256, s.items_total,
                   s.chance, s.majority, s.majority_label, s.in_average, s.intended_for)

    @property
    def metric(self) -> str:
        return metric_label(self.main)

    @property
    def baseline(self) -> float:
        """The normalised average's zero: :func:`baseline`."""
        return baseline(self.chance, self.majority)


def suite_infos(shown: dict[tuple[str, str], LoadedRun]) -> dict[str, SuiteInfo]:
    """Suite id → :class:`SuiteInfo` from the newest shown run of each suite, in board order: suites that count in
    the average first, then by name."""
    infos: dict[str, SuiteInfo] = {}
    for lr in sorted(shown.values(), key=lambda r: r.run.finished_at):
        infos[lr.run.suite.id] = SuiteInfo.of(lr.run.suite)
    return dict(sorted(infos.items(), key=lambda kv: (not kv[1].in_average, kv[1].name.lower(), kv[0])))


def fits(suite: SuiteInfo | SuiteRecord, model: ModelEntry) -> bool:
    """Whether the suite's protocol is made for this kind of model (chat or base), or for any."""
    return suite.intended_for == "any" or suite.intended_for == ("chat" if model.chat else "base")


def average_pick(counted: list[S], model: ModelEntry) -> S | None:
    """Of one base suite's counted protocols for a model, the one its Avg takes (the board and the model page both
    ask here): the protocol made for the model's kind first (chat → the chat variant, base → completion), else any
    (its flag is shown)."""
    return next(iter([s for s in counted if fits(s, model)] or counted), None)


@dataclass(frozen=True)
class NotRun:
    """Why a board column has no cell for a model, when the reason is the model's kind (shown instead of '–')."""

    label: str  # the cell's text: "chat-only suite"
    why: str  # its title: one sentence
    older: int = 0  # runs of this column's suite on this model that are of another suite version (model page)


def not_run_note(info: SuiteInfo, model: ModelEntry, older: int = 0) -> NotRun:
    """'chat-only suite' for a base model under a chat protocol; 'for base models' for a chat model under a
    completion protocol (it runs the chat variant, where the suite has one); ``older``: the model's runs of this
    suite of another suite version (on its model page)."""
    also = f"; {older} run(s) of an older version of this suite are listed on the model page" if older else ""
    if model.chat:
        return NotRun("for base models", f"{info.name}'s protocol is made for base (pretrained) models; "
                      f"{model.name} is a chat model, so it runs the suite's chat protocol where there is one{also}",
                      older)
    return NotRun("chat-only suite", f"{info.name} needs a chat template; {model.name} is a base (pretrained) model "
                  f"without one, so this suite is not run on it{also}", older)


def protocol_flag(run: RunRecord, model: ModelEntry) -> str:
    """'protocol: completion on a chat model' when the suite's protocol is made for the other kind of model."""
    made_for = run.suite.intended_for
    if model.chat and made_for == "base":
        return "protocol: completion on a chat model"
    if not model.chat and made_for == "chat":
        return "protocol: chat on a base model"
    return ""


def baseline(chance: float | None, majority: float | None) -> float:
    """The better of the two trivial strategies — guessing at random and always giving the split's most common
    answer (a yes/no suite whose answers are 62% 'yes') — 0 where the suite has neither (free answers)."""
    return max(chance or 0.0, majority or 0.0)


@dataclass(frozen=True)
class BelowBaseline:
    """A score that does not beat its suite's :func:`baseline`: the flag a cell shows and the sentence behind it."""

    baseline: float
    how: str  # "always answering 'yes'" | "guessing at random"
    in_average: bool

    @property
    def label(self) -> str:
        return f"≤ baseline {self.baseline:.1%}"

    @property
    def text(self) -> str:
        """'no better than always answering 'yes' (62.2%) — counts 0 in Avg'."""
        return f"no better than {self.how} ({self.baseline:.1%})" + (" — counts 0 in Avg" if self.in_average else "")


def baseline_note(run: RunRecord, value: float) -> BelowBaseline | None:
    """Set when the score does not beat the suite's :func:`baseline`; None otherwise (and for suites without one)."""
    s = run.suite
    floor = baseline(s.chance, s.majority)
    if floor == 0 or value > floor:
        return None
    how = (f"always answering '{s.majority_label}'" if s.majority_label and (s.majority or 0) >= (s.chance or 0)
           else "guessing at random")
    return BelowBaseline(floor, how, s.in_average)


def bias_note(run: RunRecord) -> str:
    """'answers 'no' on 90% of items — its <suite> score reflects that bias, not the task' when flagged (> 80%)."""
    rb = run.response_bias
    if rb is None or not rb.flagged:
        return ""
    name = run.suite.display_name or run.suite.id
    return f"answers '{rb.label}' on {rb.share:.0%} of items — its {name} score reflects that bias, not the task"


def bias_text(run: RunRecord) -> str:
    """The response bias in words (shown whether flagged or not): "'C' on 63% of 285 picks"."""
    rb = run.response_bias
    if rb is None:
        return ""
    yes = f"; 'yes' {rb.yes_share:.0%}" if rb.yes_share is not None else ""
    return f"'{rb.label}' on {rb.share:.0%} of {rb.n:,} picks{yes}"


def reported_column(r: ReportedResult, infos: Iterable[SuiteInfo], model: ModelEntry | None) -> SuiteInfo | None:
    """The one column a published number belongs to: of its suite's columns (a suite may have a completion and a
    chat protocol), the first whose protocol is made for the model's kind — a model without an entry is taken as a
    chat model (published numbers come from assistants and model cards' instruct rows), else the first column."""
    twins = [c for c in infos if c.base == r.suite]
    fitting = [c for c in twins if (fits(c, model) if model is not None else c.intended_for != "base")]
    return next(iter(fitting or twins), None)


def reported_on(info: SuiteInfo, infos: Iterable[SuiteInfo], reported: Iterable[ReportedResult],
                models: Mapping[str, ModelEntry]) -> list[ReportedResult]:
    """The published numbers a suite's page shows: those whose column (:func:`reported_column`) is this suite."""
    infos = list(infos)
    out = []
    for r in (r for r in reported if r.suite == info.base):
        col = reported_column(r, infos, models.get(r.model_id or ""))
        if col is not None and col.id == info.id:
            out.append(r)
    return out
