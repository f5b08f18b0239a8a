"""``podium build``: render the site from site_data/ into site/."""

from __future__ import annotations

from pathlib import Path

import click

from generator.site.build import BuildResult, build_site


def report(result: BuildResult) -> None:
    for p in result.problems:
        click.secho(f"warning: skipped {p}", fg="yellow", err=True)
    index = result.site_dir.resolve() / "index.html"
    click.echo(f"built {result.pages} pages from {result.runs} run(s) in {result.seconds:.1f} s → {index}")
    click.echo(f"preview: podium serve --site {result.site_dir}   (then open http://127.0.0.1:8000/)")


@click.command()
@click.option("--data", "data_root", type=click.Path(path_type=Path, file_okay=False), default=Path("site_data"),
              show_default=True, help="site_data directory to render.")
@click.option("--out", "site_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("site"),
              show_default=True, help="Output directory of the static site.")
@click.option("--config", "mkdocs_yml", type=click.Path(path_type=Path, dir_okay=False), default=Path("mkdocs.yml"),
              show_default=True, help="Base MkDocs configuration.")
def build(data_root: Path, site_dir: Path, mkdocs_yml: Path) -> None:
    """Render leaderboard, per-suite and per-model pages, charts and the output gallery, then run MkDocs.

    \b
    Example:
      podium build --data site_data --out site
    """
    report(build_site(data_root, site_dir, mkdocs_yml=mkdocs_yml))
