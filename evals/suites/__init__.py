"""Suite registry: ids → lazy import paths."""

from __future__ import annotations

import difflib
import importlib

from evals.errors import ConfigError
from evals.suites.base import Item, Suite, SuiteInfo

SUITES: dict[str, str] = {
    "gsm8k": "evals.suites.gsm8k:GSM8K",
    "mmlu": "evals.suites.mmlu:MMLU",
    "hellaswag": "evals.suites.hellaswag:HellaSwag",
    "boolq": "evals.suites.boolq:BoolQ",
    "winogrande": "evals.suites.winogrande:Winogrande",
    "humaneval": "evals.suites.humaneval:HumanEval",
    "arc_challenge": "evals.suites.arc_challenge:ARCChallenge",
    "scenarios": "evals.suites.scenarios:ScenarioSuite",
}
DEFAULT_SUITE = "gsm8k"  # what `podium run` and the demo measure when no --suite is given


def _class(base: str) -> type[Suite]:
    module, cls = SUITES[base].split(":")
    factory: type[Suite] = getattr(importlib.import_module(module), cls)
    return factory


def suite_ids() -> list[str]:
    """Registered ids and their protocol variants (``<id>:<variant>``, declared by each suite class)."""
    return sorted([*SUITES, "scenario:<id>", *(f"{b}:{v}" for b in SUITES for v in _class(b).variants)])


def listed_suite_ids() -> list[str]:
    """Every id ``--suite`` takes, spelled out: the registry and its protocol variants, one per packaged scenario
    (``scenario:<id>``) instead of the placeholder."""
    from pathlib import Path

    ids = [s for s in suite_ids() if s != "scenario:<id>"]
    folder = Path(__file__).resolve().parent.parent / "scenarios"
    return ids + [f"scenario:{p.stem}" for p in sorted(folder.glob("*.yaml"))]


def for_model(suite_id: str, chat: bool) -> str:
    """The protocol follows the model: HumanEval asks a chat model for a code block, a base model continues the
    prompt (``humaneval:completion`` / ``humaneval:chat`` choose explicitly)."""
    if suite_id == "humaneval":
        return "humaneval:chat" if chat else "humaneval:completion"
    return suite_id


def takes_option(suite_id: str, option: str) -> bool:
    """Whether the suite's constructor accepts ``option`` (e.g. MMLU's ``subjects``, the scenarios' ``judge``)."""
    import inspect

    try:
        base, _ = _resolve(suite_id, {})
    except ConfigError:
        return False
    return option in inspect.signature(_class(base)).parameters


def _resolve(suite_id: str, options: dict[str, object]) -> tuple[str, dict[str, object]]:
    """A stored or asked-for suite id → (registry id, constructor options it implies)."""
    if suite_id.startswith(("scenario:", "scenario-")):  # one scenario, stored as "scenario-<id>"
        return "scenarios", {**options, "scenario": suite_id[len("scenario:"):]}
    if suite_id in SUITES:
        return suite_id, options
    for sep in (":", "-"):  # asked for as "<id>:<variant>", stored as "<id>-<variant>"
        base, found, variant = suite_id.rpartition(sep)
        if found and base in SUITES and variant in _class(base).variants:
            return base, {**options, **_class(base).variants[variant]}
    close = difflib.get_close_matches(suite_id, suite_ids(), n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise ConfigError(f"unknown suite '{suite_id}'", where="--suite",
                      fix=f"{hint}choose one of: {', '.join(suite_ids())}")


def get_suite(suite_id: str, **options: object) -> Suite:
    suite_id, options = _resolve(suite_id, dict(options))
    factory = _class(suite_id)
    import inspect

    params = inspect.signature(factory).parameters
    accepted = {k: v for k, v in options.items() if v is not None}
    extra = sorted(set(accepted) - set(params))
    if extra:
        raise ConfigError(f"suite '{suite_id}' takes no option {', '.join(extra)}", where="--" + extra[0],
                          fix="drop the option")
    suite: Suite = factory(**accepted)
    return suite


__all__ = ["DEFAULT_SUITE", "SUITES", "Item", "Suite", "SuiteInfo", "for_model", "get_suite", "listed_suite_ids",
           "takes_option"]
