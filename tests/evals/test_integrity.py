"""Nothing false reaches the board (issue 21): failed runs are not results, synthetic runs are marked, subsets are
honest random samples, the protocol follows the model, baselines and response bias are stored, and the small holes
(sampling bounds, a per-run lock, portable reproducing commands) are closed."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from evals.backends.fake import FakeBackend, FakeConfig
from evals.errors import ConfigError
from evals.records import ModelEntry, SelectionRecord
from evals.runlock import RunBusy, run_lock
from evals.runner import RunIncomplete, RunOptions, errors_allowed, run_suite
from evals.store import load_model
from evals.suites import SUITES, get_suite
from evals.suites.base import Item, SelectionSpec, Suite
from generator.cli.run import JudgeOptions, SamplingOptions, Selection, reproducing_command, resolve_suite_id
from tests.conftest import podium

SUBSET_SUITES = sorted(s for s in SUITES if s != "scenarios")


@pytest.mark.parametrize("suite_id", SUBSET_SUITES)
def test_subset_is_the_same_in_any_item_order(suite_id: str, data_dir: Path) -> None:
    suite = get_suite(suite_id)
    items = suite.load(data_dir)
    spec = SelectionSpec(subset=60, seed=0)
    first = {it.id for it in suite.select(items, spec)}
    shuffled = list(items)
    random.Random(7).shuffle(shuffled)
    assert {it.id for it in suite.select(shuffled, spec)} == first and len(first) == min(60, len(items))
    other = {it.id for it in suite.select(items, SelectionSpec(subset=60, seed=1))}
    assert other != first  # the seed decides the draw
    head = {it.id for it in items[:60]}
    assert first != head  # not the file's head


def test_subsets_are_stratified_never_by_the_answer(data_dir: Path) -> None:
    hs = get_suite("hellaswag")
    items = hs.load(data_dir)
    picked = hs.select(items, SelectionSpec(subset=400))
    share_items = sum(hs.stratum(it) == "activitynet" for it in items) / len(items)
    share_picked = sum(hs.stratum(it) == "activitynet" for it in picked) / len(picked)
    assert abs(share_items - share_picked) < 0.005  # proportional allocation, not the easy ActivityNet head
    mmlu = get_suite("mmlu")
    m_items = mmlu.load(data_dir)
    m_picked = mmlu.select(m_items, SelectionSpec(subset=570))
    assert len({mmlu.stratum(it) for it in m_picked}) == 57  # every subject is in a 570-item subset
    boolq = get_suite("boolq")
    assert boolq.strata_name is None  # the label is not a stratum


def test_selection_record_says_what_ran() -> None:
    assert SelectionRecord(kind="first_n", n=2, per="subject").text == "first 2 per subject (not a random sample)"
    sub = SelectionRecord(kind="subset", n=500, seed=0, strata="source")
    assert sub.text == "random subset of 500 (seed 0, stratified by source)" and sub.representative
    assert not SelectionRecord(kind="first_n", n=200).representative
    assert SelectionRecord(kind="first_n", n=10, per="scenario").representative  # trials are repeated draws
    assert not SelectionRecord(kind="full", subjects=["anatomy"]).representative


def test_baselines_and_response_bias_are_stored(site_data: Path, data_dir: Path, tmp_path: Path) -> None:
    suite = get_suite("boolq")
    items = suite.load(data_dir)
    base = suite.baselines(items)
    assert base.chance == 0.5 and base.majority_label == "yes" and base.majority == pytest.approx(0.6217, abs=1e-3)
    mmlu = get_suite("mmlu").baselines(get_suite("mmlu").load(data_dir))
    assert mmlu.chance == 0.25
    always_no = {f"{it.id}#0": -0.1 for it in items[:20]} | {f"{it.id}#1": -5.0 for it in items[:20]}
    result = run_suite(suite, FakeBackend(FakeConfig(logprobs=always_no)), load_model(site_data,
                       "smollm2-135m-instruct"), RunOptions(out=site_data, data_dir=data_dir, command="t",
                                                            selection=SelectionSpec(limit=20), cache_dir=tmp_path))
    bias = result.run.response_bias
    assert bias is not None and (bias.label, bias.share, bias.yes_share, bias.flagged) == ("no", 1.0, 0.0, True)
    assert result.run.suite.chance == 0.5 and result.run.suite.majority_label == "yes"


def four_gsm8k(site_data: Path, data_dir: Path, state: Path) -> tuple[Suite, list[Item], ModelEntry, RunOptions]:
    """A 4-item GSM8K run of the embedded model's entry, its journal under ``state``."""
    suite = get_suite("gsm8k")
    opts = RunOptions(out=site_data, data_dir=data_dir, command="t", selection=SelectionSpec(limit=4),
                      cache_dir=state)
    return suite, suite.load(data_dir)[:4], load_model(site_data, "smollm2-135m-instruct"), opts


def test_a_run_with_failures_is_not_a_result_and_resumes_only_the_failed(site_data: Path, data_dir: Path,
                                                                         tmp_path: Path) -> None:
    suite, items, model, opts = four_gsm8k(site_data, data_dir, tmp_path)
    broken = {items[1].id: "<error>", items[3].id: "<error>"}
    with pytest.raises(RunIncomplete) as exc:
        run_suite(suite, FakeBackend(FakeConfig(replies=broken)), model, opts)
    line = exc.value.one_line()
    assert "2 of 4 items failed" in line and items[1].id in line and "--max-errors" in line
    assert exc.value.exit_code == 1 and not list(site_data.glob("runs/*/gsm8k/*/run.json"))
    seen: list[tuple[int, int]] = []
    fixed = run_suite(suite, FakeBackend(), model, opts, on_start=lambda kept, retried: seen.append((kept, retried)))
    assert seen == [(2, 2)] and (fixed.resumed, fixed.retried) == (2, 2)
    assert fixed.run.n_errors == 0 and len(fixed.samples) == 4 and not fixed.existing


def test_a_journal_line_cut_inside_a_character_is_dropped_and_its_item_re_run(site_data: Path, data_dir: Path,
                                                                               tmp_path: Path) -> None:
    suite, items, model, opts = four_gsm8k(site_data, data_dir, tmp_path)
    with pytest.raises(RunIncomplete):
        run_suite(suite, FakeBackend(FakeConfig(replies={items[3].id: "<error>"})), model, opts)
    (journal,) = (tmp_path / "journal").glob("*.jsonl")
    lines = journal.read_bytes().splitlines(keepends=True)
    assert len(lines) == 5  # header + 4 items (one failed)
    cut = lines[2][:-1].replace(b'"', b'"\xc3\xa9', 1)[:40] + b"\xe2\x82"  # a kill inside a 3-byte character
    journal.write_bytes(b"".join(lines[:2]) + cut + b"\n" + b"".join(lines[3:]))
    seen: list[tuple[int, int]] = []
    fixed = run_suite(suite, FakeBackend(), model, opts, on_start=lambda kept, retried: seen.append((kept, retried)))
    assert seen == [(2, 1)]  # two kept; the failed item is retried and the damaged line's item runs afresh
    assert fixed.run.n_errors == 0 and len(fixed.samples) == 4


def test_max_errors_accepts_a_bounded_share(site_data: Path, data_dir: Path, tmp_path: Path) -> None:
    assert [errors_allowed(v, 200) for v in (None, 0, 3, 0.01, 0.5)] == [0, 0, 3, 2, 100]
    suite = get_suite("gsm8k")
    items = suite.load(data_dir)[:4]
    opts = RunOptions(out=site_data, data_dir=data_dir, command="t", selection=SelectionSpec(limit=4),
                      cache_dir=tmp_path, max_errors=0.25)
    result = run_suite(suite, FakeBackend(FakeConfig(replies={items[0].id: "<error>"})),
                       load_model(site_data, "smollm2-135m-instruct"), opts)
    assert (result.run.n_errors, result.run.errors_allowed, result.run.synthetic) == (1, 1, True)


def test_a_second_identical_run_refuses_in_one_line(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    with run_lock(lock, "podium run --suite gsm8k"), pytest.raises(RunBusy) as exc, run_lock(lock, "podium run"):
        pass
    assert "already being measured" in exc.value.one_line() and exc.value.exit_code == 1
    with run_lock(lock, "again"):  # released when the first one ends
        pass


def test_reproducing_command_is_portable() -> None:
    cmd = reproducing_command("m", "gsm8k", Selection(subset=50), SamplingOptions(temperature=0.0),
                              ["--backend", "openai", "--base-url", "http://127.0.0.1:41453/v1", "-B",
                               "model=/tmp/abc/model"], JudgeOptions(), Path("/tmp/x/site_data"), 0.01)
    assert "127.0.0.1" not in cmd and "/tmp" not in cmd
    assert "--base-url '<URL>'" in cmd and "model=<MODEL>" in cmd and "--max-errors 0.01" in cmd
    public = reproducing_command("m", "gsm8k", Selection(), SamplingOptions(),
                                 ["--backend", "openai", "--base-url", "https://api.openai.com/v1"], JudgeOptions(),
                                 Path("site_data"))
    assert "https://api.openai.com/v1" in public and "--site-data" not in public


def test_protocol_follows_the_model(site_data: Path) -> None:
    chat, base = load_model(site_data, "smollm2-135m-instruct"), load_model(site_data, "gemma-3-270m")
    assert (resolve_suite_id("humaneval", chat), resolve_suite_id("humaneval", base)) == (
        "humaneval:chat", "humaneval:completion")
    assert resolve_suite_id("humaneval:completion", chat) == "humaneval:completion"  # explicit: flagged on the site
    assert get_suite("humaneval:completion").info.intended_for == "base"
    assert get_suite("humaneval:chat").info.intended_for == "chat"
    with pytest.raises(ConfigError):
        Selection(limit=3, subset=3).spec()


def test_cli_bad_sampling_and_several_suites(site_data: Path, tmp_path: Path, data_dir: Path) -> None:
    env = {"PODIUM_CACHE_DIR": str(tmp_path / "c")}
    r = podium("run", "--backend", "fake", "--temperature", "-1", "--site-data", str(site_data), env=env)
    assert r.returncode == 2 and "temperature" in r.stderr and "Traceback" not in r.stderr
    r = podium("run", "--backend", "fake", "--top-p", "0", "--site-data", str(site_data), env=env)
    assert r.returncode == 2 and "top-p" in r.stderr
    r = podium("run", "--backend", "fake", "--suite", "gsm8k,boolq", "--suite", "winogrande", "--limit", "2",
               "--site-data", str(site_data), env=env)
    assert r.returncode == 0, r.stderr
    runs = sorted(p.parent.parent.name for p in site_data.glob("runs/*/*/*/run.json"))
    assert runs == ["boolq", "gsm8k", "winogrande"] and "podium run — summary" in r.stdout
    assert all(json.loads(p.read_text())["synthetic"] for p in site_data.glob("runs/*/*/*/run.json"))


def test_build_refuses_an_unwritable_site_before_any_work(tmp_path: Path) -> None:
    r = podium("build", "--site", "/proc/podium-site", "--site-data", str(tmp_path / "none"))
    assert r.returncode != 0 and "cannot write the site there" in r.stderr and "Traceback" not in r.stderr


def test_a_non_utf8_model_file_is_one_line(site_data: Path) -> None:
    (site_data / "models" / "bad.yaml").write_bytes(b'id: bad\nname: "\xff"\n')
    with pytest.raises(ConfigError) as exc:
        load_model(site_data, "bad")
    assert exc.value.one_line().startswith(f"{site_data / 'models' / 'bad.yaml'}:2: not UTF-8 text")
