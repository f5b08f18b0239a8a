"""`podium run --shard i/N` then `podium merge`: one run, every item exactly once, metrics recomputed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evals.store import read_run, read_samples
from tests.conftest import podium

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs


def test_shards_merge_into_one_run(site_data: Path, tmp_path: Path) -> None:
    shards = tmp_path / "shards"
    shutil.copytree(site_data, shards)
    for i in (1, 2):
        r = podium("run", "--suite", "gsm8k", "--limit", "4", "--shard", f"{i}/2", "--site-data", str(shards))
        assert r.returncode == 0, r.stderr
    dirs = sorted(p.parent for p in shards.glob("runs/*/gsm8k/*/run.json"))
    assert [str(read_run(d / "run.json").shard) for d in dirs] == ["1/2", "2/2"]
    assert [s.item_id for s in read_samples(dirs[0] / "samples.jsonl.gz")] == ["gsm8k/test/0000", "gsm8k/test/0002"]

    # a missing shard is refused, nothing written
    r = podium("merge", str(dirs[0]), "--site-data", str(site_data))
    assert r.returncode == 2 and "missing [2]" in r.stderr and not list(site_data.glob("runs/**/run.json"))
    # the same shard twice is refused
    r = podium("merge", str(dirs[0]), str(dirs[0]), "--site-data", str(site_data))
    assert r.returncode == 2 and "duplicated [1]" in r.stderr

    # one shard run from uncommitted code: the merged run says so
    second = dirs[1] / "run.json"
    second.write_text(second.read_text().replace('"git_dirty": false', '"git_dirty": true'))
    assert read_run(second).git_dirty is True

    r = podium("merge", str(shards / "runs"), "--site-data", str(site_data))
    assert r.returncode == 0, r.stderr
    (merged_json,) = site_data.glob("runs/*/gsm8k/*/run.json")
    merged = read_run(merged_json)
    samples = read_samples(merged_json.parent / "samples.jsonl.gz")
    assert merged.shard is None and merged.n_items == 4 and merged.git_dirty is True
    assert [s.item_id for s in samples] == [f"gsm8k/test/{i:04d}" for i in range(4)]
    strict = merged.main()
    assert strict is not None and strict.n == 4
    assert strict.value == sum(s.scores["strict"] for s in samples) / 4
    assert "--shard" not in merged.command
    parts = [read_run(d / "run.json") for d in dirs]
    assert merged.completion_tokens == sum(p.completion_tokens for p in parts)
    assert podium("validate", str(site_data)).returncode == 0
