"""The seed question's numbers, from ``site_data/`` alone: every measured pass@k curve of the question's suite, the
challenger's published and claimed points, the opponent's published band, the cost of k samples per problem and
each problem's solved share. Pure: the names and claims come from the story file and the rows it points to."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from evals.records import MetricValue, ModelEntry, ReportedResult, RunRecord
from evals.story import SeedStory
from generator.site.load import LoadedRun, SiteData

PASSK = re.compile(r"^pass@(\d+)$")
PASS_KEY = "pass"  # an output's score of a code sample: 1 = every hidden test passed


def passk_of(metric: str) -> int | None:
    m = PASSK.match(metric.strip())
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class Curve:
    """One reproduced run of the question's suite: its pass@k points and what one sample cost."""

    label: str
    model: ModelEntry
    run: RunRecord
    points: tuple[MetricValue, ...]  # top-level pass@k, by k

    @property
    def samples(self) -> int:
        return max(1, self.run.n_items * self.run.sampling.n)

    @property
    def usd_per_sample(self) -> float | None:
        return None if self.run.cost.usd is None else self.run.cost.usd / self.samples

    @property
    def completion_per_sample(self) -> float:
        return self.run.completion_tokens / self.samples

    @property
    def prompt_per_sample(self) -> float:
        return (self.run.prompt_tokens + self.run.prompt_tokens_cached) / self.samples

    @property
    def best(self) -> MetricValue:
        return self.points[-1]


@dataclass(frozen=True)
class Published:
    """A published pass@k of the challenger; ``claim`` when the story calls it a claim not verified."""

    row: ReportedResult
    k: int
    claim: bool


@dataclass(frozen=True)
class Band:
    """The opponent's published values of one metric, lowest to highest."""

    name: str
    metric: str
    rows: tuple[ReportedResult, ...]

    @property
    def low(self) -> float:
        return min(r.value for r in self.rows)

    @property
    def high(self) -> float:
        return max(r.value for r in self.rows)

    @property
    def sources_text(self) -> str:
        """'3 published numbers, 2 distinct: sources reporting the same value may be one run' — never a count of
        runs, since two catalogue entries with one value are likely one evaluation listed twice."""
        n, distinct = len(self.rows), len({r.value for r in self.rows})
        text = f"{n} published number{'s' if n != 1 else ''}"
        if distinct < n:
            text += f", {distinct} distinct: sources reporting the same value may be one run listed twice"
        return text


@dataclass(frozen=True)
class CostModel:
    """Cost per problem of k samples: self-hosted for the challenger, one API answer for the opponent."""

    prompt_tokens: int
    sample_tokens: int
    tokens_source: str
    throughput: float  # generated tokens per second per GPU
    throughput_source: str
    gpu_hour: float | None
    gpu_type: str
    price_source: str
    price_in: float | None  # opponent, USD per 1M tokens
    price_out: float | None
    opponent_price_source: str

    def challenger_usd(self, k: int) -> float | None:
        if self.gpu_hour is None:
            return None
        return k * self.sample_tokens / self.throughput * self.gpu_hour / 3600

    def opponent_usd(self) -> float | None:
        if self.price_in is None or self.price_out is None:
            return None
        return (self.prompt_tokens * self.price_in + self.sample_tokens * self.price_out) / 1e6

    def break_even(self, k: int) -> tuple[float, float] | None:
        """(throughput, GPU-hour price) at which k samples cost what one opponent answer costs."""
        mine, theirs = self.challenger_usd(k), self.opponent_usd()
        if mine is None or theirs is None or theirs <= 0 or self.gpu_hour is None:
            return None
        return self.throughput * mine / theirs, self.gpu_hour * theirs / mine


@dataclass(frozen=True)
class ProblemStat:
    item_id: str
    passes: int
    n: int

    @property
    def bin(self) -> str:
        """'one try': most samples pass (pass@1 ≥ 50%); 'many': some pass; 'never': none of n."""
        if self.passes == 0:
            return "never"
        return "one try" if 2 * self.passes >= self.n else "many"


@dataclass
class ProblemView:
    curve: Curve
    problems: list[ProblemStat]

    def count(self, bin_: str) -> int:
        return sum(1 for p in self.problems if p.bin == bin_)

    def of(self, bin_: str) -> list[ProblemStat]:
        return [p for p in self.problems if p.bin == bin_]


@dataclass
class Question:
    story: SeedStory
    challenger: ModelEntry | None
    opponent: ModelEntry | None
    band: Band | None
    published: list[Published]
    curves: list[Curve]
    cost: CostModel | None
    problems: list[ProblemView] = field(default_factory=list)

    @property
    def claims(self) -> list[Published]:
        return [p for p in self.published if p.claim]

    def challenger_runs(self) -> list[Curve]:
        return [c for c in self.curves if c.model.id == self.story.challenger.model_id]


def curves(data: SiteData, base: str | None) -> list[Curve]:
    """Every run with pass@k of the suite ``base`` (all suites when None) that the board shows in a column — the
    same selection as every other page: no shards, no older suite versions, no superseded runs — labelled
    model · variant · n samples, and where it covers part of the split, which part."""
    shown = {id(lr) for lr in data.selection().shown.values()}
    out: list[Curve] = []
    for lr in sorted(data.runs, key=lambda r: (data.models[r.run.model_id].name.lower(), r.run.finished_at)):
        run = lr.run
        if id(lr) not in shown or (base is not None and run.suite.base != base):
            continue
        pts = tuple(sorted((m for m in run.metrics if m.k is not None and m.group is None), key=lambda m: m.k or 0))
        if not pts:
            continue
        model = data.models[run.model_id]
        label = f"{model.name} · {pts[0].variant} · n={run.sampling.n}"
        if run.n_items < run.suite.items_total:  # the selection in full is in the table and on the run's page
            how = "random" if run.suite.selection.kind == "subset" else "first"
            label += f" · {how} {run.n_items}/{run.suite.items_total}"
        out.append(Curve(label, model, run, pts))
    seen: dict[str, int] = {}
    for c in out:
        seen[c.label] = seen.get(c.label, 0) + 1
    return [Curve(f"{c.label} · {c.run.finished_at:%Y-%m-%d}", c.model, c.run, c.points)
            if seen[c.label] > 1 else c for c in out]


def published(story: SeedStory, reported: list[ReportedResult]) -> list[Published]:
    out = []
    for r in reported:
        k = passk_of(r.metric)
        if r.model_id == story.challenger.model_id and r.suite == story.suite and k is not None:
            out.append(Published(r, k, r.metric in story.challenger.claims))
    return sorted(out, key=lambda p: (p.k, p.row.source_date))


def band(story: SeedStory, reported: list[ReportedResult], name: str) -> Band | None:
    o = story.opponent
    rows = tuple(r for r in reported if r.suite == story.suite and r.metric == o.metric
                 and (r.model_id == o.model_id or r.model in o.reported_as))
    return Band(name, o.metric, rows) if rows else None


def cost_model(story: SeedStory, challenger: ModelEntry | None, opponent: ModelEntry | None) -> CostModel:
    c, t = story.cost, story.cost.tokens
    cp = challenger.prices if challenger is not None else None
    op = opponent.prices if opponent is not None else None
    return CostModel(
        t.prompt_per_problem, t.completion_per_sample, t.source, c.self_hosted.output_tokens_per_second,
        c.self_hosted.source, cp.gpu_hour if cp else None, (cp.gpu_type or "GPU") if cp else "GPU",
        (cp.source or "") if cp else "", op.input_per_mtok if op else None, op.output_per_mtok if op else None,
        (op.source or "") if op else "")


def problem_stats(lr: LoadedRun) -> list[ProblemStat]:
    """Each item's passing samples out of its samples, in file order."""
    return [ProblemStat(s.item_id, sum(1 for o in s.outputs if o.scores.get(PASS_KEY, 0.0) >= 1), len(s.outputs))
            for s in lr.samples()]


def build_question(story: SeedStory, data: SiteData) -> Question:
    challenger = data.models.get(story.challenger.model_id)
    opponent = data.models.get(story.opponent.model_id)
    name = opponent.family if opponent is not None else story.opponent.model_id
    q = Question(story, challenger, opponent, band(story, data.reported, name), published(story, data.reported),
                 curves(data, story.suite), cost_model(story, challenger, opponent))
    dirs = {id(lr.run): lr for lr in data.runs}
    for c in q.curves:
        if c.run.sampling.n > 1:
            q.problems.append(ProblemView(c, problem_stats(dirs[id(c.run)])))
    return q
