"""Items of a stored run's suite, rebuilt from the benchmark data directory.

``site_data`` holds no benchmark text: the site build joins each sample's question, choices and reference by item id
(:func:`item_texts`), and ``podium validate`` / ``podium upgrade`` rebuild each prompt to check or compute its sha256
(:func:`prompt_shas`). Both go through the suite that wrote the run, so the text is exactly what was evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from evals.errors import PodiumError
from evals.records import ItemText
from evals.suites import Item, Suite, get_suite


@dataclass(frozen=True)
class SuiteItems:
    suite: Suite
    items: dict[str, Item]


def load_suite_items(suite_id: str, data_dir: Path) -> SuiteItems | None:
    """The suite stored as ``suite_id`` with every item of its split; None when its data files are missing."""
    try:
        suite = get_suite(suite_id)
        return SuiteItems(suite, {it.id: it for it in suite.load(data_dir)})
    except PodiumError:
        return None


def item_texts(suite_ids: Iterable[str], data_dir: Path) -> tuple[dict[str, ItemText], list[str]]:
    """Item id → benchmark text for every item of the given suites, and the suites whose data was not found."""
    texts: dict[str, ItemText] = {}
    missing: list[str] = []
    for sid in sorted(set(suite_ids)):
        loaded = load_suite_items(sid, data_dir)
        if loaded is None:
            missing.append(sid)
            continue
        for iid, it in loaded.items.items():
            texts.setdefault(iid, loaded.suite.item_text(it))
    return texts, missing


def prompt_shas(loaded: SuiteItems) -> dict[str, str]:
    """Item id → sha256 of the exact prompt the suite sends for it."""
    return {iid: loaded.suite.prompt_sha256(it) for iid, it in loaded.items.items()}
