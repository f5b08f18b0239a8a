"""The site from synthetic schema-v3 data: which run is shown and which counts, the statistics, the flags a reader must
see (first-N slices, protocol, answer bias), reported-only models, the gallery layout, downloads."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from evals.records import MetricRef
from generator.site.build import build_site
from generator.site.gallery import _model_item, loads, sample_dicts, score_key, shown_outputs
from generator.site.leaderboard import pareto
from generator.site.load import load_site_data
from generator.site.stats import above_baseline, mcnemar_exact, paired_bootstrap, tiers
from tests.support.servers import REPO
from tools.synth_site_data import SUITES, all_texts, generate, item_ids, size

SCALE = 0.004  # MMLU 10 subjects × 5, GSM8K 5, HumanEval 4 problems ... small and fast


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "site_data"
    generate(root, models=4, scale=SCALE, samples=12, trials=2, hostile=True)
    return root


@pytest.fixture(scope="module")
def site(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    build_site(data, out / "site", mkdocs_yml=REPO / "mkdocs.yml", work=out / "work", texts=all_texts(SCALE))
    return out / "site"


def test_mcnemar_exact_matches_the_binomial_by_hand() -> None:
    assert mcnemar_exact(10, 2) == pytest.approx(2 * (1 + 12 + 66) / 4096)
    assert mcnemar_exact(0, 0) == 1.0 and mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(7000, 7300) < 0.02  # large counts stay exact (integers), no overflow


def test_paired_bootstrap_and_tiers_and_pareto() -> None:
    mean, lo, hi, p = paired_bootstrap([1.0] * 40 + [0.0] * 10, [0.0] * 40 + [1.0] * 10, iters=500)
    assert mean == pytest.approx(0.6) and lo > 0 and p < 0.01
    _, lo, hi, p = paired_bootstrap([0.5] * 20, [0.5] * 20, iters=200)
    assert lo == hi == 0 and p == 1.0
    assert tiers(4, lambda i, j: j != 2) == [1, 1, 2, 2]
    assert pareto([("a", 1.0, 0.5), ("b", 2.0, 0.9), ("c", 3.0, 0.8), ("d", 0.5, 0.1)]) == {"a", "b", "d"}
    assert above_baseline(0.25, 0.25) == 0 and above_baseline(1.0, 0.5) == 1 and above_baseline(0.4, 0.0) == 0.4
    assert above_baseline(0.411, 0.622) == 0 and above_baseline(0.811, 0.622) == pytest.approx(0.5)


def test_score_key_of_each_suite_main_metric() -> None:
    # issue 13: multiple choice looked up the variant 'loglikelihood' and found nothing
    assert score_key(MetricRef(name="acc", variant="loglikelihood"), {"acc": 1.0}) == "acc"
    assert score_key(MetricRef(name="acc_norm", variant="loglikelihood"), {"acc": 0.0, "acc_norm": 1.0}) == "acc_norm"
    assert score_key(MetricRef(name="exact_match", variant="strict"), {"strict": 1.0, "flexible": 1.0}) == "strict"
    assert score_key(MetricRef(name="pass@k", variant="completion", k=1), {"pass_rate": 0.3}) == "pass_rate"
    assert score_key(MetricRef(name="success_rate", variant="pass"), {"pass": 1.0, "score": 1.0}) == "pass"


def test_run_selection(data: Path) -> None:
    sel = load_site_data(data).selection()
    # model 1: a newer partial gsm8k run never displaces the full one
    full = sel.shown[("synth-001", "gsm8k")].run
    assert not full.partial and full.n_items == len(item_ids(SUITES[0], size(SUITES[0], SCALE)))
    # model 1: a newer synthetic (fake backend) winogrande run is never shown; it is listed as such
    assert not sel.shown[("synth-001", "winogrande")].run.synthetic
    assert any(lr.run.synthetic for lr in sel.other["synth-001"])
    # model 2 has only a first-N gsm8k run: shown, not representative; model 3's random subset is representative
    assert sel.shown[("synth-002", "gsm8k")].run.partial and not sel.shown[("synth-002", "gsm8k")].run.representative
    assert sel.shown[("synth-003", "hellaswag")].run.representative
    # model 0: shard runs are never shown; the older boolq suite version is listed, not mixed in
    assert all(lr.run.shard is None for lr in sel.shown.values())
    other = sel.other["synth-000"]
    assert any(lr.run.shard is not None for lr in other)
    old = [lr for lr in other if lr.run.suite.id == "boolq" and lr.run.suite.version != sel.versions["boolq"]]
    assert len(old) == 1 and sel.shown[("synth-000", "boolq")].run.suite.version == sel.versions["boolq"]


def test_pages_and_leaderboard(site: Path) -> None:
    for page in ("index.html", "compare/index.html", "quality-vs-cost/index.html", "scaling/index.html",
                 "small-vs-large/index.html", "suites/mmlu/index.html", "models/synth-000/index.html",
                 "gallery/index.html", "scenarios/index.html"):
        assert (site / page).is_file(), page
    home = (site / "index.html").read_text()
    assert home.count('<tr data-kind=') == 5  # one line per model
    assert "first 2 in file order (not a random sample)" in home  # model 2's first-N GSM8K run, labelled
    assert 'class="podium-reported"' in home and "Tier" in home
    assert "Evil &#34;Model&#34; &amp;" in home
    assert "protocol: completion on a chat model" in home  # HumanEval's completion protocol, chat models
    assert "answers &#39;no&#39; on" in home  # model 3 answers "no" on BoolQ
    assert "vendor/vega" not in home  # no chart on the home page: Vega is not loaded there
    model0 = (site / "models/synth-000/index.html").read_text()
    assert "other suite version" in model0 and "not merged" in model0 and "podium run --model synth-000" in model0
    assert re.search(r"shard \d+/\d+ of all items", model0)  # a shard is not "all items"
    assert "Reported vs reproduced" in model0 and "/ GPU-hour" in model0  # the price, from the model file
    mmlu = (site / "suites/mmlu/index.html").read_text()
    assert "McNemar (exact)" in mmlu and "chance (guessing uniformly) <strong>25.0%</strong>" in mmlu
    assert "majority (always \"D\") <strong>27.0%</strong>" in mmlu
    boolq = (site / "suites/boolq/index.html").read_text()
    assert "answers &#39;no&#39; on" in boolq and "per 1,000 items" in boolq
    for page in ("downloads/index.html", "charts/index.html", "suites/boolq/index.html", "models/index.html"):
        assert 'class="md-tabs' in (site / page).read_text(), page  # the tabs on every page


def test_no_page_shows_escaped_text_or_unparsed_front_matter(site: Path) -> None:
    """Titles taken from a page's heading are escaped once (the nav, the question's sub-pages, the hostile model
    name), code examples are not escaped inside code, and every template's front matter is parsed, not shown."""
    pages = sorted(site.rglob("index.html"))
    assert len(pages) > 20
    for page in pages:
        html = page.read_text()
        assert "&amp;#" not in html and "&amp;quot;" not in html, page  # text escaped twice shows "&#34;"
        h1 = re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)
        assert all(not h.strip().startswith("title:") for h in h1), (page, h1)
        assert "\\u2014" not in html, page  # a YAML escape shown as text
    downloads = (site / "downloads/index.html").read_text()
    assert re.search(r'read_csv</span><span class="p">\(</span><span class="s2">(&quot;|&#34;|")scores\.csv', downloads)


def test_average_counts_representative_runs_only(data: Path) -> None:
    from generator.site.leaderboard import build_rows
    from generator.site.suites import suite_infos

    d = load_site_data(data)
    infos = suite_infos(d.latest())
    rows = {r.model.id: r for r in build_rows(d.models, d.latest(), list(infos.values()), d.reported)}
    m2 = rows["synth-002"]  # its GSM8K run is a first-N slice: shown, labelled, not averaged
    assert not m2.cells["gsm8k"].counted and m2.counted == 5 and any("GSM8K" in e for e in m2.excluded)
    assert rows["synth-003"].cells["hellaswag"].counted  # a random subset counts
    assert not rows["synth-000"].cells["scenarios"].counted  # scenarios: shown, never averaged
    cost = rows["synth-000"]
    per_1k = [c.run.cost.usd / c.run.n_items * 1000 for c in cost.cells.values() if c.counted]
    assert cost.cost == pytest.approx(sum(per_1k) / len(per_1k))  # cost per 1,000 items, never per run


def test_a_suite_with_a_chat_and_a_completion_column_is_one_suite_in_the_average(data: Path) -> None:
    """HumanEval's completion and chat columns are one suite in Avg: each model counts the protocol made for its
    kind, a model is never 'missing' the other protocol, and a column the model's kind is not run on says why."""
    import dataclasses

    from generator.site.leaderboard import averaged_groups, build_rows
    from generator.site.suites import suite_infos

    d = load_site_data(data)
    shown = dict(d.latest())
    chat_model = next(m for m in d.models.values() if m.chat and (m.id, "humaneval") in shown)
    base_model = next(m for m in d.models.values() if not m.chat and (m.id, "humaneval") in shown)
    lr = shown[(chat_model.id, "humaneval")]
    suite = lr.run.suite.model_copy(update={"id": "humaneval-chat", "variant": "chat", "intended_for": "chat",
                                            "display_name": "HumanEval (chat)"})
    shown[(chat_model.id, "humaneval-chat")] = dataclasses.replace(lr, run=lr.run.model_copy(update={"suite": suite}))
    cols = list(suite_infos(shown).values())
    groups = averaged_groups(cols)
    assert [c.id for c in groups["humaneval"]] == ["humaneval", "humaneval-chat"]
    rows = {r.model.id: r for r in build_rows(d.models, shown, cols, d.reported)}
    chat, base = rows[chat_model.id], rows[base_model.id]
    # the chat model has both: the chat protocol counts, the completion cell is shown and left out, with the reason
    assert chat.cells["humaneval-chat"].counted and not chat.cells["humaneval"].counted
    assert "HumanEval: HumanEval (chat) counts instead (its protocol fits the model)" in chat.excluded
    assert "HumanEval" not in chat.missing and "HumanEval (chat)" not in chat.missing
    # the base model has the completion protocol only: it is complete, and its chat column says why it is empty
    assert base.cells["humaneval"].counted and "HumanEval (chat)" not in base.missing
    assert base.not_run["humaneval-chat"].label == "chat-only suite"
    assert "humaneval-chat" not in chat.not_run and "humaneval" not in chat.not_run
    assert len(groups) == len({c.base for c in cols if c.in_average})
    assert chat.counted <= len(groups) and base.counted <= len(groups)


def test_reported_only_models_get_a_row_and_a_page(data: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "site_data"
    shutil.copytree(data, root)
    (root / "models" / "ghost.yaml").write_text("id: ghost\nname: Ghost 7B\nfamily: Ghost\nlicense: x\n"
                                                "open_weights: true\nsource: nowhere\nchat: true\n")
    with (root / "reported" / "synthetic.csv").open("a") as fh:
        fh.write("Ghost 7B,ghost,humaneval,pass@1,0.5,0,0-shot,model card,2026-01-01,\n")
    site = tmp_path / "site"
    build_site(root, site, mkdocs_yml=REPO / "mkdocs.yml", work=tmp_path / "work")
    home = (site / "index.html").read_text()
    assert "Reported only" in home and 'data-reported-only="1"' in home and "rep 50.0" in home
    page = (site / "models/ghost/index.html").read_text()
    assert "Podium has not run this model yet" in page and "pass@1 50.0%" in page


def test_downloads_one_main_row_per_model_and_suite_and_valid_json(site: Path) -> None:
    import pandas as pd

    csv = pd.read_csv(site / "downloads/scores.csv")
    mains = csv[csv["main"]]
    assert not mains.duplicated(["model_id", "suite"]).any()  # MMLU micro + macro: only micro is main
    assert set(mains[mains["suite"] == "mmlu"]["aggregation"]) == {"micro"}

    def no_nan(x: str) -> None:
        raise AssertionError(f"bare {x} in scores.json")

    rows = json.loads((site / "downloads/scores.json").read_text(), parse_constant=no_nan)
    assert rows and any(r["parameters_b"] is None for r in rows)  # API models: null, never NaN
    runs = pd.read_csv(site / "downloads/runs.csv")
    assert set(runs[runs["synthetic"]]["shown"]) == {False}
    for rec in runs["record"]:
        assert (site / "downloads" / rec).is_file()
    page = (site / "downloads/index.html").read_text()
    for f in ("scores.csv", "scores.json", "runs.csv", "reported.csv", "models.json"):
        assert f"<code>{f}</code>" in page
    assert "read_csv" in page and "load" in page and "Columns / fields" in page


def test_gallery_layout(site: Path) -> None:
    gal = site / "gallery/data"
    files = list(gal.rglob("*.json"))
    assert max(f.stat().st_size for f in files) < 1_000_000
    idx = json.loads((gal / "mmlu/index.json").read_text())
    status = json.loads((gal / "mmlu/m/synth-003.json").read_text())["s"]
    assert len(status) == idx["n_items"] == len(json.loads((gal / "mmlu/ids.json").read_text())) and set(status) <= {"0", "1"} and "1" in status  # MC scores found
    shard = json.loads((gal / "mmlu/shard-0000.json").read_text())
    first = shard[0]
    assert first["text"]["question"].startswith("Synthetic question 0")  # question text once per item ...
    assert "models" not in first
    for m in idx["models"]:  # ... each model's outputs in its own files, aligned with the item range
        outs = json.loads((gal / f"mmlu/o/{m['id']}/0000.json").read_text())
        assert len(outs) == len(shard) and outs[0]["outputs"]
    he = json.loads((gal / "humaneval/o/synth-003/0000.json").read_text())[0]
    assert he["n"] == 12 and len(he["outputs"]) <= 8 and 0 <= he["c"] <= 12  # bounded, counts complete
    assert idx["texts"] is True and idx["hint"] is None


def test_shown_outputs_first_few_plus_passing() -> None:
    outs = [{"text": f"t{i % 4 if i > 10 else i}", "finish": "stop", "scores": {"pass": float(i % 2)}}
            for i in range(30)]
    keep = shown_outputs(outs)
    assert keep[:3] == [0, 1, 2] and len(keep) <= 8 and all(outs[i]["scores"]["pass"] == 1 for i in keep[3:])
    assert len({outs[i]["text"] for i in keep[3:]}) == len(keep[3:])


def test_fast_sample_reader_matches_the_typed_records(data: Path) -> None:
    """The gallery reads samples as plain JSON; what it shows equals what the typed records give."""
    site_data = load_site_data(data)
    for lr in site_data.latest().values():
        if lr.run.model_id != "evil-model":
            continue
        typed = [_model_item(s.model_dump(mode="json")) for s in lr.samples()]
        assert [_model_item(d) for d in sample_dicts(lr)] == typed, lr.run.suite.id


@pytest.mark.parametrize("line", [
    '{"text": "a\\u0000b \u202e", "scores": {"acc": 1.0}, "ll": [-1e-05, 2.5e-07, 1e+16]}\n',
    '{"x": NaN, "y": -Infinity}',  # the standard parser's extensions: orjson refuses, the fallback reads
    '"\\ud800 lone surrogate escape"',
    '[9223372036854775807, -9223372036854775808, 0.1, 1e-320]',  # record integers are counts: 64 bits
])
def test_sample_line_parser_reads_what_json_reads(line: str) -> None:
    assert repr(loads(line)) == repr(json.loads(line))


@pytest.mark.slow
def test_without_texts_gallery_says_how_to_get_them(data: Path, tmp_path: Path) -> None:
    hint = "question text not shown: benchmark data directory not found — run `podium data fetch`"
    build_site(data, tmp_path / "site", mkdocs_yml=REPO / "mkdocs.yml", work=tmp_path / "work", texts_hint=hint)
    idx = json.loads((tmp_path / "site/gallery/data/gsm8k/index.json").read_text())
    assert idx["texts"] is False and idx["hint"] == hint
    assert "podium data fetch" in (tmp_path / "site/gallery/index.html").read_text()
    shard = json.loads((tmp_path / "site/gallery/data/gsm8k/shard-0000.json").read_text())
    assert shard[0]["text"] is None and json.loads(
        (tmp_path / "site/gallery/data/gsm8k/o/synth-000/0000.json").read_text())[0]["outputs"]
    # deterministic: the same data builds the same gallery bytes
    build_site(data, tmp_path / "site2", mkdocs_yml=REPO / "mkdocs.yml", work=tmp_path / "work2", texts_hint=hint)

    def digest(root: Path) -> dict[str, str]:
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file() and p.name != "sitemap.xml.gz"}

    a, b = digest(tmp_path / "site"), digest(tmp_path / "site2")
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_gallery_rebuild_writes_only_what_changed(tmp_path: Path) -> None:
    """Adding a model writes its own files and the small indexes; every other file keeps its bytes and inode."""
    from generator.site.gallery_files import Tree, write_gallery
    from tools.synth_site_data import add_model

    root = tmp_path / "site_data"
    generate(root, models=3, scale=SCALE, samples=6, trials=1)
    cache = tmp_path / "cache"

    def build() -> Tree:
        tree = Tree(cache / "gallery", cache / "manifest.json")
        write_gallery(load_site_data(root), tree, all_texts(SCALE), cache=cache)
        return tree

    first = build()
    files = {p: (p.stat().st_ino, p.read_bytes()) for p in (cache / "gallery").rglob("*.json")}
    assert first.written == len(files)
    assert build().written == 0  # nothing changed: nothing written
    new = add_model(root, 3, scale=SCALE, samples=6, trials=1)
    third = build()
    after = {p: (p.stat().st_ino, p.read_bytes()) for p in (cache / "gallery").rglob("*.json")}
    changed = sorted(p.relative_to(cache / "gallery").as_posix() for p in after if files.get(p) != after[p])
    assert changed and third.written == len(changed)
    assert all(f"/{new.id}" in c or c.endswith(("index.json", "ids.json")) for c in changed), changed
    assert not any("shard-" in c or "/o/synth-000/" in c or "/m/synth-000" in c for c in changed)


def test_background_gallery_writer_gives_back_the_tree_or_its_error(data: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The build writes the gallery in a forked process: the same files as a plain call, and its errors raised."""
    from evals.errors import DataError
    from generator.site import gallery_files
    from generator.site.gallery_files import BackgroundGallery, Tree, gallery_heads, write_gallery

    site_data = load_site_data(data)
    plain = Tree(tmp_path / "plain", tmp_path / "plain.json")
    vectors = write_gallery(site_data, plain, all_texts(SCALE), cache=tmp_path / "c1")
    tree = Tree(tmp_path / "bg", tmp_path / "bg.json")
    heads = gallery_heads(site_data, tmp_path / "c2")
    assert {sid: h.vectors for sid, h in heads.items()} == vectors
    writer = BackgroundGallery(site_data, tree, all_texts(SCALE), None, None, tmp_path / "c2", heads)
    writer.wait()
    assert tree.new == plain.new and tree.written == plain.written > 0

    def broken(*_args: object, **_kw: object) -> None:
        raise DataError("bad sample record", where="x.jsonl.gz:3")

    monkeypatch.setattr(gallery_files, "write_gallery", broken)
    writer = BackgroundGallery(site_data, Tree(tmp_path / "bad"), None, None, None, None)
    with pytest.raises(DataError, match="x.jsonl.gz:3"):
        writer.wait()


def test_a_score_that_does_not_beat_its_baseline_counts_zero_and_is_flagged() -> None:
    """The committed board: BoolQ's baseline is always answering 'yes' (62.2%), not chance (50%) — SmolLM2's 41.1%
    (it answers 'no' on 90% of items) and Gemma's 61.1% count 0 in Avg, each cell says so, and every other term
    is the score above the better of chance and the majority answer."""
    from generator.site.leaderboard import averaged_groups, build_rows
    from generator.site.suites import suite_infos

    d = load_site_data(Path(__file__).parents[2] / "site_data")
    infos = suite_infos(d.latest())
    assert infos["boolq"].baseline == pytest.approx(0.6217, abs=1e-4) and infos["gsm8k"].baseline == 0
    rows = {r.model.id: r for r in build_rows(d.models, d.latest(), list(infos.values()), d.reported)}
    for mid in ("smollm2-135m-instruct", "gemma-3-270m"):
        row = rows[mid]
        boolq = row.cells["boolq"]
        assert boolq.value < infos["boolq"].baseline and boolq.counted
        assert boolq.floor is not None and boolq.floor.label == "≤ baseline 62.2%"
        assert boolq.floor.text.startswith("no better than always answering 'yes' (62.2%)"), boolq.floor.text
        terms = []
        for group in averaged_groups(list(infos.values())).values():
            picked = [c for c in group if c.id in row.cells and row.cells[c.id].counted]
            if picked:
                terms.append(above_baseline(row.cells[picked[0].id].value, picked[0].baseline))
        assert 0.0 in terms and min(terms) >= 0
        assert row.average == pytest.approx(sum(terms) / len(terms))
    assert rows["gemma-3-270m"].cells["winogrande"].floor is None  # 53.7% beats 50.4%
