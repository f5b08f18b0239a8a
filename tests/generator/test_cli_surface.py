"""One surface: every command that reads or writes site_data takes ``--site-data PATH``; the older spellings
(``--out``, ``--data``) still work for one release, hidden from --help, with a notice naming the new one."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from generator.cli import cli
from tests.conftest import copy_site_data

COMMANDS = [("run",), ("build",), ("validate",), ("upgrade",), ("merge",), ("add-model",), ("list",),
            ("import", "lm-eval"), ("import", "samples")]


def _command(path: tuple[str, ...]) -> click.Command:
    cmd: click.Command = cli
    ctx = click.Context(cli)
    for name in path:
        assert isinstance(cmd, click.Group)
        got = cmd.get_command(ctx, name)
        assert got is not None, path
        cmd = got
    return cmd


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_site_data_command_takes_site_data(path: tuple[str, ...]) -> None:
    cmd = _command(path)
    visible = {o for p in cmd.params if isinstance(p, click.Option) and not p.hidden for o in p.opts}
    hidden = {o for p in cmd.params if isinstance(p, click.Option) and p.hidden for o in p.opts}
    assert "--site-data" in visible, f"podium {' '.join(path)}: no --site-data"
    assert "--out" not in visible, f"podium {' '.join(path)}: --out still shown"
    help_text = CliRunner().invoke(cli, [*path, "--help"]).output
    assert "--site-data" in help_text and "--out " not in help_text.replace("--out FILE", ""), help_text
    if path in {("run",), ("merge",), ("import", "lm-eval"), ("import", "samples"), ("add-model",)}:
        assert "--out" in hidden


def test_old_spelling_still_works_with_a_notice(tmp_path: Path) -> None:
    site_data = copy_site_data(tmp_path)
    r = CliRunner().invoke(cli, ["list", "models", "--site-data", str(site_data)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["validate", "--site-data", str(site_data)])
    assert r.exit_code == 0 and "ok:" in r.output, r.output
    r = CliRunner().invoke(cli, ["upgrade", "--out", str(site_data)])
    assert r.exit_code != 0  # upgrade never had --out
    r = CliRunner().invoke(cli, ["build", "--data", str(site_data), "--site", str(tmp_path / "s"), "--help"])
    assert r.exit_code == 0


def test_alias_notice_and_value(tmp_path: Path) -> None:
    site_data = copy_site_data(tmp_path)
    r = CliRunner().invoke(cli, ["merge", str(tmp_path), "--out", str(site_data)])
    assert "--out is now --site-data" in r.output  # the notice, then merge reads the aliased directory
    assert "Traceback" not in r.output


def test_root_and_site_data_must_agree(tmp_path: Path) -> None:
    site_data = copy_site_data(tmp_path)
    r = CliRunner().invoke(cli, ["validate", str(site_data), "--site-data", str(tmp_path / "other")])
    assert r.exit_code == 2 and "name two directories" in r.output
