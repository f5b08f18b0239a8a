"""Read and check site_data/ into typed records, collecting every problem instead of stopping at the first."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from evals.errors import PodiumError
from evals.records import ModelEntry, ReportedResult, RunRecord, SampleRecord
from evals.store import iter_run_files, list_models, load_model, load_reported, read_run, read_samples


@dataclass(frozen=True)
class LoadedRun:
    run: RunRecord
    dir: Path

    def samples(self) -> list[SampleRecord]:
        return read_samples(self.dir / "samples.jsonl.gz")


@dataclass
class SiteData:
    root: Path
    models: dict[str, ModelEntry] = field(default_factory=dict)
    runs: list[LoadedRun] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    reported: list[ReportedResult] = field(default_factory=list)
    _selection: Selection | None = field(default=None, repr=False)

    def latest(self) -> dict[tuple[str, str], LoadedRun]:
        """The run shown per (model, suite): see :func:`select_runs`."""
        return self.selection().shown

    def selection(self) -> Selection:
        if self._selection is None:
            self._selection = select_runs(self.runs)
        return self._selection


@dataclass
class Selection:
    shown: dict[tuple[str, str], LoadedRun]  # (model, suite) → the run in the suite's column
    versions: dict[str, str]  # suite → the suite version its column shows
    other: dict[str, list[LoadedRun]]  # model → runs not shown in a column (other versions, superseded)


def _coverage_key(lr: LoadedRun) -> tuple[bool, int, str]:
    """A representative run (full or random subset) before a first-N slice, then more items, then newer."""
    return (lr.run.suite.selection.representative, lr.run.n_items, lr.run.finished_at.isoformat())


def select_runs(runs: list[LoadedRun]) -> Selection:
    """Which run the site shows (issue 11 §3).

    Per model, suite and suite version: a representative run (full or random subset) before a first-N slice,
    then the run covering the most items, the newest among equals; shard runs (``shard`` set) only once merged,
    i.e. never on their own; synthetic runs (the fake backend) never. A suite's column shows one suite version:
    the version of the suite's newest run; runs of other versions are listed on the model page, never mixed in.
    """
    best: dict[tuple[str, str, str], LoadedRun] = {}
    newest: dict[str, LoadedRun] = {}
    for lr in sorted(runs, key=lambda r: (r.run.finished_at, r.run.run_id)):
        r = lr.run
        if r.shard is not None or r.synthetic:
            continue
        key = (r.model_id, r.suite.id, r.suite.version)
        if key not in best or _coverage_key(lr) >= _coverage_key(best[key]):
            best[key] = lr
        newest[r.suite.id] = lr
    versions = {sid: lr.run.suite.version for sid, lr in newest.items()}
    shown = {(m, s): lr for (m, s, v), lr in sorted(best.items()) if versions.get(s) == v}
    chosen = {id(lr) for lr in shown.values()}
    other: dict[str, list[LoadedRun]] = {}
    for lr in sorted(runs, key=lambda r: r.run.finished_at, reverse=True):
        if id(lr) not in chosen:
            other.setdefault(lr.run.model_id, []).append(lr)
    return Selection(shown, versions, other)


def load_site_data(root: Path) -> SiteData:
    data = SiteData(root=root)
    for mid in list_models(root):
        try:
            data.models[mid] = load_model(root, mid)
        except PodiumError as exc:
            data.problems.append(exc.one_line())
    try:
        data.reported = load_reported(root)
    except PodiumError as exc:
        data.problems.append(exc.one_line())
    for path in iter_run_files(root):
        try:
            run = read_run(path)
        except PodiumError as exc:
            data.problems.append(exc.one_line())
            continue
        rel = path.parent.relative_to(root / "runs").parts
        if rel[0] != run.model_id or rel[1] != run.suite.id or rel[2] != run.run_id:
            data.problems.append(f"{path}: stored under {'/'.join(rel)} but says model={run.model_id} "
                                 f"suite={run.suite.id} run_id={run.run_id} — move it to match")
            continue
        if run.model_id not in data.models:
            data.problems.append(f"{path}: model '{run.model_id}' has no site_data/models/{run.model_id}.yaml "
                                 f"— add the model entry")
            continue
        if not (path.parent / "samples.jsonl.gz").exists():
            data.problems.append(f"{path.parent}: samples.jsonl.gz missing — every run ships its samples")
            continue
        data.runs.append(LoadedRun(run, path.parent))
    return data
