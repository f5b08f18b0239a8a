"""Strict checks of a ``site_data/`` tree, every problem as ``file:line: what — how to fix``.

Two stages: :mod:`evals.validation.files` looks at every file as bytes (layout, symlinks, sizes, encoding,
strict JSON/YAML, secrets) and :mod:`evals.validation.records` validates the files that passed against the
record types and across files (ids, run ids, reported rows). A file that fails the first stage is never parsed
by the second, so no input can end in a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evals.validation.files import Limits, check_files
from evals.validation.problems import Problem
from evals.validation.records import check_records

__all__ = ["Limits", "Problem", "Report", "validate", "validate_tree"]


@dataclass(frozen=True)
class Report:
    problems: list[Problem]  # errors: the tree is rejected when there is any
    notes: list[Problem]  # listed, not rejected (runs of another suite version)
    counts: dict[str, int]


def validate(root: Path, limits: Limits | None = None, data_dir: Path | None = None) -> Report:
    """Every problem and note under ``root`` (sorted by file and line) and counts of what was checked. With the
    benchmark ``data_dir``, prompts are rebuilt and hashed and scores re-graded too (:mod:`evals.verify`)."""
    scan = check_files(root, limits or Limits())
    found = sorted(set(scan.problems + check_records(root, scan, data_dir)), key=Problem.sort_key)
    counts = {"files": len(scan.seen), "models": len(scan.models), "runs": len(scan.runs)}
    return Report([p for p in found if p.level != "note"], [p for p in found if p.level == "note"], counts)


def validate_tree(root: Path, limits: Limits | None = None,
                  data_dir: Path | None = None) -> tuple[list[Problem], dict[str, int]]:
    """The problems (errors) of :func:`validate` and its counts."""
    report = validate(root, limits, data_dir)
    return report.problems, report.counts
