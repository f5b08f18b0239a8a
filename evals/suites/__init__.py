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
# multiple-choice suites also run generatively (for chat-only APIs): "<id>:generative", stored as "<id>-generative"
GENERATIVE_VARIANTS = ("mmlu", "hellaswag", "boolq", "winogrande")


def suite_ids() -> list[str]:
    return sorted([*SUITES, "humaneval:chat", "humaneval:completion", "scenario:<id>", *(f"{s}:generative" for s in GENERATIVE_VARIANTS)])


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
    module, cls = SUITES[base].split(":")
    return option in inspect.signature(getattr(importlib.import_module(module), cls)).parameters


def _resolve(suite_id: str, options: dict[str, object]) -> tuple[str, dict[str, object]]:
    """A stored or asked-for suite id → (registry id, constructor options it implies)."""
    if suite_id.startswith(("scenario:", "scenario-")):  # one scenario, stored as "scenario-<id>"
        return "scenarios", {**options, "scenario": suite_id[len("scenario:"):]}
    base, _, variant = suite_id.replace("-generative", ":generative").replace("-chat", ":chat").partition(":")
    if variant == "generative" and base in GENERATIVE_VARIANTS:
        return base, {**options, "protocol": "generative"}
    if variant in ("chat", "completion") and base == "humaneval":
        return base, {**options, "protocol": variant}
    if variant or suite_id not in SUITES:
        close = difflib.get_close_matches(suite_id, suite_ids(), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(f"unknown suite '{suite_id}'", where="--suite",
                          fix=f"{hint}choose one of: {', '.join(suite_ids())}")
    return suite_id, options


def get_suite(suite_id: str, **options: object) -> Suite:
    suite_id, options = _resolve(suite_id, dict(options))
    module, cls = SUITES[suite_id].split(":")
    factory = getattr(importlib.import_module(module), cls)
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
