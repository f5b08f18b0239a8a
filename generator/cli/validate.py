"""``podium validate``: check site_data/ strictly (what pull-request validation runs)."""

from __future__ import annotations

from pathlib import Path

import click

from evals.errors import DataError
from evals.validation import validate as validate_site
from evals.validation.diff import diff_trees
from evals.validation.diff import report as diff_report
from generator.cli.options import data_dir_option, resolve_data_dir, root_or_site_data, site_data_option


@click.command()
@click.argument("root", type=click.Path(path_type=Path, file_okay=False), required=False, default=None)
@site_data_option()
@click.option("--format", "fmt", type=click.Choice(["text", "github"]), default="text", show_default=True,
              help="text: 'file:line: what — how to fix'; github: workflow annotations (::error file=…,line=…::).")
@click.option("--base", "base", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="A base site_data tree (the target branch's): check deeply only the runs that are new or changed "
                   "against it by content hash, the others by the cheap checks; also print what the change does to "
                   "the leaderboard — new rows, changed headline scores, rank moves per suite.")
@click.option("--deep", is_flag=True, help="Check every run deeply, even those equal to the --base copy (the "
                                            "scheduled full validation).")
@data_dir_option
def validate(root: Path | None, site_data: Path, fmt: str, base: Path | None, deep: bool,
             data_dir: Path | None) -> None:
    """Validate every file under ROOT (or --site-data; default site_data); list all problems, exit 1 if there is any.

    \b
    Checks: layout (no stray or misplaced files), no symlinks, size limits (also decompressed samples),
    UTF-8 without BOM, no merge-conflict markers, no secret-looking strings, strict JSON/YAML (no duplicate
    keys, NaN/Infinity, anchors/aliases, numbers in quotes), the record schemas, model id = file name, run ids
    unique, run folder = its model/suite/run id, samples complete, reported rows (known model, source, date);
    every metric recomputed from the samples; with the benchmark data: every prompt rebuilt and its sha256
    compared, every score re-graded from the stored outputs. Sense: counts within bounds (n_errors ≤ n_items and
    equal to the failed items, within errors_allowed; tokens and costs ≥ 0 and the sums of the samples'), times
    ordered and not in the future, a suite, protocol and backend this Podium knows, the suite version this Podium
    builds (a run of another version is listed as a note and not re-graded), outputs no longer than max_tokens
    allows (32 characters per token), capped lines and fields, plain-text display names; synthetic runs (the fake
    backend) rejected.

    \b
    With --base, a run is new (no folder at its path in the base), changed (the sha256 of its run.json and
    samples.jsonl.gz bytes differs from the base copy's) or unchanged (equal hashes). New and changed runs get
    every check above; unchanged ones get all but those that read the samples (their bytes are the base's,
    validated when merged; --deep on a schedule re-checks them against this Podium).

    \b
    Example:
      podium validate site_data
      podium validate site_data --format github    # in GitHub Actions
      podium validate site_data --base ../base/site_data   # a pull request: deep on what it changes + diff
      podium validate site_data --deep    # everything, deeply (the weekly job)
    """
    root = root_or_site_data(root, site_data)
    for where in (root, base):
        if where is not None and not where.is_dir():
            raise DataError("directory not found", where=str(where), fix="pass a site_data directory")
    data = resolve_data_dir(data_dir)
    found = validate_site(root, data_dir=data if data.is_dir() else None, base=base, deep=deep)
    problems, counts = found.problems, found.counts
    if not data.is_dir():
        click.secho(f"note: benchmark data not found ({data}): prompts and re-graded scores not checked — "
                    "`podium data fetch` or --data-dir", fg="yellow", err=True)
    for p in [*found.notes, *problems]:
        if fmt == "github":
            click.echo(p.github())
        else:
            click.secho(f"{p.level}: {p.text()}", fg="red" if p.level == "error" else "yellow", err=True)
    if base is not None:
        for line in diff_report(diff_trees(base, root)):
            click.echo(line)
    if problems:
        click.secho(f"{len(problems)} problem(s) in {root} — {_runs(counts).replace(' valid', '')})", fg="red",
                    err=True)
        raise SystemExit(1)
    other = f"; {len(found.notes)} note(s)" if found.notes else ""
    click.echo(f"ok: {counts['models']} model(s), {_runs(counts)}; {counts['files']} files checked{other})")


def _runs(counts: dict[str, int]) -> str:
    """"N run(s) valid (k deep, m unchanged by hash; a new, c changed, r removed against the base" (no ")")."""
    text = f"{counts['runs']} run(s) valid ({counts['deep']} deep, {counts['unchanged']} unchanged by hash"
    if "new" in counts:
        text += f"; {counts['new']} new, {counts['changed']} changed, {counts['removed']} removed against the base"
    return text
