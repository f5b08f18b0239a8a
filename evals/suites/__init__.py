"""Suite registry: ids → lazy import paths."""

from __future__ import annotations

import difflib
import importlib

from evals.errors import ConfigError
from evals.suites.base import Item, Suite, SuiteInfo

SUITES: dict[str, str] = {
    "gsm8k": "evals.suites.gsm8k:GSM8K",
}


def get_suite(suite_id: str) -> Suite:
    if suite_id not in SUITES:
        close = difflib.get_close_matches(suite_id, SUITES, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(f"unknown suite '{suite_id}'", where="--suite",
                          fix=f"{hint}choose one of: {', '.join(sorted(SUITES))}")
    module, cls = SUITES[suite_id].split(":")
    suite: Suite = getattr(importlib.import_module(module), cls)()
    return suite


__all__ = ["SUITES", "Item", "Suite", "SuiteInfo", "get_suite"]
