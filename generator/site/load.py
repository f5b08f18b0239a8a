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

    def latest(self) -> dict[tuple[str, str], LoadedRun]:
        """The newest full (unsharded) run per (model, suite)."""
        best: dict[tuple[str, str], LoadedRun] = {}
        for lr in sorted(self.runs, key=lambda r: r.run.finished_at):
            if lr.run.shard is None:
                best[(lr.run.model_id, lr.run.suite.id)] = lr
        return best


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
