"""``podium upgrade``: rewrite site_data files of an older schema version in the current one."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import click
from pydantic import ValidationError

from evals.atomic import write_json, write_jsonl_gz
from evals.errors import DataError, PodiumError
from evals.records import SCHEMA_VERSION, RunRecord, SampleRecord
from evals.suites import Item, get_suite, takes_option
from evals.suites.base import Baselines
from evals.suites.lookup import load_suite_items, prompt_shas
from evals.upgrade import run_version, upgrade_run, upgrade_run_v3, upgrade_run_v4, upgrade_sample
from generator.cli.options import data_dir_option, resolve_data_dir, root_or_site_data, site_data_option


def upgrade_dir(run_dir: Path, data_dir: Path) -> bool:
    """Upgrade one run folder in place (samples first, then run.json); False when it is already current."""
    run_json, samples = run_dir / "run.json", run_dir / "samples.jsonl.gz"
    try:
        raw = json.loads(run_json.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read run.json ({exc})", where=str(run_json), fix="restore it from git") from None
    version = run_version(raw)
    if version >= SCHEMA_VERSION:
        return False
    if version == 3:  # v3 → v4 needs neither the data nor the samples
        write_json(run_json, RunRecord.model_validate(upgrade_run_v4(raw)).model_dump(mode="json"))
        return True
    suite_id = str(raw["suite"]["id"])
    # scenario suites are read from their YAML, not the data directory (their prompts are stored in the samples)
    loaded = load_suite_items(suite_id, data_dir) if not takes_option(suite_id, "scenarios_dir") else None
    if version < 2:
        raw = upgrade_run(raw)
        shas = prompt_shas(loaded) if loaded else {}
        protocol = str(raw["suite"]["protocol"])
        with gzip.open(samples, "rt", encoding="utf-8") as fh:
            rows = [SampleRecord.model_validate(upgrade_sample(json.loads(line), suite_id, protocol, shas.get))
                    for line in fh if line.strip()]
        write_jsonl_gz(samples, (r.model_dump_json() for r in rows))
    else:
        with gzip.open(samples, "rt", encoding="utf-8") as fh:
            rows = [SampleRecord.model_validate_json(line) for line in fh if line.strip()]
    suite = loaded.suite if loaded else get_suite(suite_id)
    base = suite.baselines(list(loaded.items.values())) if loaded else Baselines()
    facts = {"base": suite.info.base or suite.info.id, "variant": suite.info.variant, "chance": base.chance,
             "majority": base.majority, "majority_label": base.majority_label,
             "in_average": suite.info.in_average, "intended_for": suite.info.intended_for}
    bias = suite.response_bias(rows)
    run = RunRecord.model_validate(upgrade_run_v4(upgrade_run_v3(raw, facts, bias.model_dump() if bias else None)))
    if loaded and (subjects := _subjects_run(loaded.items.values(), rows)):  # v1/v2 never recorded --subjects
        sel = run.suite.selection.model_copy(update={"subjects": subjects})
        run = run.model_copy(update={"suite": run.suite.model_copy(update={"selection": sel})})
    write_json(run_json, run.model_dump(mode="json"))
    return True


def _subjects_run(items: Iterable[Item], rows: Sequence[SampleRecord]) -> list[str]:
    """The subjects an old run was restricted to (``--subjects``), read from its samples: [] when it covers them
    all or the suite has no subjects."""
    every = {it.group.id for it in items if it.group is not None and it.group.kind == "subject"}
    ran = {s.group.id for s in rows if s.group is not None and s.group.kind == "subject"}
    return sorted(ran) if every and ran < every else []


@click.command()
@click.argument("root", type=click.Path(path_type=Path, file_okay=False), required=False, default=None)
@site_data_option()
@data_dir_option
def upgrade(root: Path | None, site_data: Path, data_dir: Path | None) -> None:
    """Rewrite every run under ROOT (or --site-data; default site_data) in the current schema (atomic, idempotent).

    Benchmark text is dropped from samples; each prompt is kept as its sha256, rebuilt exactly from the benchmark
    data directory when it is available.

    \b
    Example:
      podium upgrade site_data
    """
    root = root_or_site_data(root, site_data)
    if not root.is_dir():
        raise DataError("no such directory", where=str(root), fix="pass the site_data directory or a run folder")
    data = resolve_data_dir(data_dir)
    dirs = sorted(p.parent for p in root.rglob("run.json"))
    done, failed = [], []
    for d in dirs:
        try:
            if upgrade_dir(d, data):
                done.append(d)
                click.echo(f"upgraded {d}")
        except PodiumError as exc:
            failed.append(exc.one_line())
        except (ValidationError, ValueError, KeyError, TypeError, OSError, EOFError) as exc:  # a broken old run
            why = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc) or type(exc).__name__
            failed.append(f"{d}: cannot upgrade this run ({why}) — restore it from git, or re-run it")
    for line in failed:
        click.secho(f"error: {line}", fg="red", err=True)
    click.echo(f"{len(done)} of {len(dirs)} run(s) upgraded to schema v{SCHEMA_VERSION}"
               + (f"; {len(failed)} could not be read (above)" if failed else ""))
    if failed:
        raise SystemExit(2)
