"""Strict checks of a ``site_data/`` tree, every problem as ``file:line: what — how to fix``.

Two stages: :mod:`evals.validation.files` looks at every file as bytes (layout, symlinks, sizes, encoding,
strict JSON/YAML, secrets) and :mod:`evals.validation.records` validates the files that passed against the
record types and across files (ids, run ids, reported rows). A file that fails the first stage is never parsed
by the second, so no input can end in a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evals.validation.delta import Delta, delta
from evals.validation.files import Limits, check_files
from evals.validation.problems import Problem
from evals.validation.records import check_records

__all__ = ["Delta", "Limits", "Problem", "Report", "validate", "validate_tree"]


@dataclass(frozen=True)
class Report:
    problems: list[Problem]  # errors: the tree is rejected when there is any
    notes: list[Problem]  # listed, not rejected (runs of another suite version)
    counts: dict[str, int]  # files, models, runs; deep and unchanged (runs); new, changed, removed (with a base)
    delta: Delta | None = None  # with a base: each run folder as new, changed, unchanged or removed


def validate(root: Path, limits: Limits | None = None, data_dir: Path | None = None, base: Path | None = None,
             deep: bool = False) -> Report:
    """Every problem and note under ``root`` (sorted by file and line) and counts of what was checked. With the
    benchmark ``data_dir``, prompts are rebuilt and hashed and scores re-graded too (:mod:`evals.verify`).

    With a ``base`` tree (the target branch's site_data), only the runs that are new or changed against it by
    content hash are checked deeply; a run with the base's bytes gets the cheap checks (:mod:`evals.validation.delta`).
    ``deep`` checks every run deeply whatever the base says (the scheduled full validation)."""
    change = delta(root, base) if base is not None else None
    unchanged = frozenset() if change is None or deep else frozenset(root / r for r in change.unchanged)
    scan = check_files(root, limits or Limits(), unchanged)
    found = sorted(set(scan.problems + check_records(root, scan, data_dir)), key=Problem.sort_key)
    counts = {"files": len(scan.seen), "models": len(scan.models), "runs": len(scan.runs),
              "unchanged": sum(1 for d in scan.runs if d in unchanged)}
    counts["deep"] = counts["runs"] - counts["unchanged"]
    if change is not None:
        counts |= {"new": len(change.new), "changed": len(change.changed), "removed": len(change.removed)}
    return Report([p for p in found if p.level != "note"], [p for p in found if p.level == "note"], counts, change)


def validate_tree(root: Path, limits: Limits | None = None,
                  data_dir: Path | None = None) -> tuple[list[Problem], dict[str, int]]:
    """The problems (errors) of :func:`validate` and its counts."""
    report = validate(root, limits, data_dir)
    return report.problems, report.counts
