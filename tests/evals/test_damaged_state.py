"""What a run leaves behind between runs can be damaged (a foreign file where the completion cache belongs): a cache
Podium cannot open is one line naming the file, never a traceback (a damaged journal line: test_integrity). Shards of different runs are refused by merge
with the fix."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from evals.backends.base import Completion, GenerateRequest, Sampling
from evals.backends.request_cache import RequestCache
from evals.errors import DataError
from tests.conftest import podium


def test_a_damaged_cache_row_is_a_miss_and_a_foreign_cache_file_is_one_line(tmp_path: Path) -> None:
    req = GenerateRequest("k", "2+2=", Sampling(max_tokens=4, n=2))
    cache = RequestCache(tmp_path / "c.sqlite")
    cache.put("key", Completion("k", ("4", "4"), ("stop", "stop"), 3, 2, 0.1))
    assert cache.get("key", req) is not None
    for body in ("not json", json.dumps({"texts": ["4"]}), json.dumps({"texts": ["4"], "finish": ["stop"],
                                                                          "prompt_tokens": 3, "completion_tokens": 1})):
        with sqlite3.connect(tmp_path / "c.sqlite") as db:
            db.execute("UPDATE responses SET body = ? WHERE key = 'key'", (body,))
        assert cache.get("key", req) is None  # garbage, a missing field, one text where two were asked
    cache.close()
    foreign = tmp_path / "f.sqlite"
    foreign.write_bytes(b"this is not a database\n" * 200)
    with pytest.raises(DataError) as exc:
        RequestCache(foreign)
    assert str(foreign) in exc.value.one_line() and "delete it" in exc.value.one_line()


def test_podium_run_with_a_foreign_file_as_its_cache_says_so_in_one_line(site_data: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "cache").mkdir(parents=True)
    (state / "cache" / "requests.sqlite").write_bytes(b"\x00garbage" * 500)
    r = podium("run", "--backend", "fake", "--suite", "gsm8k", "--subset", "3", "--site-data", str(site_data),
               env={"PODIUM_CACHE_DIR": str(state)})
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert "requests.sqlite: not a readable request cache" in r.stderr and "delete it" in r.stderr
    assert not list(site_data.glob("runs/*/gsm8k/*/run.json"))


def test_merge_refuses_shards_of_different_splits_or_selections_with_the_fix(site_data: Path,
                                                                             tmp_path: Path) -> None:
    env = {"PODIUM_CACHE_DIR": str(tmp_path / "state")}
    runs = []
    for name, args in (("a", ["--limit", "4", "--shard", "1/2"]), ("b", ["--limit", "4", "--shard", "2/3"]),
                       ("c", ["--subset", "4", "--shard", "2/2"])):
        where = tmp_path / name
        shutil.copytree(site_data, where)
        r = podium("run", "--backend", "fake", "--suite", "gsm8k", "--site-data", str(where), *args, env=env)
        assert r.returncode == 0, r.stderr
        runs.append(str(next(where.glob("runs/*/gsm8k/*"))))
    r = podium("merge", runs[0], runs[1], "--site-data", str(site_data))
    assert r.returncode == 2 and "different splits: N ∈ [2, 3]" in r.stderr and "— merge the shards of one" in r.stderr
    r = podium("merge", runs[0], runs[2], "--site-data", str(site_data))
    assert r.returncode == 2 and "shards differ in selection" in r.stderr and "Traceback" not in r.stderr
    assert not list(site_data.glob("runs/**/run.json"))
