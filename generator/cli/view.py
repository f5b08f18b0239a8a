"""``podium view PATH``: a quick look at one run, or at every run under a directory, as one HTML page — in
seconds, without a site build (``inspect view``). The page is self-contained (no network, no MkDocs)."""

from __future__ import annotations

import shlex
import tempfile
import time
import webbrowser
from pathlib import Path

import click

from evals.atomic import write_text
from evals.errors import ConfigError, PodiumError
from evals.records import ItemText
from evals.store import read_run, read_samples
from evals.suites import get_suite, takes_option
from generator.cli.options import data_dir_option, resolve_data_dir
from generator.cli.view_page import RunView, render


def run_files(path: Path) -> list[Path]:
    """``run.json`` of PATH (a run directory, or the file itself), else of every run under PATH, sorted."""
    if path.is_file():
        if path.name != "run.json":
            raise ConfigError("not a run", where=str(path),
                              fix="pass a run directory (…/runs/<model>/<suite>/<run-id>) or a directory of runs")
        return [path]
    if (path / "run.json").is_file():
        return [path / "run.json"]
    found = sorted(path.rglob("run.json"))
    if not found:
        raise ConfigError("no run.json under this directory", where=str(path),
                          fix="pass a run directory or a directory of runs (e.g. site_data/runs)")
    return found


def benchmark_texts(views: list[RunView], data_dir: Path, limit: int | None) -> tuple[dict[str, ItemText], list[str]]:
    """Benchmark text of the items shown, by suite; MMLU loads only the subjects the runs hold (its 57 files
    with their few-shot prompts take seconds)."""
    shown: dict[str, set[str]] = {}
    for v in views:
        shown.setdefault(v.run.suite.id, set()).update(s.item_id for s in v.samples[:limit])
    texts: dict[str, ItemText] = {}
    missing = []
    for sid, ids in sorted(shown.items()):
        try:
            subjects = sorted({i.split("/")[1] for i in ids if i.count("/") == 2}) if takes_option(sid, "subjects") else None
            suite = get_suite(sid, subjects=subjects) if subjects else get_suite(sid)
            items = suite.load(data_dir)
        except PodiumError:
            missing.append(sid)
            continue
        texts.update({it.id: suite.item_text(it) for it in items if it.id in ids})
    return texts, missing


def load_views(files: list[Path]) -> list[RunView]:
    views = []
    for f in files:
        samples_path = f.parent / "samples.jsonl.gz"
        samples = read_samples(samples_path) if samples_path.exists() else []
        views.append(RunView(read_run(f), samples, str(f.parent)))
    return views


@click.command("view")
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the page here [default: a new file in the temporary directory].")
@click.option("--items", "items", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Items shown per run (0 = all).")
@click.option("--no-text", is_flag=True, help="Do not join the benchmark text from the data directory.")
@click.option("--open", "open_page", is_flag=True, help="Open the page in the default browser.")
@data_dir_option
def view(path: Path, out: Path | None, items: int, no_text: bool, open_page: bool, data_dir: Path | None) -> None:
    """Write one HTML page for the run at PATH, or for every run under PATH, and print its path.

    The page holds each run's metrics with their 95% intervals and its per-item table (item id, scores, the
    graded answer, the output as text); the benchmark text (question, choices, reference) is joined from the data
    directory when it is there.

    \b
    Examples:
      podium view site_data/runs/smollm2-135m-instruct/gsm8k/20261204T101500Z-3f9a1c
      podium view site_data/runs --open
      podium view site_data/runs/gpt-4o --out gpt-4o.html
    """
    t0 = time.perf_counter()
    views = load_views(run_files(path))
    texts, missing = ({}, []) if no_text else benchmark_texts(views, resolve_data_dir(data_dir), items or None)
    title = (f"{views[0].run.model_id} on {views[0].run.suite.id}" if len(views) == 1
             else f"{len(views)} runs under {path}")
    page = render(views, texts, missing, title, items or None)
    if out is None:
        handle = tempfile.NamedTemporaryFile(prefix="podium-view-", suffix=".html", delete=False)  # noqa: SIM115
        handle.close()
        out = Path(handle.name)
    try:
        write_text(out, page)
    except OSError as exc:
        raise PodiumError(f"cannot write the page ({exc.strerror})", where=str(out), fix="pass --out PATH") from None
    click.echo(f"{len(views)} run(s), {sum(len(v.samples) for v in views)} items in "
               f"{time.perf_counter() - t0:.1f} s → {shlex.quote(str(out.resolve()))}")
    if open_page:
        webbrowser.open(out.resolve().as_uri())
