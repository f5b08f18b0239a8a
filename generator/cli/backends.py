"""Backend options of ``podium run``: ``--backend NAME``, ``-B key=value`` for any field of that backend's typed
config, and shortcut flags for the common fields. The backend module builds itself from its config
(:meth:`evals.backends.base.Backend.configure`); this module only collects what the user said, and derives the
run's reproducing command from the config that was built (fields that differ from the model's defaults).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from evals.backends import backend_class, start_backend
from evals.backends.base import Backend
from evals.backends.options import changed_options, parse_pairs
from evals.errors import ConfigError
from evals.records import ModelEntry

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Shortcut:
    """A flag that sets one config field of one or more backends."""

    param: str
    decls: tuple[str, ...]
    keys: dict[str, str]  # backend name → config field
    help: str
    kwargs: dict[str, Any] = field(default_factory=dict)


SHORTCUTS = (
    Shortcut("base_url", ("--base-url",), {"openai": "base_url"},
             "OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1 [env OPENAI_BASE_URL].",
             {"envvar": "OPENAI_BASE_URL"}),
    Shortcut("api_model", ("--api-model",), {"openai": "model", "vllm": "model"},
             "Model name to send to the API / load in vLLM (default: the model entry's)."),
    Shortcut("concurrency", ("--concurrency",), {"openai": "concurrency"}, "openai: requests in flight (default 8).",
             {"type": click.IntRange(min=1)}),
    Shortcut("rpm", ("--rpm",), {"openai": "requests_per_minute"}, "openai: client-side requests per minute.",
             {"type": float}),
    Shortcut("tpm", ("--tpm",), {"openai": "tokens_per_minute"}, "openai: client-side tokens per minute.",
             {"type": float}),
    Shortcut("parallel", ("--parallel",), {"embedded": "parallel"},
             "embedded: decoding slots (default 1). 1 keeps every output and log-likelihood bit-for-bit reproducible "
             "and reuses each few-shot prefix; N > 1 decodes N requests per step (faster generation on idle cores) "
             "but results then depend on the batch mix, and prefix reuse is off.", {"type": click.IntRange(min=1)}),
    Shortcut("threads", ("--threads",), {"embedded": "threads"},
             "embedded: llama.cpp threads (0 = half the cores, fixed per machine: the count changes generated "
             "text; threads that share a busy core slow down badly). Recorded in the run.",
             {"type": click.IntRange(min=0)}),
    Shortcut("prompt_cache", ("--prompt-cache/--no-prompt-cache",), {"embedded": "prompt_cache"},
             "embedded: llama.cpp's own prompt cache for requests without a declared prefix (output may then "
             "depend on request order; default off)."),
    Shortcut("prefix_reuse", ("--prefix-reuse/--no-prefix-reuse",), {"embedded": "prefix_reuse",
                                                                     "openai": "prefix_reuse"},
             "embedded and llama.cpp servers: evaluate each suite's few-shot prefix once, in one fixed way, and "
             "reuse exactly it (default on: MMLU ~5x faster; same results in any order or slice)."),
    Shortcut("model_path", ("--model-path",), {"vllm": "model"}, "vllm: HF model directory or hub id."),
    Shortcut("tensor_parallel", ("--tensor-parallel",), {"vllm": "tensor_parallel_size"},
             "vllm: GPUs per stage (default 1).", {"type": click.IntRange(min=1)}),
    Shortcut("pipeline_parallel", ("--pipeline-parallel",), {"vllm": "pipeline_parallel_size"},
             "vllm: pipeline stages (nodes, with --executor ray; default 1).", {"type": click.IntRange(min=1)}),
    Shortcut("dtype", ("--dtype",), {"vllm": "dtype"}, "vllm: auto | bfloat16 | float16 | float32."),
    Shortcut("quantization", ("--quantization",), {"vllm": "quantization"}, "vllm: e.g. fp8, awq, gptq."),
    Shortcut("max_model_len", ("--max-model-len",), {"vllm": "max_model_len"}, "vllm: context length.",
             {"type": click.IntRange(min=128)}),
    Shortcut("enforce_eager", ("--enforce-eager/--no-enforce-eager",), {"vllm": "enforce_eager"},
             "vllm: no graph capture (CPU, quick start)."),
    Shortcut("executor", ("--executor",), {"vllm": "distributed_executor_backend"},
             "vllm: distributed executor; ray for models spanning several nodes.",
             {"type": click.Choice(["mp", "ray"])}),
    Shortcut("fake_script", ("--fake-script",), {"fake": "script"},
             'fake: JSON {"replies": {"<item id>": "text"}, "logprobs": {"<key>": -1.5}}.',
             {"type": click.Path(path_type=Path, dir_okay=False, exists=True)}),
)
SECRET_FIELDS = frozenset({"api_key"})
FLAG_OF = {(b, key): s.decls[0].split("/")[0] for s in SHORTCUTS for b, key in s.keys.items()}


@dataclass(frozen=True)
class BackendChoice:
    """Which backend, the options the user gave it, and the completion cache."""

    name: str
    options: dict[str, object]
    cache: Path | None = None


def backend_options(f: F) -> F:
    """Adds ``--backend``, ``-B key=value`` and the shortcut flags; the command receives one
    ``backend: BackendChoice`` instead of them."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        name = kwargs.pop("backend_name")
        options: dict[str, object] = {}
        for s in SHORTCUTS:
            value = kwargs.pop(s.param)
            if value is None:
                continue
            if name not in s.keys:
                if ctx.get_parameter_source(s.param) is click.core.ParameterSource.COMMANDLINE:
                    raise ConfigError(f"does not apply to --backend {name}",
                                      where=s.decls[0].split("/")[0], fix=f"it is for: {', '.join(s.keys)}")
                continue
            options[s.keys[name]] = value
        options.update(parse_pairs(kwargs.pop("backend_args")))
        return f(*args, backend=BackendChoice(name, options), **kwargs)

    decorated: Callable[..., Any] = wrapper
    for s in reversed(SHORTCUTS):
        decorated = click.option(*s.decls, s.param, default=None, help=s.help, **s.kwargs)(decorated)
    decorated = click.option("-B", "--backend-arg", "backend_args", multiple=True, metavar="KEY=VALUE",
                             help="Any field of the backend's config, e.g. -B n_ctx=8192 -B timeout=300 "
                                  "(repeatable; an unknown key lists the valid ones).")(decorated)
    decorated = click.option("--backend", "backend_name", default="embedded", show_default=True,
                             help="embedded (llama.cpp, offline) | openai (any OpenAI-compatible server) | vllm "
                                  "(in-process) | fake (deterministic, no model: tests and examples).")(decorated)
    return decorated  # type: ignore[return-value]


def make_backend(choice: BackendChoice, model: ModelEntry) -> tuple[Backend, list[str]]:
    """The started backend (behind the completion cache when one is set) and its part of the run's command."""
    cls = backend_class(choice.name)
    config = cls.configure(model, choice.options)
    backend = start_backend(cls, config)
    args = ["--backend", choice.name]
    for key, value in changed_options(config, cls.configure(model, {})).items():
        if key in SECRET_FIELDS:
            continue  # the command is published with the run: a key given with -B is never written down
        flag = FLAG_OF.get((choice.name, key))
        if isinstance(value, bool) and flag:
            args.append(flag if value else "--no-" + flag.removeprefix("--"))
        elif flag:
            args += [flag, str(value)]
        else:
            args += ["-B", f"{key}={value}"]
    if choice.cache is not None:
        from evals.backends.cached_backend import CachedBackend

        backend = CachedBackend(backend, choice.cache)
    return backend, args
