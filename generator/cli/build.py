"""``podium build``: render the site from site_data/ into site/."""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path

import click

from evals.errors import PodiumError
from evals.records import ItemText
from evals.store import iter_run_files
from evals.suites.lookup import item_texts
from generator.cli.options import data_dir_option, path_option, resolve_data_dir
from generator.site.build import BuildResult, build_site

HINT = ("question text not shown: the benchmark data directory was not found ({where}) — run `podium data fetch` "
        "or pass --data-dir")


def join_texts(data_root: Path, data_dir: Path) -> tuple[dict[str, ItemText], str | None]:
    """Benchmark text of every item the stored runs cover (site_data holds none), and a hint when some is missing."""
    suites = {p.parent.parent.name for p in iter_run_files(data_root)}
    texts, missing = item_texts(suites, data_dir) if data_dir.is_dir() else ({}, sorted(suites))
    if missing:
        click.secho(f"note: no benchmark text for {', '.join(missing)} (data directory {data_dir}); the gallery "
                    "shows ids, outputs and grades — `podium data fetch` gets the question text", fg="yellow",
                    err=True)
    return texts, HINT.format(where=data_dir) if missing else None


def report(result: BuildResult) -> None:
    for p in result.problems:
        click.secho(f"warning: skipped {p}", fg="yellow", err=True)
    index = result.site_dir.resolve() / "index.html"
    click.echo(f"built {result.pages} pages from {result.runs} run(s) in {result.seconds:.1f} s → {index}")
    if result.cache is not None:
        click.echo(f"cache: read the samples of {result.runs_read} run(s), the rest from {result.cache}")
    click.echo(f"preview: podium serve --site {shlex.quote(str(result.site_dir))}   (then open http://127.0.0.1:8000/)")


def check_writable(site_dir: Path) -> None:
    """Fail in one line, before any work, when the site cannot be written where asked."""
    probe = site_dir.parent if not site_dir.exists() else site_dir
    try:
        site_dir.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=probe, prefix=".podium-write-check-")
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise click.ClickException(f"{site_dir}: cannot write the site there ({exc.strerror}) — choose another "
                                   "--site directory or fix its permissions") from None


@click.command()
@path_option("--site-data", "data_root", ("--data",), Path("site_data"), "site_data directory to render.")
@path_option("--site", "site_dir", ("--out",), Path("site"), "Output directory of the static site.")
@click.option("--config", "mkdocs_yml", type=click.Path(path_type=Path, dir_okay=False), default=Path("mkdocs.yml"),
              show_default=True, help="Base MkDocs configuration.")
@click.option("--cache-dir", "cache_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path(".podium/site-cache"), show_default=True, envvar="PODIUM_SITE_CACHE",
              help="What was read of each run (keyed by file content) and the gallery's files, kept between builds; "
                   "restore it in CI (actions/cache) to rebuild only what changed. Env: PODIUM_SITE_CACHE.")
@data_dir_option
def build(data_root: Path, site_dir: Path, mkdocs_yml: Path, data_dir: Path | None, cache_dir: Path) -> None:
    """Render leaderboard, per-suite and per-model pages, charts and the output gallery, then run MkDocs.

    \b
    Example:
      podium build --site-data site_data --site site
    """
    check_writable(site_dir)
    try:
        texts, hint = join_texts(data_root, resolve_data_dir(data_dir))
    except PodiumError as exc:
        raise click.ClickException(exc.one_line()) from None
    report(build_site(data_root, site_dir, mkdocs_yml=mkdocs_yml, texts=texts, texts_hint=hint,
                      cache=cache_dir))
