"""Where each kind of file lives under ``site_data/`` — anything else is a stray file."""

from __future__ import annotations

RUN_FILES = ("run.json", "samples.jsonl.gz")
LAYOUT_HELP = ("site_data holds models/<id>.yaml, reported/*.csv, reported/story.yaml, schema/*.schema.json and "
               "runs/<model>/<suite>/<run-id>/{run.json,samples.jsonl.gz}")


def kind_of(parts: tuple[str, ...]) -> str | None:
    """The file kind at this path (relative to site_data), or None when nothing belongs there."""
    name = parts[-1]
    top = parts[0]
    if len(parts) == 1:
        return "doc" if name == "README.md" else None
    if name == ".gitkeep" and top in ("models", "reported", "runs"):
        return "keep"
    if len(parts) == 2:
        if top == "models" and name.endswith(".yaml"):
            return "model"
        if top == "reported" and name.endswith(".csv"):
            return "reported"
        if top == "reported" and name == "story.yaml":
            return "story"
        if top == "schema" and name.endswith(".schema.json"):
            return "schema"
        return None
    if top == "runs" and len(parts) == 5 and name in RUN_FILES:
        return "run" if name == "run.json" else "samples"
    return None


def misplaced_fix(parts: tuple[str, ...]) -> str:
    """How to fix a stray file: where it probably belongs."""
    name = parts[-1]
    if name in RUN_FILES and parts[0] == "runs":
        depth = len(parts) - 5
        how = f"{abs(depth)} level{'s' if abs(depth) > 1 else ''} too {'deep' if depth > 0 else 'shallow'}"
        return (f"run files live at runs/<model>/<suite>/<run-id>/{name}; this one is {how} — "
                f"move the run folder there (it would otherwise never appear on the site)")
    if name in RUN_FILES:
        return f"run files live at runs/<model>/<suite>/<run-id>/{name} — move the run folder there"
    if parts[0] == "models" and name.endswith((".yml", ".json")):
        return "model entries are models/<id>.yaml — rename it to .yaml"
    if name.endswith(".csv"):
        return "reported numbers live in reported/*.csv — move it there"
    return f"remove it, or move it where it belongs ({LAYOUT_HELP})"
