"""Every `run:` command in .github/workflows exists: make targets in the Makefile, `podium` sub-commands and
their options in the Click CLI, scripts in the repository. Plus the workflow rules the linters do not all cover."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from generator.cli import cli
from tests.support.servers import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
KEYWORDS = {"do", "then", "else", "if", "!", "time", "{", "}", "(", ")"}


def make_targets() -> set[str]:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    return {m for line in text.splitlines() for m in re.findall(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", line)}


def steps() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for wf in WORKFLOWS:
        doc = yaml.safe_load(wf.read_text(encoding="utf-8"))
        for job_id, job in doc["jobs"].items():
            for step in job.get("steps", []):
                out.append((wf.name, job_id, step))
    return out


def commands(script: str) -> list[list[str]]:
    """Simple commands of a bash script, as token lists (a conservative reading: enough for what we write)."""
    script = re.sub(r"\$\{\w+:\+([^}]*)\}", r"\1", script.replace("\\\n", " "))
    out = []
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        cmd: list[str] = []
        for tok in [*lexer, ";"]:
            if tok and set(tok) <= set(";&|"):
                if cmd:
                    out.append(cmd)
                cmd = []
            elif not cmd and (tok in KEYWORDS or "=" in tok and not tok.startswith("-")):
                continue  # keyword or a VAR=value prefix
            else:
                cmd.append(tok)
    return out


def run_commands() -> list[tuple[str, list[str]]]:
    return [(f"{wf}:{job}", cmd) for wf, job, step in steps() if "run" in step and step.get("shell") != "python"
            for cmd in commands(step["run"])]


def check_podium(args: list[str]) -> None:
    cmd: click.Command = cli
    ctx = click.Context(cli)
    rest = list(args)
    while isinstance(cmd, click.Group) and rest and not rest[0].startswith("-"):
        sub = cmd.get_command(ctx, rest.pop(0))
        assert sub is not None, f"no podium command {args}"
        cmd = sub
    known = {o for p in cmd.params for o in [*p.opts, *p.secondary_opts]} | {"--help", "-h"}
    for tok in rest:
        if tok.startswith("-"):
            assert tok.split("=", 1)[0] in known, f"podium {cmd.name}: no option {tok} (has {sorted(known)})"


def check_make(args: list[str], targets: set[str]) -> None:
    it = iter(args)
    for tok in it:
        if tok in ("-C", "-f", "-j"):
            next(it, None)
        elif not tok.startswith("-") and "=" not in tok:
            assert tok in targets, f"no make target '{tok}'"


def test_the_reader_sees_the_commands() -> None:
    assert commands('a && b || c | d; for x in $(ls); do .venv/bin/podium merge "$x" --out y; done') == [
        ["a"], ["b"], ["c"], ["d"], ["for", "x", "in", "$(ls)"], [".venv/bin/podium", "merge", "$x", "--out", "y"],
        ["done"]]
    with pytest.raises(AssertionError):
        check_podium(["run", "--no-such-option"])
    with pytest.raises(AssertionError):
        check_podium(["frobnicate"])
    with pytest.raises(AssertionError):
        check_make(["no-such-target"], make_targets())


def test_every_run_command_exists() -> None:
    targets = make_targets()
    seen = {"make": 0, "podium": 0}
    for where, cmd in run_commands():
        prog = cmd[0]
        try:
            if prog == "make":
                check_make(cmd[1:], targets)
                seen["make"] += 1
            elif Path(prog).name == "podium":
                check_podium(cmd[1:])
                seen["podium"] += 1
            elif prog in ("bash", "node") and "/" in cmd[1]:
                assert (REPO / cmd[1]).is_file(), f"no script {cmd[1]}"
        except AssertionError as exc:
            raise AssertionError(f"{where}: {shlex.join(cmd)}: {exc}") from None
    assert seen["make"] >= 5 and seen["podium"] >= 10, seen


@pytest.mark.parametrize("wf", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_rules(wf: Path) -> None:
    text = wf.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    assert doc.get("permissions") == {}, "top-level permissions: {} (each job asks for what it uses)"
    assert "concurrency" in doc
    for job_id, job in doc["jobs"].items():
        assert "permissions" in job, f"{job_id}: no permissions"
        for step in job.get("steps", []):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), f"{step['uses']}: pin a commit SHA"
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
            assert "${{" not in step.get("run", ""), f"{job_id}: expression inside run: — pass it through env:"
