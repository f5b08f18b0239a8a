"""Shared option decorators and resolution of paths/backends from options."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from evals.data import default_data_dir

F = TypeVar("F", bound=Callable[..., Any])


def data_dir_option(f: F) -> F:
    return click.option(
        "--data-dir", type=click.Path(path_type=Path, file_okay=False), envvar="PODIUM_DATA_DIR", default=None,
        help="Benchmark data directory [env PODIUM_DATA_DIR; default ../shared/benchmarks if present, "
             "else ~/.cache/podium/data].")(f)


def path_option(name: str, dest: str, old: tuple[str, ...], default: Path, help: str) -> Callable[[F], F]:
    """``name PATH``, plus hidden older spellings (``old``) still accepted for one release with a notice."""
    import functools

    def remember(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
        if value is not None:
            click.secho(f"note: {param.opts[0]} is now {name} (the old spelling goes in the next release)", err=True,
                        fg="yellow")
            ctx.meta[f"podium.alias.{dest}"] = value

    def deco(f: F) -> F:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get(dest) is None:
                kwargs[dest] = click.get_current_context().meta.get(f"podium.alias.{dest}", default)
            return f(*args, **kwargs)

        g: Any = wrapper
        for alias in old:
            g = click.option(alias, type=click.Path(path_type=Path, file_okay=False), default=None, hidden=True,
                             expose_value=False, callback=remember, help=f"Old spelling of {name}.")(g)
        g = click.option(name, dest, type=click.Path(path_type=Path, file_okay=False), default=None,
                         help=f"{help} [default: {default}]")(g)
        return g  # type: ignore[no-any-return]
    return deco


def site_data_option(*old: str) -> Callable[[F], F]:
    """``--site-data PATH`` (default ``site_data``), the one spelling on every command that reads or writes it;
    ``old`` spellings (e.g. ``--out``) are hidden aliases kept for one release."""
    return path_option("--site-data", "site_data", old, Path("site_data"),
                       "The site_data directory (models, runs, schema).")


def resolve_data_dir(value: Path | None) -> Path:
    return value if value is not None else default_data_dir()


def root_or_site_data(root: Path | None, site_data: Path) -> Path:
    """A command's site_data directory, given as ROOT (positional, the older spelling) or ``--site-data``."""
    if root is not None and site_data != Path("site_data") and root != site_data:
        raise click.UsageError(f"ROOT ({root}) and --site-data ({site_data}) name two directories: give one")
    return root if root is not None else site_data
