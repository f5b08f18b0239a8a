"""The site reads every suite fact from the records (issue 24 §3): no registered suite id, base suite or scenario id
is spelled anywhere in generator/site (code, templates, script, styles), so a new suite needs no site change."""

from __future__ import annotations

import re
from pathlib import Path

from evals.suites import SUITES

SITE = Path(__file__).resolve().parents[2] / "generator" / "site"


def test_no_suite_id_is_spelled_in_the_site_code() -> None:
    ids = {i.split(":")[0] for i in SUITES} | {i.split("-")[0] for i in SUITES}
    ids = {i for i in ids if len(i) > 3}  # ids, not fragments ("arc" alone is English)
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(ids))) + r")\b", re.I)
    hits = []
    for path in sorted(SITE.rglob("*")):
        if path.suffix not in (".py", ".j2", ".js", ".css") or "node_modules" in path.parts:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if (m := pattern.search(line)) and m.group(1).lower() != "scenarios":
                hits.append(f"{path.relative_to(SITE)}:{n}: {m.group(1)}")
    assert ids and hits == [], "suite ids spelled in the site code:\n" + "\n".join(hits)
