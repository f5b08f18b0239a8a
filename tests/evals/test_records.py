from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from evals.errors import ConfigError, DataError
from evals.grader_records import OtherGrader
from evals.records import (
    BackendRecord,
    CostRecord,
    MetricRef,
    MetricValue,
    ModelEntry,
    NumericDetail,
    OutputRecord,
    RunRecord,
    SampleRecord,
    SamplingRecord,
    SelectionRecord,
    SuiteRecord,
)
from evals.store import export_schemas, load_model, read_run, read_samples, write_run
from tests.support.servers import REPO


def make_run(model_id: str = "smollm2-135m-instruct") -> RunRecord:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    return RunRecord(
        run_id="20261123T120000Z-abc123", model_id=model_id, model_revision="r1",
        suite=SuiteRecord(id="gsm8k", base="gsm8k", version="v", protocol="generative", shots=8, split="test",
                          dataset_sha256="d", template_sha="t", grader=OtherGrader(description="{}"), items_total=1319,
                          selection=SelectionRecord(kind="first_n", n=2)),
        backend=BackendRecord(name="embedded", engine="llama.cpp", model="m.gguf", parameters={"n_ctx": 4096}),
        sampling=SamplingRecord(max_tokens=256, temperature=0.0, top_p=1.0, stop=["Q:"]),
        podium_version="0.1.0", git_commit="abc", git_dirty=False, command="podium run --limit 2",
        started_at=now, finished_at=now, wall_seconds=1.5, n_items=2, n_errors=0, prompt_tokens=10,
        completion_tokens=5, cost=CostRecord(usd=0.0, method="local_cpu", detail="cpu"),
        metrics=[MetricValue(name="exact_match", variant="strict", value=0.5, n=2, ci_low=0.1, ci_high=0.9)],
    )


def make_samples() -> list[SampleRecord]:
    return [SampleRecord(item_id=f"gsm8k/test/{i:04d}", prompt_sha256="0" * 64,
                         outputs=[OutputRecord(text="<script>alert(1)</script> The answer is 18.", finish="stop",
                                               detail=NumericDetail(strict="18", flexible="18"),
                                               scores={"strict": 1.0})],
                         scores={"strict": float(i == 0)}) for i in range(2)]


def test_run_and_samples_round_trip(tmp_path: Path) -> None:
    run, samples = make_run(), make_samples()
    paths = write_run(tmp_path, run, samples)
    assert paths.dir == tmp_path / "runs" / "smollm2-135m-instruct" / "gsm8k" / run.run_id
    assert read_run(paths.run_json) == run
    assert read_samples(paths.samples) == samples
    assert run.metric(MetricRef(name="exact_match", variant="strict")) is not None


def test_committed_schema_matches_record_types(tmp_path: Path) -> None:
    for path in export_schemas(tmp_path):
        committed = REPO / "site_data" / "schema" / path.name
        assert json.loads(committed.read_text()) == json.loads(path.read_text()), (
            f"{committed} drifted from evals/records.py — run `podium schema`")


def test_newer_schema_version_is_refused(tmp_path: Path) -> None:
    paths = write_run(tmp_path, make_run(), make_samples())
    raw = json.loads(paths.run_json.read_text())
    raw["schema_version"] = 99
    paths.run_json.write_text(json.dumps(raw))
    with pytest.raises(DataError, match="newer than this Podium"):
        read_run(paths.run_json)


def test_malformed_json_names_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "run.json"
    p.write_text('{\n  "schema_version": 2,\n  oops\n}')
    with pytest.raises(DataError) as exc:
        read_run(p)
    assert f"{p}:3" in str(exc.value)


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("id: x\nname: [unclosed\n", 2, "malformed YAML"),
    ("id: x\nname: X\nfamily: F\nlicense: MIT\nopen_weights: maybe\nsource: s\n", 5, "open_weights"),
    ("id: x\nname: X\nfamily: F\nlicense: MIT\nopen_weights: true\nsource: s\nprices:\n  input_per_mtok: -1\n",
     8, "prices.input_per_mtok"),
    ("- just\n- a list\n", 1, "mapping"),
])
def test_malformed_model_yaml_gives_file_line_error(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "x.yaml").write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_model(tmp_path, "x")
    msg = exc.value.one_line()
    assert f"x.yaml:{line}:" in msg and fragment in msg


def test_unknown_model_lists_known_ones() -> None:
    with pytest.raises(ConfigError) as exc:
        load_model(REPO / "site_data", "gpt-5-turbo")
    assert "unknown model 'gpt-5-turbo'" in str(exc.value) and "smollm2-135m-instruct" in str(exc.value)


def test_repository_model_entries_are_valid() -> None:
    for p in (REPO / "site_data" / "models").glob("*.yaml"):
        assert isinstance(load_model(REPO / "site_data", p.stem), ModelEntry)


WRITER = """
import sys, time
from pathlib import Path
from evals.atomic import write_bytes
target = Path(sys.argv[1])
i = 0
while True:
    i += 1
    write_bytes(target, (str(i % 10) * 4_000_000).encode())
"""


@pytest.mark.slow
def test_atomic_write_never_leaves_a_partial_file(tmp_path: Path) -> None:
    """SIGKILL a process that rewrites a 4 MB file in a loop: the target is always one complete version."""
    target = tmp_path / "big.txt"
    for attempt in range(5):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=REPO)
        deadline = time.monotonic() + 60  # a loaded machine may need a while for the first complete write
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.6 + 0.15 * attempt)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        data = target.read_bytes()
        assert len(data) == 4_000_000 and len(set(data)) == 1, "partial or mixed file after SIGKILL"


def test_atomic_writes_get_the_mode_a_plain_write_would(tmp_path: Path) -> None:
    """New files follow the umask (0644 under 022), not mkstemp's 0600; a replaced file keeps its own mode."""
    from evals.atomic import write_text

    old = os.umask(0o022)
    try:
        new = tmp_path / "run.json"
        write_text(new, "{}")
        assert new.stat().st_mode & 0o777 == 0o644
        os.chmod(new, 0o640)
        write_text(new, "{}\n")
        assert new.stat().st_mode & 0o777 == 0o640 and new.read_text() == "{}\n"
    finally:
        os.umask(old)
