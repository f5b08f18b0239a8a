"""The real CLI in subprocesses: run → build → the built site shows the run; errors are one clear line."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from evals.data import default_data_dir
from evals.records import SelectionRecord
from evals.store import read_run
from evals.suites import get_suite
from tests.conftest import copy_site_data, podium
from tests.support.servers import REPO

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`podium run --limit 5` on the embedded model, then `podium build` (shared by the e2e tests)."""
    root = tmp_path_factory.mktemp("e2e")
    site_data = copy_site_data(root)
    r = podium("run", "--suite", "gsm8k", "--limit", "5", "--site-data", str(site_data), cwd=root)
    assert r.returncode == 0, r.stderr
    r2 = podium("build", "--site-data", str(site_data), "--site", str(root / "site"), "--config",
                str(REPO / "mkdocs.yml"), cwd=root)
    assert r2.returncode == 0, r2.stderr
    return {"root": root, "site_data": site_data, "site": root / "site", "run_out": Path(r.stdout)}


def the_run(site_data: Path) -> Path:
    (run_json,) = sorted(site_data.glob("runs/smollm2-135m-instruct/gsm8k/*/run.json"))
    return run_json


def test_run_writes_a_complete_record(built: dict[str, Path]) -> None:
    run = read_run(the_run(built["site_data"]))
    assert run.n_items == 5 and run.suite.selection == SelectionRecord(kind="first_n", n=5)
    assert run.suite.items_total == 1319 and run.backend.name == "embedded"
    assert run.command.startswith("podium run --model smollm2-135m-instruct --suite gsm8k --backend embedded")
    assert {(m.name, m.variant) for m in run.metrics} == {("exact_match", "strict"), ("exact_match", "flexible")}
    assert run.prompt_tokens + run.prompt_tokens_cached > 5 * 700 and run.prompt_tokens_cached >= 4 * 700
    assert run.completion_tokens > 0 and run.cost.method == "cpu_hours" and run.cost.usd > 0
    with gzip.open(the_run(built["site_data"]).parent / "samples.jsonl.gz", "rt") as fh:
        rows = [json.loads(line) for line in fh]
    assert [r["item_id"] for r in rows] == [f"gsm8k/test/{i:04d}" for i in range(5)]
    # no benchmark text in site_data: the item id and the sha256 of the exact prompt, which the suite rebuilds
    suite = get_suite("gsm8k")
    first = suite.load(default_data_dir())[0]
    assert "reference" not in rows[0] and rows[0]["prompt"] is None and "question" not in json.dumps(rows[0])
    assert rows[0]["prompt_sha256"] == suite.prompt_sha256(first)
    assert first.fields["question"][:40] not in json.dumps(rows)
    assert not list(built["root"].glob(".podium/journal/*.jsonl")), "journal removed after a finished run"


def test_leaderboard_page_shows_the_score(built: dict[str, Path]) -> None:
    run = read_run(the_run(built["site_data"]))
    strict = run.main()
    assert strict is not None
    html = (built["site"] / "index.html").read_text()
    assert f"{strict.value * 100:.1f}% [95% CI {strict.ci_low * 100:.1f}–{strict.ci_high * 100:.1f}], n=5" in html
    assert "first 5 in file order (not a random sample) — not in Avg" in html  # a first-N run says so
    model_page = (built["site"] / "models" / "smollm2-135m-instruct" / "index.html").read_text()
    assert run.run_id in model_page and "xllamacpp" in model_page and run.suite.version in model_page
    assert (built["site"] / "charts" / "leaderboard.json").is_file()
    index = json.loads((built["site"] / "gallery" / "data" / "index.json").read_text())
    assert index["suites"][0]["id"] == "gsm8k" and index["texts"] is True  # question text joined from the data
    ids = json.loads((built["site"] / "gallery" / "data" / "gsm8k" / "ids.json").read_text())
    assert ids[:2] == ["gsm8k/test/0000", "gsm8k/test/0001"]
    for vendored in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js"):
        assert (built["site"] / "assets" / "vendor" / vendored).stat().st_size > 50_000


def test_summary_table_and_progress(built: dict[str, Path]) -> None:
    out = built["run_out"].as_posix()
    assert "exact_match" in out and "strict" in out and "tokens/s" in out


@pytest.mark.parametrize(("args", "fragment"), [
    (["run", "--suite", "gsm9k"], "unknown suite 'gsm9k'"),
    (["run", "--model", "gpt-5"], "unknown model 'gpt-5'"),
    (["run", "--data-dir", "/nonexistent"], "benchmark file gsm8k/test.jsonl not found"),
    (["run", "--backend", "tpu"], "unknown backend 'tpu'"),
    (["run", "--model", "gpt-4o", "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1"],
     "no server answers"),
    (["build", "--site-data", "/nonexistent"], "site data directory not found"),
    (["serve", "--site", "/nonexistent"], "no built site here"),
    (["init", "/proc/podium-x", "--podium-source", "pypi"], "/proc/podium-x: No such file or directory — check"),
    (["list", "models", "--site-data", "/nonexistent"], "/nonexistent: no site_data here (no models/ folder)"),
])
def test_errors_are_one_line_without_traceback(args: list[str], fragment: str, site_data: Path) -> None:
    if args[0] == "run":
        args = [*args, "--site-data", str(site_data)]
    r = podium(*args, timeout=60)
    assert r.returncode == 2, r.stderr
    assert fragment in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not list(site_data.glob("runs/**/run.json"))


def test_a_port_out_of_range_is_a_usage_error() -> None:
    r = podium("serve", "--port", "99999", timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "99999 is not in the range 0<=x<=65535" in r.stderr


def test_a_run_json_that_is_not_utf8_or_not_a_file_is_one_line(site_data: Path) -> None:
    run = site_data / "runs" / "gemma-3-270m" / "boolq" / "r1"
    run.mkdir(parents=True)
    (run / "run.json").write_bytes(b'{"schema_version": 4, "x": "\xff"}')
    r = podium("view", str(run), timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "not UTF-8 (byte 0xff" in r.stderr, r.stderr
    assert str(run / "run.json") in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_malformed_model_file_names_file_and_line(site_data: Path) -> None:
    (site_data / "models" / "broken.yaml").write_text("id: broken\nname: B\nfamily: F\nlicense: MIT\n"
                                                     "open_weights: perhaps\nsource: s\n")
    r = podium("run", "--model", "broken", "--site-data", str(site_data), timeout=60)
    assert r.returncode == 2 and "broken.yaml:5: field 'open_weights'" in r.stderr and "Traceback" not in r.stderr


def test_help_has_examples() -> None:
    r = podium("--help")
    assert r.returncode == 0 and "podium demo" in r.stdout
    for cmd in ("run", "build", "serve", "demo", "validate", "schema", "serve-model"):
        h = podium(cmd, "--help")
        assert h.returncode == 0 and "Example" in h.stdout, cmd


def test_validate_accepts_the_run_and_rejects_damage(built: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    ok = podium("validate", str(built["site_data"]))
    assert ok.returncode == 0 and "1 run(s) valid" in ok.stdout
    bad = tmp_path / "site_data"
    shutil.copytree(built["site_data"], bad)
    run_json = the_run(bad)
    run_json.write_text(run_json.read_text().replace('"n_items": 5', '"n_items": "five"'))
    r = podium("validate", str(bad))
    assert r.returncode == 1 and "n_items" in r.stderr and "Traceback" not in r.stderr


def test_build_with_models_but_no_runs(tmp_path: Path) -> None:
    """A freshly initialised leaderboard (models, no runs yet) builds: an empty board, no traceback."""
    data = tmp_path / "site_data"
    shutil.copytree(REPO / "site_data", data, ignore=shutil.ignore_patterns("runs", "reported"))
    r = podium("build", "--site-data", str(data), "--site", str(tmp_path / "site"))
    assert r.returncode == 0, r.stderr
    assert "from 0 run(s)" in r.stdout and (tmp_path / "site" / "index.html").is_file()
