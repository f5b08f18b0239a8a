"""Backend registry: names → lazy import paths, so optional engines (vLLM) load only when asked for."""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import shlex
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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
    "embedded": ("evals.backends.embedded:EmbeddedBackend", "embedded"),
    "openai": ("evals.backends.openai_compat:OpenAICompatBackend", "openai"),
    # imported lazily: the module itself needs no vLLM; constructing the backend does
    "vllm": ("evals.backends.vllm:VLLMBackend", "vllm"),
    # deterministic, no model: fast tests and documentation examples
    "fake": ("evals.backends.fake:FakeBackend", ""),
}

# the engine packages of each extra (pyproject.toml [project.optional-dependencies]), checked without importing
# them; vLLM is not checked here: it may live in an environment of its own (the vllm backend finds it)
EXTRA_MODULES: dict[str, tuple[str, ...]] = {"embedded": ("xllamacpp",), "openai": ("openai",)}
MODULE_EXTRA = {m: extra for extra, mods in EXTRA_MODULES.items() for m in mods} | {"vllm": "vllm"}


def pip_command(extra: str) -> str:
    """The exact command that installs ``extra`` into the running environment."""
    return f"{shlex.quote(sys.executable)} -m pip install 'podium-evals[{extra}]'"


def missing_extra(module: str) -> ConfigError | None:
    """The one-line error for an engine package of an extra that is not installed (None: not an engine's)."""
    extra = MODULE_EXTRA.get(module.partition(".")[0])
    if extra is None:
        return None
    return ConfigError(f"the {extra} engine is not installed ({module} missing)", where=f"podium-evals[{extra}]",
                       fix=f"install it: {pip_command(extra)}")


def backend_module(name: str) -> object:
    if name not in BACKENDS:
        close = difflib.get_close_matches(name, BACKENDS, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(f"unknown backend '{name}'", where="--backend",
                          fix=f"{hint}choose one of: {', '.join(BACKENDS)}")
    target, extra = BACKENDS[name]
    for module in EXTRA_MODULES.get(extra, ()):
        if importlib.util.find_spec(module) is None:
            raise ConfigError(f"backend '{name}' needs the [{extra}] extra ({module} is not installed)",
                              where="--backend", fix=f"install it: {pip_command(extra)}")
    try:
        return importlib.import_module(target.partition(":")[0])
    except ImportError as exc:
        error = missing_extra(exc.name or "")
        if error is None:
            raise
        raise error from None


def backend_class(name: str) -> type[Backend]:
    """The class registered under ``name`` (its module imported lazily, with an install hint on failure)."""
    module = backend_module(name)
    cls: type[Backend] = getattr(module, BACKENDS[name][0].partition(":")[2])
    return cls


def start_backend(cls: type[Backend], config: Any) -> Backend:
    """An instance of ``cls`` built from its own typed ``config``, preflighted (closed again if that fails)."""
    backend = cls(config)
    try:
        backend.preflight()
    except BaseException:
        backend.close()
        raise
    return backend


def build_backend(name: str, model: ModelEntry, options: Mapping[str, object]) -> Backend:
    """Configure and start the backend ``name`` for ``model`` (see :meth:`Backend.configure`)."""
    cls = backend_class(name)
    return start_backend(cls, cls.configure(model, options))


__all__ = [
    "BACKENDS", "Backend", "BackendInfo", "ChatMessage", "Completion", "GenerateRequest", "Loglikelihood",
    "LoglikelihoodRequest", "Sampling", "backend_class", "backend_module", "build_backend", "missing_extra",
    "pip_command", "start_backend",
]
