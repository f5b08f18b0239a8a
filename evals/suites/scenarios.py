"""Custom scenarios (``evals/scenarios/*.yaml``) as a suite: repeated trials of hands-on tasks, graded.

Items are (scenario, protocol, trial): tool scenarios run once per tool protocol (``native`` / ``action``),
others as ``plain``; each protocol gets one greedy trial (temperature 0) and ``trials`` sampled ones
(temperature 0.7 unless the scenario says otherwise, seed = run seed + trial number). ``--limit N`` keeps the
first N trials of every (scenario, protocol), greedy first. All first turns go to the backend in one batch,
then the tool loop advances turn by turn in batches (:mod:`evals.scenarios.tool_loop`); every conversation is
graded (:mod:`evals.suites.scenario_grading`) and journaled as soon as it ends, with its full transcript.

Run-level sampling options override a scenario's own only where they differ from :meth:`default_sampling`
(``--max-tokens 64`` caps every scenario; no option → each scenario's YAML values). The suite version hashes
every scenario's YAML text, the grader configs and the judge model; there is no benchmark data file.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from evals.backends.base import Backend, ChatMessage, Sampling
from evals.errors import ConfigError, Unsupported
from evals.grader_records import ScenarioGraderEntry, ScenariosGrader
from evals.grading.stats import mean_ci, proportion
from evals.records import (
    ChatTurn,
    Group,
    ItemText,
    MetricRef,
    MetricValue,
    OutputRecord,
    SampleRecord,
    SamplingRecord,
    ScenarioDetail,
    ScenarioRecord,
    SelectionRecord,
    SuiteRecord,
)
from evals.scenarios.tool_loop import LoopConfig, Protocol
from evals.scenarios.tools import openai_tools
from evals.suites.base import Item, SelectionSpec, Suite, SuiteInfo
from evals.suites.requests import Converse, Conversed, Output, Request
from evals.suites.scenario_grading import JUDGE_SAMPLING, explain, item_scores, judge_name, writing_stats
from evals.suites.scenario_spec import LoadedScenario, ScenarioSpec, load_scenarios

DEFAULT_SAMPLING = Sampling(max_tokens=768, temperature=0.7, top_p=1.0, n=1, seed=0)
MAIN = MetricRef(name="success_rate", variant="pass")


class ScenarioSuite(Suite):
    def __init__(self, scenario: str | None = None, judge: Backend | None = None,
                 scenarios_dir: Path | None = None, workers: int | None = None,
                 judge_max_tokens: int = JUDGE_SAMPLING.max_tokens) -> None:
        self.loaded: dict[str, LoadedScenario] = {s.spec.id: s for s in load_scenarios(scenarios_dir, scenario)}
        self.judge = judge
        self.judge_sampling = dataclasses.replace(JUDGE_SAMPLING, max_tokens=judge_max_tokens)
        self.workers = workers  # sandbox processes for code_tests (default: one per CPU)
        one = self.loaded[scenario].spec if scenario is not None else None
        self.info = SuiteInfo(
            id="scenarios" if one is None else f"scenario-{one.id}",
            display_name="Scenarios" if one is None else f"Scenario: {one.title}",
            description=("Hands-on tasks (math, code, tool use, JSON extraction, writing) from YAML files, run as "
                         "repeated trials with real graders; success rate with a 95% Wilson interval."
                         if one is None else one.description),
            protocol="generative", shots=0, split="scenarios", main_metric=MAIN, files=(),
            base="scenarios", intended_for="chat", in_average=False,
            metric_help={"pass": "share of graded trials where every graded grader passed (Wilson 95% CI); "
                                 "ungraded trials (rubric without a judge) are left out and counted"},
        )

    # ------------------------------------------------------------------ items

    def spec(self, item: Item) -> ScenarioSpec:
        return self.loaded[item.fields["scenario"]].spec

    def load(self, data_dir: Path) -> list[Item]:
        items = []
        for sid, ls in self.loaded.items():
            spec = ls.spec
            for protocol in spec.protocols:
                for trial in spec.trial_names():
                    items.append(Item(id=f"{sid}/{protocol}/{trial}", reference=spec.shown_reference(),
                                      fields={"scenario": sid, "protocol": protocol, "trial": trial},
                                      group=Group(kind="scenario", id=sid)))
        return items

    def data_files(self, data_dir: Path) -> list[str]:
        return []  # scenarios carry their data; their YAML texts are hashed into the grader config

    limit_per = "scenario"

    def select(self, items: Sequence[Item], spec: SelectionSpec) -> list[Item]:
        if spec.subset is not None:
            raise ConfigError("--subset does not apply to scenarios", where="--subset",
                              fix="scenarios run every trial; --limit N keeps the first N trials per scenario")
        return super().select(items, spec)

    def first_n(self, items: Sequence[Item], limit: int) -> list[Item]:
        seen: dict[tuple[str, str], int] = {}
        out = []
        for it in items:
            key = (it.fields["scenario"], it.fields["protocol"])
            seen[key] = seen.get(key, 0) + 1
            if seen[key] <= limit:
                out.append(it)
        return out

    def default_sampling(self) -> Sampling:
        return DEFAULT_SAMPLING

    def check_backend(self, backend: Backend) -> None:
        if not backend.info.supports_chat:
            raise Unsupported(f"backend '{backend.info.name}' has no chat endpoint; scenarios are conversations")
        needs_native = [s for s in self.loaded.values() if "native" in s.spec.protocols]
        if needs_native and not backend.info.supports_tools:
            raise Unsupported(f"backend '{backend.info.name}' has no native tool calling, needed by "
                              f"{needs_native[0].spec.id}", fix="set tools.protocol: action in the scenario")

    # ------------------------------------------------------------------ versioning

    def template(self) -> str:
        return json.dumps({sid: {"messages": [m.model_dump() for m in ls.spec.messages],
                                 "followups": ls.spec.followups,
                                 "tools": ls.spec.tools.model_dump(mode="json") if ls.spec.tools else None}
                           for sid, ls in self.loaded.items()}, sort_keys=True)

    def grader_config(self) -> ScenariosGrader:
        return ScenariosGrader(
            scenarios={sid: ScenarioGraderEntry(yaml_sha256=ls.sha256, version=ls.spec.version,
                                                graders=[g.model_dump(mode="json") for g in ls.spec.graders])
                       for sid, ls in self.loaded.items()},
            judge=judge_name(self.judge), judge_sampling=repr(self.judge_sampling) if self.judge else None)

    def record(self, dataset_sha256: str, items: Sequence[Item], selection: SelectionRecord) -> SuiteRecord:
        rec = super().record(dataset_sha256, items, selection)
        return rec.model_copy(update={"scenarios": [ScenarioRecord(
            id=s.id, title=s.title, category=s.category, origin=s.origin, version=s.version,
            description=s.description, what_is_checked=s.what_is_checked, protocols=s.protocols,
            graders=[g.type for g in s.graders], trials=s.trials, greedy=s.greedy, sha256=ls.sha256)
            for ls in self.loaded.values() for s in [ls.spec]]})

    # ------------------------------------------------------------------ execution

    def trial_sampling(self, spec: ScenarioSpec, trial: str, run: Sampling) -> Sampling:
        """The scenario's sampling, with run-level options that differ from the default taking precedence."""
        d = DEFAULT_SAMPLING
        max_tokens = run.max_tokens if run.max_tokens != d.max_tokens else spec.sampling.max_tokens
        if trial == "greedy":
            return Sampling(max_tokens=max_tokens, temperature=0.0, top_p=1.0, n=1, stop=run.stop, seed=run.seed)
        k = int(trial.removeprefix("t"))
        return Sampling(max_tokens=max_tokens,
                        temperature=run.temperature if run.temperature != d.temperature else spec.sampling.temperature,
                        top_p=run.top_p if run.top_p != d.top_p else spec.sampling.top_p, n=1, stop=run.stop,
                        seed=None if run.seed is None else run.seed + k)

    def prompt(self, spec: ScenarioSpec, protocol: str) -> list[ChatMessage]:
        """The opening messages; the action protocol puts the Action: instructions before the first user turn."""
        msgs = [ChatMessage(m.role, m.content) for m in spec.messages]
        if protocol == "action" and spec.tools is not None:
            i = next(i for i, m in enumerate(msgs) if m.role == "user")
            msgs[i] = ChatMessage("user", f"{spec.tools.instructions().rstrip()}\n\n{msgs[i].content}")
        return msgs

    def requests(self, item: Item, sampling: Sampling) -> list[Request]:
        """One conversation, driven by the tool loop and graded by the scenario's graders."""
        spec = self.spec(item)
        protocol: Protocol = item.fields["protocol"]  # type: ignore[assignment]
        tools = spec.tools
        config = LoopConfig(protocol=protocol, followups=tuple(spec.followups)) if tools is None else LoopConfig(
            protocol=protocol, tools=tuple(tools.specs), tools_json=tuple(openai_tools(tools.specs)),
            max_turns=tools.max_turns, action_feedback=tools.action_feedback, max_result_chars=tools.max_result_chars,
            followups=tuple(spec.followups))
        cheap = not (spec.runs_code() or (spec.needs_judge() and self.judge))  # graded at once: no sandbox, judge
        return [Converse(key=item.id, messages=tuple(self.prompt(spec, protocol)),
                         sampling=self.trial_sampling(spec, item.fields["trial"], sampling), config=config,
                         graders=tuple(spec.graders), task=self._task(spec), judge=self.judge,
                         judge_sampling=self.judge_sampling, workers=self.workers, cheap=cheap)]

    @staticmethod
    def _task(spec: ScenarioSpec) -> str:
        return "\n\n".join([m.content for m in spec.messages if m.role == "user"] + spec.followups)

    def score(self, item: Item, outputs: Sequence[Output]) -> SampleRecord:
        done = outputs[0]
        assert isinstance(done, Conversed)
        conv, grades, spec = done.conversation, list(done.grades), self.spec(item)
        prompt = [ChatTurn(role=m.role, content=m.content) for m in self.prompt(spec, item.fields["protocol"])]
        scores = item_scores(grades, failed=conv.error is not None)
        s = conv.sampling
        trial = item.fields["trial"]
        stats = writing_stats(conv.final) if spec.category == "writing" and conv.error is None else None
        detail = ScenarioDetail(
            protocol=item.fields["protocol"], trial=0 if trial == "greedy" else int(trial.removeprefix("t")),
            sampling=SamplingRecord(max_tokens=s.max_tokens, temperature=s.temperature, top_p=s.top_p, n=s.n,
                                    stop=list(s.stop), seed=s.seed),
            turns=conv.requests, stats=stats)
        explanation = explain(grades, conv)
        if stats is not None:
            explanation += f"\nmeasured: {stats.words} words, {stats.sentences} sentences, " \
                           f"type-token ratio {stats.type_token_ratio}, MTLD {stats.mtld or 'n/a'}"
        out = OutputRecord(text=conv.final, finish=conv.finish, tokens=conv.completion_tokens, scores=scores,
                           detail=detail, explanation=explanation, error=conv.error, transcript=conv.transcript,
                           grades=grades)
        return SampleRecord(item_id=item.id, prompt_sha256=self.prompt_sha256(item), prompt=prompt, group=item.group,
                            outputs=[out], scores=scores, prompt_tokens=conv.prompt_tokens)

    def item_text(self, item: Item) -> ItemText:
        spec = self.spec(item)
        return ItemText(item_id=item.id, question=self._task(spec), reference=item.reference)

    # ------------------------------------------------------------------ metrics

    def metrics(self, samples: Sequence[SampleRecord]) -> list[MetricValue]:
        out: list[MetricValue] = []
        by_scenario: dict[str, list[SampleRecord]] = {}
        for s in samples:
            by_scenario.setdefault(s.group.id if s.group else "", []).append(s)
        categories: dict[str, list[SampleRecord]] = {}
        for sid, recs in by_scenario.items():
            spec = self.loaded[sid].spec if sid in self.loaded else None
            group = Group(kind="scenario", id=sid)
            out += _rates(recs, group)
            protocols = sorted({_protocol(r) for r in recs})
            if len(protocols) > 1:
                for p in protocols:
                    out += _rates([r for r in recs if _protocol(r) == p], group, p, counts=False)
            out += _means(recs, group, spec)
            if spec is not None:
                categories.setdefault(spec.category, []).extend(recs)
        for cat, recs in sorted(categories.items()):
            out += _rates(recs, Group(kind="category", id=cat))
        return _rates(list(samples), None) + out


def _protocol(rec: SampleRecord) -> str:
    d = rec.outputs[0].detail if rec.outputs else None
    return d.protocol if isinstance(d, ScenarioDetail) else "plain"


def _rates(recs: Sequence[SampleRecord], group: Group | None, variant: str = "pass",
           counts: bool = True) -> list[MetricValue]:
    """Success rate over graded trials (Wilson), and the share of trials left ungraded."""
    graded = [r for r in recs if "pass" in r.scores]
    out = []
    if graded:
        out.append(proportion("success_rate", variant, [r.scores["pass"] for r in graded], group))
    if counts and recs:
        partly = sum(1 for r in recs if "ungraded" in r.scores)
        out.append(MetricValue(name="ungraded", variant="trials", group=group, value=partly / len(recs), n=len(recs),
                               ci_low=partly / len(recs), ci_high=partly / len(recs), ci_method="none",
                               higher_is_better=False))
    return out


def _means(recs: Sequence[SampleRecord], group: Group, spec: ScenarioSpec | None) -> list[MetricValue]:
    """Mean partial credit, per grader, and (writing) the measured text statistics."""
    series: dict[tuple[str, str, int | None], list[float]] = {}
    for r in recs:
        if "score" in r.scores:
            series.setdefault(("score", "mean", None), []).append(r.scores["score"])
        o = r.outputs[0]
        for i, g in enumerate(o.grades):
            if g.score is not None:
                series.setdefault(("grader_score", g.grader, i + 1), []).append(g.score)
        stats = o.detail.stats if isinstance(o.detail, ScenarioDetail) else None
        if stats is not None:
            series.setdefault(("words", "mean", None), []).append(float(stats.words))
            if stats.mtld is not None:
                series.setdefault(("mtld", "mean", None), []).append(stats.mtld)
    out = []
    for (name, variant, position), values in series.items():
        mean, lo, hi = mean_ci(values)
        out.append(MetricValue(name=name, variant=variant, group=group, position=position, value=mean,
                               n=len(values), ci_low=lo, ci_high=hi, ci_method="stderr",
                               higher_is_better=name not in ("words",)))
    return out


def scenario_ids(directory: Path | None = None) -> list[str]:
    return [ls.spec.id for ls in load_scenarios(directory)]


__all__ = ["ScenarioSuite", "scenario_ids"]
