"""Run a vLLM job in a separate process: a JSON job file in, a JSON result file out.

    python -m evals.backends.vllm_worker JOB.json RESULT.json      # with the python that has vLLM
    python -m evals.backends.vllm_worker --serve FD                # one engine, JSON lines (vllm_remote)

vLLM on CPU can abort at interpreter exit ("terminate called", rc 134) after all work is done, and it may live in
another venv (``.venv-vllm``) than Podium's. The worker writes a complete result file (atomically) *before* it
shuts the engine down, so the caller trusts the file, not the exit status. :func:`run_job_subprocess` is the
caller's side and needs no vLLM.

Job: ``{"config": {VLLMConfig fields}, "steps": [{"name": str, "op": "generate"|"loglikelihood",
"requests": [...]}]}``. Result: ``{"ok": bool, "error": str|None, "info": {...}, "timings": {...},
"steps": {name: {"seconds": float, "results": [...]}}}`` — results are the dataclasses as dicts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.atomic import write_json
from evals.backends.base import (
    ChatMessage,
    Completion,
    GenerateRequest,
    Loglikelihood,
    LoglikelihoodRequest,
    Sampling,
)
from evals.errors import BackendError, PodiumError

WORKER_ENV = "PODIUM_VLLM_WORKER"  # as evals.backends.vllm.WORKER_ENV (this module imports without vLLM's)


def request_to_json(req: GenerateRequest | LoglikelihoodRequest) -> dict[str, Any]:
    return dataclasses.asdict(req)


def _frozen(value: Any) -> Any:
    """JSON lists back to the tuples the frozen dataclasses hold."""
    return tuple(_frozen(v) for v in value) if isinstance(value, list) else value


def generate_request(d: Mapping[str, Any]) -> GenerateRequest:
    prompt = d["prompt"]
    if not isinstance(prompt, str):
        prompt = tuple(ChatMessage(**{k: _frozen(v) for k, v in m.items()}) for m in prompt)
    fields = {k: _frozen(v) for k, v in d.items()}
    sampling = Sampling(**{k: _frozen(v) for k, v in d["sampling"].items()})
    return GenerateRequest(**{**fields, "prompt": prompt, "sampling": sampling})


def completion(d: Mapping[str, Any]) -> Completion:
    return Completion(**{k: _frozen(v) for k, v in d.items()})


def loglikelihood(d: Mapping[str, Any]) -> Loglikelihood:
    return Loglikelihood(**d)


def run_job(job: Mapping[str, Any], out: Path) -> dict[str, Any]:
    """Run every step on one engine, write ``out``, then close the engine."""
    os.environ[WORKER_ENV] = "1"
    t0 = time.perf_counter()
    result: dict[str, Any] = {"ok": False, "error": None, "info": None, "timings": {}, "steps": {}}
    backend = None
    try:
        from evals.backends.vllm import VLLMBackend, VLLMConfig

        with contextlib.suppress(ImportError):  # timed apart from the engine start; VLLMBackend reports it
            import vllm  # noqa: F401
        result["timings"]["import_s"] = round(time.perf_counter() - t0, 2)
        backend = VLLMBackend(VLLMConfig(**job["config"]))
        result["timings"]["start_s"] = round(backend.start_seconds, 2)
        result["info"] = dataclasses.asdict(backend.info)
        for step in job["steps"]:
            t = time.perf_counter()
            items: Sequence[Completion] | Sequence[Loglikelihood]
            if step["op"] == "generate":
                items = backend.generate([generate_request(r) for r in step["requests"]])
            elif step["op"] == "loglikelihood":
                items = backend.loglikelihood([LoglikelihoodRequest(**r) for r in step["requests"]])
            else:
                raise ValueError(f"unknown op {step['op']!r} in step {step['name']!r}")
            seconds = time.perf_counter() - t
            row: dict[str, Any] = {"seconds": round(seconds, 3), "results": [dataclasses.asdict(i) for i in items]}
            if step["op"] == "generate":
                tokens = sum(c.completion_tokens for c in items if isinstance(c, Completion))
                row["completion_tokens"], row["tokens_per_s"] = tokens, round(tokens / max(seconds, 1e-9), 1)
            result["steps"][step["name"]] = row
        result["ok"] = True
    except Exception as exc:  # reported in the result file: the caller shows it as one line
        result["error"] = f"{type(exc).__name__}: {exc}"
    result["timings"]["total_s"] = round(time.perf_counter() - t0, 2)
    write_json(out, result)  # complete before shutdown: an abort at exit cannot lose it
    if backend is not None:
        t = time.perf_counter()
        backend.close()
        print(f"vllm_worker: engine closed in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return result


def run_job_subprocess(python: Path | str, job: Mapping[str, Any], workdir: Path, *, timeout: float = 900,
                       env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Run ``job`` with another interpreter (one that has vLLM); return the parsed result file.

    The exit status is ignored when the result file is complete (see the module docstring)."""
    workdir.mkdir(parents=True, exist_ok=True)
    job_path, out_path, log_path = workdir / "job.json", workdir / "result.json", workdir / "worker.log"
    write_json(job_path, dict(job))
    out_path.unlink(missing_ok=True)
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    with log_path.open("w") as log:
        proc = subprocess.run([str(python), "-m", "evals.backends.vllm_worker", str(job_path), str(out_path)],
                              stdout=log, stderr=subprocess.STDOUT, env=full_env, timeout=timeout, check=False)
    if not out_path.exists():
        tail = log_path.read_text(errors="replace")[-2000:]
        raise BackendError(f"the vLLM worker exited with rc {proc.returncode} and no result file", where=str(log_path),
                           fix=f"read the log; its end: {tail}")
    result: dict[str, Any] = json.loads(out_path.read_text())
    result["returncode"] = proc.returncode
    return result


def _answer(backend: Any, msg: Mapping[str, Any], send: Any) -> dict[str, Any]:
    from evals.backends.vllm import VLLMBackend, VLLMConfig

    op = msg["op"]
    if op == "start":
        engine = VLLMBackend(VLLMConfig(**msg["config"]))
        return {"backend": engine, "info": dataclasses.asdict(engine.info), "start_s": round(engine.start_seconds, 2),
                "max_model_len": engine.max_model_len}
    if backend is None:
        raise ValueError(f"op {op!r} before start")
    if op == "generate":
        partial = (lambda c: send({"partial": dataclasses.asdict(c)})) if msg.get("partials") else None
        done = backend.generate([generate_request(r) for r in msg["requests"]], partial)
        return {"results": [dataclasses.asdict(c) for c in done]}
    if op == "loglikelihood":
        scored = backend.loglikelihood([LoglikelihoodRequest(**r) for r in msg["requests"]])
        return {"results": [dataclasses.asdict(s) for s in scored]}
    raise ValueError(f"unknown op {op!r}")


def serve(fd: int) -> int:
    """Answer one JSON line per request of stdin on the pipe ``fd`` until ``{"op": "close"}`` or end of input."""
    os.environ[WORKER_ENV] = "1"  # this process runs the engine itself or fails: it never looks for another
    answers = os.fdopen(fd, "w", encoding="utf-8")

    def send(reply: Mapping[str, Any]) -> None:
        answers.write(json.dumps(reply) + "\n")
        answers.flush()

    backend = None
    for line in sys.stdin:
        msg = json.loads(line)
        if msg.get("op") == "close":
            break
        try:
            reply = _answer(backend, msg, send)
            backend = reply.pop("backend", backend)
        except PodiumError as exc:
            reply = {"error": {"kind": type(exc).__name__, "what": exc.what, "where": exc.where, "fix": exc.fix}}
        except Exception as exc:  # reported to the caller as one line
            reply = {"error": {"kind": "BackendError", "what": f"{type(exc).__name__}: {str(exc)[:500]}"}}
        send(reply)
    if backend is not None:
        backend.close()
    answers.close()
    return 0


def main(argv: Sequence[str]) -> int:
    if len(argv) == 2 and argv[0] == "--serve":
        return serve(int(argv[1]))
    if len(argv) != 2:
        print("usage: python -m evals.backends.vllm_worker JOB.json RESULT.json", file=sys.stderr)
        return 2
    job = json.loads(Path(argv[0]).read_text())
    result = run_job(job, Path(argv[1]))
    if not result["ok"]:
        print(f"vllm_worker: {result['error']}", file=sys.stderr)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
