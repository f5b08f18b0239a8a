"""Synthetic but valid schema-v3 ``site_data/`` for site tests and the scale benchmark.

Every file is written through the record classes of ``evals.records`` and ``evals.store.write_run``, so what the
site reads is exactly what ``podium run`` writes. Scores are drawn from a simple item-response model (each model
has a skill, each item a difficulty), so models differ, agree and disagree the way real ones do.

    python tools/synth_site_data.py OUT --models 50 --scale 1.0 --samples 100 --trials 10

Output lengths (GSM8K and HumanEval texts, scenario replies, turns, explanations and grades, HumanEval verdict
reasons) are drawn from the committed runs' measured distributions (:mod:`tools.synth_lengths`), and a scenario run
has the committed run's shape (13 scenarios, 17 scenario/protocol pairs, greedy + ``--trials`` sampled trials each;
``--trials 9`` gives the committed 10): per suite, the raw bytes per output are within a few percent of real runs',
never fewer (tests/test_synth_lengths.py).

``--scale`` shrinks every suite (1.0 = full size: GSM8K 1,319, MMLU 14,042, HellaSwag 10,042, BoolQ 3,270,
WinoGrande 1,267, HumanEval 164). Besides one full run per model and suite it writes the cases the site must get
right: a first-N slice (``--limit 20``, not a random sample), a random subset, an unmerged shard, a run of an older
suite version, a newer but smaller run that must not displace a full one, a synthetic (fake-backend) run that must
never be shown, a chat model run on a completion protocol, a run answering one label on most items, and
(``--hostile``) a model whose outputs and notes are hostile HTML (and whose name needs escaping).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from evals.grader_records import OtherGrader
from evals.grading.stats import proportion, wilson
from evals.records import (
    BackendRecord,
    ChatTurn,
    ChoiceDetail,
    CodeDetail,
    CostRecord,
    GradeRecord,
    Group,
    ItemText,
    MetricRef,
    MetricValue,
    ModelEntry,
    NumericDetail,
    OutputRecord,
    Prices,
    ResponseBias,
    RunRecord,
    SampleRecord,
    SamplingRecord,
    ScenarioDetail,
    ScenarioRecord,
    SelectionRecord,
    ShardRecord,
    SuiteRecord,
    ToolCallRecord,
)
from evals.store import write_run

try:
    from tools.synth_lengths import Filler, Lengths
except ModuleNotFoundError:  # run as a script (python tools/synth_site_data.py): tools/ is on the path
    from synth_lengths import Filler, Lengths  # type: ignore[no-redef]

HOSTILE = [
    '<script>window.__pwned = 1</script>',
    '<img src=x onerror="window.__pwned = 2">',
    '[click](javascript:window.__pwned=3) <a href="javascript:window.__pwned=4">link</a>',
    '**bold** <b onmouseover="window.__pwned=5">html</b> `code` <svg onload="window.__pwned=6"></svg>',
    "NUL\x00byte and RTL \u202egnp.exe\u202c override",
    "x" * 5000 + " a very long line",
    "{{ jinja }} {% raw %} ${template} </pre></code></div>",
]
# MMLU subjects whose names are as long as the 57's on average (item ids and groups carry them)
SUBJECTS = [("abstract_algebra", "stem"), ("college_computer_science", "stem"), ("high_school_mathematics", "stem"),
            ("philosophy", "humanities"), ("high_school_european_history", "humanities"),
            ("econometrics", "social_sciences"), ("high_school_government_and_politics", "social_sciences"),
            ("professional_accounting", "other"), ("nutrition", "other"), ("clinical_knowledge", "other")]
# the committed scenario run's shape: 13 scenarios (5 math, 4 tool use with two protocols, 2 JSON, code, writing)
SCENARIOS = [("math-9-11-vs-9-9", "math", "original"), ("tool-factorials", "tool_use", "original"),
             ("json-company", "json_extraction", "original"), ("writing-alps-sunrise", "writing", "ours"),
             ("code-synth-game", "code", "original"), ("json-synth-entities", "json_extraction", "ours"),
             *((f"math-synth-{i}", "math", "ours") for i in range(1, 5)),
             *((f"tool-synth-{i}", "tool_use", "ours") for i in range(1, 4))]
FAMILIES = ["Llama 3.1", "GPT-4o", "Qwen 2.5", "Gemma 3", "SmolLM2", "Mistral", "Phi-3", "Claude"]


@dataclass(frozen=True)
class SuiteSpec:
    id: str
    name: str
    full: int
    protocol: str
    chance: float
    choices: int
    main: MetricRef
    intended_for: str = "any"
    majority: float | None = None
    majority_label: str | None = None


SUITES = [
    SuiteSpec("gsm8k", "GSM8K", 1319, "generative", 0.0, 0, MetricRef(name="exact_match", variant="strict")),
    SuiteSpec("mmlu", "MMLU", 14042, "loglikelihood", 0.25, 4, MetricRef(name="acc", variant="loglikelihood"),
              majority=0.27, majority_label="D"),
    SuiteSpec("hellaswag", "HellaSwag", 10042, "loglikelihood", 0.25, 4,
              MetricRef(name="acc_norm", variant="loglikelihood")),
    SuiteSpec("boolq", "BoolQ", 3270, "loglikelihood", 0.5, 2, MetricRef(name="acc", variant="loglikelihood"),
              majority=0.622, majority_label="yes"),
    SuiteSpec("winogrande", "WinoGrande", 1267, "loglikelihood", 0.5, 2,
              MetricRef(name="acc", variant="loglikelihood")),
    SuiteSpec("humaneval", "HumanEval", 164, "generative", 0.0, 0,
              MetricRef(name="pass@k", variant="completion", k=1), intended_for="base"),
]
LL = {"mmlu": -1.0, "hellaswag": -40.0, "boolq": -3.0, "winogrande": -18.0}  # summed log-likelihoods as measured
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def item_ids(spec: SuiteSpec, n: int) -> list[str]:
    if spec.id == "mmlu":
        per = max(1, n // len(SUBJECTS))
        return [f"mmlu/{s}/{i:04d}" for s, _ in SUBJECTS for i in range(per)]
    prefix = {"gsm8k": "gsm8k/test/", "hellaswag": "hellaswag/val/", "boolq": "boolq/dev/",
              "winogrande": "winogrande/dev/", "humaneval": "HumanEval/"}[spec.id]
    return [f"{prefix}{i:05d}" if spec.id == "hellaswag" else f"{prefix}{i:04d}" if spec.id != "humaneval"
            else f"{prefix}{i}" for i in range(n)]


def texts(spec: SuiteSpec, ids: list[str]) -> dict[str, ItemText]:
    """Benchmark text as the build would join it from the data directory (synthetic)."""
    out = {}
    for i, iid in enumerate(ids):
        choices = [f"choice {c} of item {i}" for c in "ABCD"[:spec.choices]] if spec.choices else []
        out[iid] = ItemText(item_id=iid, question=f"Synthetic question {i} of {spec.name}: what is {i} + {i}?",
                            choices=choices, reference=str(2 * i) if not choices else "ABCD"[i % spec.choices],
                            gold=i % spec.choices if choices else None)
    return out


def all_texts(scale: float) -> dict[str, ItemText]:
    out: dict[str, ItemText] = {}
    for spec in SUITES:
        out.update(texts(spec, item_ids(spec, size(spec, scale))))
    return out


def size(spec: SuiteSpec, scale: float) -> int:
    return max(len(SUBJECTS) if spec.id == "mmlu" else 4, round(spec.full * scale))


def p_correct(skill: float, difficulty: float, chance: float) -> float:
    return chance + (1 - chance) / (1 + math.exp(-(skill - difficulty)))


def model_entry(i: int, hostile: bool = False) -> ModelEntry:
    rng = random.Random(i)
    family = FAMILIES[i % len(FAMILIES)]
    api = family in ("GPT-4o", "Claude")
    params = None if api else round(rng.choice([0.135, 0.5, 1.5, 3, 7, 8, 14, 32, 70, 405]), 3)
    prices = Prices(input_per_mtok=2.5, output_per_mtok=10.0, source="synthetic") if api else \
        Prices(gpu_hour=2.5, gpu_type="H100 80GB", source="synthetic")
    name = f"{family} {params}B #{i}" if params else f"{family} #{i}"
    if hostile:
        name = 'Evil "Model" & {{ x }} \'quoted\''  # display names are plain text: no markup, but escaping
    return ModelEntry(id=f"synth-{i:03d}" if not hostile else "evil-model", name=name, family=family,
                      parameters_b=params, license="API terms" if api else "Apache-2.0", open_weights=not api,
                      source="synthetic", chat=api or i % 2 == 0, prices=prices)


def suite_record(spec: SuiteSpec, n_full: int, n: int, version: str = "v1", subset: bool = False) -> SuiteRecord:
    metric_help = {spec.main.variant: "synthetic"}
    selection = (SelectionRecord(kind="full") if n >= n_full else
                 SelectionRecord(kind="subset", n=n, seed=0) if subset else SelectionRecord(kind="first_n", n=n))
    return SuiteRecord(
        id=spec.id, base=spec.id, version=sha(spec.id + version)[:16],
        protocol="generative" if spec.protocol == "generative" else "loglikelihood",
        shots=5 if spec.id == "mmlu" else 0, split="test", dataset_sha256=sha(spec.id), template_sha=sha("t")[:12],
        grader=OtherGrader(description="synthetic"), items_total=n_full, selection=selection, display_name=spec.name,
        description=f"Synthetic {spec.name}.", main_metric=spec.main, metric_help=metric_help,
        chance=spec.chance if spec.choices else None, majority=spec.majority if spec.choices else None,
        majority_label=spec.majority_label, intended_for=spec.intended_for)


def pass_at_k(n: int, c: int, k: int) -> float:
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


class Writer:
    def __init__(self, out: Path, scale: float, samples: int, trials: int, hostile_model: int | None) -> None:
        self.out, self.scale, self.samples, self.trials = out, scale, samples, trials
        self.hostile_model = hostile_model
        self.count = 0
        self.lean: set[tuple[str, str]] = set()  # (model, suite) runs that answer choice 0 on ~90% of items
        self.lengths, self.filler = Lengths(), Filler()  # output lengths as measured on the committed runs

    def text(self, key: str, rng: random.Random, less: int = 0) -> str:
        """Made-up text as long as a draw of ``key`` from the measured lengths (minus ``less``)."""
        return self.filler.text(self.lengths.draw(key, rng) - less, rng)

    def run_id(self, when: datetime) -> str:
        self.count += 1
        return when.strftime("%Y%m%dT%H%M%SZ") + f"-{self.count:06x}"

    def write(self, model: ModelEntry, spec: SuiteSpec, skill: float, *, n: int | None = None, when: datetime = T0,
              version: str = "v1", shard: ShardRecord | None = None, subset: bool = False,
              synthetic: bool = False) -> RunRecord:
        ids = item_ids(spec, size(spec, self.scale))
        full = len(ids)
        n = len(ids) if n is None else min(n, len(ids))
        ids = ids[:n]
        hostile = model.id == "evil-model"
        samples = list(self.samples_for(spec, ids, skill, hostile, model.id))
        metrics = self.metrics(spec, samples)
        api = not model.open_weights
        prompt_tokens = sum(s.prompt_tokens for s in samples)
        completion = sum(o.tokens for s in samples for o in s.outputs)
        wall = 0.05 * len(samples) * (self.samples if spec.id == "humaneval" else 1)
        usd = (prompt_tokens * 2.5 + completion * 10) / 1e6 if api else wall / 3600 * 2.5
        run = RunRecord(
            run_id=self.run_id(when), model_id=model.id, model_revision=None,
            suite=suite_record(spec, full, n, version, subset),
            backend=BackendRecord(name="fake" if synthetic else "openai" if api else "vllm", engine="synthetic",
                                  model=model.id),
            sampling=SamplingRecord(max_tokens=512, temperature=0.8 if spec.id == "humaneval" else 0.0, top_p=1.0,
                                    n=self.samples if spec.id == "humaneval" else 1),
            podium_version="0.0.0-synth", git_commit=None, git_dirty=None,
            command=f"podium run --model {model.id} --suite {spec.id}" + (
                "" if n >= full else f" --subset {n}" if subset else f" --limit {n}"),
            started_at=when - timedelta(seconds=wall), finished_at=when, wall_seconds=wall, n_items=n, n_errors=0,
            prompt_tokens=prompt_tokens, completion_tokens=completion, gpu_count=0 if api else 1,
            cost=CostRecord(usd=usd, method="api_tokens" if api else "gpu_hours", detail="synthetic"),
            shard=shard, metrics=metrics, synthetic=synthetic, response_bias=bias(spec, samples))
        write_run(self.out, run, samples)
        return run

    def samples_for(self, spec: SuiteSpec, ids: list[str], skill: float, hostile: bool,
                    model_id: str) -> Iterator[SampleRecord]:
        rng = random.Random(f"{model_id}/{spec.id}")
        for j, iid in enumerate(ids):
            diff = random.Random(iid).gauss(0, 1.5)
            p = p_correct(skill, diff, spec.chance)
            evil = HOSTILE[j % len(HOSTILE)] if hostile else None
            if spec.id == "gsm8k":
                ok = rng.random() < p
                ans = str(2 * j) if ok else str(2 * j + 1)
                end = f" The answer is {ans}."
                text = (evil + " " if evil else "") + self.text("gsm8k.text", rng, len(end)) + end
                if hostile and j == 1:
                    text = "z" * 1_000_000 + " a 1 MB single line"
                sc = {"strict": float(ok), "flexible": float(ok)}
                outs = [OutputRecord(text=text, finish="stop", tokens=1 + len(text) // 4, scores=sc,
                                     detail=NumericDetail(strict=ans, flexible=ans))]
                yield SampleRecord(item_id=iid, prompt_sha256=sha(iid), outputs=outs, scores=sc, prompt_tokens=900,
                                   prompt_tokens_cached=rng.randrange(600, 900))
            elif spec.id == "humaneval":
                outs = []
                for _ in range(self.samples):
                    ok = rng.random() < p * 0.8
                    code = (f"    # {evil}\n" if evil else "") + self.text("humaneval.text", rng)
                    error_line = self.text("humaneval.error_line", rng)
                    outs.append(OutputRecord(
                        text=code, finish="stop", tokens=1 + len(code) // 4, scores={"pass": float(ok)},
                        detail=CodeDetail(code=code, verdict="passed" if ok else "failed",
                                          reason=self.text("humaneval.reason", rng), seconds=rng.random() / 20,
                                          error_line=None if ok or not error_line else error_line)))
                c = sum(o.scores["pass"] for o in outs)
                yield SampleRecord(item_id=iid, prompt_sha256=sha(iid), outputs=outs,
                                   scores={"pass_rate": c / len(outs)}, prompt_tokens=150 * len(outs))
            else:
                gold = j % spec.choices
                ok = rng.random() < p
                pick = gold if ok else (gold + 1 + rng.randrange(spec.choices - 1)) % spec.choices
                if (model_id, spec.id) in self.lean and rng.random() < 0.9:  # answers one label on most items
                    pick = 0
                    ok = pick == gold
                ok_n = ok if rng.random() < 0.9 else not ok
                pick_n = gold if ok_n else pick if pick != gold else (gold + 1) % spec.choices
                lls = [LL[spec.id] - rng.random() * 3 + (2.0 if c == pick else 0.0) for c in range(spec.choices)]
                sc = {"acc": float(pick == gold)}
                if spec.id == "hellaswag":
                    sc["acc_norm"] = float(pick_n == gold)
                group = Group(kind="subject", id=iid.split("/")[1]) if spec.id == "mmlu" else None
                label = ["no", "yes"][pick] if spec.id == "boolq" else "ABCD"[pick]
                outs = [OutputRecord(text=(evil or label), finish="stop", scores=sc, detail=ChoiceDetail(
                    loglikelihoods=lls, greedy=[c == pick for c in range(spec.choices)], picked=pick,
                    picked_norm=pick_n if spec.id == "hellaswag" else None))]
                yield SampleRecord(item_id=iid, prompt_sha256=sha(iid), group=group, outputs=outs, scores=sc,
                                   prompt_tokens=rng.randrange(1000, 2000), prompt_tokens_cached=rng.randrange(
                                       1000, 2000) if spec.id == "hellaswag" else rng.randrange(100, 1000))

    def metrics(self, spec: SuiteSpec, samples: list[SampleRecord]) -> list[MetricValue]:
        if spec.id == "humaneval":
            counts = [(len(s.outputs), int(sum(o.scores["pass"] for o in s.outputs))) for s in samples]
            out = []
            for k in [k for k in (1, 2, 5, 10, 20, 50, 100) if k <= self.samples]:
                per = [pass_at_k(n, c, k) for n, c in counts]
                mean = sum(per) / len(per)
                sd = math.sqrt(sum((v - mean) ** 2 for v in per) / max(1, len(per) - 1) / len(per))
                out.append(MetricValue(name="pass@k", k=k, variant="completion", value=mean, n=len(per),
                                       ci_low=max(0.0, mean - 1.96 * sd), ci_high=min(1.0, mean + 1.96 * sd),
                                       ci_method="bootstrap"))
            return out
        if spec.id == "gsm8k":
            return [proportion("exact_match", v, [s.scores[v] for s in samples]) for v in ("strict", "flexible")]
        names = ["acc", "acc_norm"] if spec.id == "hellaswag" else ["acc"]
        out = [proportion(nm, "loglikelihood", [s.scores[nm] for s in samples]) for nm in names]
        if spec.id == "mmlu":
            by_subj: dict[str, list[float]] = {}
            for s in samples:
                by_subj.setdefault(s.group.id if s.group else "", []).append(s.scores["acc"])
            means = [sum(v) / len(v) for v in by_subj.values()]
            m = sum(means) / len(means)
            sd = math.sqrt(sum((v - m) ** 2 for v in means) / max(1, len(means) - 1) / len(means))
            out.append(MetricValue(name="acc", variant="loglikelihood", value=m, n=len(means),
                                   ci_low=max(0.0, m - 1.96 * sd), ci_high=min(1.0, m + 1.96 * sd),
                                   ci_method="stderr", aggregation="macro"))
            by_cat: dict[str, list[float]] = {}
            cat_of = dict(SUBJECTS)
            for subj, v in by_subj.items():
                by_cat.setdefault(cat_of[subj], []).extend(v)
            out += [proportion("acc", "loglikelihood", v, Group(kind="category", id=c)) for c, v in sorted(by_cat.items())]
            out += [proportion("acc", "loglikelihood", v, Group(kind="subject", id=s)) for s, v in sorted(by_subj.items())]
        return out

    def scenarios(self, model: ModelEntry, skill: float, when: datetime = T0) -> RunRecord:
        rng = random.Random(f"{model.id}/scenarios")
        hostile = model.id == "evil-model"
        samples: list[SampleRecord] = []
        infos = []
        for sid, cat, origin in SCENARIOS:
            protocols = ["native", "action"] if cat == "tool_use" else ["plain"]
            infos.append(ScenarioRecord(id=sid, title=sid.replace("-", " ").title(), category=cat, origin=origin,
                                        version=1, protocols=protocols, graders=["exact"], trials=self.trials,
                                        sha256=sha(sid)))
            for proto in protocols:
                for t in range(self.trials + 1):
                    ok = rng.random() < p_correct(skill, 0.5, 0.0)
                    out = self.trial(proto, t, ok, HOSTILE[t % len(HOSTILE)] + " " if hostile else "", rng)
                    prompt = [ChatTurn(role="user", content=f"Scenario {sid}: " + self.text("scenarios.prompt", rng))]
                    samples.append(SampleRecord(
                        item_id=f"{sid}/{proto}/{'greedy' if t == 0 else f't{t:02d}'}",
                        prompt_sha256=sha(sid), prompt=prompt, group=Group(kind="scenario", id=sid),
                        outputs=[out], scores=out.scores, prompt_tokens=50))
        metrics = [proportion("success_rate", "pass", [s.scores["pass"] for s in samples])]
        for sid, _, _ in SCENARIOS:
            metrics.append(proportion("success_rate", "pass", [s.scores["pass"] for s in samples
                                                               if s.group and s.group.id == sid],
                                      Group(kind="scenario", id=sid)))
        sr = SuiteRecord(id="scenarios", version=sha("scen")[:16], protocol="generative", shots=0, split="scenarios",
                         dataset_sha256=sha("scen"), template_sha="x", grader=OtherGrader(description="synthetic"), items_total=len(samples),
                         base="scenarios", selection=SelectionRecord(kind="full"), in_average=False,
                         intended_for="chat", scenarios=infos, display_name="Scenarios",
                         description="Synthetic scenarios.",
                         main_metric=MetricRef(name="success_rate", variant="pass"))
        lo, _ = wilson(0, 1)
        del lo
        run = RunRecord(
            run_id=self.run_id(when), model_id=model.id, model_revision=None, suite=sr,
            backend=BackendRecord(name="vllm", engine="synthetic", model=model.id),
            sampling=SamplingRecord(max_tokens=256, temperature=0.7, top_p=1.0), podium_version="0.0.0-synth",
            git_commit=None, git_dirty=None, command=f"podium run --model {model.id} --suite scenarios",
            started_at=when - timedelta(seconds=10), finished_at=when, wall_seconds=10.0, n_items=len(samples),
            n_errors=0, prompt_tokens=50 * len(samples), completion_tokens=sum(s.outputs[0].tokens for s in samples),
            cost=CostRecord(usd=0.001, method="gpu_hours", detail="synthetic"), metrics=metrics)
        write_run(self.out, run, samples)
        return run


    def trial(self, proto: str, t: int, ok: bool, evil: str, rng: random.Random) -> OutputRecord:
        """One scenario trial: turns, transcript (assistant and tool turns), explanation and grades drawn from the
        measured lengths."""
        turns = max(1, self.lengths.draw("scenarios.turns", rng))
        text = evil + ("9.9 is larger. " if ok else "9.11. ") + self.text("scenarios.text", rng)
        transcript = []
        for k in range(turns - 1):
            call = ToolCallRecord(id=f"call_{k}", name="calculate", arguments=f'{{"n": {k}}}')
            transcript += [ChatTurn(role="assistant", content=self.text("scenarios.turn", rng), tool_calls=[call]),
                           ChatTurn(role="tool", content=str(rng.randrange(10**6)), tool_call_id=f"call_{k}")]
        transcript.append(ChatTurn(role="assistant", content=text))
        sc = {"pass": float(ok), "score": float(ok)}
        detail = ScenarioDetail(protocol=proto, trial=t, turns=turns, sampling=SamplingRecord(
            max_tokens=3072, temperature=0.0 if t == 0 else 0.7, top_p=1.0, seed=t))
        grades = [GradeRecord(grader="exact", score=float(ok), passed=ok, explanation=self.text("scenarios.grade", rng))
                  for _ in range(max(1, self.lengths.draw("scenarios.grades", rng)))]
        return OutputRecord(text=text, finish="stop", tokens=1 + len(text) // 4, scores=sc, detail=detail,
                            explanation=self.text("scenarios.explanation", rng), transcript=transcript, grades=grades)


def bias(spec: SuiteSpec, samples: list[SampleRecord]) -> ResponseBias | None:
    """The most-picked label's share, as the runner records it for multiple-choice runs."""
    if not spec.choices:
        return None
    labels = ["no", "yes"] if spec.choices == 2 else list("ABCD")
    picks = [labels[o.detail.picked] for s in samples for o in s.outputs if isinstance(o.detail, ChoiceDetail)]
    top = max(set(picks), key=lambda x: (picks.count(x), x))
    yes = picks.count("yes") / len(picks) if spec.choices == 2 else None
    return ResponseBias(label=top, share=picks.count(top) / len(picks), yes_share=yes, n=len(picks))


REPORTED_HEADER = "model,model_id,suite,metric,value,shots,protocol,source,source_date,notes\n"


def generate(out: Path, *, models: int = 5, scale: float = 0.01, samples: int = 10, trials: int = 3,
             hostile: bool = False, extras: bool = True, suites: list[str] | None = None,
             scenarios: bool = True) -> list[ModelEntry]:
    """Write a complete synthetic site_data under ``out`` (models, runs, reported numbers); return the models."""
    if out.exists():
        shutil.rmtree(out)
    (out / "models").mkdir(parents=True)
    (out / "reported").mkdir(parents=True)
    w = Writer(out, scale, samples, trials, None)
    entries = [model_entry(i) for i in range(models)]
    if extras and models > 3:
        w.lean.add((entries[3].id, "boolq"))
    if hostile:
        entries.append(model_entry(models, hostile=True))
    specs = [s for s in SUITES if suites is None or s.id in suites]
    rows = []
    for i, m in enumerate(entries):
        (out / "models" / f"{m.id}.yaml").write_text(_yaml(m), encoding="utf-8")
        skill = -1.5 + 4.0 * i / max(1, models - 1) if m.id != "evil-model" else 0.0
        for spec in specs:
            partial = max(1, min(20, len(item_ids(spec, size(spec, scale))) // 2))
            if extras and i == 1 and spec.id == "gsm8k":
                w.write(m, spec, skill, n=partial, when=T0 + timedelta(days=1))  # newer but partial: must not win
            if extras and i == 2 and spec.id == "gsm8k":
                w.write(m, spec, skill, n=partial)  # only a first-N run: shown as such, never averaged
                continue
            if extras and i == 3 and spec.id == "hellaswag":
                w.write(m, spec, skill, n=partial, subset=True)  # a random subset: averaged
                continue
            if extras and i == 1 and spec.id == "winogrande":  # a fake-backend run, newer: never shown
                w.write(m, spec, 9.0, when=T0 + timedelta(days=3), synthetic=True)
            w.write(m, spec, skill)
            if extras and i == 0:
                w.write(m, spec, skill, when=T0 + timedelta(days=2), shard=ShardRecord(index=1, count=2))
                if spec.id == "boolq":
                    w.write(m, spec, skill, when=T0 - timedelta(days=30), version="v0")  # older suite version
        if scenarios:
            w.scenarios(m, skill)
        if i < 3:
            rows.append(f"{m.name},{m.id},gsm8k,exact_match,{min(0.99, 0.5 + 0.1 * i):.3f},8,"
                        f"8-shot CoT,synthetic model card,2026-01-01,\n")
    rows.append("GPT-4o (2024-08-06),,humaneval,pass@1,0.902,0,simple-evals zero-shot,"
                "openai/simple-evals README.md,2024-08-06,\n")
    if hostile:
        rows.append('Evil,evil-model,gsm8k,exact_match,0.5,8,"<script>window.__pwned=7</script>",'
                    '"<img src=x onerror=window.__pwned=8>",2026-01-01,"<b>note</b>"\n')
    (out / "reported" / "synthetic.csv").write_text(REPORTED_HEADER + "".join(rows), encoding="utf-8")
    return entries


def _yaml(m: ModelEntry) -> str:
    import yaml

    return yaml.safe_dump(m.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True)


def add_model(out: Path, index: int, *, scale: float, samples: int, trials: int) -> ModelEntry:
    """Add one more model with a run on every suite (the benchmark's incremental rebuild)."""
    w = Writer(out, scale, samples, trials, None)
    w.count = 0xF00000
    m = model_entry(index)
    (out / "models" / f"{m.id}.yaml").write_text(_yaml(m), encoding="utf-8")
    for spec in SUITES:
        w.write(m, spec, 1.0, when=T0 + timedelta(days=5))
    w.scenarios(m, 1.0, when=T0 + timedelta(days=5))
    return m


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--models", type=int, default=5)
    ap.add_argument("--scale", type=float, default=0.01, help="fraction of each suite's full size (1.0 = full)")
    ap.add_argument("--samples", type=int, default=10, help="HumanEval samples per problem")
    ap.add_argument("--trials", type=int, default=3, help="sampled trials per scenario and protocol")
    ap.add_argument("--hostile", action="store_true", help="add a model with hostile outputs and name")
    a = ap.parse_args(argv)
    entries = generate(a.out, models=a.models, scale=a.scale, samples=a.samples, trials=a.trials, hostile=a.hostile)
    print(f"wrote {len(entries)} models to {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
