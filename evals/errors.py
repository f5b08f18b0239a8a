"""Errors a user can act on: what went wrong, where, and how to fix it — printed as one line, no traceback."""

from __future__ import annotations


class PodiumError(Exception):
    """An error with a one-line message built from what / where / fix."""

    exit_code = 2

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.one_line())

    def one_line(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        if self.fix:
            text += f" — {self.fix}"
        return text


class ConfigError(PodiumError):
    """A bad model file, scenario file or command-line value."""


class DataError(PodiumError):
    """Missing or corrupt benchmark data or site_data files."""


class BackendError(PodiumError):
    """A backend that cannot start, or a server that cannot be reached."""


class Unsupported(PodiumError):
    """A capability the chosen backend does not have (e.g. loglikelihood on a chat-only API)."""
