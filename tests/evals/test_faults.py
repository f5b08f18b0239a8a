"""Fault test (issue: production OpenAI-compatible client): real llama.cpp server behind a fault-injecting proxy.

A run through the proxy completes with results identical to a clean run at temperature 0; a run killed with
SIGKILL mid-way and restarted ends with every item exactly once.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evals.backends.base import GenerateRequest, Sampling
from evals.backends.openai_compat import OpenAICompatBackend, OpenAIConfig
from evals.backends.retry import RetryPolicy
from evals.suites.gsm8k import GSM8K, STOP
from tests.support.faults import FAULTS, FaultProxy
from tests.support.servers import REPO

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs


def requests(data_dir: Path, n: int) -> list[GenerateRequest]:
    """Short zero-shot prompts: each request takes well under the client timeout on a busy 2-core machine."""
    sampling = Sampling(max_tokens=24, temperature=0.0, stop=STOP, seed=0)
    return [GenerateRequest(it.id, f"Q: {it.fields['question']}\nA:", sampling)
            for it in GSM8K().load(data_dir)[:n]]


def test_faulty_server_gives_identical_results(server_url: str, data_dir: Path) -> None:
    reqs = requests(data_dir, 12)
    clean = OpenAICompatBackend(OpenAIConfig(model="m", base_url=server_url, concurrency=2)).generate(reqs)
    assert all(c.error is None for c in clean)
    with FaultProxy(server_url.removesuffix("/v1"), rate=0.35, seed=3, slow_seconds=12.0) as proxy:
        be = OpenAICompatBackend(OpenAIConfig(model="m", base_url=proxy.url + "/v1", concurrency=2, timeout=10.0,
                                              retry=RetryPolicy(max_retries=12, base_delay=0.05, max_delay=1.0)))
        faulty = be.generate(reqs)
    assert [c.key for c in faulty] == [r.key for r in reqs]
    assert [c.error for c in faulty] == [None] * len(reqs)
    assert [c.texts for c in faulty] == [c.texts for c in clean]
    assert sum(proxy.injected.values()) >= 4 and len(proxy.injected) >= 3, proxy.injected
    assert be.retries >= sum(proxy.injected.values())
    assert set(proxy.injected) <= set(FAULTS)


def _samples(site_data: Path) -> list[dict[str, object]]:
    (path,) = site_data.glob("runs/*/gsm8k/*/samples.jsonl.gz")
    with gzip.open(path, "rt") as fh:
        return [json.loads(line) for line in fh]


def test_sigkill_mid_run_then_resume_has_every_item_once(server_url: str, site_data: Path, tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "generator", "run", "--model", "smollm2-135m-instruct", "--backend", "openai",
           "--base-url", server_url, "--suite", "gsm8k", "--limit", "10", "--concurrency", "1",
           "--no-cache", "--site-data", str(site_data)]
    env = {**os.environ, "PODIUM_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal_dir = tmp_path / "cache" / "journal"
    deadline = time.time() + 240
    while time.time() < deadline:  # wait until some, not all, items are journaled
        lines = sum(len(p.read_text().splitlines()) - 1 for p in journal_dir.glob("*.jsonl"))
        if lines >= 3:
            break
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not list(site_data.glob("runs/*/gsm8k/*/run.json")), "killed run must not publish a result"
    done_before = sum(len(p.read_text().splitlines()) - 1 for p in journal_dir.glob("*.jsonl"))
    assert 3 <= done_before < 10
    (wall_file,) = journal_dir.glob("*.jsonl.wall")  # wall clock spent up to the last journaled item
    wall_before = float(wall_file.read_text())
    assert wall_before > 0
    t_resume = time.monotonic()
    r = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    resume_s = time.monotonic() - t_resume
    assert r.returncode == 0, r.stderr
    assert f"resumed: {done_before} kept" in r.stdout.replace("\n", " ")
    ids = [s["item_id"] for s in _samples(site_data)]
    assert ids == [f"gsm8k/test/{i:04d}" for i in range(10)]
    assert not list(journal_dir.glob("*.jsonl")) and not list(journal_dir.glob("*.wall"))
    (run_json,) = site_data.glob("runs/*/gsm8k/*/run.json")
    wall = json.loads(run_json.read_text())["wall_seconds"]
    assert wall_before < wall < wall_before + resume_s  # the killed invocation's time is counted, once
