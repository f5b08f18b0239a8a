"""A completion cache around any backend: identical requests (backend, model, prompt, sampling, seed) are
answered from SQLite instead of the engine. Re-running a finished run costs nothing, and a killed run with
repeated sampling resumes at the granularity of one request (a chunk of samples), losing only those in flight.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from evals.backends.base import (
    Backend,
    Completion,
    GenerateRequest,
    Loglikelihood,
    LoglikelihoodRequest,
    OnResult,
)
from evals.backends.request_cache import RequestCache, request_key


class CachedBackend(Backend):
    def __init__(self, inner: Backend, path: Path) -> None:
        self.inner = inner
        self.info = inner.info
        self.cache = RequestCache(path)
        self._scope = f"{inner.info.name}|{inner.info.base_url or ''}|{inner.info.engine}"
        if inner.info.parameters.get("prefix_reuse"):  # other numerics than the old path: cached apart
            self._scope += "|prefix-reuse"

    def generate(self, requests: Sequence[GenerateRequest], on_result: OnResult | None = None) -> list[Completion]:
        keys = [request_key(self._scope, self.info.model, r) for r in requests]
        found: dict[int, Completion] = {}
        for i, (k, r) in enumerate(zip(keys, requests, strict=True)):
            hit = self.cache.get(k, r)
            if hit is not None:
                found[i] = hit
                if on_result:
                    on_result(hit)
        misses = [i for i in range(len(requests)) if i not in found]
        key_of = {requests[i].key: keys[i] for i in misses}

        def store(c: Completion) -> None:
            self.cache.put(key_of[c.key], c)
            if on_result:
                on_result(c)

        if misses:
            for i, c in zip(misses, self.inner.generate([requests[i] for i in misses], on_result=store),
                            strict=True):
                found[i] = c
        return [found[i] for i in range(len(requests))]

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[Loglikelihood]:
        return self.inner.loglikelihood(requests)

    def can_loglikelihood(self) -> bool:
        return self.inner.can_loglikelihood()

    def close(self) -> None:
        self.cache.close()
        self.inner.close()
