"""Secret-looking strings (API keys, tokens, private keys). Matches are reported redacted, never printed whole."""

from __future__ import annotations

import re
from collections.abc import Iterator

PATTERNS: dict[str, re.Pattern[str]] = {
    "OpenAI-style API key (sk-…)": re.compile(r"(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,}"),
    "GitHub token (ghp_/gho_/ghu_/ghs_/ghr_…)": re.compile(r"(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,}"),
    "GitHub fine-grained token (github_pat_…)": re.compile(r"(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{22,}"),
    "AWS access key id (AKIA…/ASIA…)": re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"),
    "AWS secret access key": re.compile(r"(?i)aws_?secret_?access_?key\W{0,4}[A-Za-z0-9/+]{40}"),
    "Hugging Face token (hf_…)": re.compile(r"(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,}"),
    "Slack token (xox…)": re.compile(r"(?<![A-Za-z0-9])xox[abpors]-[A-Za-z0-9-]{10,}"),
    "private key block": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
}
FIX = "remove it (and revoke it if it is real); the data is published as-is"


def find_secrets(text: str) -> Iterator[tuple[int, str]]:
    """(1-based line, description with a redacted excerpt) for each secret-looking string in ``text``."""
    for kind, pattern in PATTERNS.items():
        for m in pattern.finditer(text):
            shown = m.group(0)[:6] + "…"
            yield text.count("\n", 0, m.start()) + 1, f"secret-looking string: {kind} '{shown}'"
