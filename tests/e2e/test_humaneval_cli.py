"""HumanEval end to end: repeated sampling on the embedded model, every sample graded in the sandbox, pass@k
with bootstrap CIs, per-problem journaling (a re-run resumes), and the HumanEval page with its scaling chart."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evals.grader_records import CodeGrader
from evals.records import CodeDetail
from evals.store import read_run, read_samples
from tests.conftest import copy_site_data, podium
from tests.support.servers import REPO

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs

ARGS = ("run", "--suite", "humaneval:completion", "--limit", "3", "--samples", "5", "--max-tokens", "40")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("humaneval")
    data = copy_site_data(root)
    r = podium(*ARGS, "--site-data", str(data), cwd=root)
    assert r.returncode == 0, r.stderr
    assert "pass@1" in r.stdout and "pass@5" in r.stdout  # the summary table
    r2 = podium("build", "--site-data", str(data), "--site", str(root / "site"), "--config", str(REPO / "mkdocs.yml"),
                cwd=root)
    assert r2.returncode == 0, r2.stderr
    return root


def test_every_sample_is_graded_and_pass_at_k_has_cis(built: Path) -> None:
    (run_json,) = (built / "site_data" / "runs" / "smollm2-135m-instruct" / "humaneval").glob("*/run.json")
    run = read_run(run_json)
    assert run.sampling.n == 5 and run.sampling.temperature == 0.8 and run.sampling.top_p == 0.95
    assert [m.label for m in run.metrics] == ["pass@1", "pass@2", "pass@5"] and [m.k for m in run.metrics] == [1, 2, 5]
    for m in run.metrics:
        assert m.n == 3 and m.ci_method == "bootstrap" and m.ci_low is not None and m.ci_high is not None
        assert m.ci_low <= m.value <= m.ci_high
    samples = read_samples(run_json.parent / "samples.jsonl.gz")
    assert [s.item_id for s in samples] == ["HumanEval-0", "HumanEval-1", "HumanEval-2"]
    for s in samples:
        assert len(s.outputs) == 5
        assert s.scores["pass_rate"] == sum(o.scores["pass"] for o in s.outputs) / 5
        for o in s.outputs:
            assert isinstance(o.detail, CodeDetail) and o.detail.verdict in {"passed", "failed", "error", "timeout", "oom"}
            assert o.scores["pass"] == float(o.detail.verdict == "passed")
    texts = [o.text for s in samples for o in s.outputs]
    assert len(set(texts)) > 1, "distinct seeds give distinct samples"
    grader = run.suite.grader
    assert isinstance(grader, CodeGrader) and grader.limits.cpu_seconds == 20.0 and grader.stop[0] == "\nclass"


def test_a_rerun_is_served_from_the_completion_cache(built: Path) -> None:
    """Same command again: nothing is written (it says where the finished run is); with --repeat every sample
    comes back from the cache, identical, and is re-graded identically."""
    data = built / "site_data"
    again = podium(*ARGS, "--site-data", str(data), cwd=built)
    assert again.returncode == 0 and "already measured:" in again.stdout and "--repeat" in again.stdout
    assert len(list((data / "runs" / "smollm2-135m-instruct" / "humaneval").glob("*/run.json"))) == 1
    r = podium(*ARGS, "--repeat", "--site-data", str(data), cwd=built)
    assert r.returncode == 0, r.stderr
    first, second = sorted((data / "runs" / "smollm2-135m-instruct" / "humaneval").glob("*/samples.jsonl.gz"))
    a, b = read_samples(first), read_samples(second)
    assert [[(o.text, o.scores["pass"]) for o in s.outputs] for s in a] == \
        [[(o.text, o.scores["pass"]) for o in s.outputs] for s in b]
    shutil.rmtree(second.parent)


def test_humaneval_page_has_the_scaling_chart(built: Path) -> None:
    pages = list((built / "site").rglob("humaneval/index.html"))
    assert pages, sorted(p.relative_to(built / "site").as_posix() for p in (built / "site").rglob("index.html"))
    html = pages[0].read_text()
    assert "pass@k" in html and "pass@5" in html
    (spec_path,) = (built / "site").rglob("passk-humaneval.json")
    spec = json.loads(spec_path.read_text())
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert "passk-humaneval.json" in html


def test_metric_columns_sort_numbers_as_numbers() -> None:
    from generator.site.suite_pages import _natural

    cols = ["pass@10 · completion", "pass@2 · completion", "pass@1 · completion", "pass@20 · completion",
            "pass@5 · completion", "acc_norm · loglikelihood", "acc · loglikelihood"]
    assert sorted(cols, key=_natural) == ["acc · loglikelihood", "acc_norm · loglikelihood", "pass@1 · completion",
                                          "pass@2 · completion", "pass@5 · completion", "pass@10 · completion",
                                          "pass@20 · completion"]
