"""No benchmark text in the repository: every tracked file (gzip members and JSON values included) is searched for
the questions, passages, choices, reference solutions and tests of every benchmark file in the data directory.

Model outputs are exempt (a model may repeat its question): JSON values under ``outputs`` are not searched.
A hit is any 48-character run of benchmark text that starts a word in a searched line.
"""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import REPO

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs

SHINGLE = 48
EXEMPT_KEYS = {"outputs", "resps", "filtered_resps"}  # model outputs (Podium; lm-eval fixtures)


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        for line in fh:
            if line.strip():
                yield json.loads(line)


def benchmark_texts(data_dir: Path) -> Iterator[str]:
    fields = ("question", "answer", "passage", "ctx", "ctx_a", "ctx_b", "endings", "sentence", "prompt",
              "canonical_solution", "test")
    for path in sorted(data_dir.rglob("*.jsonl*")):
        for row in _rows(path):
            for f in fields:
                v = row.get(f)
                for text in (v if isinstance(v, list) else [v]):
                    if isinstance(text, str):
                        yield text
    for path in sorted(data_dir.glob("mmlu/*/*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                yield from row[:5]


def shingles(texts: Iterator[str]) -> set[str]:
    out = set()
    for text in texts:
        for line in text.splitlines():
            line = " ".join(line.split())
            if len(line) >= SHINGLE:
                out.add(line[:SHINGLE])
    return out


def searched_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from searched_strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in EXEMPT_KEYS:
                yield from searched_strings(v)


def file_strings(path: Path) -> Iterator[str]:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return  # binary
    name = path.name.removesuffix(".gz")
    if name.endswith((".jsonl", ".json")):
        try:
            values = [json.loads(line) for line in text.splitlines() if line.strip()] if name.endswith(".jsonl") \
                else [json.loads(text)]
        except json.JSONDecodeError:
            yield text
            return
        for v in values:
            yield from searched_strings(v)
        return
    yield text


def hits(text: str, marks: set[str]) -> Iterator[str]:
    for line in text.splitlines():
        line = " ".join(line.split())
        starts = [0, *(i + 1 for i, ch in enumerate(line) if ch in " \"'(:")]
        for i in starts:
            if line[i:i + SHINGLE] in marks:
                yield line[i:i + SHINGLE]
                break


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, check=False)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    return [REPO / p for p in out.stdout.decode().split("\0") if p and (REPO / p).is_file()]


def test_no_benchmark_text_in_tracked_files(data_dir: Path) -> None:
    marks = shingles(benchmark_texts(data_dir))
    assert len(marks) > 20_000, "benchmark texts were read"
    found: dict[str, str] = {}
    files = tracked_files()
    for path in files:
        for text in file_strings(path):
            hit = next(hits(text, marks), None)
            if hit is not None:
                found[str(path.relative_to(REPO))] = hit
                break
    assert not found, "benchmark text committed:\n" + "\n".join(f"{p}: {h!r}" for p, h in sorted(found.items()))


def test_the_search_finds_a_planted_question(data_dir: Path, tmp_path: Path) -> None:
    marks = shingles(benchmark_texts(data_dir))
    question = next(_rows(data_dir / "gsm8k" / "test.jsonl"))["question"]
    planted = tmp_path / "samples.jsonl.gz"
    planted.write_bytes(gzip.compress(json.dumps({"item_id": "x", "prompt": f"Q: {question}\nA:",
                                                  "outputs": [{"text": question}]}).encode()))
    assert any(next(hits(t, marks), None) for t in file_strings(planted))
    exempt = tmp_path / "ok.jsonl"
    exempt.write_text(json.dumps({"item_id": "x", "outputs": [{"text": f"Q: {question}"}]}) + "\n")
    assert not any(next(hits(t, marks), None) for t in file_strings(exempt))
