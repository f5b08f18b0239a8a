"""Podium's evaluation side: backends, suites, grading, runner and the record types of ``site_data/``.

Nothing here imports :mod:`generator` — data flows one way, from ``evals`` into ``site_data/``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("podium-evals")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
