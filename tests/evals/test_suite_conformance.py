"""Every registered suite, variants included, meets the suite contract — a new suite is tested the moment it is
registered (one line in ``evals.suites.SUITES``):

- the prompt of an item is a pure function of the item (same sha256 from two fresh suite objects, twice);
- the suite version follows the prompt definition (template, few-shot set, grader config) — change one, the
  version changes;
- the live grade and ``podium validate``'s re-grade (``evals.verify.regrade``: the same ``score`` on the stored outputs) of the same outputs agree, on the fake backend;
- a right answer scores as right and a wrong one as wrong;
- multiple-choice suites declare their chance and majority baselines.

Suites that read benchmark files skip (never error) where the data directory lacks them. Suites graded in the
sandbox (HumanEval, code scenarios) are slow and run in the full tier.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from evals.backends.fake import FakeBackend, FakeConfig
from evals.data import default_data_dir
from evals.dispatch import grade_items
from evals.errors import DataError
from evals.grader_records import OtherGrader
from evals.records import SampleRecord
from evals.suites import get_suite, suite_ids
from evals.suites.base import Item, Suite
from evals.suites.multiple_choice import MCItem, MultipleChoiceSuite
from evals.suites.scenarios import ScenarioSuite, scenario_ids
from evals.verify import regrade

SANDBOXED = ("humaneval", "scenario:code-")  # graded by running programs: the full tier


def registered() -> list[str]:
    """Every id `podium run --suite` accepts: the registry, its variants, and each scenario on its own."""
    ids = [s for s in suite_ids() if "<" not in s]
    return ids + [f"scenario:{sid}" for sid in scenario_ids()]


def param(suite_id: str) -> object:
    slow = suite_id.startswith(SANDBOXED) or suite_id == "scenarios"
    return pytest.param(suite_id, marks=[pytest.mark.slow] if slow else [], id=suite_id)


SUITE_IDS = [param(s) for s in registered()]


_ITEMS: dict[tuple[object, ...], list[Item]] = {}  # the split, loaded once per suite class and data files


def loaded(suite_id: str, fresh: bool = False) -> tuple[Suite, list[Item]]:
    """A fresh suite object and its split (read once per session and shared by variants of one base suite,
    unless ``fresh``)."""
    suite = get_suite(suite_id)
    data = default_data_dir()
    try:
        files = suite.data_files(data)
        missing = [f for f in files if not (data / f).is_file()]
        if missing:
            pytest.skip(f"benchmark file(s) {', '.join(missing)} not in {data}")
        key = (type(suite), tuple(files), suite.info.id.removesuffix(f"-{suite.info.variant}"))
        if fresh or key not in _ITEMS:
            _ITEMS[key] = suite.load(data)
    except DataError as exc:  # e.g. MMLU's subject list is itself a data file
        pytest.skip(f"benchmark data missing: {exc}")
    items = _ITEMS[key]
    assert items, f"{suite_id}: no items"
    return suite, items


def spread(items: list[Item], k: int = 3) -> list[Item]:
    """First, middle and last items (not only the head of the file)."""
    idx = sorted({0, len(items) // 2, len(items) - 1})
    return [items[i] for i in idx][:k]


def grade_live(suite: Suite, items: list[Item], backend: FakeBackend) -> list[SampleRecord]:
    """The live path: the suite's requests answered by ``backend`` and graded as a run grades them."""
    out: list[SampleRecord] = []
    grade_items(suite, items, backend, suite.default_sampling(), out.append)
    assert sorted(s.item_id for s in out) == sorted(it.id for it in items)
    return sorted(out, key=lambda s: [it.id for it in items].index(s.item_id))


def same_scores(a: SampleRecord, b: SampleRecord) -> bool:
    def close(x: dict[str, float], y: dict[str, float]) -> bool:
        return x.keys() == y.keys() and all(math.isclose(x[k], y[k], abs_tol=1e-12) for k in x)

    return close(a.scores, b.scores) and len(a.outputs) == len(b.outputs) and all(
        close(o.scores, p.scores) and o.detail == p.detail for o, p in zip(a.outputs, b.outputs, strict=True))


@pytest.mark.parametrize("suite_id", SUITE_IDS)
def test_prompt_is_a_pure_function_of_the_item(suite_id: str) -> None:
    suite, items = loaded(suite_id)
    other, again = loaded(suite_id, fresh=not suite_id.endswith(":generative"))  # variants share the base's split
    assert [it.id for it in items] == [it.id for it in again], "items load in the same, documented order"
    assert len({it.id for it in items}) == len(items), "item ids are unique"
    for it, it2 in zip(spread(items), spread(again), strict=True):
        sha = suite.prompt_sha256(it)
        assert len(sha) == 64 and sha == suite.prompt_sha256(it) == other.prompt_sha256(it2)


@pytest.mark.parametrize("suite_id", SUITE_IDS)
def test_version_follows_the_prompt_definition(suite_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    suite, items = loaded(suite_id)

    def version() -> str:
        rec = suite.record("0" * 16, items, suite.selection_record(_full()))
        return rec.version

    v = version()
    assert v == version(), "the version is a pure function of the suite"
    for hook, changed in (("template", lambda t: t + "\n(changed)"), ("grader_config", lambda g: OtherGrader(description=g.canonical() + " ")),
                          ("fewshot_ids", lambda f: [*f, "extra-shot"])):
        original: Callable[[], object] = getattr(suite, hook)
        monkeypatch.setattr(suite, hook, lambda o=original, c=changed: c(o()))  # type: ignore[misc]
        assert version() != v, f"{suite_id}: changing {hook}() leaves the suite version unchanged"
        monkeypatch.undo()


def _full() -> object:
    from evals.suites.base import SelectionSpec

    return SelectionSpec()


@pytest.mark.parametrize("suite_id", SUITE_IDS)
def test_live_grade_equals_regrade(suite_id: str) -> None:
    suite, items = loaded(suite_id)
    chosen = spread(items)
    for rec in grade_live(suite, chosen, FakeBackend()):
        item = next(it for it in chosen if it.id == rec.item_id)
        assert rec.prompt_sha256 == suite.prompt_sha256(item)
        again = regrade(suite, item, rec)
        assert again is not None, f"{suite_id}: the stored outputs cannot be re-graded its own stored outputs"
        assert same_scores(rec, again), f"{suite_id} {item.id}: live {rec.scores} ≠ re-grade {again.scores}"


def answers(suite: Suite, item: Item) -> tuple[FakeConfig, FakeConfig] | None:
    """Scripts for the fake backend giving a right and a wrong answer to ``item``, or None where the test cannot
    know the right answer from the item alone."""
    if isinstance(item, MCItem) and isinstance(suite, MultipleChoiceSuite):
        wrong = (item.gold + 1) % len(item.continuations)
        if suite.info.protocol == "loglikelihood":
            def lp(pick: int) -> dict[str, float]:
                return {f"{item.id}#{k}": (-0.5 if k == pick else -20.0) for k in range(len(item.continuations))}
            return FakeConfig(logprobs=lp(item.gold)), FakeConfig(logprobs=lp(wrong))
        return (FakeConfig(replies={item.id: suite.label(item.gold)}),
                FakeConfig(replies={item.id: suite.label(wrong)}))
    base = suite.info.id
    if base == "gsm8k":
        ref = item.reference.replace(",", "")
        return (FakeConfig(replies={item.id: f"The answer is {ref}."}),
                FakeConfig(replies={item.id: f"The answer is {int(float(ref)) + 1}."}))
    if base.startswith("humaneval"):
        body = item.reference  # the canonical solution
        chat = suite.info.id == "humaneval-chat"
        right = f"```python\n{item.fields['prompt']}{body}\n```" if chat else body
        return FakeConfig(replies={item.id: right}), FakeConfig(replies={item.id: "    return None\n"})
    if isinstance(suite, ScenarioSuite):
        graders = suite.spec(item).graders
        if graders and all(g.type == "numeric" for g in graders):
            expected = graders[0].expected  # type: ignore[union-attr]
            return (FakeConfig(replies={item.id: f"The answer is \\boxed{{{expected}}}."}),
                    FakeConfig(replies={item.id: "I cannot tell."}))
    return None


@pytest.mark.parametrize("suite_id", SUITE_IDS)
def test_a_right_and_a_wrong_answer(suite_id: str) -> None:
    suite, items = loaded(suite_id)
    item = items[len(items) // 2]
    scripts = answers(suite, item)
    if scripts is None:
        pytest.skip(f"{suite_id}: no right answer can be built from the item (graders: tools, JSON, rubric)")
    right, wrong = (grade_live(suite, [item], FakeBackend(cfg))[0] for cfg in scripts)
    main = suite.info.main_metric.name
    key = next((k for k in right.scores if k == main or k.startswith(main)), next(iter(right.scores)))
    assert right.scores[key] == 1.0, f"{suite_id}: a right answer scored {right.scores}"
    assert wrong.scores[key] == 0.0, f"{suite_id}: a wrong answer scored {wrong.scores}"


@pytest.mark.parametrize("suite_id", SUITE_IDS)
def test_multiple_choice_declares_chance_and_majority(suite_id: str) -> None:
    suite, items = loaded(suite_id)
    rec = suite.record("0" * 16, items, suite.selection_record(_full()))  # type: ignore[arg-type]
    if not isinstance(suite, MultipleChoiceSuite):
        assert rec.chance is None and rec.majority is None, f"{suite_id}: a generation suite has no chance level"
        return
    mc = [it for it in items if isinstance(it, MCItem)]
    expected = sum(1 / len(it.continuations) for it in mc) / len(mc)
    assert rec.chance is not None and math.isclose(rec.chance, expected, rel_tol=1e-9)
    assert rec.majority is not None and rec.chance <= rec.majority <= 1 and rec.majority_label
