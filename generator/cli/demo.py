"""``podium demo``: a real evaluation on the embedded model, then the site build."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from evals.suites import DEFAULT_SUITE
from generator.cli.build import build
from generator.cli.options import data_dir_option
from generator.cli.run import run


@click.command()
@click.option("--subset", "--limit", "subset", type=click.IntRange(min=1), default=20, show_default=True,
              help="GSM8K items to run, drawn at random (a --subset: an honest sample).")
@data_dir_option
@click.option("--data", "committed", type=click.Path(path_type=Path, file_okay=False), default=Path("site_data"),
              show_default=True, help="The leaderboard's data (committed runs); copied, never written to.")
@click.option("--work", type=click.Path(path_type=Path, file_okay=False), default=Path(".podium/demo"),
              show_default=True, help="Scratch folder: a copy of --data plus the demo's own fresh run.")
@click.option("--site", "site_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("site"),
              show_default=True)
@click.pass_context
def demo(ctx: click.Context, subset: int, data_dir: Path | None, committed: Path, work: Path, site_dir: Path) -> None:
    """Evaluate the embedded model (SmolLM2-135M-Instruct, offline) on a GSM8K slice, then build the site from the
    committed runs plus that fresh slice (shown as partial; it never displaces a full run).

    \b
    Example:
      podium demo --subset 20 && podium serve
    """
    site_data = work / "site_data"
    if site_data.exists():
        shutil.rmtree(site_data)
    shutil.copytree(committed, site_data)
    ctx.invoke(run, suite_ids=(DEFAULT_SUITE,), selection_subset=subset, data_dir=data_dir, site_data=site_data)
    ctx.invoke(build, data_root=site_data, site_dir=site_dir, mkdocs_yml=Path("mkdocs.yml"), data_dir=data_dir)
