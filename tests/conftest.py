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

# The fast tier (`make test-fast`, `pytest -m "not slow"`) leaves out every real-part test: those that use a real
# engine or server (by fixture), drive the sandbox, vLLM, MkDocs or Chromium, or run the CLI on a real engine
# (by module, or marked one by one). CI runs everything.
SLOW_FIXTURES = {"embedded", "server_url", "site"}  # "site": a real MkDocs build
SLOW_MODULES = ("tests/e2e/", "tests/evals/sandbox/", "tests/evals/test_vllm.py", "tests/evals/test_faults.py",
                "tests/evals/test_embedded_prefix.py", "tests/evals/test_gemma.py", "tests/evals/test_backends.py",
                "tests/evals/test_client_features.py", "tests/evals/test_upgrade.py",
                "tests/evals/test_scenarios.py::test_tool_scenario_on_real_backends",
                "tests/evals/test_scenarios.py::test_bad_scenario_through_the_real_cli",
                "tests/evals/test_scenarios.py::test_tetris_code_tests_run_headless",
                "tests/evals/test_scenarios.py::test_code_tests_without_code",
                "tests/evals/test_fake_backend.py::test_cli_runs", "tests/evals/test_records.py::test_atomic_write",
                "tests/validation/test_validate_files.py::test_all_problems_listed_and_cli_formats",
                "tests/generator/test_site_build.py::test_without_texts", "tests/test_no_benchmark_text.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("browser") or fixtures & SLOW_FIXTURES or item.nodeid.startswith(SLOW_MODULES):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    d = default_data_dir()
    if not (d / "gsm8k" / "test.jsonl").exists():
        pytest.fail(f"benchmark data not found in {d}: set PODIUM_DATA_DIR")
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
