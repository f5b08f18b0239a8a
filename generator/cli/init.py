"""``podium init``: scaffold a leaderboard repository that a pip-installed Podium validates and builds."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import click

from evals import __version__
from evals.errors import ConfigError
from evals.store import export_schemas

# template (package data under generator/scaffold/) → path in the new repository
LAYOUT = {"Makefile": "Makefile", "README.md": "README.md", "gitignore": ".gitignore", "mkdocs.yml": "mkdocs.yml",
          "docs": "docs", "models": "site_data/models", "workflows": ".github/workflows"}


def _copy(src: Traversable, dest: Path, written: list[Path]) -> None:
    if src.is_dir():
        for child in sorted(src.iterdir(), key=lambda c: c.name):
            _copy(child, dest / child.name, written)
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    text = src.read_text(encoding="utf-8").replace("@PODIUM_VERSION@", __version__.split("+")[0])
    dest.write_text(text, encoding="utf-8")
    written.append(dest)


def scaffold(root: Path) -> list[Path]:
    """Write the leaderboard layout into ``root`` (which must be empty or absent); the files written."""
    if root.exists() and any(root.iterdir()):
        raise ConfigError("directory is not empty", where=str(root), fix="pass a new or empty directory")
    template = resources.files("generator") / "scaffold"
    written: list[Path] = []
    for name, rel in LAYOUT.items():
        _copy(template / name, root / rel, written)
    (root / "site_data" / "runs").mkdir(parents=True, exist_ok=True)
    written += export_schemas(root / "site_data")
    return written


@click.command("init")
@click.argument("root", type=click.Path(path_type=Path, file_okay=False))
def init(root: Path) -> None:
    """Create a leaderboard repository in ROOT: mkdocs.yml, docs/, site_data/ (a model + the JSON Schemas),
    the four GitHub workflows and a Makefile that installs this Podium version from PyPI.

    \b
    Example:
      podium init my-leaderboard && cd my-leaderboard
      podium run --suite gsm8k --limit 20 && podium validate && podium build
    """
    written = scaffold(root)
    click.echo(f"created {len(written)} files in {root}")
    click.echo(f"next: cd {root} && podium run --suite gsm8k --limit 20 && podium validate && podium build")
