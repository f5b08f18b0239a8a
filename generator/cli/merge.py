"""``podium merge``: combine shard runs into one run, verifying nothing is missing or duplicated."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from evals.errors import DataError
from evals.merge import merge_into
from generator.cli.options import data_dir_option, resolve_data_dir, site_data_option


def shard_dirs(paths: tuple[Path, ...]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if (p / "run.json").is_file():
            out.append(p)
        else:
            found = sorted(r.parent for r in p.rglob("run.json"))
            if not found:
                raise DataError("no run.json found", where=str(p), fix="pass shard run directories")
            out += found
    return out


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, file_okay=False))
@site_data_option("--out")
@click.option("--remove-shards", is_flag=True, help="Delete the shard runs after a successful merge.")
@data_dir_option
def merge(paths: tuple[Path, ...], site_data: Path, remove_shards: bool, data_dir: Path | None) -> None:
    """Merge shard runs (from `podium run --shard i/N`) into one run with recomputed metrics.

    PATHS are shard run directories or directories containing them (e.g. downloaded CI artifacts).

    \b
    Example:
      podium merge shards/ --site-data site_data --remove-shards
    """
    dirs = shard_dirs(paths)
    result = merge_into(site_data, dirs, resolve_data_dir(data_dir))
    click.echo(f"merged {len(dirs)} shards → {result.dir}")
    if remove_shards:
        for d in dirs:
            shutil.rmtree(d)
