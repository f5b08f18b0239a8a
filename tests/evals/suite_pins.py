"""Fingerprints of every registered suite — version, template sha, few-shot ids, grader, baselines, every item's
prompt sha256, and the grades of a fixed set of fake-backend outputs — pinned in ``suite_pins.json`` so that a
refactor of the suite machinery provably changes none of them (committed runs and running shards carry these
versions). Only hashes are stored, never benchmark text.

Regenerate (only when a suite is meant to change, or one is added): ``python -m tests.evals.suite_pins``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from evals.backends.fake import FakeBackend
from evals.data import default_data_dir, sha256_file
from evals.hashing import sha256_json
from evals.records import SampleRecord
from evals.suites import get_suite, suite_ids
from evals.suites.base import Item, SelectionSpec, Suite

PINS = Path(__file__).with_name("suite_pins.json")
SANDBOXED = ("humaneval", "scenario:code-")  # graded by running programs (slow)


def registered() -> list[str]:
    from evals.suites.scenarios import scenario_ids

    return [s for s in suite_ids() if "<" not in s] + [f"scenario:{sid}" for sid in scenario_ids()]


def spread(items: list[Item], k: int = 3) -> list[Item]:
    idx = sorted({0, len(items) // 2, len(items) - 1})
    return [items[i] for i in idx][:k]


def grade_live(suite: Suite, items: list[Item]) -> list[SampleRecord]:
    """The items graded as a run grades them, on the deterministic fake backend."""
    from evals.dispatch import grade_items

    out = grade_items(suite, items, FakeBackend(), suite.default_sampling())
    return sorted(out, key=lambda s: [it.id for it in items].index(s.item_id))


def fingerprint(suite_id: str, data_dir: Path, grades: bool = True) -> dict[str, object]:
    suite = get_suite(suite_id)
    items = suite.load(data_dir)
    dataset = sha256_json([sha256_file(data_dir / f) for f in suite.data_files(data_dir)])[:16]
    rec = suite.record(dataset, items, suite.selection_record(SelectionSpec()))
    out: dict[str, object] = {
        "id": rec.id, "version": rec.version, "template_sha": rec.template_sha, "fewshot_ids": rec.fewshot_ids,
        "grader_sha": sha256_json(rec.grader.canonical())[:16], "dataset_sha256": rec.dataset_sha256,
        "items_total": rec.items_total, "chance": rec.chance, "majority": rec.majority,
        "majority_label": rec.majority_label,
        "prompts_sha": sha256_json([[it.id, suite.prompt_sha256(it)] for it in items])[:16],
    }
    if grades:
        chosen = spread(items)
        live = grade_live(suite, chosen)
        by_id = {it.id: it for it in chosen}
        out["grades_sha"] = sha256_json([_untimed(s.model_dump(mode="json")) for s in live])[:16]
        out["regrade_sha"] = sha256_json([_regrade(suite, by_id[s.item_id], s) for s in live])[:16]
    return out


def _regrade(suite: Suite, item: Item, sample: SampleRecord) -> object:
    from evals.verify import regrade

    again = regrade(suite, item, sample)
    return None if again is None else _untimed(again.model_dump(mode="json"))


def _untimed(obj: object) -> object:
    """A dumped record without wall-clock measurements (a sandbox verdict's seconds)."""
    if isinstance(obj, dict):
        return {k: _untimed(v) for k, v in obj.items() if k != "seconds"}
    if isinstance(obj, list):
        return [_untimed(v) for v in obj]
    return obj


def main() -> None:
    data = default_data_dir()
    pins = {sid: fingerprint(sid, data) for sid in registered()}
    PINS.write_text(json.dumps(pins, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(pins)} suites pinned in {PINS}", file=sys.stderr)


if __name__ == "__main__":
    main()
