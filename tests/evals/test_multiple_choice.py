"""Multiple-choice suites: prompts against hand-verified strings of real rows, exact loglikelihood ranking on
the embedded model, category roll-ups, and the generative protocol through a real server's chat endpoint."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

from evals.backends.base import LoglikelihoodRequest
from evals.backends.openai_compat import OpenAICompatBackend, OpenAIConfig
from evals.dispatch import grade_items
from evals.records import ChoiceDetail, Group, ParsedChoiceDetail, SampleRecord
from evals.suites import get_suite
from evals.suites.base import prompt_sha256
from evals.suites.multiple_choice import MCItem


def first(suite_id: str, data_dir: Path, **opts: object) -> MCItem:
    item = get_suite(suite_id, **opts).load(data_dir)[0]
    assert isinstance(item, MCItem)
    return item


def rows(path: Path) -> list[dict[str, object]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        return [json.loads(line) for line in fh if line.strip()]


# The expected prompts are built here from the raw rows by each protocol's documented formula (lm-eval's
# templates), independently of the suite code; the rows' text itself is never committed.
def test_mmlu_prompt_of_a_real_row(data_dir: Path) -> None:
    it = first("mmlu", data_dir, subjects=("anatomy",))
    with (data_dir / "mmlu/dev/anatomy_dev.csv").open(newline="", encoding="utf-8") as fh:
        shots = list(csv.reader(fh))[:5]
    with (data_dir / "mmlu/test/anatomy_test.csv").open(newline="", encoding="utf-8") as fh:
        row = next(csv.reader(fh))

    def block(r: list[str], answer: bool) -> str:
        return (f"{r[0].strip()}\nA. {r[1]}\nB. {r[2]}\nC. {r[3]}\nD. {r[4]}\nAnswer:" + (f" {r[5]}" if answer else ""))

    expected = ("The following are multiple choice questions (with answers) about anatomy.\n\n"
                + "".join(block(r, True) + "\n\n" for r in shots) + block(row, False))
    assert it.contexts == (expected,) * 4 and expected.count("\nAnswer:") == 6
    assert it.continuations == (" A", " B", " C", " D") and it.gold == "ABCD".index(row[5])
    assert it.group == Group(kind="subject", id="anatomy")


def test_hellaswag_preprocessing_of_a_real_row(data_dir: Path) -> None:
    it = first("hellaswag", data_dir)
    row = rows(data_dir / "hellaswag" / "hellaswag_val.jsonl.gz")[0]
    from evals.suites.hellaswag import preprocess

    # activity label + ": " + ctx_a + " " + ctx_b.capitalize(), then lm-eval's bracket clean-up
    ctx_b = str(row["ctx_b"])
    assert it.contexts[0] == preprocess(f"{row['activity_label']}: {row['ctx_a']} {ctx_b.capitalize()}")
    assert it.contexts[0].count(": ") >= 1 and "[" not in it.contexts[0]
    endings = row["endings"]
    assert isinstance(endings, list)
    assert it.continuations == tuple(" " + preprocess(e) for e in endings) and it.gold == int(str(row["label"]))
    assert preprocess("Do it [step] now [title] Next  step") == "Do it now. Next step"


def test_boolq_prompt_of_a_real_row(data_dir: Path) -> None:
    it = first("boolq", data_dir)
    row = rows(data_dir / "boolq" / "dev.jsonl")[0]
    assert it.contexts[0] == f"{row['title']} -- {row['passage']}\nQuestion: {row['question']}?\nAnswer:"
    assert it.continuations == (" no", " yes") and it.gold == int(bool(row["answer"]))


def test_winogrande_partial_scoring_of_a_real_row(data_dir: Path) -> None:
    it = first("winogrande", data_dir)
    row = rows(next((data_dir / "winogrande").glob("*.jsonl")))[0]
    sentence = str(row["sentence"])
    head, _, tail = sentence.partition("_")
    assert it.contexts == (head + str(row["option1"]), head + str(row["option2"]))
    assert it.continuations == (" " + tail.strip(),) * 2 and it.gold == int(str(row["answer"])) - 1


def test_loglikelihood_is_exact_and_deterministic(embedded, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    suite = get_suite("boolq")
    items = suite.load(data_dir)[:3]
    runs = []
    for _ in range(2):
        out: list[SampleRecord] = []
        grade_items(suite, items, embedded, suite.default_sampling(), out.append)
        runs.append([(s.outputs[0].text, s.outputs[0].detail) for s in out])
    assert runs[0] == runs[1]
    for _, d in runs[0]:
        assert isinstance(d, ChoiceDetail) and len(d.loglikelihoods) == 2 and all(ll < 0 for ll in d.loglikelihoods)
        assert d.picked == (0 if d.loglikelihoods[0] >= d.loglikelihoods[1] else 1)
    # summing is exact: the two-token continuation equals the sum of its token log-probs given growing contexts
    ctx = "The capital of France is"
    whole = embedded.loglikelihood([LoglikelihoodRequest("w", ctx, " Paris, France")])[0]
    tokens = embedded.tokenize(" Paris, France")
    assert whole.n_tokens == len(tokens) >= 2
    pieces, so_far = 0.0, ctx
    for i in range(len(tokens)):
        piece = embedded.tokenize(" Paris, France")[i:i + 1]
        text = _detok(embedded, piece)
        pieces += embedded.loglikelihood([LoglikelihoodRequest(f"p{i}", so_far, text)])[0].logprob
        so_far += text
    assert whole.logprob == pytest.approx(pieces, abs=2e-3)


def _detok(backend, ids: list[int]) -> str:  # type: ignore[no-untyped-def]
    import httpx

    return str(httpx.post(backend.http_address + "/detokenize", json={"tokens": ids}).json()["content"])


def test_mmlu_category_rollups_add_up(embedded, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    suite = get_suite("mmlu", subjects=("virology", "astronomy", "philosophy"))
    items = suite.first_n(suite.load(data_dir), 2)
    out: list[SampleRecord] = []
    grade_items(suite, items, embedded, suite.default_sampling(), out.append)
    metrics = suite.metrics(out)
    overall = next(m for m in metrics if m.group is None and m.aggregation == "micro")
    macro = next(m for m in metrics if m.group is None and m.aggregation == "macro")
    cats = [m for m in metrics if m.group and m.group.kind == "category"]
    subjects = [m for m in metrics if m.group and m.group.kind == "subject"]
    assert overall.n == 6 and macro.n == 3 and len(subjects) == 3
    assert {m.group.id for m in cats if m.group} == {"STEM", "other", "humanities"}
    assert sum(m.n for m in cats) == overall.n == sum(m.n for m in subjects)
    assert overall.value == pytest.approx(sum(m.value * m.n for m in cats) / overall.n)
    assert macro.value == pytest.approx(sum(m.value for m in subjects) / 3)


def test_chat_endpoint_gives_generative_protocol(server_url: str, data_dir: Path) -> None:
    suite = get_suite("mmlu:generative", subjects=("anatomy",))
    assert suite.info.id == "mmlu-generative" and suite.info.protocol == "generative"
    items = suite.first_n(suite.load(data_dir), 2)
    with OpenAICompatBackend(OpenAIConfig(model="m", base_url=server_url)) as be:
        out: list[SampleRecord] = []
        grade_items(suite, items, be, suite.default_sampling(), out.append)
    assert len(out) == 2 and all(s.outputs[0].text for s in out)
    # samples arrive as they are graded (any order); the runner puts them back in item order
    assert {s.item_id: s.prompt_sha256 for s in out} == {
        it.id: prompt_sha256(suite.generative_prompt(it)) for it in items}  # type: ignore[attr-defined]
    assert all(isinstance(s.outputs[0].detail, ParsedChoiceDetail) for s in out)
    m = suite.metrics(out)[0]
    assert m.variant == "generative" and m.n == 2


def test_openai_backend_scores_loglikelihood_on_llama_cpp(server_url: str, embedded, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    suite = get_suite("winogrande")
    items = suite.load(data_dir)[:2]
    with OpenAICompatBackend(OpenAIConfig(model="m", base_url=server_url)) as be:
        assert be.probe_loglikelihood() == "forced"
        remote: list[SampleRecord] = []
        grade_items(suite, items, be, suite.default_sampling(), remote.append)
    local: list[SampleRecord] = []
    grade_items(suite, items, embedded, suite.default_sampling(), local.append)
    assert [s.outputs[0].text for s in remote] == [s.outputs[0].text for s in local]  # the picks


def test_tokenizer_round_trips_are_memoised_per_text() -> None:
    """An item's four choices share one context: its tokenisation is fetched once, and results never mix."""
    from concurrent.futures import ThreadPoolExecutor

    from evals.backends.loglik import encode_pair, memo_tokens

    calls: list[str] = []

    def tokenize(text: str) -> list[int]:
        calls.append(text)
        return [ord(c) for c in text]

    cached = memo_tokens(tokenize, size=8)
    pairs = [encode_pair(cached, "Question: 2+2?\nAnswer:", f" {c}") for c in "ABCD"]
    assert [cont for _ctx, cont in pairs] == [[32, ord(c)] for c in "ABCD"]
    assert calls.count("Question: 2+2?\nAnswer:") == 1 and len(calls) == 5
    out = cached("Question: 2+2?\nAnswer:")
    out.append(0)  # callers get copies
    assert cached("Question: 2+2?\nAnswer:") == [ord(c) for c in "Question: 2+2?\nAnswer:"]
    with ThreadPoolExecutor(8) as pool:
        texts = [f"t{i % 20}" for i in range(400)]
        assert list(pool.map(cached, texts)) == [[ord(c) for c in t] for t in texts]


def test_every_mmlu_subject_has_lm_evals_header_shots_and_group(data_dir: Path) -> None:
    """All 57 subjects: lm-eval's description line, five dev shots, and lm-eval's category groups."""
    from collections import Counter

    suite = get_suite("mmlu")
    items = suite.load(data_dir)
    cats = suite.categories(data_dir)  # type: ignore[attr-defined]
    firsts = {it.group.id: it for it in reversed(items) if it.group}
    assert len(firsts) == 57 and len(items) == 14042
    for subject, it in firsts.items():
        assert isinstance(it, MCItem)
        head = f"The following are multiple choice questions (with answers) about {subject.replace('_', ' ')}.\n\n"
        assert it.contexts[0].startswith(head) and it.contexts[0].count("\nAnswer:") == 6, subject
    assert Counter(cats.values()) == {"STEM": 19, "humanities": 13, "social sciences": 12, "other": 13}
    assert cats["anatomy"] == "STEM" and cats["virology"] == "other" and cats["philosophy"] == "humanities"
