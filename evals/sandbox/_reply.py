"""Child side: what the sandboxed program's process tells the harness and the judge.

Executed by the bootstrap in the child's one namespace after :mod:`evals.sandbox._wire` and before
:mod:`evals.sandbox._zygote` and :mod:`evals.sandbox._guard` (which calls these two functions); standard
library only.  Nothing here is trusted: it runs in the program's own process, so the harness treats every byte
it sends as the program's claim - the judge decodes replies strictly and decides verdicts itself.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, NoReturn

    from evals.sandbox._wire import wire_decode, wire_encode, wire_frame, wire_line, wire_message

REPLY_FAIL_EXIT = 1


def _report(exc: BaseException, glb: dict[str, object], chan: int) -> None:
    """Tell the parent how the program failed (it never passes from here)."""
    if isinstance(exc, MemoryError):
        os.write(chan, wire_line("result", kind="oom", name="MemoryError", line=0, message="out of memory"))
        exc.__traceback__ = None
        glb.clear()
        return
    kind = "exit" if isinstance(exc, SystemExit) else "exception"
    try:
        message = repr(exc.code) if isinstance(exc, SystemExit) else str(exc)
    except Exception:  # noqa: BLE001 - a hostile __str__
        message = "<unprintable>"
    frames: list[str] = []
    line = 0
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<solution>":
            line = tb.tb_lineno
            frames.append(f'  File "<solution>", line {line}, in {tb.tb_frame.f_code.co_name}\n')
        tb = tb.tb_next
    message = " ".join(message.split())[-400:]
    name = type(exc).__name__
    os.write(chan, wire_line("result", kind=kind, name=name, line=line, message=message))
    text = "Traceback (most recent call last):\n" + "".join(frames[-20:]) + f"{name}: {message}\n"
    os.write(2, text.encode("utf-8", "replace"))


def _read_frame(fd: int) -> bytes | None:
    """The body of the judge's next frame (``None`` at EOF).  One read takes most calls whole: the judge
    sends one frame and then waits for the reply, so a read never takes bytes of the next frame."""
    buf = os.read(fd, 1 << 16)
    while len(buf) < 4:
        if not buf or not (chunk := os.read(fd, 4 - len(buf))):
            return None
        buf += chunk
    n = 4 + int.from_bytes(buf[:4], "big")
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf[4:n]


def _serve(fn: Callable[..., object], req: int, rep: int, out: Any, err: Any) -> NoReturn:
    """Judge mode: answer ``call`` messages from the trusted judge until it closes the pipe (then exit 0).

    Runs in the program's own process, so nothing here is trusted: the judge decodes every reply strictly
    and decides the verdict itself.  A candidate that ends the process (``SystemExit``, ``os._exit``) ends
    the conversation: the judge sees the pipe close mid-call."""
    while True:
        body = _read_frame(req)
        msg = wire_message(body) if body is not None else None
        if msg is None or msg[0] != "call":
            os._exit(0 if body is None else REPLY_FAIL_EXIT)
        try:
            args = wire_decode(msg[1]["args"])
            assert type(args) is list
            value = fn(*args)
        except Exception as exc:  # noqa: BLE001 - the candidate's exception goes to the judge's test
            reply = _exc_reply(exc)
        except BaseException as exc:  # noqa: BLE001 - SystemExit & co: the candidate ended its process
            for stream in (out, err):
                try:  # noqa: SIM105 - contextlib is not preloaded
                    stream.flush()
                except BaseException:  # noqa: BLE001
                    pass
            os.write(rep, wire_frame("exit", why=f"{type(exc).__name__} raised by the candidate"))
            os._exit(REPLY_FAIL_EXIT)
        else:
            try:
                reply = wire_frame("ret", value=wire_encode(value))
            except Exception as exc:  # noqa: BLE001 - WireError, RecursionError, MemoryError ...
                reply = wire_frame("bad", why=f"the candidate returned {str(exc)[:300]}")
        try:  # its output first, so the judge's view of stdout/stderr is complete when the reply arrives
            out.flush()
            err.flush()
        except BaseException:  # noqa: BLE001
            pass
        os.write(rep, reply)


def _exc_reply(exc: BaseException) -> bytes:
    try:
        message = " ".join(str(exc).split())[-400:]
    except Exception:  # noqa: BLE001 - a hostile __str__
        message = "<unprintable>"
    return wire_frame("exc", name=str(type(exc).__name__)[:100], message=message)
