"""What ``podium validate`` checks in a run beyond its schema: the numbers follow from the samples.

- every stored metric equals the one the suite recomputes from the samples (value, interval, n), and none is
  missing or extra;
- with the benchmark data directory: every item id exists in the suite's split, every sample's prompt sha256 equals
  the hash of the prompt the suite rebuilds for that item, and every score equals the one re-graded from the stored
  outputs where the grader is deterministic (multiple choice from the log-likelihoods or the reply, GSM8K from the
  text, HumanEval from the verdicts, scenarios from the grades);
- with the data directory, what the run derives from its suite and selection: the suite's chance and majority
  baselines over the split, the response bias of its picks, and its item ids — exactly the items its selection
  (all, first N, the seeded random subset) and shard pick out of the split, none missing, none extra.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evals.records import MetricValue, RunRecord, SampleRecord
from evals.suites import Item, Suite
from evals.suites.base import SelectionSpec
from evals.suites.lookup import SuiteItems, load_suite_items
from evals.suites.requests import replay

TOLERANCE = 1e-9


@dataclass(frozen=True)
class Finding:
    where: str
    what: str
    fix: str

    def line(self) -> str:
        return f"{self.where}: {self.what} — {self.fix}"


def _key(m: MetricValue) -> tuple[object, ...]:
    return (m.name, m.variant, m.k, m.group, m.position, m.aggregation)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=0.0, abs_tol=TOLERANCE)


def check_metrics(run: RunRecord, samples: Sequence[SampleRecord], suite: Suite, where: str) -> list[Finding]:
    fix = "restore the run's files as `podium run` wrote them (metrics are recomputed from samples.jsonl.gz)"
    stored = {_key(m): m for m in run.metrics}
    again = {_key(m): m for m in suite.metrics(samples)}
    out = []
    for key in sorted(set(stored) | set(again), key=repr):
        s, a = stored.get(key), again.get(key)
        label = f"metric {key[0] if not key[2] else f'pass@{key[2]}'}/{key[1]}" + (f" ({key[3]})" if key[3] else "")
        if s is None or a is None:
            out.append(Finding(where, f"{label} {'missing' if s is None else 'not produced by the suite'}", fix))
        elif s.n != a.n or not all(_close(x, y) for x, y in ((s.value, a.value), (s.ci_low, a.ci_low),
                                                             (s.ci_high, a.ci_high))):
            out.append(Finding(where, f"{label} is {s.value!r} [{s.ci_low!r}, {s.ci_high!r}] n={s.n}, the samples "
                                      f"give {a.value!r} [{a.ci_low!r}, {a.ci_high!r}] n={a.n}", fix))
    return out


def regrade(suite: Suite, item: Item, sample: SampleRecord) -> SampleRecord | None:
    """``sample`` scored again by the suite's own ``score`` from its stored outputs (log-likelihoods, texts, sandbox
    and grader verdicts: what the run measured), or None when they cannot be rebuilt."""
    sampling = suite.sampling(samples=max(1, len(sample.outputs)))
    outputs = replay(suite.requests(item, sampling), sample)
    if outputs is None:
        return None
    return suite.score(item, outputs).model_copy(update={"prompt_sha256": sample.prompt_sha256})


def _scores_differ(a: dict[str, float], b: dict[str, float]) -> bool:
    return set(a) != set(b) or any(not _close(a[k], b[k]) for k in a)


def check_samples(run: RunRecord, samples: Sequence[SampleRecord], loaded: SuiteItems, where: str) -> list[Finding]:
    out: list[Finding] = []
    suite = loaded.suite
    # imported prompts are checked only when the import found them equal to the suite's (else: harness hashes)
    imported = run.imported is not None and not run.imported.prompt_rebuildable
    for lineno, s in enumerate(samples, 1):
        at = f"{where}:{lineno}"
        item = loaded.items.get(s.item_id)
        if item is None:
            out.append(Finding(at, f"item '{s.item_id}' is not in {run.suite.id}'s {run.suite.split} split",
                               "keep only items the suite defines"))
            continue
        if not imported and not suite.stores_prompt and s.prompt_sha256 != suite.prompt_sha256(item):
            out.append(Finding(at, f"prompt sha256 of {s.item_id} does not match the prompt the suite builds",
                               "the run used another prompt: re-run it with this Podium version"))
        again = regrade(suite, item, s)
        if again is None:
            continue
        if _scores_differ(again.scores, s.scores) or any(
                _scores_differ(x.scores, y.scores) for x, y in zip(again.outputs, s.outputs, strict=True)):
            out.append(Finding(at, f"scores of {s.item_id} {s.scores} differ from the re-graded {again.scores}",
                               "scores must follow from the stored outputs: restore the file or re-run"))
    return out


def verify_run(run: RunRecord, samples: Sequence[SampleRecord], run_dir: Path,
               data_dir: Path | None, regrade: bool = True) -> list[Finding]:
    """Every finding about one run (an empty list when it is consistent). ``regrade=False`` (a run of another suite
    version) recomputes only the metrics from the stored scores: prompts and grades belong to that version."""
    loaded = load_suite_items(run.suite.id, data_dir) if data_dir is not None else None
    samples_path = str(run_dir / "samples.jsonl.gz")
    findings: list[Finding] = []
    if loaded is not None and regrade:
        findings += check_samples(run, samples, loaded, samples_path)
        findings += check_derived(run, samples, loaded, str(run_dir / "run.json"))
        suite = loaded.suite
    else:
        from evals.suites import get_suite

        suite = get_suite(run.suite.id)
    findings += check_metrics(run, samples, suite, str(run_dir / "run.json"))
    return findings


def check_derived(run: RunRecord, samples: Sequence[SampleRecord], loaded: SuiteItems, where: str) -> list[Finding]:
    """Baselines, response bias and the selected item ids, derived again from the split and the samples."""
    suite, sel = loaded.suite, run.suite.selection
    fix = "restore run.json as `podium run` wrote it (these fields are derived from the split and the samples)"
    out: list[Finding] = []
    split = list(loaded.items.values())
    if not sel.subjects:  # a --subjects run records the baselines of its subjects
        base = suite.baselines(split)
        for name, stored, again in (("chance", run.suite.chance, base.chance),
                                    ("majority", run.suite.majority, base.majority)):
            if (stored is None) != (again is None) or (stored is not None and again is not None
                                                       and not _close(stored, again)):
                out.append(Finding(where, f"suite.{name} is {stored!r}; the split gives {again!r}", fix))
        if run.suite.majority_label != base.majority_label:
            out.append(Finding(where, f"suite.majority_label is {run.suite.majority_label!r}; the split's most "
                                      f"common answer is {base.majority_label!r}", fix))
    bias = suite.response_bias(samples)
    if bias != run.response_bias and not (bias is not None and run.response_bias is not None
                                          and bias.label == run.response_bias.label and bias.n == run.response_bias.n
                                          and _close(bias.share, run.response_bias.share)
                                          and _close(bias.yes_share or 0.0, run.response_bias.yes_share or 0.0)):
        out.append(Finding(where, f"response_bias is {run.response_bias!r}; the samples give {bias!r}", fix))
    # a shard of a first-N run written before selection came first (v1/v2 took "first N of the shard") has
    # other items than today's "shard of the first N": its ids are not re-derived; subsets were always drawn first
    older_first_n_shard = sel.kind == "first_n" and run.shard is not None
    if run.imported is None and not sel.subjects and not older_first_n_shard:
        out += _selection_findings(run, samples, suite, split, where)
    return out


def _selection_findings(run: RunRecord, samples: Sequence[SampleRecord], suite: Suite, split: list[Item],
                        where: str) -> list[Finding]:
    """The run's items are exactly what its selection (and shard) picks: a subset's seed, a first N's N."""
    chosen = suite.select(split, SelectionSpec.of(run.suite.selection))
    if run.shard is not None:
        chosen = [it for k, it in enumerate(chosen) if k % run.shard.count == run.shard.index - 1]
    want, got = [it.id for it in chosen], {s.item_id for s in samples}
    missing, extra = [i for i in want if i not in got], sorted(got - set(want))
    if not missing and not extra:
        return []
    parts = [f"{len(missing)} of its {len(want)} items missing (first: {missing[0]})" if missing else "",
             f"{len(extra)} item(s) it does not pick (first: {extra[0]})" if extra else ""]
    return [Finding(where, f"the samples are not the items of its selection ({run.suite.selection.text}"
                           f"{f', shard {run.shard}' if run.shard else ''}): " + "; ".join(p for p in parts if p),
                    "a run's items follow from its selection: restore the samples or re-run it")]
