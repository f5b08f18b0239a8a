"""The downloads page and its files: every score as CSV and JSON, one line per run, each shown run's record, the
published numbers and the model entries — each file listed with its schema and a one-line example."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evals.records import ReportedResult
from generator.site.load import Selection, SiteData
from generator.site.pages import render, write_text
from generator.site.registry import Page
from generator.site.tables import COLUMN_HELP

RUN_COLUMNS = {"model_id": "site_data/models id", "suite": "stored suite id", "run_id": "the run",
               "shown": "in a board column (true) or listed only on the model page", "why": "why not shown",
               "selection": "which items ran, in words", "representative": "full split or random subset",
               "n_items": "items covered", "items_total": "items in the full split", "n_errors": "failed items",
               "synthetic": "made by the fake backend (never shown)", "cost_usd": "cost of the run, USD",
               "cost_per_1k": "USD per 1,000 items", "wall_seconds": "wall time", "record": "path of its run.json here"}


@dataclass(frozen=True)
class DataFile:
    path: str  # relative to downloads/
    what: str
    example: str  # one line of Python
    columns: list[tuple[str, str]]  # (name, meaning)


@dataclass
class DownloadsView:
    files: list[DataFile]
    gallery: list[tuple[str, str]]  # (path pattern, what it holds)


def finite(x: Any) -> Any:
    return None if isinstance(x, float) and x != x else x


def _json(path: Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, separators=(",", ":"), allow_nan=False, default=str))


def write_downloads(frame: pd.DataFrame, data: SiteData, sel: Selection, out: Path) -> list[DataFile]:
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "scores.csv", index=False)
    _json(out / "scores.json", [{k: finite(v) for k, v in rec.items()} for rec in frame.to_dict(orient="records")])
    chosen = {id(lr) for lr in sel.shown.values()}
    runs = []
    for lr in sorted(data.runs, key=lambda r: (r.run.model_id, r.run.suite.id, r.run.run_id)):
        r = lr.run
        rel = f"runs/{r.model_id}/{r.suite.id}/{r.run_id}.json"
        write_text(out / rel, r.model_dump_json(indent=1))
        runs.append({"model_id": r.model_id, "suite": r.suite.id, "run_id": r.run_id, "shown": id(lr) in chosen,
                     "why": "" if id(lr) in chosen else _why(lr, sel), "selection": r.suite.selection.text,
                     "representative": r.representative, "n_items": r.n_items, "items_total": r.suite.items_total,
                     "n_errors": r.n_errors, "synthetic": r.synthetic, "cost_usd": r.cost.usd,
                     "cost_per_1k": None if r.cost.usd is None or not r.n_items else r.cost.usd / r.n_items * 1000,
                     "wall_seconds": r.wall_seconds, "record": rel})
    pd.DataFrame(runs, columns=list(RUN_COLUMNS)).to_csv(out / "runs.csv", index=False)
    rep_cols = list(ReportedResult.model_fields)
    pd.DataFrame([r.model_dump() for r in data.reported], columns=rep_cols).to_csv(out / "reported.csv", index=False)
    _json(out / "models.json", [m.model_dump(mode="json") for _, m in sorted(data.models.items())])
    return [
        DataFile("scores.csv", "every top-level metric of every run on the board, one row each",
                 'pd.read_csv("scores.csv").query("main")', list(COLUMN_HELP.items())),
        DataFile("scores.json", "the same rows as a JSON list of objects (missing values are null)",
                 'rows = json.load(open("scores.json"))', list(COLUMN_HELP.items())),
        DataFile("runs.csv", "every run in site_data, shown or not, and why not", 'pd.read_csv("runs.csv")',
                 list(RUN_COLUMNS.items())),
        DataFile("runs/MODEL/SUITE/RUN.json", "each run's full record (schema: site_data/schema/run.json)",
                 'run = json.load(open("runs/MODEL/SUITE/RUN.json"))',
                 [("suite", "id, base, version, protocol, selection, chance, majority …"),
                  ("metrics", "every metric with n and its 95% interval"), ("cost", "usd, method, detail"),
                  ("command", "the command that reproduces it")]),
        DataFile("reported.csv", "published numbers (model cards, papers), not reproduced here",
                 'pd.read_csv("reported.csv")', [(c, ReportedResult.model_fields[c].description or c)
                                                  for c in rep_cols]),
        DataFile("models.json", "every model entry: what it is, its source and prices",
                 'models = json.load(open("models.json"))', [("id, name, family", "identity"),
                                                             ("parameters_b, open_weights, chat", "kind"),
                                                             ("prices", "USD per 1M tokens, GPU-hour or core-hour")]),
    ]


def _why(lr: Any, sel: Selection) -> str:
    r = lr.run
    if r.synthetic:
        return "synthetic"
    if r.shard is not None:
        return "unmerged shard"
    if sel.versions.get(r.suite.id) != r.suite.version:
        return "other suite version"
    return "superseded"


GALLERY_FILES = [
    ("gallery/data/index.json", "the suites: id, name, items, models"),
    ("gallery/data/SUITE/index.json", "a suite's models (run, coverage, main score) and item ranges"),
    ("gallery/data/SUITE/ids.json", "the item ids, in the order every other file follows"),
    ("gallery/data/SUITE/m/MODEL.json", "a model's per-item status string (1 right, 0 wrong, p partly, ? ungraded, "
                                        "- not run) and, for pass rates, the values"),
    ("gallery/data/SUITE/shard-NNNN.json", "one item range: each item's question text and stored prompt"),
    ("gallery/data/SUITE/o/MODEL/NNNN.json", "a model's outputs for the items of range NNNN"),
]


def downloads_page(frame: pd.DataFrame, data: SiteData, sel: Selection) -> Page:
    page = Page("downloads/index.md", "Leaderboard", "Downloads", "downloads.md.j2")

    def write(docs: Path) -> None:
        files = write_downloads(frame, data, sel, docs / "downloads")
        render("downloads.md.j2", page.route, docs, view=DownloadsView(files, GALLERY_FILES))

    page.writer = write
    return page
