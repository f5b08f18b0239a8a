"""``podium import lm-eval``: lm-evaluation-harness results + --log_samples files → Podium v2 runs."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from evals.errors import ConfigError
from evals.imports.lmeval import import_results
from evals.imports.lmeval_files import read_results
from evals.store import load_model, write_run
from generator.cli.options import data_dir_option, resolve_data_dir, site_data_option


@click.command("lm-eval")
@click.argument("results", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--samples", "samples_dir", type=click.Path(path_type=Path, exists=True, file_okay=False),
              default=None, help="Directory of samples_<task>_*.jsonl [default: the results file's directory].")
@click.option("--model", "model_id", required=True, help="Podium model id (site_data/models/<id>.yaml).")
@click.option("--suite", "suite_id", default=None, help="Podium suite, when the task name does not say it.")
@click.option("--strict/--no-strict", default=True, show_default=True,
              help="Fail when Podium's per-sample grades differ from lm-eval's.")
@site_data_option("--out")
@data_dir_option
def import_lmeval(results: Path, samples_dir: Path | None, model_id: str, suite_id: str | None, strict: bool,
                  site_data: Path, data_dir: Path | None) -> None:
    """Import RESULTS (lm_eval --output_path … --log_samples) as Podium runs.

    Every sample is re-graded by the Podium suite and every metric recomputed (with Podium's intervals);
    lm-eval's version, task config and model arguments are kept in the run's `imported` record. Samples store
    prompt hashes only, never benchmark text.

    \b
    Example:
      podium import lm-eval out/smollm2/results_2026-12-04T00-00-00.json --model smollm2-135m-instruct
    """
    load_model(site_data, model_id)
    parsed = read_results(results, samples_dir)
    command = shlex.join(["podium", *sys.argv[1:]]) if sys.argv[1:2] == ["import"] else \
        f"podium import lm-eval {shlex.quote(results.name)} --model {model_id}"
    for imp in import_results(parsed, resolve_data_dir(data_dir), model_id, command, suite_id):
        for line in imp.disagreements:
            click.echo(f"  differs from lm-eval: {line}", err=True)
        if imp.disagreements and strict:
            raise ConfigError(f"{len(imp.disagreements)} samples graded differently by Podium and lm-eval",
                              where=str(results), fix="check the task matches the suite, or pass --no-strict")
        paths = write_run(site_data, imp.run, imp.samples)
        rec = imp.run.imported
        assert rec is not None
        main = imp.run.main()
        click.echo(f"imported {rec.task} → {shlex.quote(str(paths.dir))} ({imp.run.n_items} items"
                   f"{f', {main.label} {main.value:.4f}' if main else ''}; prompts rebuildable: "
                   f"{rec.prompts_matching}/{imp.run.n_items})")
