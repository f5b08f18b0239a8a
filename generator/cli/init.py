"""``podium init``: scaffold a team's leaderboard repository that installs Podium from a source that exists.

Where the new repository installs Podium from is written in one place, its ``requirements.txt`` (one line); its
Makefile and every workflow install from that file. The scaffold's files (``generator/scaffold/``) are written
for the team's repository; ``@NAME@`` placeholders are filled in here.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import click

from evals import __version__
from evals.errors import ConfigError
from evals.store import export_schemas

# template (package data under generator/scaffold/) → path in the new repository
LAYOUT = {"Makefile": "Makefile", "README.md": "README.md", "gitignore": ".gitignore", "mkdocs.yml": "mkdocs.yml",
          "requirements.txt": "requirements.txt", "docs": "docs", "models": "site_data/models",
          "workflows": ".github/workflows"}
DIST = "podium-evals"
SOURCE_HELP = ("pypi (this version from PyPI), podium-evals==X, a git URL with its commit "
               "(git+https://github.com/OWNER/podium@COMMIT), or a wheel (a path: copied into the repository; "
               "or an https URL)")


def _public_url(url: str) -> str | None:
    """An https form of a git remote that a CI runner can clone (None for local paths)."""
    url = url.strip()
    if m := re.fullmatch(r"(?:ssh://)?git@([^:/]+)[:/](.+)", url):
        url = f"https://{m[1]}/{m[2]}"
    return url if url.startswith(("https://", "http://")) else None


def _git(where: Path, *args: str) -> str:
    try:
        r = subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True, check=False, timeout=30)
    except OSError:
        return ""
    return r.stdout.strip() if r.returncode == 0 else ""


def own_source() -> tuple[str | None, str | None, bool]:
    """(public git URL, commit, uncommitted changes?) of this Podium: from a git checkout it runs from, else the
    record its build wrote (generator/_source.json)."""
    package = Path(str(resources.files("generator")))
    commit = _git(package, "rev-parse", "HEAD")
    if commit:
        dirty = bool(_git(package, "status", "--porcelain", "--untracked-files=no"))
        return _public_url(_git(package, "remote", "get-url", "origin")), commit, dirty
    record = resources.files("generator") / "_source.json"
    if not record.is_file():
        return None, None, False
    data = json.loads(record.read_text(encoding="utf-8"))
    return _public_url(data.get("url") or ""), data.get("commit"), bool(data.get("dirty"))


def requirement(spec: str | None, root: Path) -> tuple[str, Path | None]:
    """The requirements.txt line for ``spec`` (None: this Podium's own git commit), and a wheel file to copy into
    the repository (for a local wheel path)."""
    version = __version__.split("+")[0]
    if spec is None:
        url, commit, _ = own_source()
        if not (url and commit):
            raise ConfigError(f"this Podium ({version}) has no public source to pin: it is not a released version "
                              "and was not built from a git checkout with an https remote", where="--podium-source",
                              fix=f"pass --podium-source: {SOURCE_HELP}")
        return f"{DIST} @ git+{url}@{commit}", None
    if spec == "pypi":
        return f"{DIST}=={version}", None
    if spec.startswith(("git+", "https://", "http://")):
        return f"{DIST} @ {spec}", None
    if re.fullmatch(r"podium-evals\s*(\[[\w,]+\])?\s*(==|~=|>=|@).+", spec):
        return spec, None
    wheel = Path(spec).expanduser()
    if wheel.suffix == ".whl" and wheel.is_file():
        return f"./wheels/{wheel.name}", wheel.resolve()
    raise ConfigError(f"'{spec}' is not a Podium source (or the wheel file does not exist)", where="--podium-source",
                      fix=f"pass one of: {SOURCE_HELP}")


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def _copy(src: Traversable, dest: Path, values: dict[str, str], written: list[Path]) -> None:
    if src.is_dir():
        for child in sorted(src.iterdir(), key=lambda c: c.name):
            _copy(child, dest / child.name, values, written)
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(_fill(src.read_text(encoding="utf-8"), values), encoding="utf-8")
    written.append(dest)


def scaffold(root: Path, *, title: str, requirement_line: str, wheel: Path | None = None) -> list[Path]:
    """Write the leaderboard layout into ``root`` (which must be empty or absent); the files written."""
    if root.exists() and any(root.iterdir()):
        raise ConfigError("directory is not empty", where=str(root), fix="pass a new or empty directory")
    template = resources.files("generator") / "scaffold"
    values = {"TITLE": title, "TITLE_YAML": json.dumps(title, ensure_ascii=False),
              "PODIUM_REQUIREMENT": requirement_line, "PODIUM_VERSION": __version__.split("+")[0]}
    written: list[Path] = []
    for name, rel in LAYOUT.items():
        _copy(template / name, root / rel, values, written)
    if wheel is not None:
        (root / "wheels").mkdir()
        written.append(Path(shutil.copyfile(wheel, root / "wheels" / wheel.name)))
    (root / "site_data" / "runs").mkdir(parents=True, exist_ok=True)
    written += export_schemas(root / "site_data")
    return written


@click.command("init")
@click.argument("root", type=click.Path(path_type=Path, file_okay=False))
@click.option("--title", help="The site's title (default: the directory's name).")
@click.option("--podium-source", "source", metavar="SPEC",
              help=f"Where the new repository installs Podium from (its requirements.txt): {SOURCE_HELP}. "
                   "Default: the git commit this Podium was built from.")
def init(root: Path, title: str | None, source: str | None) -> None:
    """Create a leaderboard repository in ROOT: mkdocs.yml, docs/, site_data/ (a model + the JSON Schemas), the
    four GitHub workflows, a Makefile and requirements.txt (where Podium comes from; every workflow uses it).

    \b
    Example:
      podium init my-leaderboard --title "ACME model board" --podium-source pypi
      cd my-leaderboard && less README.md     # the path from here to the live site
    """
    line, wheel = requirement(source, root)
    title = title or root.resolve().name
    written = scaffold(root, title=title, requirement_line=line, wheel=wheel)
    click.echo(f"created {len(written)} files in {shlex.quote(str(root))} (Podium from: {line})")
    _, _, dirty = own_source() if source is None else (None, None, False)
    if dirty:
        click.echo("note: this Podium has uncommitted changes; the repository installs the commit without them")
    click.echo(f"next: cd {shlex.quote(str(root))} && make setup-embedded && .venv/bin/podium data fetch "
               "(README.md has the whole path to a live site)")
