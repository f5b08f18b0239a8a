"""``podium schema``: export the JSON Schema of every site_data file type."""

from __future__ import annotations

from pathlib import Path

import click

from evals.store import export_schemas


@click.command()
@click.option("--out", "root", type=click.Path(path_type=Path, file_okay=False), default=Path("site_data"),
              show_default=True)
def schema(root: Path) -> None:
    """Write site_data/schema/*.schema.json from the record types (CI fails when they drift).

    \b
    Example:
      podium schema
    """
    for path in export_schemas(root):
        click.echo(f"wrote {path}")
