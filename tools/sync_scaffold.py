"""Copy this repository's mkdocs.yml and docs/*.md into generator/scaffold/ (the `podium init` template).

This repository is an instance of the layout `podium init` writes; tests/e2e/test_init.py fails when the two drift.

    python tools/sync_scaffold.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCAFFOLD = REPO / "generator" / "scaffold"


def main() -> None:
    shutil.copyfile(REPO / "mkdocs.yml", SCAFFOLD / "mkdocs.yml")
    for old in (SCAFFOLD / "docs").glob("*.md"):
        old.unlink()
    for doc in sorted((REPO / "docs").glob("*.md")):
        shutil.copyfile(doc, SCAFFOLD / "docs" / doc.name)
    print(f"synced mkdocs.yml and docs/*.md into {SCAFFOLD}")


if __name__ == "__main__":
    main()
