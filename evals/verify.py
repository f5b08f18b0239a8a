"""What ``podium validate`` checks in a run beyond its schema: the numbers follow from the samples.

- every stored metric equals the one the suite recomputes from the samples (value, interval, n), and none is
  missing or extra;
- with the benchmark data directory: every item id exists in the suite's split, every sample's prompt sha256 equals
  the hash of the prompt the suite rebuilds for that item, and every score equals the one re-graded from the stored
  outputs where the grader is deterministic (multiple choice from the log-likelihoods or the reply, GSM8K from the
  text, HumanEval from the verdicts, scenarios from the grades).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evals.records import MetricValue, RunRecord, SampleRecord
from evals.suites import Suite
from evals.suites.lookup import SuiteItems, load_suite_items

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
        again = suite.rescore(item, s)
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
        suite = loaded.suite
    else:
        from evals.suites import get_suite

        suite = get_suite(run.suite.id)
    if run.suite.id.startswith("mmlu") and loaded is None:
        return findings  # MMLU's category roll-ups need the category map from the data directory
    findings += check_metrics(run, samples, suite, str(run_dir / "run.json"))
    return findings
