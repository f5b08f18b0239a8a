"""The only code that knows the layout of ``site_data/``. Every write is atomic.

```
site_data/models/<model-id>.yaml
site_data/runs/<model-id>/<suite-id>/<run-id>/run.json        (written last: its presence marks a complete run)
site_data/runs/<model-id>/<suite-id>/<run-id>/samples.jsonl.gz
site_data/schema/<type>.schema.json
```
"""

from __future__ import annotations

import gzip
import json
import shlex
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evals.atomic import write_json, write_jsonl_gz
from evals.errors import ConfigError, DataError
from evals.records import FILE_TYPES, SCHEMA_VERSION, ModelEntry, ReportedResult, RunRecord, SampleRecord
from evals.upgrade import facts_from_id, upgrade_run, upgrade_run_v3, upgrade_run_v4, upgrade_sample
from evals.yamlio import load_yaml_model

_NOTICED: set[str] = set()


def notice_upgrade(path: Path, version: int) -> None:
    """One line per file read in an older schema (upgraded in memory; ``podium upgrade`` rewrites it)."""
    key = str(path.parent)
    if key not in _NOTICED:
        _NOTICED.add(key)
        print(f"note: {path.parent}: schema v{version} upgraded to v{SCHEMA_VERSION} in memory — "
              f"rewrite it with `podium upgrade {shlex.quote(str(path.parent))}`", file=sys.stderr)


@dataclass(frozen=True)
class RunPaths:
    dir: Path

    @property
    def run_json(self) -> Path:
        return self.dir / "run.json"

    @property
    def samples(self) -> Path:
        return self.dir / "samples.jsonl.gz"


def run_paths(root: Path, run: RunRecord) -> RunPaths:
    return RunPaths(root / "runs" / run.model_id / run.suite.id / run.run_id)


def model_path(root: Path, model_id: str) -> Path:
    return root / "models" / f"{model_id}.yaml"


def list_models(root: Path) -> list[str]:
    """The model ids of ``root/models/*.yaml``; a site_data without a models folder is an error, not "none"."""
    if not (root / "models").is_dir():
        raise ConfigError("no site_data here (no models/ folder)", where=str(root),
                          fix="run from your leaderboard's repository, pass --site-data, or make one: podium init DIR")
    return sorted(p.stem for p in (root / "models").glob("*.yaml"))


def load_model(root: Path, model_id: str) -> ModelEntry:
    path = model_path(root, model_id)
    if not path.is_file():
        known = ", ".join(list_models(root)) or "none"
        raise ConfigError(
            f"unknown model '{model_id}'", where=str(root / "models"),
            fix=f"use one of: {known} — or add {path} (see site_data/schema/model.schema.json)",
        )
    return load_yaml_model(path, ModelEntry, extra=None)


def load_models(root: Path) -> list[ModelEntry]:
    return [load_model(root, mid) for mid in list_models(root)]


def write_run(root: Path, run: RunRecord, samples: Sequence[SampleRecord]) -> RunPaths:
    """Write samples, then run.json (the completion marker). Both atomically."""
    paths = run_paths(root, run)
    write_jsonl_gz(paths.samples, (s.model_dump_json() for s in samples))
    write_json(paths.run_json, run.model_dump(mode="json"))
    return paths


def read_run(path: Path) -> RunRecord:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed JSON ({exc.msg})", where=f"{path}:{exc.lineno}",
                        fix="restore the file from git or re-run the evaluation") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 (byte {exc.object[exc.start]:#04x} at offset {exc.start})", where=str(path),
                        fix="restore the file from git or re-run the evaluation") from None
    except OSError as exc:
        raise DataError(f"cannot read run.json ({exc.strerror})", where=str(path),
                        fix="it must be a readable file: restore it from git") from None
    version = raw.get("schema_version") if isinstance(raw, dict) else None
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise DataError(f"schema_version {version} is newer than this Podium ({SCHEMA_VERSION})",
                        where=str(path), fix="upgrade Podium: pip install -U podium-evals")
    if isinstance(raw, dict) and isinstance(raw.get("schema_version", 1), int) and raw.get("schema_version", 1) < 4:
        old = raw.get("schema_version", 1)
        notice_upgrade(path, old)
        raw = upgrade_run_v4(upgrade_in_memory(upgrade_run(raw) if old == 1 else raw) if old < 3 else raw)
    try:
        return RunRecord.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise DataError(f"field '{field}': {err['msg']}", where=str(path),
                        fix="see site_data/schema/run.schema.json") from None


def upgrade_in_memory(raw: dict[str, Any]) -> dict[str, Any]:
    """A v2 run as v3 for reading: the suite facts read from its id; baselines and response bias need the data
    and the samples, so they stay empty until ``podium upgrade`` writes the file."""
    return upgrade_run_v3(raw, facts_from_id(str(raw.get("suite", {}).get("id", "?"))), None)


def suite_of_samples(path: Path) -> str:
    """The suite id of ``runs/<model>/<suite>/<run-id>/samples.jsonl.gz``."""
    return path.parent.parent.name


def read_samples(path: Path) -> list[SampleRecord]:
    out: list[SampleRecord] = []
    suite_id = suite_of_samples(path)
    protocol = "generative" if suite_id.endswith("-generative") else "loglikelihood"
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                try:
                    if '"prompt_sha256"' not in line and line.lstrip().startswith("{"):  # v1: upgrade in memory
                        notice_upgrade(path, 1)
                        line = json.dumps(upgrade_sample(json.loads(line), suite_id, protocol))
                    out.append(SampleRecord.model_validate_json(line))
                except (ValidationError, ValueError, KeyError, TypeError) as exc:
                    what = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
                    raise DataError(f"bad sample record: {what}", where=f"{path}:{lineno}",
                                    fix="re-run the evaluation that produced it") from None
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read samples ({exc})", where=str(path), fix="re-run the evaluation") from None
    return out


def iter_run_files(root: Path) -> Iterator[Path]:
    yield from sorted((root / "runs").glob("*/*/*/run.json"))


def find_runs(root: Path, model_id: str, suite_id: str) -> list[tuple[RunRecord, RunPaths]]:
    """The complete runs of one model on one suite (unreadable ones are left to ``podium validate``)."""
    out = []
    for path in sorted((root / "runs" / model_id / suite_id).glob("*/run.json")):
        try:
            out.append((read_run(path), RunPaths(path.parent)))
        except DataError:
            continue
    return out


def load_reported(root: Path) -> list[ReportedResult]:
    """Rows of ``reported/*.csv``; a bad row is a DataError naming file and line."""
    import csv

    out: list[ReportedResult] = []
    for path in sorted((root / "reported").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            for lineno, row in enumerate(csv.DictReader(fh), 2):
                clean = {k: (v if v != "" else None) for k, v in row.items() if k}
                try:
                    out.append(ReportedResult.model_validate(clean))
                except ValidationError as exc:
                    err = exc.errors()[0]
                    raise DataError(f"field '{'.'.join(map(str, err['loc']))}': {err['msg']}",
                                    where=f"{path}:{lineno}", fix="see site_data/schema/reported.schema.json") from None
    return out


def export_schemas(root: Path) -> list[Path]:
    written = []
    for name, cls in FILE_TYPES.items():
        path = root / "schema" / f"{name}.schema.json"
        write_json(path, cls.model_json_schema())
        written.append(path)
    return written
