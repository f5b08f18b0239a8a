"""Any OpenAI-compatible API (OpenAI, ``vllm serve``, a llama.cpp server) through the official client.

Async with bounded concurrency, a per-request timeout, and retries with jittered exponential backoff on
429/5xx/connection errors that honour ``Retry-After``. A request that still fails is returned as an errored
Completion — never dropped.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import openai

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
from evals.backends.loglik import encode_pair, memo_tokens, run_forced, run_prefixed
from evals.backends.options import config_from
from evals.backends.prefix import PrefixSlot, PromptUsage, sampling_body, split_at_prefix, whole_char_token
from evals.backends.ratelimit import RateLimiter
from evals.backends.retry import RETRY_STATUS, Retryable, RetryPolicy, with_retries, with_retries_async
from evals.errors import BackendError, Unsupported

if TYPE_CHECKING:
    from evals.records import ModelEntry

T = TypeVar("T")


@dataclass(frozen=True)
class OpenAIConfig:
    model: str
    base_url: str | None = None  # default: OpenAI's (the CLI's --base-url reads $OPENAI_BASE_URL)
    api_key: str | None = None  # never recorded; default: the variable api_key_env, else a placeholder for local servers
    api_key_env: str = "OPENAI_API_KEY"  # where the key is read from (the name is recorded, never the key)
    concurrency: int = 8
    timeout: float = 120.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    native_n: bool = True  # send n>1 in one request; falls back to n requests with distinct seeds on a 400
    seed: int = 0  # seeds the backoff jitter (deterministic retry schedule)
    requests_per_minute: float | None = None  # client-side rate limits (None = unlimited)
    tokens_per_minute: float | None = None
    # llama.cpp servers (detected by /tokenize): reuse each suite-declared few-shot prefix, computed in one fixed
    # way on slot 0 (evals.backends.prefix), with requests that carry a prefix sent one at a time.
    prefix_reuse: bool = True


@dataclass(frozen=True)
class _Reply:
    """What one HTTP request answered: n choices with their finish reasons and tool calls, and usage."""

    texts: tuple[str, ...]
    finish: tuple[FinishReason, ...]
    tool_calls: tuple[tuple[ToolCallMsg, ...], ...]
    prompt_tokens: int
    completion_tokens: int

    @staticmethod
    def join(parts: Sequence[_Reply]) -> _Reply:
        return _Reply(tuple(t for p in parts for t in p.texts), tuple(f for p in parts for f in p.finish),
                      tuple(c for p in parts for c in p.tool_calls), sum(p.prompt_tokens for p in parts),
                      sum(p.completion_tokens for p in parts))


class OpenAICompatBackend(Backend):
    config_type = OpenAIConfig

    @classmethod
    def configure(cls, model: ModelEntry, options: Mapping[str, object]) -> OpenAIConfig:
        """The served model name defaults to the entry's ``api_model`` (else its id)."""
        return config_from(OpenAIConfig, {"model": model.api_model or model.id, **options}, where="--backend openai")

    def preflight(self) -> None:
        self.check_reachable()

    def __init__(self, config: OpenAIConfig) -> None:
        self.config = config
        self.base_url = (config.base_url or "https://api.openai.com/v1").rstrip("/")
        self._api_key = config.api_key or os.environ.get(config.api_key_env) or "sk-no-key-needed"
        self._native_n = config.native_n
        self._ll_method: str | None = None  # probed lazily: "echo" | "forced" | "" (none)
        self._prefix_slot: PrefixSlot | None = None  # llama.cpp servers: the pinned prefix of slot 0
        self._prefix_http: httpx.Client | None = None
        self._rng = random.Random(config.seed)
        self.retries = 0  # observed retries, for the run summary and tests
        self._limits = (config.requests_per_minute, config.tokens_per_minute)
        self._limiter = RateLimiter(*self._limits)  # re-created per generate() (asyncio locks bind to a loop)
        self.info = BackendInfo(
            name="openai", engine=f"openai-python {version('openai')}", model=config.model,
            base_url=self.base_url,
            parameters={"concurrency": config.concurrency, "timeout": config.timeout,
                        "max_retries": config.retry.max_retries},
            supports_chat=True, supports_tools=True,
        )

    # ------------------------------------------------------------------ public
    def generate(self, requests: Sequence[GenerateRequest], on_result: OnResult | None = None) -> list[Completion]:
        pinned = self._pinned_splits(requests)
        done: dict[int, Completion] = {}
        for i, split in pinned.items():
            done[i] = comp = self._generate_pinned(requests[i], split)
            if on_result:
                on_result(comp)
        rest = [i for i in range(len(requests)) if i not in pinned]
        if rest:
            if pinned:
                self._slot().invalidate()  # unpinned requests may land on slot 0 too
            comps = asyncio.run(self._generate_all([requests[i] for i in rest], on_result))
            done.update(zip(rest, comps, strict=True))
        return [done[i] for i in range(len(requests))]

    # ------------------------------------------------------------------ prefix reuse (llama.cpp servers)
    def _root(self) -> str:
        """The server root (llama.cpp's /tokenize, /health live there), without the /v1 suffix."""
        return self.base_url.removesuffix("/v1")

    def _url(self, path: str) -> str:
        """An endpoint under the API base URL, e.g. ``_url("completions")``."""
        return f"{self.base_url}/{path}"

    def _slot(self) -> PrefixSlot:
        if self._prefix_slot is None:
            http = httpx.Client(headers={"Authorization": f"Bearer {self._api_key}"}, timeout=self.config.timeout)
            url = self._url("completions")
            self._prefix_slot = PrefixSlot(lambda body: self._post_with_retry(http, url, body), {"id_slot": 0})
            self._prefix_http = http
        return self._prefix_slot

    def _tokens(self, text: str, special: bool) -> list[int]:
        r = self._probe_post(f"{self._root()}/tokenize", {"content": text, "add_special": special},
                             {"Authorization": f"Bearer {self._api_key}"}, self.config.timeout)
        r.raise_for_status()
        return [int(t) for t in r.json()["tokens"]]

    def _pinned_splits(self, requests: Sequence[GenerateRequest]) -> dict[int, tuple[list[int], list[int]]]:
        """Text requests with a usable prefix, when the server is llama.cpp: index → (prefix ids, suffix ids)."""
        wanted = [i for i, r in enumerate(requests) if r.prefix and isinstance(r.prompt, str)]
        if not (self.config.prefix_reuse and wanted and self.probe_loglikelihood() == "forced"):
            return {}
        tok = memo_tokens(lambda text: self._tokens(text, True))
        out = {}
        for i in wanted:
            prompt = requests[i].prompt
            try:
                split = split_at_prefix(tok, requests[i].prefix, prompt) if isinstance(prompt, str) else None
            except (httpx.HTTPError, ValueError, KeyError):  # tokeniser unreachable: the request's own path
                split = None
            if split is not None:
                out[i] = split
        return out

    def _generate_pinned(self, req: GenerateRequest, split: tuple[list[int], list[int]]) -> Completion:
        t0, s = time.perf_counter(), req.sampling
        texts: list[str] = []
        finish: list[FinishReason] = []
        used, ctoks = PromptUsage(), 0
        try:
            for i in range(s.n):
                seed = None if s.seed is None else s.seed + i
                body = sampling_body(s.max_tokens, s.temperature, s.top_p, s.stop, seed)
                resp, use = self._slot().generate(split[0], split[1], body)
                choice = resp["choices"][0]
                texts.append(choice.get("text") or "")
                finish.append(finish_reason(choice.get("finish_reason")))
                used += use
                ctoks += int((resp.get("usage") or {}).get("completion_tokens", 0))
        except Exception as exc:  # noqa: BLE001 - after retries: the failure becomes data
            return Completion.failed(req, f"{type(exc).__name__}: {exc}"[:500], time.perf_counter() - t0)
        return Completion(req.key, tuple(texts), tuple(finish), used.evaluated, ctoks, time.perf_counter() - t0,
                          cached_tokens=used.cached)

    # ------------------------------------------------------------------ loglikelihood
    def can_loglikelihood(self) -> bool:
        return self.probe_loglikelihood() is not None

    def probe_loglikelihood(self) -> str | None:
        """Which prompt-logprob method the server supports: 'echo' (vLLM), 'forced' (llama.cpp), or None."""
        if self._ll_method is not None:
            return self._ll_method or None
        root = self._root()
        headers = {"Authorization": f"Bearer {self._api_key}"}
        method = ""
        try:
            r = self._probe_post(f"{root}/tokenize", {"content": "Hi", "add_special": False}, headers, 10)
            if r.status_code == 200 and "tokens" in r.json():
                method = "forced"
            else:
                r = self._probe_post(self._url("completions"), headers=headers, timeout=30, body={
                    "model": self.config.model, "prompt": "Hello world", "max_tokens": 1, "echo": True,
                    "logprobs": 1, "temperature": 0})
                lp = r.json()["choices"][0].get("logprobs") or {} if r.status_code == 200 else {}
                if len(lp.get("token_logprobs") or []) >= 2:
                    method = "echo"
        except (httpx.HTTPError, ValueError, KeyError, IndexError):
            method = ""
        self._ll_method = method
        return method or None

    def _probe_post(self, url: str, body: dict[str, Any], headers: dict[str, str], timeout: float) -> httpx.Response:
        """A probe that retries 429/5xx like any request: a transient failure must not settle the method (after
        the last attempt the last response is returned, whatever its status)."""
        last: list[httpx.Response] = []

        def once() -> httpx.Response:
            r = httpx.post(url, json=body, headers=headers, timeout=timeout)
            last[:] = [r]
            if r.status_code in RETRY_STATUS:
                raise Retryable(f"HTTP {r.status_code}", r.headers.get("retry-after"))
            return r

        try:
            return self._retrying(once)
        except RuntimeError:
            return last[0]

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[Loglikelihood]:
        method = self.probe_loglikelihood()
        if method is None:
            raise Unsupported(f"the server at {self.base_url} returns no prompt log-probabilities (chat-only API "
                              f"or no echo/logprobs support)", where="--backend openai",
                              fix="use the generative variant, e.g. --suite mmlu:generative")
        root = self._root()
        headers = {"Authorization": f"Bearer {self._api_key}"}
        with httpx.Client(headers=headers, timeout=self.config.timeout) as http:
            if method == "forced":
                @memo_tokens
                def tokenize(text: str) -> list[int]:
                    r = http.post(f"{root}/tokenize", json={"content": text, "add_special": False})
                    r.raise_for_status()
                    return [int(t) for t in r.json()["tokens"]]

                def complete(body: dict[str, Any]) -> dict[str, Any]:
                    return self._post_with_retry(http, self._url("completions"), body)

                probe = whole_char_token(tokenize)
                with ThreadPoolExecutor(max_workers=self.config.concurrency) as pool:
                    def unpinned(reqs: Sequence[LoglikelihoodRequest]) -> list[Loglikelihood]:
                        return run_forced(reqs, tokenize, complete, map_fn=lambda f, rs: list(pool.map(f, rs)),
                                          probe=probe)

                    if self.config.prefix_reuse and any(r.prefix for r in requests):
                        slot = self._slot()
                        slot.probe = probe

                        def fallback(reqs: Sequence[LoglikelihoodRequest]) -> list[Loglikelihood]:
                            slot.invalidate()
                            return unpinned(reqs)

                        return run_prefixed(requests, tokenize, slot, fallback)
                    return unpinned(requests)
            return self._echo_loglikelihood(http, requests)

    def _post_with_retry(self, http: httpx.Client, url: str, body: dict[str, Any]) -> dict[str, Any]:
        def once() -> dict[str, Any]:
            try:
                r = http.post(url, json={"model": self.config.model, **body})
                if r.status_code in RETRY_STATUS:
                    raise Retryable(f"HTTP {r.status_code}", r.headers.get("retry-after"))
                out: dict[str, Any] = r.json()
                return out
            except (httpx.HTTPError, ValueError) as exc:
                raise Retryable(type(exc).__name__) from None

        return self._retrying(once)

    def _retrying(self, call: Callable[[], T]) -> T:
        return with_retries(call, self.config.retry, self._rng, self._count_retry)

    def _count_retry(self) -> None:
        self.retries += 1

    def _echo_loglikelihood(self, http: httpx.Client, requests: Sequence[LoglikelihoodRequest]
                            ) -> list[Loglikelihood]:
        """vLLM-style: prompt = context+continuation token ids, echo=True, logprobs=1, max_tokens=1."""
        root = self._root()

        @memo_tokens
        def tokenize(text: str) -> list[int]:
            r = http.post(f"{root}/tokenize", json={"model": self.config.model, "prompt": text,
                                                    "add_special_tokens": False})
            r.raise_for_status()
            return [int(t) for t in r.json()["tokens"]]

        def one(req: LoglikelihoodRequest) -> Loglikelihood:
            try:
                ctx, cont = encode_pair(tokenize, req.context, req.continuation)
                body = {"prompt": [*ctx, *cont], "max_tokens": 1, "echo": True, "logprobs": 1, "temperature": 0}
                lp = self._post_with_retry(http, self._url("completions"), body)
                lp = lp["choices"][0]["logprobs"]
                n = len(ctx) + len(cont)
                toks = lp["token_logprobs"][len(ctx):n]
                tops = lp["top_logprobs"][len(ctx):n]
                greedy = all(max(t, key=t.get) == s for t, s in zip(tops, lp["tokens"][len(ctx):n], strict=True))
                return Loglikelihood(req.key, float(sum(toks)), greedy, len(cont))
            except Exception as exc:  # noqa: BLE001 - per-item failure is data
                return Loglikelihood(req.key, float("-inf"), False, 0, error=f"{type(exc).__name__}: {exc}"[:300])

        with ThreadPoolExecutor(max_workers=self.config.concurrency) as pool:
            return list(pool.map(one, requests))

    def close(self) -> None:
        if self._prefix_http is not None:
            self._prefix_http.close()
            self._prefix_http, self._prefix_slot = None, None

    def check_reachable(self) -> None:
        """Fail fast with one clear line when nothing answers at the base URL."""
        url = self._url("models")
        try:
            httpx.get(url, headers={"Authorization": f"Bearer {self._api_key}"}, timeout=10.0)
        except httpx.HTTPError as exc:
            raise BackendError(f"no server answers at {self.base_url} ({type(exc).__name__})",
                               where="--base-url / OPENAI_BASE_URL",
                               fix="start the server (e.g. `vllm serve`, llama.cpp server) or fix the URL") from None

    # ------------------------------------------------------------------ internals
    async def _generate_all(self, requests: Sequence[GenerateRequest], on_result: OnResult | None) -> list[Completion]:
        sem = asyncio.Semaphore(self.config.concurrency)
        self._limiter = RateLimiter(*self._limits)
        client = openai.AsyncOpenAI(base_url=self.base_url, api_key=self._api_key, max_retries=0,
                                    timeout=self.config.timeout)
        results: list[Completion | None] = [None] * len(requests)

        async def worker(i: int, req: GenerateRequest) -> None:
            async with sem:
                comp = await self._one(client, req)
            results[i] = comp
            if on_result:
                on_result(comp)

        try:
            await asyncio.gather(*(worker(i, r) for i, r in enumerate(requests)))
        finally:
            await client.close()
        return [r if r is not None else Completion.failed(requests[i], "not run") for i, r in enumerate(results)]

    async def _one(self, client: openai.AsyncOpenAI, req: GenerateRequest) -> Completion:
        t0 = time.perf_counter()
        n = req.sampling.n
        try:
            if n == 1 or self._native_n:
                try:
                    reply = await self._call(client, req, n, req.sampling.seed)
                except openai.BadRequestError:
                    if n == 1:
                        raise
                    # The server refused n > 1 (llama.cpp: n ≤ its slots; some APIs: no n at all): from now on
                    # one request per sample with distinct seeds. An unrelated 400 fails those requests the
                    # same way, and the failure is recorded with the item.
                    self._native_n = False
                    return await self._one(client, req)
            else:
                seed = req.sampling.seed
                reply = _Reply.join(await asyncio.gather(*(
                    self._call(client, req, 1, None if seed is None else seed + i) for i in range(n))))
        except Exception as exc:  # after retries: the failure becomes data
            return Completion.failed(req, f"{type(exc).__name__}: {exc}"[:500], time.perf_counter() - t0)
        return Completion(req.key, reply.texts, reply.finish, reply.prompt_tokens, reply.completion_tokens,
                          time.perf_counter() - t0, tool_calls=reply.tool_calls if any(reply.tool_calls) else ())

    async def _call(self, client: openai.AsyncOpenAI, req: GenerateRequest, n: int, seed: int | None) -> _Reply:
        return await with_retries_async(lambda: self._request(client, req, n, seed), self.config.retry, self._rng,
                                        self._count_retry)

    async def _request(self, client: openai.AsyncOpenAI, req: GenerateRequest, n: int, seed: int | None) -> _Reply:
        s = req.sampling
        chars = len(req.prompt) if isinstance(req.prompt, str) else sum(len(m.content) for m in req.prompt)
        await self._limiter.acquire(chars // 4 + s.max_tokens * n)  # estimate: ~4 characters per token
        common: dict[str, Any] = {"model": self.config.model, "max_tokens": s.max_tokens,
                                  "temperature": s.temperature, "top_p": s.top_p}
        if n > 1:
            common["n"] = n
        if s.stop:
            common["stop"] = list(s.stop)[:4]
        if seed is not None:
            common["seed"] = seed
        try:
            calls: tuple[tuple[ToolCallMsg, ...], ...] = ()
            if isinstance(req.prompt, str):
                resp = await client.completions.create(prompt=req.prompt, **common)
                texts = [c.text or "" for c in resp.choices]
                finish = [finish_reason(c.finish_reason) for c in resp.choices]
            else:
                msgs: Any = messages_json(req.prompt)
                extra: dict[str, Any] = {"tools": [dict(t) for t in req.tools]} if req.tools else {}
                chat = await client.chat.completions.create(messages=msgs, **common, **extra)
                texts = [c.message.content or "" for c in chat.choices]
                finish = [finish_reason(c.finish_reason) for c in chat.choices]
                calls = tuple(parse_tool_calls(c.message.tool_calls) for c in chat.choices)
                resp = chat
        except openai.APIStatusError as exc:
            if exc.status_code in RETRY_STATUS:
                raise Retryable(f"HTTP {exc.status_code}", exc.response.headers.get("retry-after")) from None
            raise
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise Retryable(type(exc).__name__, None) from None
        except (ValueError, KeyError) as exc:  # malformed/truncated JSON body from the server
            raise Retryable(f"malformed response: {exc}", None) from None
        if len(texts) != n:
            raise Retryable(f"expected {n} choices, got {len(texts)}", None)
        usage = resp.usage
        return _Reply(tuple(texts), tuple(finish), calls or tuple(() for _ in texts),
                      usage.prompt_tokens if usage else 0, usage.completion_tokens if usage else 0)
