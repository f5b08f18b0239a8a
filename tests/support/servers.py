"""Real local servers for tests: the llama.cpp OpenAI-compatible server in a subprocess, and a failing proxy."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM when the test process dies (even by SIGKILL) — no orphan servers."""
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextmanager
def llama_server(parallel: int = 1) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Start `podium serve-model` (llama.cpp HTTP server on a free 127.0.0.1 port); yield (base_url, proc)."""
    proc = subprocess.Popen([sys.executable, "-m", "generator", "serve-model", "--parallel", str(parallel)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO,
                            start_new_session=True, preexec_fn=die_with_parent)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"server did not start: {url!r}")
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if httpx.get(url.removesuffix("/v1") + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


class FailingProxy:
    """Forwards to an upstream server, but answers the first `failures` requests with an HTTP error."""

    def __init__(self, upstream: str, failures: int, status: int = 429, retry_after: str | None = "0.2") -> None:
        self.upstream = upstream.rstrip("/")
        self.failures = failures
        self.status = status
        self.retry_after = retry_after
        self.seen = 0
        self.failed = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                with threading.Lock():
                    proxy.seen += 1
                    fail = proxy.failed < proxy.failures
                    if fail:
                        proxy.failed += 1
                if fail:
                    payload = b'{"error": {"message": "injected failure", "type": "rate_limit"}}'
                    self.send_response(proxy.status)
                    if proxy.retry_after is not None:
                        self.send_header("Retry-After", proxy.retry_after)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                r = httpx.request(method, proxy.upstream + self.path, content=body,
                                  headers={"Content-Type": "application/json"}, timeout=120)
                self.send_response(r.status_code)
                self.send_header("Content-Type", r.headers.get("content-type", "application/json"))
                self.send_header("Content-Length", str(len(r.content)))
                self.end_headers()
                self.wfile.write(r.content)

            def do_POST(self) -> None:  # noqa: N802
                self._forward("POST")

            def do_GET(self) -> None:  # noqa: N802
                self._forward("GET")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FailingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def static_server(root: Path) -> Iterator[str]:
    """Serve a directory over HTTP on a free 127.0.0.1 port."""
    import functools

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()
