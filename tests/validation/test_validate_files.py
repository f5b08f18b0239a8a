"""`podium validate` against hostile copies of a real run (produced by the embedded model, kept as a fixture):
each single fault is reported as one `file:line: what — fix` problem naming the file; the untouched copy passes."""

from __future__ import annotations

import gzip
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from evals.validation import Limits, validate_tree
from tests.conftest import copy_site_data, podium
from tests.support.servers import REPO

FIXTURE_RUNS = REPO / "tests" / "fixtures" / "validate_run" / "runs"
MODEL = "smollm2-135m-instruct"


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    sd = copy_site_data(tmp_path)
    shutil.copytree(FIXTURE_RUNS, sd / "runs")
    return sd


def run_dir(root: Path) -> Path:
    return next((root / "runs").glob("*/*/*"))


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def samples_edit(root: Path, fn: Callable[[bytes], bytes]) -> None:
    p = run_dir(root) / "samples.jsonl.gz"
    p.write_bytes(gzip.compress(fn(gzip.decompress(p.read_bytes()))))


def model_file(root: Path) -> Path:
    return root / "models" / f"{MODEL}.yaml"


def run_json(root: Path) -> Path:
    return run_dir(root) / "run.json"


FAULTS: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "non-utf8 byte": (lambda r: model_file(r).write_bytes(model_file(r).read_bytes().replace(b"SmolLM2 135M", b"Smol\xffLM2")),
                      "not UTF-8 (byte 0xff", f"models/{MODEL}.yaml:2"),
    "bom": (lambda r: run_json(r).write_bytes(b"\xef\xbb\xbf" + run_json(r).read_bytes()), "byte-order mark", "run.json:1"),
    "conflict markers": (lambda r: edit(model_file(r), "family: SmolLM2\n",
                                        "<<<<<<< HEAD\nfamily: SmolLM2\n=======\nfamily: Smol\n>>>>>>> other\n"),
                         "merge-conflict marker", f"{MODEL}.yaml:3"),
    "symlink file": (lambda r: os.symlink("/etc/passwd", r / "models" / "x.yaml"), "symbolic link", "models/x.yaml"),
    "symlink dir": (lambda r: os.symlink("/etc", r / "runs" / "outside"), "symbolic link", "runs/outside"),
    "openai key in sample": (lambda r: samples_edit(r, lambda b: b.replace(b'"text": "', b'"text": "sk-proj-abcdefghij0123456789ABCDEF ', 1)
                                                    if b'"text": "' in b else b.replace(b'"text":"', b'"text":"sk-proj-abcdefghij0123456789ABCDEF ', 1)),
                             "OpenAI-style API key", "samples.jsonl.gz:1"),
    "github token in model": (lambda r: edit(model_file(r), "notes: The", "notes: ghp_" + "a1" * 18 + " The"),
                              "GitHub token", f"{MODEL}.yaml"),
    "fine-grained token in csv": (lambda r: edit(r / "reported" / "published.csv", "(commit d253722)",
                                                 "github_pat_11ABCDEFG0123456789_abcdefghijklmnop"),
                                  "fine-grained token", "published.csv:2"),
    "aws key in run": (lambda r: edit(run_json(r), '"command": "', '"command": "AKIAIOSFODNN7EXAMPLE '), "AWS access key",
                       "run.json"),
    "private key": (lambda r: (r / "README.md").write_text("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n", encoding="utf-8"),
                    "private key block", "README.md:1"),
    "run folder too deep": (lambda r: shutil.move(run_dir(r), run_dir(r).parent / "extra" / run_dir(r).name),
                            "1 level too deep", "run.json"),
    "stray file": (lambda r: (r / "notes.txt").write_text("hi\n", encoding="utf-8"), "stray or misplaced", "notes.txt"),
    "odd file name": (lambda r: (r / "models" / "caf\u00e9 x.yaml").write_text("id: x\n", encoding="utf-8"),
                      "has characters other than", "models/caf"),
    "missing field": (lambda r: edit(run_json(r), '"n_errors": 0,', ''), "field 'n_errors'", "run.json"),
    "wrong type": (lambda r: edit(run_json(r), '"n_items": 2', '"n_items": true'), "n_items", "run.json"),
    "wrong place (suite)": (lambda r: shutil.copytree(run_dir(r), r / "runs" / MODEL / "mmlu" / run_dir(r).name) and
                            shutil.rmtree(run_dir(r).parent.parent / "gsm8k"), "stored under runs/", "mmlu"),
    "unknown model": (lambda r: shutil.move(r / "runs" / MODEL, r / "runs" / "nobody"), "stored under runs/nobody", "run.json"),
    "run folder too shallow": (lambda r: shutil.move(run_json(r), run_dir(r).parent / "run.json"), "too shallow", "gsm8k/run.json"),
    "nan in sample": (lambda r: samples_edit(r, lambda b: b.replace(b'"prompt_tokens": ', b'"prompt_tokens": NaN, "x": ', 1)
                                             if b'"prompt_tokens": ' in b else b.replace(b'"prompt_tokens":', b'"prompt_tokens":NaN,"x":', 1)),
                      "non-finite number 'NaN'", "samples.jsonl.gz:1"),
    "non-utf8 in sample": (lambda r: samples_edit(r, lambda b: b.replace(b'{"item_id"', b'{"\xc3\x28": 1, "item_id"', 1)),
                           "not UTF-8 (byte 0xc3", "samples.jsonl.gz:1"),
    "sample not an object": (lambda r: samples_edit(r, lambda b: b"[1, 2]\n" + b), "not a JSON object", "samples.jsonl.gz:1"),
    "empty sample line": (lambda r: samples_edit(r, lambda b: b"\n" + b), "empty line in samples", "samples.jsonl.gz:1"),
    "yaml two documents": (lambda r: edit(model_file(r), "family: SmolLM2\n", "family: SmolLM2\n---\nid: x\n"),
                           "malformed YAML", MODEL),
    "yaml python tag": (lambda r: edit(model_file(r), "family: SmolLM2", "family: !!python/object:os.system ls"),
                        "malformed YAML", f"{MODEL}.yaml:3"),
    "yaml not a mapping": (lambda r: model_file(r).write_text("- a\n- b\n", encoding="utf-8"), "expected a mapping", MODEL),
    "yaml norway bool": (lambda r: edit(model_file(r), "family: SmolLM2", "family: no"), "field 'family'", f"{MODEL}.yaml:3"),
    "unknown schema file": (lambda r: (r / "schema" / "extra.schema.json").write_text("{}\n", encoding="utf-8"),
                            "unknown schema 'extra'", "extra.schema.json"),
    "csv extra column": (lambda r: edit(r / "reported" / "published.csv", ",notes\n", ",notes,score\n"),
                         "unknown or repeated columns", "published.csv:1"),
    "csv more fields than header": (lambda r: edit(r / "reported" / "published.csv", "2024-08-06,\n", "2024-08-06,,extra\n"),
                                    "more fields than the header", "published.csv:2"),
    "reported unknown suite": (lambda r: edit(r / "reported" / "published.csv", ",humaneval,pass@1,0.902", ",humaneval+,pass@1,0.902"),
                               "unknown suite 'humaneval+'", "published.csv:2"),
    "csv date as words": (lambda r: edit(r / "reported" / "published.csv", "2024-08-06,", "August 2024,"),
                          "is not YYYY-MM-DD", "published.csv:2"),
    "model .yml": (lambda r: shutil.copy(model_file(r), r / "models" / "m.yml"), "rename it to .yaml", "m.yml"),
    "model id != file name": (lambda r: edit(model_file(r), f"id: {MODEL}", "id: other-model"),
                              "differs from the file name", f"{MODEL}.yaml:1"),
    "duplicate run id": (lambda r: shutil.copytree(run_dir(r), r / "runs" / "gpt-4o" / "gsm8k" / run_dir(r).name),
                         "is also used by", "run.json:3"),
    "duplicate json key": (lambda r: edit(run_json(r), '"n_items": 2,', '"n_items": 2,\n  "n_items": 3,'),
                           "duplicate key 'n_items'", "run.json"),
    "nan": (lambda r: edit(run_json(r), '"wall_seconds": ', '"wall_seconds": NaN, "x": '), "non-finite number 'NaN'",
            "run.json"),
    "infinity overflow": (lambda r: edit(run_json(r), '"wall_seconds": ', '"wall_seconds": 1e999, "x": '),
                          "non-finite number", "run.json"),
    "numeric string": (lambda r: edit(run_json(r), '"n_items": 2', '"n_items": "2"'), "as a number, not in quotes",
                       "run.json"),
    "malformed json": (lambda r: edit(run_json(r), '"n_items": 2,', '"n_items": 2,,'), "malformed JSON", "run.json"),
    "deep nesting": (lambda r: edit(run_json(r), '"n_items": 2,', '"n_items": 2, "deep": ' + "[" * 5000 + "]" * 5000 + ","),
                     "nested", "run.json"),
    "future schema": (lambda r: edit(run_json(r), '"schema_version": 4', '"schema_version": 99'), "newer than this Podium",
                      "run.json"),
    "extra field": (lambda r: edit(run_json(r), '"n_items": 2,', '"n_items": 2, "bonus": 1,'), "bonus", "run.json"),
    "yaml duplicate key": (lambda r: edit(model_file(r), "family: SmolLM2\n", "family: SmolLM2\nfamily: Other\n"),
                           "duplicate key 'family'", f"{MODEL}.yaml:4"),
    "yaml alias bomb": (lambda r: (r / "models" / "bomb.yaml").write_text(
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b]\n",
        encoding="utf-8"), "anchor/alias", "bomb.yaml:1"),
    "yaml quoted number": (lambda r: edit(model_file(r), "parameters_b: 0.135", 'parameters_b: "0.135"'),
                           "not in quotes", f"{MODEL}.yaml:4"),
    "yaml exponent as text": (lambda r: edit(model_file(r), "parameters_b: 0.135", "parameters_b: 135e-3"),
                              "YAML reads 135e-3 as text", f"{MODEL}.yaml:4"),
    "yaml malformed": (lambda r: edit(model_file(r), "family: SmolLM2", "family: [SmolLM2"), "malformed YAML", MODEL),
    "samples missing": (lambda r: (run_dir(r) / "samples.jsonl.gz").unlink(), "samples.jsonl.gz missing", MODEL),
    "samples without run.json": (lambda r: run_json(r).unlink(), "samples without run.json", "samples.jsonl.gz"),
    "truncated gzip": (lambda r: (run_dir(r) / "samples.jsonl.gz").write_bytes(
        (run_dir(r) / "samples.jsonl.gz").read_bytes()[:-30]), "not a valid gzip file", "samples.jsonl.gz"),
    "uncompressed samples": (lambda r: (run_dir(r) / "samples.jsonl.gz").write_bytes(b'{"item_id": "1"}\n'),
                             "not a valid gzip file", "samples.jsonl.gz"),
    "duplicate key in sample": (lambda r: samples_edit(r, lambda b: b.replace(b'{"item_id"', b'{"item_id": "x", "item_id"', 1)),
                                "duplicate key 'item_id'", "samples.jsonl.gz:1"),
    "missing sample": (lambda r: samples_edit(r, lambda b: b.split(b"\n", 1)[1]), "says 2 items, samples has 1",
                       "samples.jsonl.gz"),
    "schema drift": (lambda r: edit(r / "schema" / "model.schema.json", '"type": "object"', '"type": "array"'),
                     "out of date", "model.schema.json"),
    "reported unknown model": (lambda r: edit(r / "reported" / "published.csv", ",gpt-4o,", ",gpt-5,"),
                               "model_id 'gpt-5' has no", "published.csv:2"),
    "reported no source": (lambda r: edit(r / "reported" / "published.csv", "openai/simple-evals README.md (commit d253722)", ""),
                           "field 'source'", "published.csv:2"),
    "reported bad date": (lambda r: edit(r / "reported" / "published.csv", "2024-08-06,", "2024-13-45,"),
                          "not a calendar date", "published.csv:2"),
    "reported future date": (lambda r: edit(r / "reported" / "published.csv", "2024-08-06,", "2999-01-01,"),
                             "in the future", "published.csv:2"),
    "yaml infinity": (lambda r: edit(model_file(r), "parameters_b: 0.135", "parameters_b: .inf"), "finite number",
                      f"{MODEL}.yaml:4"),
    "samples a folder": (lambda r: ((run_dir(r) / "samples.jsonl.gz").unlink(), (run_dir(r) / "samples.jsonl.gz").mkdir()),
                         "a folder where a file belongs", "samples.jsonl.gz"),
    "model a folder": (lambda r: (r / "models" / "dir.yaml").mkdir(), "a folder where a file belongs", "models/dir.yaml"),
    "run.json a folder": (lambda r: (run_json(r).unlink(), run_json(r).mkdir()), "a folder where a file belongs",
                          "run.json"),
    "csv formula cell": (lambda r: edit(r / "reported" / "published.csv", "\nGPT-4o (2024-08-06),", "\n=HYPERLINK(1),"),
                         "which a spreadsheet runs as a formula", "published.csv:2"),
    "csv header lacks a column": (lambda r: edit(r / "reported" / "published.csv", "source_date,", ""),
                                  "header lacks the column(s) source_date", "published.csv:1"),
    "reported negative shots": (lambda r: edit(r / "reported" / "published.csv", ",pass@1,0.902,0,", ",pass@1,0.902,-3,"),
                                "field 'shots'", "published.csv:2"),
    "reported value as percent": (lambda r: edit(r / "reported" / "published.csv", ",0.902,", ",90.2,"),
                                  "field 'value'", "published.csv:2"),
}


def test_untouched_copy_passes(root: Path) -> None:
    problems, counts = validate_tree(root)
    models = len(list((REPO / "site_data" / "models").glob("*.yaml")))
    assert problems == [] and counts["runs"] == 1 and counts["models"] == models


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_is_reported_with_file_and_line(root: Path, fault: str) -> None:
    mutate, what, where = FAULTS[fault]
    mutate(root)
    problems, _ = validate_tree(root)
    texts = [p.text() for p in problems]
    hits = [t for t in texts if what in t]
    assert hits, f"{fault}: expected '{what}' in {texts}"
    assert any(where in t.split(": ", 1)[0] for t in hits), f"{fault}: expected '{where}' in {hits}"
    assert all(" — " in t and "\n" not in t for t in texts)
    assert not any("sk-proj-abcdefghij0123456789ABCDEF" in t or "a1a1a1a1a1" in t for t in texts)  # redacted


def test_size_limits_and_gzip_bomb(root: Path) -> None:
    bomb = run_dir(root) / "samples.jsonl.gz"
    bomb.write_bytes(gzip.compress(b"\n" * (8 * 1024 * 1024)))  # 8 MiB of newlines in ~8 KiB
    problems, _ = validate_tree(root, Limits(file_bytes=4096 * 4, samples_bytes=1024 * 1024))
    texts = [p.text() for p in problems]
    assert any("decompresses to more than 1 MiB" in t for t in texts), texts
    big = root / "models" / "big.yaml"
    big.write_text("notes: " + "x" * 20000 + "\n", encoding="utf-8")
    problems, _ = validate_tree(root, Limits(file_bytes=4096 * 4, samples_bytes=1024 * 1024))
    assert any("big.yaml: file is" in p.text() and "over the limit" in p.text() for p in problems)


@pytest.mark.slow
def test_all_problems_listed_and_cli_formats(root: Path) -> None:
    FAULTS["non-utf8 byte"][0](root)
    FAULTS["stray file"][0](root)
    FAULTS["reported bad date"][0](root)
    r = podium("validate", str(root))
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("error: ")]
    assert len(lines) == 3, r.stderr
    assert any(f"{MODEL}.yaml:2: not UTF-8" in ln and " — save the file as UTF-8" in ln for ln in lines)
    g = podium("validate", str(root), "--format", "github")
    assert g.returncode == 1
    assert any(ln.startswith("::error file=") and f"{MODEL}.yaml,line=2::not UTF-8" in ln for ln in g.stdout.splitlines())
    ok = podium("validate", str(REPO / "site_data"))
    assert ok.returncode == 0 and ok.stdout.startswith("ok:"), ok.stderr


def test_no_false_alarms(root: Path) -> None:
    """A Markdown rule is not a conflict marker; 'sk-no-key-needed' and task-ids are not keys; .gitkeep is fine."""
    (root / "README.md").write_text("Site data\n=======\n\nSee models/. Keys like sk-no-key-needed are fine.\n",
                                    encoding="utf-8")
    (root / "runs" / ".gitkeep").write_text("", encoding="utf-8")
    assert validate_tree(root)[0] == []
