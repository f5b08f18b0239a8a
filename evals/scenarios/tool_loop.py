"""Multi-turn conversations run in lock-step batches: every active conversation's next turn goes to the
backend in one ``generate`` call, tool calls are executed by real Python functions, results are fed back,
and the loop continues until every conversation has answered.

Protocols:
- ``plain``: no tools; one reply per user turn.
- ``native``: the request carries OpenAI function specs; returned ``tool_calls`` are executed and answered
  with ``tool`` messages (linked by call id) — the OpenAI tool-calling loop.
- ``action``: the prompt asks for an "Action:" JSON list (the original test's protocol); the reply is parsed
  with :func:`~evals.scenarios.tools.parse_actions`, and the results go back as a user message.

A conversation ends when the model replies without calling a tool (after the last follow-up user turn), when
it is still calling tools after ``max_turns`` replies, or when a request fails. Nothing here raises on model
output: unparseable calls and failing tools become error results the model sees.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from evals.backends.base import Backend, ChatMessage, Completion, GenerateRequest, Sampling, ToolCallMsg
from evals.records import ChatTurn, ToolCallRecord
from evals.scenarios.tools import (
    ToolCall,
    ToolResult,
    ToolSpec,
    call_from_wire,
    execute,
    format_args,
    parse_actions,
)

Protocol = Literal["plain", "native", "action"]


@dataclass(frozen=True)
class LoopConfig:
    protocol: Protocol = "plain"
    tools: tuple[ToolSpec, ...] = ()
    tools_json: tuple[Mapping[str, Any], ...] = ()  # OpenAI function specs (native protocol)
    max_turns: int = 5
    action_feedback: str = "{results}"
    max_result_chars: int = 4000
    followups: tuple[str, ...] = ()


@dataclass
class Conversation:
    """One trial's dialogue: the messages sent so far, the turns to record, the executed tool calls."""

    key: str  # item id; each request is keyed "<key>#<turn>"
    messages: list[ChatMessage]
    sampling: Sampling
    config: LoopConfig
    transcript: list[ChatTurn] = field(default_factory=list)  # everything after the prompt
    trace: list[ToolCall] = field(default_factory=list)  # executed tool calls, in order
    final: str = ""  # the last reply that called no tool
    finish: str = "stop"
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    done: bool = False
    _turns: int = 0  # replies since the last user turn
    _followup: int = 0

    @property
    def registry(self) -> dict[str, ToolSpec]:
        return {t.name: t for t in self.config.tools}

    def request(self) -> GenerateRequest:
        tools = self.config.tools_json if self.config.protocol == "native" else ()
        return GenerateRequest(f"{self.key}#{self.requests}", tuple(self.messages), self.sampling, tools)

    def advance(self, comp: Completion) -> None:
        """Take the model's reply: run its tool calls and queue the results, or finish."""
        self.requests += 1
        self._turns += 1
        self.prompt_tokens += comp.prompt_tokens
        self.completion_tokens += comp.completion_tokens
        if comp.error is not None:
            self.error, self.finish, self.done = comp.error, "error", True
            return
        text = comp.texts[0] if comp.texts else ""
        self.finish = comp.finish[0] if comp.finish else "stop"
        if self.config.protocol == "native":
            native = comp.tool_calls[0] if comp.tool_calls else ()
            calls = self._native(text, native)
        elif self.config.protocol == "action":
            calls = self._action(text)
        else:
            calls = []
            self._say(text)
        if not calls:
            self._answered(text)
        elif self._turns >= self.config.max_turns:
            self.final = text
            self.notes.append(f"stopped: still calling tools after {self._turns} replies")
            self.done = True

    # ------------------------------------------------------------------ protocols

    def _say(self, text: str, records: Sequence[ToolCallRecord] = (), native: Sequence[ToolCallMsg] = ()) -> None:
        self.messages.append(ChatMessage("assistant", text, tool_calls=tuple(native)))
        self.transcript.append(ChatTurn(role="assistant", content=text, tool_calls=list(records)))

    def _native(self, text: str, native: Sequence[ToolCallMsg]) -> list[ToolCall]:
        calls = [call_from_wire(c) for c in native]
        self._say(text, [ToolCallRecord(id=m.id, name=m.name, arguments=m.arguments, error=c.parse_error)
                         for m, c in zip(native, calls, strict=True)], native)
        for msg, call in zip(native, calls, strict=True):
            shown = self._run(call)
            self.messages.append(ChatMessage("tool", shown, tool_call_id=msg.id))
            self.transcript.append(ChatTurn(role="tool", content=shown, name=call.name or None, tool_call_id=msg.id))
        return calls

    def _action(self, text: str) -> list[ToolCall]:
        calls = parse_actions(text, self.registry) or []
        self._say(text, [ToolCallRecord(name=c.name, arguments=json.dumps(c.arguments), error=c.parse_error)
                         for c in calls])
        if calls:
            lines = [f"- {c.name or '?'}{format_args(c.arguments)} → {self._run(c)}" for c in calls]
            feedback = self.config.action_feedback.replace("{results}", "\n".join(lines))
            self.messages.append(ChatMessage("user", feedback))
            self.transcript.append(ChatTurn(role="user", content=feedback, name="tool_results"))
        return calls

    def _run(self, call: ToolCall) -> str:
        self.trace.append(call)
        result: ToolResult = execute(call, self.registry)
        shown = result.as_text()
        cap = self.config.max_result_chars
        return shown if len(shown) <= cap else shown[:cap] + f"… [{len(shown) - cap} more characters]"

    def _answered(self, text: str) -> None:
        self.final = text
        if self._followup < len(self.config.followups):
            nxt = self.config.followups[self._followup]
            self._followup += 1
            self._turns = 0
            self.messages.append(ChatMessage("user", nxt))
            self.transcript.append(ChatTurn(role="user", content=nxt))
        else:
            self.done = True


def run_conversations(convs: Sequence[Conversation], backend: Backend,
                      on_done: Callable[[list[Conversation]], None],
                      immediate: Callable[[Conversation], bool] = lambda conv: False) -> None:
    """Advance all conversations turn by turn, one batched ``generate`` per turn.

    A conversation that ends is handed to ``on_done`` at once — from the backend's result callback — when
    ``immediate(conv)`` says its grading is cheap (pure graders, no backend calls of its own); the others are
    handed over together when the turn's batch has returned (so code runs in one sandbox pool and a judge gets
    one batch, and no backend is called from inside another backend's callback).
    """
    active = [c for c in convs if not c.done]
    while active:
        _turn(active, backend, on_done, immediate)
        active = [c for c in active if not c.done]


def _turn(active: list[Conversation], backend: Backend, on_done: Callable[[list[Conversation]], None],
          immediate: Callable[[Conversation], bool]) -> None:
    requests = [c.request() for c in active]
    pending = {req.key: conv for req, conv in zip(requests, active, strict=True)}
    later: list[Conversation] = []

    def take(comp: Completion) -> None:
        conv = pending.pop(comp.key, None)
        if conv is None:  # already taken (reported through on_result, then returned)
            return
        conv.advance(comp)
        if conv.done:
            if immediate(conv):
                on_done([conv])
            else:
                later.append(conv)

    for comp in backend.generate(requests, on_result=take):
        take(comp)
    if later:
        on_done(later)
