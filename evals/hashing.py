"""Stable hashes for suite versions, prompt templates and run fingerprints."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_json(obj: Any) -> str:
    return sha256_text(json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str))


def suite_version(dataset_sha256: str, template: str, fewshot: list[str], grader: str) -> str:
    """hash(dataset sha256, prompt template, few-shot set, grader config) — changes when any of them does."""
    return sha256_json({"dataset": dataset_sha256, "template": template, "fewshot": fewshot, "grader": grader})[:16]
