"""`podium add-model`: flags or prompts → a commented models/<id>.yaml that validates."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from evals.records import ModelEntry
from evals.validation import validate_tree
from generator.cli import cli

FLAGS = ["--name", "Qwen2.5 7B Instruct", "--family", "Qwen2.5", "--parameters-b", "7.6", "--license", "Apache-2.0",
         "--open-weights", "--source", "Qwen/Qwen2.5-7B-Instruct", "--price-input", "0.3", "--price-source", "x.com 2025"]


def invoke(site_data: Path, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["add-model", *args, "--site-data", str(site_data)], input=input)


def test_flags_write_a_commented_file_that_validates(site_data: Path) -> None:
    r = invoke(site_data, "qwen2.5-7b-instruct", *FLAGS)
    assert r.exit_code == 0, r.output
    path = site_data / "models" / "qwen2.5-7b-instruct.yaml"
    text = path.read_text(encoding="utf-8")
    entry = ModelEntry.model_validate(yaml.safe_load(text))
    assert entry.id == "qwen2.5-7b-instruct" and entry.parameters_b == 7.6 and entry.open_weights
    assert entry.prices is not None and entry.prices.input_per_mtok == 0.3
    for field in ModelEntry.model_fields:  # every field is there, explained by a comment line above it
        lines = text.splitlines()
        i = next(n for n, ln in enumerate(lines) if ln.startswith((f"{field}:", f"# {field}:")))
        assert lines[i - 1].startswith("# ") and ("(required)" in lines[i - 1] or "(optional)" in lines[i - 1])
    assert validate_tree(site_data)[0] == []


def test_prompts_ask_for_missing_fields(site_data: Path) -> None:
    answers = "\n".join(["My Model", "Fam", "MIT", "n", "acme/my-model", "1.5", "", "", ""]) + "\n"
    r = invoke(site_data, "my-model", "--interactive", input=answers)
    assert r.exit_code == 0, r.output
    entry = ModelEntry.model_validate(yaml.safe_load((site_data / "models" / "my-model.yaml").read_text()))
    assert (entry.name, entry.family, entry.license, entry.open_weights, entry.parameters_b) == \
        ("My Model", "Fam", "MIT", False, 1.5)
    assert entry.revision is None and entry.prices is None


def test_refusals_are_one_line_errors(site_data: Path) -> None:
    r = invoke(site_data, "x", "--no-interactive")
    assert r.exit_code != 0 and "missing --name, --family, --license, --source" in str(r.exception)
    r = invoke(site_data, "Bad Id", *FLAGS)
    assert "not a valid model id" in str(r.exception)
    for bad in ("a" * 300, "../../escape", "x\n"):  # too long for a file name, a path, a trailing newline
        r = invoke(site_data, bad, "--interactive")  # refused before any prompt
        assert "not a valid model id" in str(r.exception) and "at most 80 characters" in str(r.exception), bad
    r = invoke(site_data, "gpt-4o", *FLAGS)
    assert "model file exists" in str(r.exception)
    assert not (site_data / "models" / "x.yaml").exists()
