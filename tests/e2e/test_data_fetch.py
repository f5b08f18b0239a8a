"""`podium data fetch` against a local HTTP server serving the shared files."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.data import sha256_file
from tests.conftest import podium
from tests.support.servers import static_server

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs


def test_fetch_downloads_and_verifies(data_dir: Path, tmp_path: Path) -> None:
    dest = tmp_path / "data"
    with static_server(data_dir) as url:
        r = podium("data", "fetch", "--dest", str(dest), "--mirror", url, "--only", "gsm8k/", timeout=120)
        assert r.returncode == 0, r.stderr
        assert sha256_file(dest / "gsm8k" / "test.jsonl") == sha256_file(data_dir / "gsm8k" / "test.jsonl")
        again = podium("data", "fetch", "--dest", str(dest), "--mirror", url, "--only", "gsm8k/")
        assert "already present" in again.stdout


def test_corrupt_download_is_rejected_and_nothing_written(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror" / "gsm8k"
    mirror.mkdir(parents=True)
    (mirror / "test.jsonl").write_text('{"question": "tampered", "answer": "#### 1"}\n')
    dest = tmp_path / "data"
    with static_server(tmp_path / "mirror") as url:
        r = podium("data", "fetch", "--dest", str(dest), "--mirror", url, "--only", "gsm8k/test")
    assert r.returncode == 2 and "failed verification" in r.stderr and "Traceback" not in r.stderr
    assert not (dest / "gsm8k" / "test.jsonl").exists()
