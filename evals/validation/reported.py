"""``reported/*.csv``: published numbers — typed rows, a known model, a source and a real date."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re

from pydantic import ValidationError

from evals.records import ReportedResult
from evals.suites import SUITES
from evals.validation.problems import Problem

FIX = "see site_data/schema/reported.schema.json"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_reported(path: object, text: str, models: set[str]) -> list[Problem]:
    out: list[Problem] = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = set(ReportedResult.model_fields)
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in columns]
    if unknown or len(set(header)) != len(header):
        return [Problem.at(str(path), 1, f"header has unknown or repeated columns {unknown or header}",
                           f"columns are: {', '.join(ReportedResult.model_fields)}")]
    missing = [c for c, f in ReportedResult.model_fields.items() if f.is_required() and c not in header]
    if missing:
        return [Problem.at(str(path), 1, f"header lacks the column(s) {', '.join(missing)}",
                           f"columns are: {', '.join(ReportedResult.model_fields)}")]
    try:
        for row in reader:
            out += _check_row(str(path), reader.line_num, row, models)
    except csv.Error as exc:
        out.append(Problem.at(str(path), reader.line_num, f"malformed CSV ({exc})", "fix the quoting"))
    return out


def _check_row(path: str, line: int, row: dict[str | None, str | None], models: set[str]) -> list[Problem]:
    if None in row:
        return [Problem.at(path, line, "more fields than the header", "quote values that contain commas")]
    clean = {k: v.strip() for k, v in row.items() if k is not None and v is not None and v.strip() != ""}
    formula = next((k for k, v in clean.items() if k not in ("value", "shots") and v[0] in "=+-@"), None)
    if formula is not None:  # published again in downloads/reported.csv: a spreadsheet would run it
        return [Problem.at(path, line, f"field '{formula}' starts with {clean[formula][0]!r}, which a spreadsheet "
                           "runs as a formula", "write it without that first character")]
    try:
        result = ReportedResult.model_validate(clean)
    except ValidationError as exc:
        return [Problem.at(path, line, f"field '{'.'.join(map(str, e['loc']))}': {e['msg']}", FIX)
                for e in exc.errors()]
    out: list[Problem] = []
    if not math.isfinite(result.value):
        out.append(Problem.at(path, line, "value is not a finite number", "write the number as a fraction, 0–1"))
    if result.model_id is not None and result.model_id not in models:
        out.append(Problem.at(path, line, f"model_id '{result.model_id}' has no site_data/models/"
                              f"{result.model_id}.yaml", f"add it (podium add-model {result.model_id}) or leave "
                              "model_id empty"))
    if result.suite not in SUITES:
        out.append(Problem.at(path, line, f"unknown suite '{result.suite}'", f"use one of: {', '.join(SUITES)}"))
    if len(result.source) < 4:
        out.append(Problem.at(path, line, f"source '{result.source}' does not say where the number comes from",
                              "name the document and its version: URL, paper, model card at a commit"))
    out += _check_date(path, line, result.source_date)
    return out


def _check_date(path: str, line: int, value: str) -> list[Problem]:
    fix = "write the source's publication date as YYYY-MM-DD"
    if not _DATE.match(value):
        return [Problem.at(path, line, f"source_date '{value}' is not YYYY-MM-DD", fix)]
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return [Problem.at(path, line, f"source_date '{value}' is not a calendar date", fix)]
    if day > dt.datetime.now(dt.UTC).date() or day.year < 2000:
        return [Problem.at(path, line, f"source_date '{value}' is in the future or before 2000", fix)]
    return []
