"""Request cache for paid/remote backends: the full request (endpoint, model, prompt, sampling) → response.

SQLite (stdlib, atomic commits, safe across processes). Re-running a finished run costs nothing; only
successful responses are stored.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from evals.backends.base import Completion, FinishReason, GenerateRequest, ToolCallMsg
from evals.errors import DataError
from evals.hashing import sha256_json


def request_key(base_url: str, model: str, req: GenerateRequest) -> str:
    prompt: object = req.prompt if isinstance(req.prompt, str) else [
        [m.role, m.content, [[c.id, c.name, c.arguments] for c in m.tool_calls], m.tool_call_id] for m in req.prompt]
    s = req.sampling
    return sha256_json({"url": base_url, "model": model, "prompt": prompt, "max_tokens": s.max_tokens,
                        "temperature": s.temperature, "top_p": s.top_p, "n": s.n, "stop": list(s.stop),
                        "seed": s.seed, "tools": list(req.tools)})


class RequestCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, body TEXT NOT NULL)")
        except sqlite3.DatabaseError as e:  # a damaged or foreign file where the cache belongs
            self._db.close()
            raise DataError(f"not a readable request cache ({e})", where=str(path),
                            fix="delete it: it only holds cached responses, and the next run rebuilds it") from None
        self.hits = 0

    def get(self, key: str, req: GenerateRequest) -> Completion | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            body = json.loads(row[0])
            finish: tuple[FinishReason, ...] = tuple(body["finish"])
            calls = tuple(tuple(ToolCallMsg(*c) for c in choice) for choice in body.get("tool_calls", []))
            comp = Completion(req.key, tuple(body["texts"]), finish, int(body["prompt_tokens"]),
                              int(body["completion_tokens"]), 0.0, tool_calls=calls)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None  # a damaged row is a miss: the engine answers again and `put` replaces it
        if len(comp.texts) != req.sampling.n or len(comp.finish) != len(comp.texts):
            return None
        self.hits += 1
        return comp

    def put(self, key: str, comp: Completion) -> None:
        if comp.error is not None:
            return
        body = json.dumps({"texts": comp.texts, "finish": comp.finish, "prompt_tokens": comp.prompt_tokens,
                           "completion_tokens": comp.completion_tokens,
                           "tool_calls": [[[c.id, c.name, c.arguments] for c in ch] for ch in comp.tool_calls]})
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO responses (key, body) VALUES (?, ?)", (key, body))

    def close(self) -> None:
        with self._lock:
            self._db.close()
