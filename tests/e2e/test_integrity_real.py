"""Integrity on real parts: a real llama.cpp server that rejects every request (HTTP 401) through a proxy on
127.0.0.1, then recovers; and a --subset run of the embedded model through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.records import RunRecord
from evals.suites import get_suite
from evals.suites.base import SelectionSpec
from tests.conftest import podium
from tests.support.faults import failing_proxy

pytestmark = pytest.mark.slow


def test_a_server_that_fails_every_request_publishes_nothing_then_resumes(server_url: str, site_data: Path,
                                                                          tmp_path: Path) -> None:
    env = {"PODIUM_CACHE_DIR": str(tmp_path / "cache")}
    upstream = server_url.removesuffix("/v1")
    with failing_proxy(upstream, failures=10**9, status=401, retry_after=None) as proxy:  # a wrong API key
        args = ("run", "--model", "smollm2-135m-instruct", "--backend", "openai", "--base-url", proxy.url + "/v1",
                "--suite", "gsm8k", "--limit", "4", "--concurrency", "1", "--max-tokens", "32", "--no-cache",
                "--site-data", str(site_data))
        first = podium(*args, env=env)
        assert first.returncode == 1, first.stderr
        assert "incomplete: 4 of 4 items failed" in first.stderr and "401" in first.stderr
        assert "Traceback" not in first.stderr
        assert not list(site_data.glob("runs/*/*/*/run.json"))  # nothing published, validate has nothing to pass
        proxy.first_failures = 0  # the key is fixed: the proxy now forwards every request
        second = podium(*args, env=env)
    assert second.returncode == 0, second.stderr
    assert "0 finished item(s) kept, 4 failed item(s) retried" in second.stderr.replace("\n", " ")
    assert "already measured" not in second.stdout
    (run_json,) = site_data.glob("runs/*/gsm8k/*/run.json")
    run = RunRecord.model_validate_json(run_json.read_text())
    assert (run.n_items, run.n_errors, run.synthetic) == (4, 0, False)
    assert "127.0.0.1" not in run.command and "<URL>" in run.command


def test_embedded_subset_run_is_the_documented_draw(site_data: Path, data_dir: Path, tmp_path: Path) -> None:
    r = podium("run", "--suite", "boolq", "--subset", "6", "--subset-seed", "3", "--threads", "1",
               "--site-data", str(site_data), env={"PODIUM_CACHE_DIR": str(tmp_path / "cache")})
    assert r.returncode == 0, r.stderr
    (run_json,) = site_data.glob("runs/*/boolq/*/run.json")
    run = RunRecord.model_validate_json(run_json.read_text())
    assert run.suite.selection.kind == "subset" and run.suite.selection.text == "random subset of 6 (seed 3)"
    assert run.representative and run.suite.chance == 0.5 and run.suite.majority_label == "yes"
    assert run.response_bias is not None and run.response_bias.n == 6
    assert "--threads 1" in run.command and "--subset 6 --subset-seed 3" in run.command
    suite = get_suite("boolq")
    want = [it.id for it in suite.select(suite.load(data_dir), SelectionSpec(subset=6, seed=3))]
    import gzip

    with gzip.open(run_json.parent / "samples.jsonl.gz", "rt") as fh:
        got = [json.loads(line)["item_id"] for line in fh]
    assert got == want


def test_an_unpriced_model_run_through_a_server_has_an_unknown_cost_never_zero(server_url: str, site_data: Path,
                                                                                tmp_path: Path) -> None:
    """A real llama.cpp server on 127.0.0.1 and a model entry without a price: Podium cannot know what that server
    costs, so the run's cost is ``unknown`` (no dollar figure), not the $0 of a local CPU run."""
    add = podium("add-model", "served-smollm2", "--name", "Served SmolLM2", "--family", "SmolLM2",
                 "--parameters-b", "0.135", "--license", "Apache-2.0", "--open-weights", "--source", "test",
                 "--chat", "--api-model", "smollm2", "--site-data", str(site_data))
    assert add.returncode == 0, add.stderr
    r = podium("run", "--model", "served-smollm2", "--backend", "openai", "--base-url", server_url, "--suite", "gsm8k",
               "--limit", "2", "--max-tokens", "8", "--no-cache", "--site-data", str(site_data),
               env={"PODIUM_CACHE_DIR": str(tmp_path / "cache")})
    assert r.returncode == 0, r.stderr
    (run_json,) = site_data.glob("runs/served-smollm2/gsm8k/*/run.json")
    run = RunRecord.model_validate_json(run_json.read_text())
    assert (run.cost.method, run.cost.usd) == ("unknown", None)
    assert podium("validate", str(site_data)).returncode == 0
