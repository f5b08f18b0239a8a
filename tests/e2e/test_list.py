"""``podium list suites|models|backends`` through the real CLI: one line each, from the registries, the data
directory and site_data."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from evals.store import load_models
from evals.suites import SUITES
from tests.conftest import podium
from tests.support.servers import REPO


def lines(*args: str, env: dict[str, str] | None = None) -> list[str]:
    r = podium("list", *args, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def test_suites_one_line_each_with_protocol_items_and_shots(data_dir: Path, tmp_path: Path) -> None:
    out = lines("suites", "--data-dir", str(data_dir), env={"HOME": str(tmp_path)})  # a fresh count cache
    ids = [line.split()[0] for line in out]
    assert len(ids) == len(set(ids)) and {s for s in SUITES if s != "scenarios"} <= set(ids)
    assert "humaneval:chat" in ids and "mmlu:generative" in ids and any(i.startswith("scenario:") for i in ids)
    by_id = {line.split()[0]: line for line in out}
    assert re.search(r"^gsm8k\s+generative\s+1319 items\s+8-shot\s+test\s+GSM8K$", by_id["gsm8k"])
    assert re.search(r"\bloglikelihood\s+14042 items\s+5-shot\s+test\b", by_id["mmlu"])
    assert re.search(r"\bgenerative\s+164 items\s+0-shot\b", by_id["humaneval"])
    assert (tmp_path / ".cache" / "podium" / "item-counts.json").is_file()
    assert lines("suites", "--data-dir", str(data_dir), env={"HOME": str(tmp_path)}) == out  # from the cache


def test_suites_without_data_say_so(tmp_path: Path) -> None:
    out = lines("suites", "--data-dir", str(tmp_path), env={"HOME": str(tmp_path)})
    assert re.search(r"^gsm8k\s+generative\s+- items\s+8-shot", next(x for x in out if x.startswith("gsm8k ")))


def test_models_one_line_each() -> None:
    out = lines("models", "--site-data", str(REPO / "site_data"))
    models = load_models(REPO / "site_data")
    assert [line.split()[0] for line in out] == [m.id for m in models]
    for line, m in zip(out, models, strict=True):
        assert line.split()[1] == ("chat" if m.chat else "base")
        assert (f"api: {m.api_model}" if m.api_model else m.source) in line


def test_backends_say_what_they_need_and_whether_installed(tmp_path: Path) -> None:
    out = {line.split()[0]: line for line in lines("backends", env={"PODIUM_VLLM_PYTHON": str(tmp_path / "none")})}
    assert list(out) == ["embedded", "openai", "vllm", "fake"]
    state = "installed" if importlib.util.find_spec("xllamacpp") else "not installed"
    assert out["embedded"].split(None, 1)[1].startswith(state)
    if importlib.util.find_spec("vllm") is None:  # the interpreter named cannot run vLLM: said so
        assert f"not installed (PODIUM_VLLM_PYTHON={tmp_path / 'none'} has no vllm)" in out["vllm"]
    assert "needs" in out["vllm"] and "PODIUM_VLLM_PYTHON" in out["vllm"]
