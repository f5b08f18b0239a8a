"""One page per model — runs shown on the board, runs that are not (and why), published numbers beside what was
reproduced — including models with published numbers only, and the models index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evals.records import MetricValue, ModelEntry, ReportedResult, SuiteRecord
from generator.site.leaderboard import Row
from generator.site.load import LoadedRun, Selection, SiteData
from generator.site.registry import Page
from generator.site.suites import (
    SuiteInfo,
    average_pick,
    baseline_note,
    bias_note,
    bias_text,
    protocol_flag,
    reported_column,
    suite_infos,
)
from generator.site.views import ModelView, RunView, metric_cell, price_text


def _why(lr: LoadedRun, versions: dict[str, str]) -> str:
    run = lr.run
    if run.synthetic:
        return "synthetic: made by the fake backend, never on the board"
    if run.shard is not None:
        return f"shard {run.shard} (not merged)"
    if versions.get(run.suite.id) != run.suite.version:
        return "other suite version"
    return "superseded by a run covering more items (or a newer one covering as many)"


def run_view(lr: LoadedRun, data: SiteData, versions: dict[str, str], shown: bool,
             picked: frozenset[str] = frozenset()) -> RunView:
    """One run on its model's page; ``picked``: the suite ids the board's Avg takes for this model."""
    run = lr.run
    model = data.models[run.model_id]
    counted = run.suite.id in picked
    link = f"../../gallery/#suite={run.suite.id}&models={run.model_id}"
    main = run.main()
    cells = [(m, metric_cell(m)) for m in run.metrics if m.group is None or m.group.kind == "category"]
    selection = run.suite.selection.text if run.shard is None else f"shard {run.shard} of {run.suite.selection.text}"
    return RunView(run, model, link, main, "" if shown else _why(lr, versions), selection,
                   counted, protocol_flag(run, model), bias_text(run),
                   bias_note(run), cells, baseline_note(run, main.value) if main else None)


def model_page(mid: str, data: SiteData, sel: Selection, infos: list[SuiteInfo], board: str = "",
               question: tuple[str, str] | None = None) -> Page:
    """``infos``: the board's suites — a published number is set beside the run of the column it sits in
    (:func:`~generator.site.suites.reported_column`: a suite's chat protocol for a chat model), and named by it;
    ``board``: the model's leaderboard row in words; ``question``: (title, route) of the question it is part of."""
    model = data.models[mid]
    here = sorted((lr for (m, _), lr in sel.shown.items() if m == mid), key=lambda lr: lr.run.suite.id)
    heads = {lr.run.suite.id: lr.run.main() for lr in here}
    by_base: dict[str, list[SuiteRecord]] = {}
    for lr in here:
        if lr.run.representative and lr.run.suite.in_average:
            by_base.setdefault(lr.run.suite.base, []).append(lr.run.suite)
    picks = (average_pick(suites, model) for suites in by_base.values())
    picked = frozenset(s.id for s in picks if s is not None)
    published: list[tuple[ReportedResult, MetricValue | None, str]] = []
    for r in (r for r in data.reported if r.model_id == mid):
        col = reported_column(r, infos, model)
        published.append((r, heads.get(col.id) if col else None, col.name if col else r.suite))
    view = ModelView(model, price_text(model.prices), [run_view(lr, data, sel.versions, True, picked) for lr in here],
                     [run_view(lr, data, sel.versions, False) for lr in sel.other.get(mid, [])], published,
                     reported_only=not here, board=board, question=question)
    return Page(f"models/{mid}.md", "Models", model.name, "model.md.j2", view)


@dataclass
class ModelsIndex:
    models: list[tuple[ModelEntry, int, int]]  # (model, runs shown, published numbers)


def board_text(row: Row, rows: int) -> str:
    """A model's leaderboard row in words, as its page repeats it: Avg with its interval, over how many suites, the
    tier."""
    if row.average is None:
        return f"not averaged (no suite counts) · {rows} ranked row(s)"
    ci = f" [{row.average_ci[0] * 100:.1f}–{row.average_ci[1] * 100:.1f}]" if row.average_ci else ""
    missing = f"; missing: {', '.join(row.missing)}" if row.missing else ""
    return (f"Avg {row.average * 100:.1f}{ci} above each suite's baseline, over {row.counted} suite(s){missing}"
            f" · tier {row.tier} of the {rows} ranked row(s)")


def model_pages(data: SiteData, sel: Selection, rows: Sequence[Row] = (),
                question: tuple[str, str, frozenset[str]] | None = None) -> list[Page]:
    """A page per model with runs or published numbers, and the index (first). ``rows``: the board's ranked rows
    (each page repeats its own); ``question``: (title, route, model ids) of the question page, linked from the
    pages of the models it is about."""
    with_runs = {lr.run.model_id for lr in data.runs}
    with_reported = {r.model_id for r in data.reported if r.model_id in data.models}
    ids = sorted(with_runs | with_reported, key=lambda m: data.models[m].name.lower())
    infos = list(suite_infos(sel.shown).values())
    board = {r.model.id: board_text(r, len(rows)) for r in rows}
    pages = [model_page(mid, data, sel, infos, board.get(mid, ""),
                        (question[0], question[1]) if question is not None and mid in question[2] else None)
             for mid in ids]
    index = ModelsIndex([(data.models[mid], sum(1 for (m, _) in sel.shown if m == mid),
                          sum(1 for r in data.reported if r.model_id == mid)) for mid in ids])
    return [Page("models/index.md", "Models", "All models", "models.md.j2", index), *pages]
