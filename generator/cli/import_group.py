"""``podium import``: bring results of other harnesses in as Podium runs (one subcommand per source, one file each)."""

from __future__ import annotations

import click

from generator.cli.import_lmeval import import_lmeval
from generator.cli.import_samples import import_samples_cmd


@click.group("import")
def import_group() -> None:
    """Import results produced outside Podium (re-graded and re-aggregated by Podium's suites).

    \b
    Examples:
      podium import lm-eval out/model/results_2026-12-04T00-00-00.json --model smollm2-135m-instruct
      podium import samples samples.jsonl --suite humaneval --model my-model
    """


import_group.add_command(import_lmeval)
import_group.add_command(import_samples_cmd)
