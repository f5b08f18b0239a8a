"""A suite = data + pure functions: ``load`` (the items), ``requests(item, sampling)`` (typed, see
:mod:`evals.suites.requests`), ``score(item, outputs)`` (one sample record) and ``metrics(samples)``, and the
metadata that versions it. The runner executes the requests; a suite never calls a backend."""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from evals.backends.base import Backend, Sampling
from evals.grader_records import GraderConfig
from evals.hashing import suite_version
from evals.records import (
    ChatTurn,
    Group,
    IntendedFor,
    ItemText,
    MetricRef,
    MetricValue,
    Protocol,
    ResponseBias,
    SampleRecord,
    SelectionRecord,
    SuiteRecord,
)
from evals.suites.requests import Converse, Generate, JudgedCode, LogLikelihood, Output, Request


@dataclass(frozen=True)
class Item:
    id: str  # stable across versions, e.g. "gsm8k/test/0042"
    fields: Mapping[str, str]
    reference: str
    choices: tuple[str, ...] = ()
    group: Group | None = None


@dataclass(frozen=True)
class SuiteInfo:
    id: str
    display_name: str
    description: str
    protocol: Protocol
    shots: int
    split: str
    main_metric: MetricRef
    files: tuple[str, ...]  # data files relative to the data directory
    metric_help: Mapping[str, str] = field(default_factory=dict)
    base: str = ""  # the base suite ("mmlu" for "mmlu-generative"); "" = the id itself
    variant: str | None = None  # "generative", "chat"
    intended_for: IntendedFor = "any"  # the kind of model the protocol is made for
    in_average: bool = True  # counts in the board's average


@dataclass(frozen=True)
class Baselines:
    """What answering without reading scores on the full split: uniform guessing and the most common answer."""

    chance: float | None = None
    majority: float | None = None
    majority_label: str | None = None


@dataclass(frozen=True)
class SelectionSpec:
    """The run's item selection as asked for: ``--limit`` (first N), ``--subset`` (random, stratified), subjects."""

    limit: int | None = None
    subset: int | None = None
    seed: int = 0
    subjects: tuple[str, ...] = ()

    @staticmethod
    def of(rec: SelectionRecord) -> SelectionSpec:
        """The spec that selected a stored run's items."""
        return SelectionSpec(limit=rec.n if rec.kind == "first_n" else None,
                             subset=rec.n if rec.kind == "subset" else None, seed=rec.seed or 0,
                             subjects=tuple(rec.subjects))


OnSample = Callable[[SampleRecord], None]


class Suite(abc.ABC):
    """Data + prompts + grading + metrics. The runner hands it batches of items and journals what it returns."""

    info: SuiteInfo
    #: Protocol variants this suite also runs as: ``--suite <id>:<variant>`` (stored as ``<id>-<variant>``) builds
    #: the suite with these constructor options. The registry reads them; nothing else spells a variant.
    variants: ClassVar[Mapping[str, Mapping[str, object]]] = {}

    @abc.abstractmethod
    def load(self, data_dir: Path) -> list[Item]:
        """Every item of the split, in the fixed, documented order (file order)."""

    @abc.abstractmethod
    def default_sampling(self) -> Sampling: ...

    #: Sampling for repeated samples (n > 1) when the run names none: the Codex paper's T = 0.8, top_p = 0.95.
    repeated_sampling: tuple[float, float] = (0.8, 0.95)

    def sampling(self, samples: int | None = None, temperature: float | None = None, top_p: float | None = None,
                 max_tokens: int | None = None, seed: int | None = None) -> Sampling:
        """The run's sampling: the suite's protocol default, with the run's options on top. Repeated samples
        (``samples`` > 1) are drawn at :attr:`repeated_sampling` unless the run sets temperature/top_p."""
        import dataclasses

        base = self.default_sampling()
        n = samples if samples is not None else base.n
        t_rep, p_rep = self.repeated_sampling
        return dataclasses.replace(
            base, n=n, max_tokens=max_tokens or base.max_tokens,
            temperature=temperature if temperature is not None else (base.temperature if n == 1 else t_rep),
            top_p=top_p if top_p is not None else (base.top_p if n == 1 else p_rep),
            seed=seed if seed is not None else base.seed)

    @abc.abstractmethod
    def requests(self, item: Item, sampling: Sampling) -> list[Request]:
        """What ``item`` needs answered, in order — a pure function of the item and the sampling."""

    @abc.abstractmethod
    def score(self, item: Item, outputs: Sequence[Output]) -> SampleRecord:
        """The sample record of ``item`` from its requests' outputs (in request order). The same function grades a
        live run, ``podium validate``'s re-grade of stored outputs and an import."""

    @abc.abstractmethod
    def metrics(self, samples: Sequence[SampleRecord]) -> list[MetricValue]: ...

    def prompt_sha256(self, item: Item) -> str:
        """sha256 of the exact prompt this suite sends for ``item`` (stored in samples; validate rebuilds it)."""
        reqs = self.requests(item, self.default_sampling())
        first = reqs[0]
        if isinstance(first, LogLikelihood):
            return prompt_sha256([[r.request.context, r.request.continuation] for r in reqs
                                  if isinstance(r, LogLikelihood)])
        if isinstance(first, Converse):  # the turns as stored in the sample
            return prompt_sha256([ChatTurn(role=m.role, content=m.content).model_dump() for m in first.messages])
        assert isinstance(first, Generate | JudgedCode)
        return prompt_sha256(first.request.prompt)

    def item_text(self, item: Item) -> ItemText:
        """The item's benchmark text for the gallery (joined at build time, never stored in site_data)."""
        return ItemText(item_id=item.id, question=item.fields.get("question", ""), choices=list(item.choices),
                        reference=item.reference)

    #: True when samples must carry the prompt itself (the suite cannot rebuild it from the data directory).
    stores_prompt: bool = False

    def data_files(self, data_dir: Path) -> list[str]:
        """Data files whose sha256 enters the suite version (relative to the data directory)."""
        return list(self.info.files)

    #: Subsets are stratified by this (an item's :meth:`stratum`), e.g. "subject"; None = a simple random draw.
    strata_name: str | None = None

    def stratum(self, item: Item) -> str:
        """The stratum of ``item`` for --subset (never its answer)."""
        return ""

    def first_n(self, items: Sequence[Item], limit: int) -> list[Item]:
        """``--limit``: the first N items in the documented order (suites override: per subject, per scenario)."""
        return list(items[:limit])

    #: first-N counts per this group ("subject", "scenario"), when a suite's --limit does.
    limit_per: str | None = None

    def select(self, items: Sequence[Item], spec: SelectionSpec) -> list[Item]:
        """The items ``spec`` picks out of ``items`` (the whole split, any order), in ``items``' order."""
        if spec.subset is not None:
            return stratified_subset(items, spec.subset, spec.seed, self.stratum if self.strata_name else None)
        return self.first_n(items, spec.limit) if spec.limit is not None else list(items)

    def selection_record(self, spec: SelectionSpec) -> SelectionRecord:
        subjects = sorted(spec.subjects)
        if spec.subset is not None:
            return SelectionRecord(kind="subset", n=spec.subset, seed=spec.seed, strata=self.strata_name,
                                   subjects=subjects)
        if spec.limit is not None:
            return SelectionRecord(kind="first_n", n=spec.limit, per=self.limit_per, subjects=subjects)
        return SelectionRecord(kind="full", subjects=subjects)

    def baselines(self, items: Sequence[Item]) -> Baselines:
        """Chance and majority-answer accuracy over the full split (multiple-choice suites override)."""
        return Baselines()

    def response_bias(self, samples: Sequence[SampleRecord]) -> ResponseBias | None:
        """The most frequent answer's share (multiple-choice suites override)."""
        return None

    def check_backend(self, backend: Backend) -> None:  # noqa: B027 - optional hook
        """Raise Unsupported before any request is sent when the backend lacks a needed capability."""

    @abc.abstractmethod
    def template(self) -> str:
        """The prompt template text (hashed into the suite version)."""

    def fewshot_ids(self) -> list[str]:
        return []

    @abc.abstractmethod
    def grader_config(self) -> GraderConfig: ...

    def record(self, dataset_sha256: str, items: Sequence[Item], selection: SelectionRecord) -> SuiteRecord:
        """The run's suite record; ``items`` is the full split (its size and baselines are recorded)."""
        from evals.hashing import sha256_text

        template, fewshot, grader = self.template(), self.fewshot_ids(), self.grader_config()
        base = self.baselines(items)
        return SuiteRecord(
            id=self.info.id, base=self.info.base or self.info.id, variant=self.info.variant,
            version=suite_version(dataset_sha256, template, fewshot, grader.canonical()),
            protocol=self.info.protocol, shots=self.info.shots, split=self.info.split,
            dataset_sha256=dataset_sha256, template_sha=sha256_text(template)[:16], fewshot_ids=fewshot,
            grader=grader, items_total=len(items), selection=selection,
            chance=base.chance, majority=base.majority, majority_label=base.majority_label,
            in_average=self.info.in_average, intended_for=self.info.intended_for,
            display_name=self.info.display_name,
            description=self.info.description, main_metric=self.info.main_metric,
            metric_help=dict(self.info.metric_help),
        )


def imported_selection(n_items: int, total: int) -> SelectionRecord:
    """What an imported run covers: the whole split, else the harness's first N (lm-eval's --limit)."""
    return SelectionRecord(kind="full") if n_items >= total else SelectionRecord(kind="first_n", n=n_items)


def stratified_subset(items: Sequence[Item], n: int, seed: int,
                      stratum: Callable[[Item], str] | None = None) -> list[Item]:
    """``n`` items drawn at random, the same on any machine and in any input order: each item's rank is the
    sha256 of (seed, item id); with ``stratum``, the draw is split over the strata in proportion to their sizes
    (largest remainders, ties by stratum name) and each stratum gives its lowest-ranked items."""
    import hashlib

    if n >= len(items):
        return list(items)
    groups: dict[str, list[Item]] = {}
    for it in items:
        groups.setdefault(stratum(it) if stratum else "", []).append(it)
    quota = {g: n * len(v) / len(items) for g, v in groups.items()}
    take = {g: int(q) for g, q in quota.items()}
    rest = n - sum(take.values())
    for g in sorted(groups, key=lambda g: (-(quota[g] - take[g]), g))[:rest]:
        take[g] += 1

    def rank(it: Item) -> str:
        return hashlib.sha256(f"{seed}:{it.id}".encode()).hexdigest()

    chosen = {it.id for g, v in groups.items() for it in sorted(v, key=rank)[:take[g]]}
    return [it for it in items if it.id in chosen]


def prompt_sha256(prompt: object) -> str:
    """sha256 of a prompt as sent: text as UTF-8; chat messages and (context, continuation) pairs as JSON."""
    import dataclasses

    from evals.hashing import sha256_json, sha256_text

    if isinstance(prompt, str):
        return sha256_text(prompt)
    if isinstance(prompt, tuple):
        prompt = [dataclasses.asdict(m) if dataclasses.is_dataclass(m) and not isinstance(m, type) else m
                  for m in prompt]
    return sha256_json(prompt)
