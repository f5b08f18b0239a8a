"""The backend protocol: batch in, exactly one result per request out, failures as data."""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from evals.errors import Unsupported

if TYPE_CHECKING:
    from evals.records import ModelEntry

FinishReason = Literal["stop", "length", "error"]


@dataclass(frozen=True, slots=True)
class Sampling:
    max_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    n: int = 1  # samples per prompt (pass@k, repeated trials)
    stop: tuple[str, ...] = ()
    seed: int | None = 0


@dataclass(frozen=True, slots=True)
class ToolCallMsg:
    """A tool call the assistant made (OpenAI shape): arguments as the JSON text the model wrote."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Literal["system", "user", "assistant", "tool"]
    content: str
    tool_calls: tuple[ToolCallMsg, ...] = ()  # assistant turns that call tools
    tool_call_id: str | None = None  # tool turns: which call this answers


Prompt = str | tuple[ChatMessage, ...]


def finish_reason(reason: str | None) -> FinishReason:
    """An engine's finish reason in Podium's terms: "length" when the token limit cut it, else "stop"."""
    return "length" if reason == "length" else "stop"


@dataclass(frozen=True, slots=True)
class GenerateRequest:
    key: str  # stable: suite/item/sample — cache and resume key
    prompt: Prompt  # str → text completion; messages → chat completion (the model's chat template)
    sampling: Sampling
    tools: tuple[Mapping[str, Any], ...] = ()  # OpenAI function specs for native tool calling (chat only)
    # Text prompts: the leading part shared by many items (a few-shot block), which backends may evaluate
    # once and reuse (evals.backends.prefix). Must be a prefix of ``prompt``; never changes what is asked.
    prefix: str = ""


@dataclass(frozen=True, slots=True)
class Completion:
    key: str
    texts: tuple[str, ...]  # len == sampling.n, also on error (empty strings)
    finish: tuple[FinishReason, ...]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    error: str | None = None  # per-item failure is data; the result list never shrinks
    tool_calls: tuple[tuple[ToolCallMsg, ...], ...] = ()  # per choice, when the model called tools
    cached_tokens: int = 0  # prompt tokens served from the engine's cache (prompt_tokens = those evaluated)

    @staticmethod
    def failed(req: GenerateRequest, error: str, seconds: float = 0.0) -> Completion:
        n = req.sampling.n
        error_finish: FinishReason = "error"
        errs = (error_finish,) * n
        return Completion(req.key, ("",) * n, errs, seconds=seconds, error=error)


@dataclass(frozen=True, slots=True)
class LoglikelihoodRequest:
    key: str
    context: str
    continuation: str  # the leading space belongs to the continuation (lm-eval contract)
    prefix: str = ""  # leading part of ``context`` shared by many items (see GenerateRequest.prefix)


@dataclass(frozen=True, slots=True)
class Loglikelihood:
    key: str
    logprob: float
    is_greedy: bool
    n_tokens: int
    error: str | None = None
    prompt_tokens: int = 0  # prompt tokens the engine evaluated for this request (an item's first choice
    cached_tokens: int = 0  # carries the shared work of the item) and those served from its cache


@dataclass(frozen=True)
class BackendInfo:
    name: str  # "embedded" | "openai" | "vllm"
    engine: str  # engine and version, recorded in every run
    model: str  # as the backend names it
    base_url: str | None = None
    parameters: dict[str, str | int | float | bool | None] = field(default_factory=dict)
    supports_loglikelihood: bool = False
    supports_chat: bool = True
    supports_tools: bool = False  # native (OpenAI-style) tool calling
    gpu_count: int = 0
    local_cpu: bool = False  # the work ran in this process on this machine's CPU (the embedded engine): an unpriced
    # run then costs nothing but its wall time; elsewhere (an API, a server) an unpriced run's cost is not known
    synthetic: bool = False  # no model behind it (the fake backend): its runs never go on a board
    output_parameters: tuple[str, ...] = ()  # parameters that change outputs (part of the resume fingerprint)


OnResult = Callable[[Completion], None]


class Backend(abc.ABC):
    """One abstract method (generate) and defaulted hooks. Use as a context manager.

    A backend module owns its typed config (a frozen dataclass, ``config_type``) and builds itself from it:
    :meth:`configure` turns a model entry plus loose options (``-B key=value``) into that config, and the
    constructor takes the config. The registry (:mod:`evals.backends`) maps the backend's name to its class.
    """

    info: BackendInfo
    config_type: ClassVar[type[Any]]

    def __init__(self, config: Any = None) -> None:  # noqa: B027 - subclasses take their own config type
        """Subclasses take an instance of their ``config_type``."""

    @classmethod
    def configure(cls, model: ModelEntry, options: Mapping[str, object]) -> Any:
        """This backend's config for ``model``: defaults from the model entry, then ``options``."""
        raise Unsupported(f"backend {cls.__name__} cannot be configured from options")

    def preflight(self) -> None:  # noqa: B027 - optional hook
        """Fail fast, with one clear error, before any work starts (e.g. an unreachable server)."""

    @abc.abstractmethod
    def generate(self, requests: Sequence[GenerateRequest], on_result: OnResult | None = None) -> list[Completion]:
        """Return one Completion per request, in request order. ``on_result`` is called as each finishes."""

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[Loglikelihood]:
        raise Unsupported(f"backend '{self.info.name}' cannot score loglikelihoods",
                          fix="use a generative protocol or a backend with logprobs (embedded, vllm)")

    def can_loglikelihood(self) -> bool:
        """Whether ``loglikelihood`` works here (remote backends probe the server)."""
        return self.info.supports_loglikelihood

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release engines, servers and connections."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def messages_json(msgs: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """Chat messages in the OpenAI wire shape (also what llama.cpp's server takes)."""
    out: list[dict[str, Any]] = []
    for m in msgs:
        d: dict[str, Any] = {"role": m.role, "content": m.content}
        if m.tool_calls:
            d["tool_calls"] = [{"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                               for c in m.tool_calls]
        if m.tool_call_id is not None:
            d["tool_call_id"] = m.tool_call_id
        out.append(d)
    return out


def parse_tool_calls(raw: Any) -> tuple[ToolCallMsg, ...]:
    """Tool calls from an OpenAI-shaped message (dicts or SDK objects); malformed entries are kept as text."""
    calls = []
    for i, c in enumerate(raw or []):
        fn = c.get("function", {}) if isinstance(c, dict) else getattr(c, "function", None)
        name = fn.get("name", "") if isinstance(fn, dict) else getattr(fn, "name", "")
        args = fn.get("arguments", "") if isinstance(fn, dict) else getattr(fn, "arguments", "")
        cid = c.get("id") if isinstance(c, dict) else getattr(c, "id", None)
        calls.append(ToolCallMsg(str(cid or f"call_{i}"), str(name or ""), args if isinstance(args, str)
                                 else __import__("json").dumps(args)))
    return tuple(calls)
