"""Everything under tests/e2e is end to end (the real CLI in subprocesses, real engines, MkDocs, Chromium): the slow
tier, whatever marks a module forgets — a folder rule, not a list of names."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.slow)
