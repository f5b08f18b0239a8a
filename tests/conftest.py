from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from evals.data import default_data_dir
from tests.support.servers import REPO, llama_server

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

# The fast tier (`make test-fast`: `pytest -m "not slow ..."`) leaves out every real-part test. Slow tests are
# marked where they are written: `pytestmark = pytest.mark.slow` in a module of real-part tests (e2e, sandbox,
# vLLM, real backends), `@pytest.mark.slow` on a single test; a browser test is also slow. A test that asks for a
# real engine, server or MkDocs build by fixture is slow whatever its marks: the fixtures below say so.
SLOW_FIXTURES = {"embedded", "server_url", "site"}  # "site": a real MkDocs build


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("browser") or fixtures & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The benchmark data directory; tests that need it are skipped (not failed) where it is absent — the
    files are others' text and never part of this repository (`podium data fetch` gets them)."""
    d = default_data_dir()
    if not (d / "gsm8k" / "test.jsonl").exists():
        pytest.skip(f"benchmark data not found in {d}: set PODIUM_DATA_DIR or run `podium data fetch`")
    return d


@pytest.fixture(scope="session")
def embedded():  # type: ignore[no-untyped-def]
    from evals.backends.embedded import EmbeddedBackend

    with EmbeddedBackend() as backend:
        yield backend


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """A real llama.cpp OpenAI-compatible server (separate process) serving the embedded GGUF."""
    with llama_server() as (url, _proc):
        yield url


def copy_site_data(root: Path) -> Path:
    """``root/site_data``: a fresh copy of the repository's site_data (models + schema), no runs."""
    dest = root / "site_data"
    shutil.copytree(REPO / "site_data", dest, ignore=shutil.ignore_patterns("runs"))
    return dest


@pytest.fixture()
def site_data(tmp_path: Path) -> Path:
    """A fresh copy of the repository's site_data (models + schema), no runs."""
    return copy_site_data(tmp_path)


def podium(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
           timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "generator", *args], capture_output=True, text=True,
                          cwd=cwd or REPO, env=full_env, timeout=timeout)
