"""One problem found in a file: where, what, and how to fix it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_WHERE = re.compile(r"^(?P<file>.+?)(?::(?P<line>\d+))?$")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    what: str
    fix: str
    level: str = "error"  # "error": the tree is rejected; "note": listed, not rejected (e.g. another suite version)

    @classmethod
    def at(cls, path: Path | str, line: int | None, what: str, fix: str) -> Problem:
        return cls(str(path), line, what, fix)

    @classmethod
    def from_where(cls, where: str | None, what: str, fix: str | None, default_file: Path) -> Problem:
        """From a :class:`~evals.errors.PodiumError`'s ``where`` ("path" or "path:line")."""
        m = _WHERE.match(where or "")
        if m is None:
            return cls(str(default_file), None, what, fix or "")
        return cls(m["file"], int(m["line"]) if m["line"] else None, what, fix or "")

    def sort_key(self) -> tuple[str, int, str]:
        return (self.file, self.line or 0, self.what)

    def text(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.what}" + (f" — {self.fix}" if self.fix else "")

    def as_note(self) -> Problem:
        return Problem(self.file, self.line, self.what, self.fix, "note")

    def github(self) -> str:
        """A GitHub Actions workflow command that annotates the file in the pull request."""
        props = f"file={_escape_prop(self.file)}" + (f",line={self.line}" if self.line else "")
        message = self.what + (f" — {self.fix}" if self.fix else "")
        return f"::{'notice' if self.level == 'note' else 'error'} {props}::{_escape_data(message)}"


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")
