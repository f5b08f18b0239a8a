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


def site_data_option(*names: str) -> Callable[[F], F]:
    """``--site-data PATH`` (and older spellings, e.g. ``--out``, still accepted)."""
    names = names or ("--out",)

    def deco(f: F) -> F:
        return click.option(*names, "site_data", type=click.Path(path_type=Path, file_okay=False),
                            default=Path("site_data"), show_default=True,
                            help="The site_data directory (models, runs, schema).")(f)
    return deco


def resolve_data_dir(value: Path | None) -> Path:
    return value if value is not None else default_data_dir()
