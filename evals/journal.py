"""Append-only resume journal: one graded item per line, fsync'd as it is written.

A run killed at any point (even SIGKILL) loses at most the requests in flight; re-running the same command
finds the journal by the run's fingerprint and skips the items it already holds. A torn last line is ignored.
A sidecar ``<journal>.wall`` keeps the wall-clock seconds spent up to the last journaled item, so a resumed run's
wall time (and so its cost) counts the earlier invocations too.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from evals.records import SampleRecord


def failed(rec: SampleRecord) -> bool:
    """An item with a failed request: not a result (retried on the next run of the same command)."""
    return any(o.error for o in rec.outputs)


class Journal:
    def __init__(self, path: Path, header: dict[str, object]) -> None:
        self.path = path
        self.done: dict[str, SampleRecord] = {}
        self.started_at = datetime.now(UTC)
        self._wall_path = path.with_name(path.name + ".wall")
        self.prior_seconds = 0.0
        self._t0 = time.monotonic()
        if path.exists():
            self._load()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8") as fh:
                fh.write(json.dumps({"header": header, "started_at": self.started_at.isoformat()}) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        self._fh: IO[str] | None = path.open("a", encoding="utf-8")

    def _load(self) -> None:
        try:
            self.prior_seconds = max(0.0, float(self._wall_path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            self.prior_seconds = 0.0
        lines = self.path.read_bytes().splitlines()
        good = []
        for i, raw in enumerate(lines):
            try:
                line = raw.decode("utf-8")  # a kill can cut a line inside a character: UnicodeDecodeError
                if i == 0:
                    self.started_at = datetime.fromisoformat(json.loads(line)["started_at"])
                else:
                    self._keep(SampleRecord.model_validate_json(line))
                good.append(line)
            except (ValueError, KeyError, ValidationError):
                continue  # torn write from a killed run
        if len(good) != len(lines):  # rewrite without the torn line so appends stay line-aligned
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text("".join(g + "\n" for g in good), encoding="utf-8")
            os.replace(tmp, self.path)

    def append(self, rec: SampleRecord) -> None:
        assert self._fh is not None
        self._fh.write(rec.model_dump_json() + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._keep(rec)
        tmp = self._wall_path.with_suffix(".tmp")
        tmp.write_text(f"{self.seconds():.3f}", encoding="utf-8")
        os.replace(tmp, self._wall_path)

    def _keep(self, rec: SampleRecord) -> None:
        """The first record of an item, unless it failed and a later attempt (a retry) is there."""
        old = self.done.get(rec.item_id)
        if old is None or failed(old):
            self.done[rec.item_id] = rec

    def seconds(self) -> float:
        """Wall-clock seconds of this run so far, earlier (killed) invocations included."""
        return self.prior_seconds + time.monotonic() - self._t0

    def records(self) -> Iterator[SampleRecord]:
        yield from self.done.values()

    def close(self) -> None:
        if self._fh:
            self._fh.close()
            self._fh = None

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)
        self._wall_path.unlink(missing_ok=True)
