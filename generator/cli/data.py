"""``podium data``: where benchmark files are, and fetching the official copies."""

from __future__ import annotations

from pathlib import Path

import click

from evals.data import CACHE_DATA, default_data_dir, fetch, sources, verify_bytes


@click.group()
def data() -> None:
    """Benchmark data files (never committed; read from a data directory)."""


@data.command("fetch")
@click.option("--dest", type=click.Path(path_type=Path, file_okay=False), default=None,
              help=f"Where to store the files [default: $PODIUM_DATA_DIR or {CACHE_DATA}].")
@click.option("--mirror", default=None, help="Base URL of a mirror holding the same relative paths.")
@click.option("--only", default=None, help="Only files under this prefix, e.g. gsm8k/.")
@click.option("--force", is_flag=True, help="Download even when a verified copy is present.")
def fetch_cmd(dest: Path | None, mirror: str | None, only: str | None, force: bool) -> None:
    """Download the official benchmark files and verify their checksums / row counts.

    \b
    Example:
      podium data fetch --only gsm8k/
    """
    target = dest or CACHE_DATA
    got = fetch(target, mirror=mirror, only=only, force=force,
                on_file=lambda src, status: click.echo(f"  {src.path:<32} {status}"))
    click.echo(f"{len(got)} file(s) verified in {target}")


@data.command("status")
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), envvar="PODIUM_DATA_DIR",
              default=None)
def status(data_dir: Path | None) -> None:
    """Show the data directory in use and whether each known file is present and verified.

    \b
    Example:
      podium data status
    """
    root = data_dir or default_data_dir()
    click.echo(f"data directory: {root}")
    for src in sources():
        path = root / src.path
        state = "missing" if not path.exists() else (verify_bytes(src, path.read_bytes()) or "verified")
        click.echo(f"  {src.path:<32} {state}")
