"""``podium validate``: check site_data/ (what PR validation runs)."""

from __future__ import annotations

from pathlib import Path

import click

from evals.errors import DataError
from generator.site.load import load_site_data


@click.command()
@click.argument("root", type=click.Path(path_type=Path, file_okay=False), default=Path("site_data"))
def validate(root: Path) -> None:
    """Validate every model entry, run record and samples file under ROOT; list all problems.

    \b
    Example:
      podium validate site_data
    """
    if not root.is_dir():
        raise DataError("directory not found", where=str(root), fix="pass the site_data directory")
    data = load_site_data(root)
    for lr in data.runs:  # samples are read fully here (the site build reads them too)
        try:
            samples = lr.samples()
        except DataError as exc:
            data.problems.append(exc.one_line())
            continue
        if len(samples) != lr.run.n_items:
            data.problems.append(f"{lr.dir}: run.json says {lr.run.n_items} items, samples has {len(samples)}")
        if len({s.item_id for s in samples}) != len(samples):
            data.problems.append(f"{lr.dir}: duplicate item ids in samples.jsonl.gz")
    for p in data.problems:
        click.secho(f"error: {p}", fg="red", err=True)
    if data.problems:
        raise SystemExit(1)
    click.echo(f"ok: {len(data.models)} model(s), {len(data.runs)} run(s) valid")
