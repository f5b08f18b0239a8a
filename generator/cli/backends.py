"""Building a backend from command-line options (shared by run and demo)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evals.backends import backend_module
from evals.backends.base import Backend
from evals.backends.gguf import EMBEDDED_MODELS
from evals.errors import ConfigError
from evals.records import ModelEntry


@dataclass(frozen=True)
class BackendOptions:
    name: str = "embedded"
    base_url: str | None = None
    api_model: str | None = None
    concurrency: int = 8
    parallel: int = 1
    threads: int = 0  # embedded: llama.cpp threads, 0 = half the cores
    prompt_cache: bool = False
    prefix_reuse: bool = True  # embedded / llama.cpp servers: reuse each few-shot prefix, computed one fixed way
    rpm: float | None = None
    tpm: float | None = None
    cache: Path | None = None  # completion cache (SQLite) or None
    # vLLM in-process
    model_path: str | None = None  # HF model dir / hub id (default: the model entry's source)
    tensor_parallel: int = 1
    pipeline_parallel: int = 1
    dtype: str = "auto"
    quantization: str | None = None
    max_model_len: int | None = None
    enforce_eager: bool = False
    executor: str | None = None  # "ray" for multi-node
    fake_script: Path | None = None  # fake: JSON replies/logprobs per request key

    def command_args(self) -> list[str]:
        """The options that change results, for the run's reproducing command line."""
        out = ["--backend", self.name]
        if self.name == "embedded":
            out += ["--parallel", str(self.parallel)] + (["--prompt-cache"] if self.prompt_cache else [])
            out += ["--threads", str(self.threads)] if self.threads else []
        if not self.prefix_reuse:
            out.append("--no-prefix-reuse")
        if self.base_url:
            out += ["--base-url", self.base_url]
        if self.api_model:
            out += ["--api-model", self.api_model]
        if self.name == "fake" and self.fake_script:
            out += ["--fake-script", str(self.fake_script)]
        if self.name == "vllm":
            out += ["--tensor-parallel", str(self.tensor_parallel), "--pipeline-parallel", str(self.pipeline_parallel),
                    "--dtype", self.dtype]
            for flag, value in (("--model-path", self.model_path), ("--quantization", self.quantization),
                                ("--max-model-len", self.max_model_len), ("--executor", self.executor)):
                if value is not None:
                    out += [flag, str(value)]
            if self.enforce_eager:
                out.append("--enforce-eager")
        return out


def make_backend(opts: BackendOptions, model: ModelEntry) -> Backend:
    backend_module(opts.name)  # unknown backend / missing package → one clear error
    backend: Backend
    if opts.name == "embedded":
        from evals.backends.embedded import EmbeddedBackend, EmbeddedConfig

        if model.id not in EMBEDDED_MODELS:
            raise ConfigError(f"the embedded backend runs only {', '.join(EMBEDDED_MODELS)}, not '{model.id}'",
                              where="--model", fix="use --backend openai --base-url URL for other models")
        backend = EmbeddedBackend(EmbeddedConfig(parallel=opts.parallel, prompt_cache=opts.prompt_cache,
                                                  threads=opts.threads, model_id=model.id,
                                                  prefix_reuse=opts.prefix_reuse))
    elif opts.name == "openai":
        from evals.backends.openai_compat import OpenAICompatBackend, OpenAIConfig

        served = opts.api_model or model.api_model or model.id
        oa = OpenAICompatBackend(OpenAIConfig(model=served, base_url=opts.base_url, concurrency=opts.concurrency,
                                              requests_per_minute=opts.rpm, tokens_per_minute=opts.tpm,
                                              prefix_reuse=opts.prefix_reuse))
        oa.check_reachable()
        backend = oa
    elif opts.name == "vllm":
        from evals.backends.vllm import VLLMBackend, VLLMConfig

        path = opts.model_path or model.api_model or model.source
        backend = VLLMBackend(VLLMConfig(
            model=path, tensor_parallel_size=opts.tensor_parallel, pipeline_parallel_size=opts.pipeline_parallel,
            dtype=opts.dtype, quantization=opts.quantization, max_model_len=opts.max_model_len,
            enforce_eager=opts.enforce_eager,
            distributed_executor_backend=opts.executor,  # type: ignore[arg-type]
        ))
    elif opts.name == "fake":
        from evals.backends.fake import FakeBackend, FakeConfig

        backend = FakeBackend(FakeConfig.from_file(opts.fake_script, model.id) if opts.fake_script
                              else FakeConfig(model=model.id))
    else:
        raise ConfigError(f"backend '{opts.name}' is not available in `podium run`", where="--backend",
                          fix="choose one of: embedded, openai, vllm, fake")
    if opts.cache is not None:
        from evals.backends.cached import CachedBackend

        backend = CachedBackend(backend, opts.cache)
    return backend
