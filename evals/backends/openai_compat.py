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
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

import httpx
import openai

from evals.backends.base import (
    Backend,
    BackendInfo,
    Completion,
    FinishReason,
    GenerateRequest,
    OnResult,
)
from evals.backends.retry import RETRY_STATUS, RetryPolicy
from evals.errors import BackendError


@dataclass(frozen=True)
class OpenAIConfig:
    model: str
    base_url: str | None = None  # default: $OPENAI_BASE_URL, else OpenAI's
    api_key: str | None = None  # default: $OPENAI_API_KEY, else a placeholder for local servers
    concurrency: int = 8
    timeout: float = 120.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    native_n: bool = True  # send n>1 in one request; falls back to n requests with distinct seeds on a 400
    seed: int = 0  # seeds the backoff jitter (deterministic retry schedule)


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: str | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _finish(reason: str | None) -> FinishReason:
    return "length" if reason == "length" else "stop"


class OpenAICompatBackend(Backend):
    def __init__(self, config: OpenAIConfig) -> None:
        self.config = config
        self.base_url = config.base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        self._api_key = config.api_key or os.environ.get("OPENAI_API_KEY") or "sk-no-key-needed"
        self._native_n = config.native_n
        self._rng = random.Random(config.seed)
        self.retries = 0  # observed retries, for the run summary and tests
        self.info = BackendInfo(
            name="openai", engine=f"openai-python {version('openai')}", model=config.model,
            base_url=self.base_url,
            parameters={"concurrency": config.concurrency, "timeout": config.timeout,
                        "max_retries": config.retry.max_retries},
            supports_chat=True,
        )

    # ------------------------------------------------------------------ public
    def generate(self, requests: Sequence[GenerateRequest], on_result: OnResult | None = None) -> list[Completion]:
        return asyncio.run(self._generate_all(requests, on_result))

    def check_reachable(self) -> None:
        """Fail fast with one clear line when nothing answers at the base URL."""
        url = self.base_url.rstrip("/") + "/models"
        try:
            httpx.get(url, headers={"Authorization": f"Bearer {self._api_key}"}, timeout=10.0)
        except httpx.HTTPError as exc:
            raise BackendError(f"no server answers at {self.base_url} ({type(exc).__name__})",
                               where="--base-url / OPENAI_BASE_URL",
                               fix="start the server (e.g. `vllm serve`, llama.cpp server) or fix the URL") from None

    # ------------------------------------------------------------------ internals
    async def _generate_all(self, requests: Sequence[GenerateRequest], on_result: OnResult | None) -> list[Completion]:
        sem = asyncio.Semaphore(self.config.concurrency)
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
                    texts, finish, pt, ct = await self._call(client, req, n, req.sampling.seed)
                except openai.BadRequestError as exc:
                    if n == 1 or "n" not in str(exc).lower():
                        raise
                    self._native_n = False  # server caps n (llama.cpp: n ≤ slots): one request per sample
                    return await self._one(client, req)
            else:
                parts = await asyncio.gather(*(
                    self._call(client, req, 1, None if req.sampling.seed is None else req.sampling.seed + i)
                    for i in range(n)))
                texts = [t for p in parts for t in p[0]]
                finish = [f for p in parts for f in p[1]]
                pt, ct = sum(p[2] for p in parts), sum(p[3] for p in parts)
        except Exception as exc:  # after retries: the failure becomes data
            return Completion.failed(req, f"{type(exc).__name__}: {exc}"[:500], time.perf_counter() - t0)
        return Completion(req.key, tuple(texts), tuple(finish), pt, ct, time.perf_counter() - t0)

    async def _call(self, client: openai.AsyncOpenAI, req: GenerateRequest, n: int, seed: int | None
                    ) -> tuple[list[str], list[FinishReason], int, int]:
        policy = self.config.retry
        for attempt in range(policy.max_retries + 1):
            try:
                return await self._request(client, req, n, seed)
            except _Retryable as exc:
                if attempt == policy.max_retries:
                    raise RuntimeError(f"gave up after {attempt + 1} attempts: {exc}") from None
                self.retries += 1
                await asyncio.sleep(policy.delay(attempt, exc.retry_after, self._rng))
        raise AssertionError("unreachable")

    async def _request(self, client: openai.AsyncOpenAI, req: GenerateRequest, n: int, seed: int | None
                       ) -> tuple[list[str], list[FinishReason], int, int]:
        s = req.sampling
        common: dict[str, Any] = {"model": self.config.model, "max_tokens": s.max_tokens,
                                  "temperature": s.temperature, "top_p": s.top_p}
        if n > 1:
            common["n"] = n
        if s.stop:
            common["stop"] = list(s.stop)[:4]
        if seed is not None:
            common["seed"] = seed
        try:
            if isinstance(req.prompt, str):
                resp = await client.completions.create(prompt=req.prompt, **common)
                texts = [c.text or "" for c in resp.choices]
                finish = [_finish(c.finish_reason) for c in resp.choices]
            else:
                msgs: Any = [{"role": m.role, "content": m.content} for m in req.prompt]
                chat = await client.chat.completions.create(messages=msgs, **common)
                texts = [c.message.content or "" for c in chat.choices]
                finish = [_finish(c.finish_reason) for c in chat.choices]
                resp = chat
        except openai.APIStatusError as exc:
            if exc.status_code in RETRY_STATUS:
                raise _Retryable(f"HTTP {exc.status_code}", exc.response.headers.get("retry-after")) from None
            raise
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise _Retryable(type(exc).__name__, None) from None
        except (ValueError, KeyError) as exc:  # malformed/truncated JSON body from the server
            raise _Retryable(f"malformed response: {exc}", None) from None
        if len(texts) != n:
            raise _Retryable(f"expected {n} choices, got {len(texts)}", None)
        usage = resp.usage
        pt = usage.prompt_tokens if usage else 0
        ct = usage.completion_tokens if usage else 0
        return texts, finish, pt, ct
