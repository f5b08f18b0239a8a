"""The one fault-injecting HTTP proxy of the tests, on 127.0.0.1 in front of a real OpenAI-compatible server.

At a set rate (seeded, so a test is repeatable) it answers 429 with Retry-After, 500 or 503, stalls past the
client's timeout, drops the connection without answering, or forwards the request but truncates the JSON body;
and/or it answers the first ``first_failures`` requests with ``first_status`` (:func:`failing_proxy`).
"""

from __future__ import annotations

import http.server
import random
import socket
import threading
import time
from collections import Counter

import httpx

FAULTS = ("429", "500", "503", "slow", "drop", "truncate")


class FaultProxy:
    def __init__(self, upstream: str, rate: float = 0.3, seed: int = 0, slow_seconds: float = 3.0,
                 faults: tuple[str, ...] = FAULTS, first_failures: int = 0, first_status: int = 429,
                 retry_after: str | None = "0.2") -> None:
        self.upstream = upstream.rstrip("/")
        self.first_failures, self.first_status, self.retry_after = first_failures, first_status, retry_after
        self.failed = 0  # requests answered by the first-failures rule
        self.rate = rate
        self.rng = random.Random(seed)
        self.slow_seconds = slow_seconds
        self.faults = faults
        self.injected: Counter[str] = Counter()
        self.forwarded = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
                      length: int | None = None) -> None:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body) if length is None else length))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                r = httpx.get(proxy.upstream + self.path, timeout=30)
                self._send(r.status_code, r.content)

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                fault = proxy.draw()
                err = b'{"error": {"message": "injected", "type": "server_error"}}'
                if fault == "first":
                    after = {"Retry-After": proxy.retry_after} if proxy.retry_after is not None else {}
                    self._send(proxy.first_status, err, after)
                elif fault == "429":
                    self._send(429, err, {"Retry-After": "0.2"})
                elif fault in ("500", "503"):
                    self._send(int(fault), err)
                elif fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                elif fault == "slow":
                    time.sleep(proxy.slow_seconds)
                    self.close_connection = True
                else:
                    try:
                        r = httpx.post(proxy.upstream + self.path, content=body,
                                       headers={"Content-Type": "application/json"}, timeout=300)
                    except httpx.HTTPError:
                        self._send(502, b'{"error": {"message": "upstream failed"}}')
                        return
                    with proxy._lock:
                        proxy.forwarded += 1
                    if fault == "truncate":
                        cut = r.content[: len(r.content) // 2]
                        self._send(r.status_code, cut)  # valid HTTP, broken JSON
                    else:
                        self._send(r.status_code, r.content)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def draw(self) -> str | None:
        with self._lock:
            if self.failed < self.first_failures:
                self.failed += 1
                return "first"
            if self.rng.random() >= self.rate:
                return None
            fault = self.rng.choice(self.faults)
            self.injected[fault] += 1
            return fault

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def failing_proxy(upstream: str, failures: int, status: int = 429, retry_after: str | None = "0.2") -> FaultProxy:
    """Forwards to ``upstream``, but answers the first ``failures`` requests with ``status`` (and Retry-After)."""
    return FaultProxy(upstream, rate=0.0, first_failures=failures, first_status=status, retry_after=retry_after)
