"""Stage 2: a run's suite against this Podium's suite registry — known id, its protocol, split and shots, and
whether its version is one this Podium builds.

The version is recomputed as ``podium run`` computes it: sha256 of (dataset sha256, prompt template, few-shot set,
grader config) — the dataset's from the benchmark data directory when it is at hand, else the one the run
recorded. A run of this version is re-graded by :mod:`evals.verify`. Any other version is either

- *another suite version*: its own fields hash to its version (an older grader, template or dataset): listed as a
  note and NOT re-graded — this Podium's grader is not the one that graded it; or
- *no version at all*: the run's own fields, with this Podium's template (same template sha), do not hash to the
  version it claims — rejected.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from evals.errors import PodiumError
from evals.hashing import sha256_json, sha256_text, suite_version
from evals.records import RunRecord
from evals.suites import Suite, get_suite
from evals.validation.problems import Problem

RERUN = "restore run.json as `podium run` wrote it, or re-run the evaluation with this Podium"


@dataclass
class SuiteCheck:
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    suite: Suite | None = None  # this Podium's suite, when the run's id is known
    current: bool = False  # the run's suite version is the one this Podium builds: re-grade it


@functools.lru_cache(maxsize=32)
def _dataset_sha(suite_id: str, data_dir: Path) -> str | None:
    from evals.data import sha256_file

    suite = get_suite(suite_id)
    try:
        return sha256_json([sha256_file(data_dir / f) for f in suite.data_files(data_dir)])[:16]
    except (OSError, PodiumError):
        return None


def check_suite(run: RunRecord, path: Path, lines: dict[str, int], data_dir: Path | None) -> SuiteCheck:
    rec = run.suite
    check = SuiteCheck()
    try:
        suite = get_suite(rec.id)
    except PodiumError as exc:
        check.problems.append(Problem.at(path, lines.get("id"), f"unknown suite '{rec.id}' (suite.id)",
                                         f"this Podium's suites: {exc.fix or ''}; a run of a newer Podium needs "
                                         "that Podium (pip install -U podium-evals)"))
        return check
    check.suite = suite
    info = suite.info
    if rec.protocol != info.protocol:
        check.problems.append(Problem.at(path, lines.get("protocol"), f"protocol '{rec.protocol}' contradicts "
                                         f"suite '{rec.id}', which is evaluated by {info.protocol}", RERUN))
    for key, want in (("base", getattr(info, "base", "") or info.id), ("variant", getattr(info, "variant", None))):
        if hasattr(rec, key) and getattr(rec, key) != want:
            check.problems.append(Problem.at(path, lines.get(key), f"suite {key} '{getattr(rec, key)}' contradicts "
                                             f"suite id '{rec.id}' (its {key} is '{want}')", RERUN))
    template = suite.template()
    same_template = rec.template_sha == sha256_text(template)[:16]
    if same_template:
        for key, want in (("split", info.split), ("shots", info.shots)):
            if getattr(rec, key) != want:
                check.problems.append(Problem.at(path, lines.get(key), f"suite {key} {getattr(rec, key)!r} is "
                                                 f"not {rec.id}'s ({want!r})", RERUN))
    _version(run, suite, template, same_template, path, lines, data_dir, check)
    return check


def _version(run: RunRecord, suite: Suite, template: str, same_template: bool, path: Path, lines: dict[str, int],
             data_dir: Path | None, check: SuiteCheck) -> None:
    rec = run.suite
    dataset = (_dataset_sha(rec.id, data_dir) if data_dir is not None else None) or rec.dataset_sha256
    fewshot, grader = suite.fewshot_ids(), suite.grader_config()
    if rec.version == suite_version(dataset, template, fewshot, grader.canonical()):
        check.current = not check.problems
        return
    line = lines.get("version")
    imported = run.imported
    if imported and not imported.prompt_rebuildable and rec.version == f"lmeval-{imported.task_config_sha256[:10]}":
        check.current = not check.problems  # lm-eval's prompts, not Podium's: versioned by lm-eval's task config
        return
    if same_template and rec.version != suite_version(rec.dataset_sha256, template, rec.fewshot_ids,
                                                   rec.grader.canonical()):
        check.problems.append(Problem.at(path, line, f"suite version '{rec.version}' matches no version of "
                                         f"{rec.id}: it does not follow from the run's own dataset, template, "
                                         "few-shot set and grader", RERUN))
        return
    what = [name for name, differs in (("dataset", rec.dataset_sha256 != dataset),
                                       ("prompt template", not same_template),
                                       ("few-shot set", rec.fewshot_ids != fewshot),
                                       ("grader", rec.grader != grader)) if differs]
    check.notes.append(Problem.at(path, line, f"another suite version: {rec.id} {rec.version} (written by podium "
                                  f"{run.podium_version}; its {', '.join(what) or 'inputs'} "
                                  f"{'differs' if len(what) == 1 else 'differ'} from this "
                                  f"Podium's {rec.id} {suite_version(dataset, template, fewshot, grader.canonical())}) — not "
                                  "re-graded by this Podium", "re-run it with this Podium to have it re-graded, or "
                                  "validate it with the Podium version that wrote it").as_note())
