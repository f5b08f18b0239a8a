"""Child-side guard of the Podium sandbox (marker: podium-sandbox-guard).

:mod:`evals.sandbox.zygote` starts one ``python -I -S -B -c <runner.BOOTSTRAP>`` per worker; the bootstrap
reads the code of the child files (``runner.CHILD_FILES``: ``_wire``, ``_reply``, ``_mounts``, ``_zygote`` and
this module), compiled and marshalled once by the parent, from stdin and runs them in that order in one
namespace (the names this file takes from the others are listed under ``TYPE_CHECKING`` below).  Standard library only; it must never
import ``evals``.  In order:

1. ``_main`` reads a header from stdin and enters :func:`_zygote`, which isolates the zygote once (network
   namespace; a mount namespace with every mount read-only - without root where the kernel allows it) and forks one child per program; the
   child returns from it with its program: header (mode, nonce, channel fds, limits, identity) and source;
2. the child moves the result channel (an inherited pipe) to a new fd and closes the original number;
3. ``PR_SET_NO_NEW_PRIVS``, the rlimits and - as root - a switch to a throw-away uid/gid with no capability
   left (the zygote made the interpreter's tree readable to it; only where that bind mount failed does it
   keep ``CAP_DAC_READ_SEARCH``, recorded in the layers); writing, signalling and forking are then confined
   to that uid, whose ``RLIMIT_NPROC`` the kernel enforces;
4. installs an audit hook (:func:`_make_hook`) and runs the program in a fresh module ``__solution__``
   whose ``__builtins__`` is a private copy;
5. judge mode (``mode=call``): the program is only the candidate; :func:`_serve` then answers the trusted
   judge's calls to its entry point over two pipes, and the process exits when the judge closes them.
   Nothing here decides a verdict.  Whole-program mode: only if ``exec`` returned normally, raises the
   private ``podium.pass`` audit event; the hook checks that it came from *this* ``_main`` frame on the main
   thread, looks for tampering with builtins, ``math`` and the import machinery, and writes a ``pass``
   message with the nonce to the channel - a signal a program aimed at it can forge (issue 16), which is
   why HumanEval uses judge mode.

The nonce never lives in a Python-visible variable: it is patched into the ``co_consts`` of the hook's code
object.  The hook reads no global or builtin names at call time (everything comes through its closure) and
compares only exact ``str``/``int`` values, so no program code runs inside it through its own arguments.
Violations never raise into user code: the hook writes a ``violation`` message and ends the process at once.
"""

from __future__ import annotations

import _sitebuiltins  # what ``site`` would install as exit()/quit(); -S skips it
import _thread
import builtins
import math
import os
import sys
from types import CodeType, FrameType, FunctionType, ModuleType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, NoReturn

    from evals.sandbox._reply import _report, _serve
    from evals.sandbox._wire import wire_line
    from evals.sandbox._zygote import _zygote

    Hook = Callable[[str, tuple[object, ...]], None]

_PLACEHOLDER = b'{"t":"pass","nonce":"@@PODIUM-NONCE@@"}\n'  # a wire_line("pass", ...)
FAIL_EXIT, VIOLATION_EXIT, TAMPER_EXIT, SETUP_EXIT = 1, 86, 87, 88

_DENY_EVENTS = frozenset({
    "os.fork", "os.forkpty", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.startfile",
    "subprocess.Popen", "os.killpg", "os.symlink", "os.link", "sys.settrace", "sys.setprofile",
    "sys.addaudithook", "sys._current_frames", "sys._current_exceptions", "gc.get_objects",
    "gc.get_referrers", "gc.get_referents", "resource.setrlimit", "resource.prlimit",
    "sqlite3.enable_load_extension", "sqlite3.load_extension",
})
_DENY_PREFIXES = ("socket.", "ctypes.", "_winapi.", "winreg.")
_DENY_IMPORTS = frozenset({
    "ctypes", "_ctypes", "_testcapi", "_testinternalcapi", "_testbuffer", "_testmultiphase",
    "_xxsubinterpreters", "_xxinterpchannels", "_xxtestfuzz",
})
# event -> (indices of the path arguments it writes, index of its dir_fd argument or -1)
_WRITE_EVENTS: dict[str, tuple[tuple[int, ...], int]] = {
    "os.remove": ((0,), 1), "os.rmdir": ((0,), 1), "os.mkdir": ((0,), 2), "os.chmod": ((0,), 2),
    "os.chown": ((0,), 3), "os.utime": ((0,), 3), "os.rename": ((0, 1), 2), "os.truncate": ((0,), -1),
    "os.chflags": ((0,), -1), "os.lchflags": ((0,), -1), "os.setxattr": ((0,), -1),
    "os.removexattr": ((0,), -1), "os.mkfifo": ((0,), 2), "os.mknod": ((0,), 3),
    "shutil.rmtree": ((0,), 1), "shutil.copyfile": ((1,), -1), "shutil.copymode": ((1,), -1),
    "shutil.copystat": ((1,), -1), "shutil.copytree": ((1,), -1), "shutil.move": ((0, 1), -1),
    "shutil.chown": ((0,), -1), "sqlite3.connect": ((0,), -1),
}
_WRITE_FILES = ("/dev/null", "/dev/stdout", "/dev/stderr")
_READ_ROOTS = ("/usr/lib", "/usr/lib64", "/usr/share", "/usr/local/lib", "/lib", "/lib64", "/etc",
               "/dev/urandom", "/dev/random", "/dev/null", "/dev/zero", "/proc/cpuinfo", "/proc/meminfo",
               "/proc/self/status", "/proc/self/stat", "/proc/self/statm", "/proc/self/limits",
               "/proc/self/cmdline", "/sys/devices/system/cpu")
_WRITE_MASK = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _make_path_tools() -> tuple[Callable[[object], str | None], Callable[[str, tuple[str, ...]], bool]]:
    """Lexical path resolution reading no global names (it runs inside the audit hook)."""
    getcwd, fspath, str_t, bytes_t, int_t, base_exc, type_ = os.getcwd, os.fspath, str, bytes, int, BaseException, type
    import pathlib

    # Only the standard library's own path classes are converted: calling a program-defined __fspath__ here
    # would run program code inside the hook, where it could read the hook's closure through frame.f_locals.
    posix_path, pure_posix_path = pathlib.PosixPath, pathlib.PurePosixPath

    def resolve(p: object) -> str | None:  # None: a file descriptor; "": not understood
        if type_(p) is int_t:
            return None
        if type_(p) is not str_t and type_(p) is not bytes_t:
            tp = type_(p)
            if tp is not posix_path and tp is not pure_posix_path:  # identity only: no __eq__ of theirs either
                return ""
            try:
                p = fspath(p)  # type: ignore[call-overload]
            except base_exc:
                return ""
        if type_(p) is bytes_t:
            p = p.decode("utf-8", "surrogateescape")  # type: ignore[attr-defined]
        if type_(p) is not str_t:
            return ""
        s: str = p  # type: ignore[assignment]
        if not s.startswith("/"):
            try:
                s = getcwd() + "/" + s
            except base_exc:
                return ""
        parts: list[str] = []
        for comp in s.split("/"):
            if comp == "" or comp == ".":
                continue
            if comp == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(comp)
        return "/" + "/".join(parts)

    def inside(path: str, roots: tuple[str, ...]) -> bool:
        for root in roots:  # noqa: SIM110 - any() would be a builtin lookup at hook time
            if path == root or path.startswith(root + "/"):
                return True
        return False

    return resolve, inside


def _make_tamper_check(watched: tuple[tuple[str, dict[str, object], dict[str, object]], ...],
                       sol_globals: dict[str, object], sol_builtins: dict[str, object],
                       mod_snap: tuple[tuple[str, object], ...]) -> Callable[[], str]:
    """Identity comparison of builtins, ``math`` and the import machinery; reads no global names."""
    missing, len_, range_, getattr_, dict_t, sys_mod, type_ = object(), len, range, getattr, dict, sys, type
    modules, meta_path, path_hooks = sys.modules, sys.meta_path, sys.path_hooks
    meta_snap, hooks_snap = tuple(meta_path), tuple(path_hooks)

    def check() -> str:
        for label, live, snap in watched:
            if type_(live) is not dict_t or len_(live) != len_(snap):
                return label + " gained or lost names"
            for key, value in snap.items():
                if live.get(key, missing) is not value:
                    return label + "." + key + " was modified"
        if sol_globals.get("__builtins__", missing) is not sol_builtins:
            return "__builtins__ was replaced"
        if (getattr_(sys_mod, "modules") is not modules or getattr_(sys_mod, "meta_path") is not meta_path
                or getattr_(sys_mod, "path_hooks") is not path_hooks):
            return "sys.modules, sys.meta_path or sys.path_hooks was replaced"
        for name, mod in mod_snap:
            if modules.get(name, missing) is not mod:
                return "sys.modules[" + name + "] was replaced"
        if len_(meta_path) != len_(meta_snap) or len_(path_hooks) != len_(hooks_snap):
            return "import hooks were added or removed"
        for i in range_(len_(meta_snap)):
            if meta_path[i] is not meta_snap[i]:
                return "sys.meta_path was modified"
        for i in range_(len_(hooks_snap)):
            if path_hooks[i] is not hooks_snap[i]:
                return "sys.path_hooks was modified"
        return ""

    return check


def _make_hook(*, chan: int, nonce_line: bytes, main_frame: FrameType, sandbox: str,
               read_roots: tuple[str, ...], tamper: Callable[[], str], paths: PathTools) -> Hook:
    """Build the audit hook; ``nonce_line`` ends up only in the hook's ``co_consts``.

    Longer than 60 lines on purpose: the hook and every helper it calls must be closures over locals bound here,
    once, before program code runs — split into module-level functions, they would be reachable (and patchable)
    through the module's globals from inside the sandbox."""
    os_write, os_exit, getframe, get_ident = os.write, os._exit, sys._getframe, _thread.get_ident
    main_ident, module_frame, guard_globals = get_ident(), main_frame.f_back, globals()
    boot_frame = module_frame.f_back if module_frame is not None else None
    own_pid, str_t, int_t, frame_t, len_, type_ = os.getpid(), str, int, FrameType, len, type
    opaque = "a path object of a program-defined type"  # never repr() it: that would run program code here
    violation_exit, tamper_exit = VIOLATION_EXIT, TAMPER_EXIT
    import json.encoder

    esc = json.encoder.encode_basestring_ascii  # C code: the hook's messages need no global name at call time
    resolve, inside = paths
    deny_events, deny_prefixes, deny_imports = _DENY_EVENTS, _DENY_PREFIXES, _DENY_IMPORTS
    write_events, write_files, write_mask, write_roots = _WRITE_EVENTS, _WRITE_FILES, _WRITE_MASK, (sandbox,)
    done = [False]

    def deny(what: str) -> NoReturn:
        try:
            os_write(chan, ('{"t":"violation","what":' + esc(what) + "}\n").encode())
        finally:
            os_exit(violation_exit)

    def hook(event: str, args: tuple[object, ...]) -> None:
        if type_(event) is not str_t:
            deny("audit event with a non-str name")
        if event == "object.__getattr__":
            if len_(args) == 2 and type_(args[1]) is str_t and args[1] == "f_code" and type_(args[0]) is frame_t:
                frame: FrameType = args[0]  # type: ignore[assignment]
                if (frame.f_globals is guard_globals and frame is not main_frame and frame is not module_frame
                        and frame is not boot_frame):
                    deny("introspection of the sandbox guard")
            return
        if event == "sys._getframe" or event == "exec" or event == "compile" or event == "marshal.loads":
            return
        if event == "open":
            path = resolve(args[0])
            if path is None:
                return
            mode, flags = args[1], args[2]
            writing = type_(flags) is int_t and (flags & write_mask) != 0  # type: ignore[operator]
            if type_(mode) is str_t:
                writing = writing or "w" in mode or "a" in mode or "x" in mode or "+" in mode  # type: ignore[operator]
            if writing:
                if not inside(path, write_roots) and path not in write_files:
                    deny("write access to " + (path or opaque))
            elif not inside(path, read_roots):
                deny("read access to " + (path or opaque))
            return
        if event == "import":
            if type_(args[0]) is not str_t:  # exact str only: no program __hash__/__eq__/__str__ runs in here
                deny("an import event naming a program-defined object")
            if args[0] in deny_imports:
                deny("import of " + args[0])
            return
        spec = write_events.get(event)
        if spec is not None:
            indices, dir_fd_at = spec
            if 0 <= dir_fd_at < len_(args) and args[dir_fd_at] is not None and (
                    type_(args[dir_fd_at]) is not int_t or args[dir_fd_at] != -1):
                deny(event + " relative to a directory fd")
            for i in indices:
                path = resolve(args[i])
                if path is None:
                    if event != "os.truncate":
                        deny(event + " on a file descriptor")
                elif not inside(path, write_roots):
                    deny(event + " outside the sandbox: " + (path or opaque))
            return
        if event == "os.kill":
            if type_(args[0]) is not int_t or args[0] != own_pid:
                deny("os.kill of pid " + (str_t(args[0]) if type_(args[0]) is int_t else opaque))
            return
        if event in deny_events or event.startswith(deny_prefixes):
            deny(event)
        if event == "podium.pass":
            if getframe(1) is not main_frame or get_ident() != main_ident or done[0]:
                deny("forged completion signal")
            done[0] = True
            what = tamper()
            if what:
                try:
                    os_write(chan, ('{"t":"tamper","what":' + esc(what) + "}\n").encode())
                finally:
                    os_exit(tamper_exit)
            os_write(chan, b'{"t":"pass","nonce":"@@PODIUM-NONCE@@"}\n')

    code: CodeType = hook.__code__
    consts = tuple(nonce_line if type(c) is bytes and c == _PLACEHOLDER else c for c in code.co_consts)
    return FunctionType(code.replace(co_consts=consts), hook.__globals__, "hook", None, hook.__closure__)


def _read_payload() -> tuple[dict[str, str], bytes]:
    chunks: list[bytes] = []
    while chunk := os.read(0, 1 << 20):
        chunks.append(chunk)
    head, _, source = b"".join(chunks).partition(b"\n\n")
    cfg = dict(line.split("=", 1) for line in head.decode().split("\n") if "=" in line)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    return cfg, source


def _isolate(cfg: dict[str, str], layers: list[str], tools: tuple[Any, ...]) -> None:
    """no_new_privs, rlimits and (as root) a throw-away identity; the namespaces come from the zygote, and so do
    the ctypes objects (``tools``: libc, capability data and header types, get_errno)."""
    import resource

    libc, cap_data_t, cap_header_t, get_errno = tools
    root = os.geteuid() == 0
    uid, gid = int(cfg.get("uid", "-1")), int(cfg.get("gid", "-1"))
    if libc.prctl(38, 1, 0, 0, 0) == 0:  # PR_SET_NO_NEW_PRIVS
        layers.append("no_new_privs")
    cpu, mem, fsize, nproc = (int(cfg[k]) for k in ("cpu", "mem", "fsize", "nproc"))
    for res, soft, hard in ((resource.RLIMIT_CPU, cpu, cpu + 1), (resource.RLIMIT_AS, mem, mem),
                            (resource.RLIMIT_FSIZE, fsize, fsize), (resource.RLIMIT_CORE, 0, 0),
                            (resource.RLIMIT_NPROC, nproc, nproc)):
        resource.setrlimit(res, (soft, hard))
    layers.append("rlimits")
    if root and uid >= 0:
        keep = cfg.get("keep_read_cap") == "1" and "interpreter_bind" not in layers
        if keep and libc.prctl(8, 1, 0, 0, 0) != 0:  # PR_SET_KEEPCAPS
            raise OSError(get_errno(), "prctl(PR_SET_KEEPCAPS)")
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        if keep:
            data = cap_data_t()
            data[0].effective = data[0].permitted = 1 << 2  # CAP_DAC_READ_SEARCH
            header = cap_header_t(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
            if libc.capset(header, data) != 0:
                raise OSError(get_errno(), "capset")
            libc.prctl(8, 0, 0, 0, 0)
        layers.append(f"uid={uid}" + ("+cap_dac_read_search" if keep else ""))
    elif not root:  # in the zygote's user namespace the child holds every capability (it could unmount): drop them
        if libc.capset(cap_header_t(0x20080522, 0), cap_data_t()) != 0:  # _LINUX_CAPABILITY_VERSION_3, all zero
            raise OSError(get_errno(), "capset")
        layers.append("no_capabilities")


PathTools = tuple["Callable[[object], str | None]", "Callable[[str, tuple[str, ...]], bool]"]
Kit = tuple[dict[str, object], "Callable[[], str]", tuple[str, ...], PathTools]


def _prepare() -> Kit:
    """What every child starts from, built once in the zygote: the program's module (globals with a private
    copy of the builtins, plus ``exit``/``quit``), the tamper check with its snapshots of builtins, ``math`` and
    the import machinery, the static read roots and the hook's path tools.  Each child owns a private copy-on-write copy of all of
    it (nothing here is ever touched by a program in the zygote itself), so children skip rebuilding it - and
    the page copies that touching every builtin would cost."""
    module = ModuleType("__solution__")
    sol_builtins = dict(builtins.__dict__)
    sol_builtins["exit"] = _sitebuiltins.Quitter("exit", "Ctrl-D (i.e. EOF)")
    sol_builtins["quit"] = _sitebuiltins.Quitter("quit", "Ctrl-D (i.e. EOF)")
    glb: dict[str, object] = module.__dict__
    glb["__builtins__"] = sol_builtins
    sys.modules["__solution__"] = module
    watched = tuple((label, d, dict(d)) for label, d in (("builtins", builtins.__dict__),
                                                         ("__builtins__", sol_builtins), ("math", math.__dict__)))
    mod_snap = tuple((name, sys.modules[name]) for name in ("builtins", "math", "sys", "os", "__solution__"))
    tamper = _make_tamper_check(watched, glb, sol_builtins, mod_snap)
    roots = tuple(sorted({*_READ_ROOTS, sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                          *(p for p in sys.path if p)}))
    return glb, tamper, roots, _make_path_tools()


def _bootstrap(main_frame: FrameType, cfg: dict[str, str], source: bytes, tools: tuple[Any, ...], kit: Kit
               ) -> tuple[CodeType, dict[str, object], int]:
    chan = os.dup(int(cfg["chan"]))
    os.close(int(cfg["chan"]))
    layers: list[str] = [x for x in cfg.get("layers", "").split(",") if x]
    try:
        _isolate(cfg, layers, tools)
    except Exception as exc:  # noqa: BLE001 - any failure here is a setup error
        try:
            os.write(chan, wire_line("setup", why=" ".join(f"{type(exc).__name__}: {exc}".split())))
        finally:
            os._exit(SETUP_EXIT)
    glb, tamper, roots, paths = kit
    layers.append("audit_hook")
    os.write(chan, wire_line("ready", layers=layers))
    try:
        code = compile(source, "<solution>", "exec", dont_inherit=True, optimize=0)
    except (SyntaxError, ValueError) as exc:
        os.write(chan, wire_line("result", kind="syntax", name=type(exc).__name__, line=0, message=str(exc)))
        os._exit(FAIL_EXIT)
    read_roots = (*roots, cfg["sandbox"])  # the hook checks them in order: no need to sort
    nonce_line = wire_line("pass", nonce=cfg.pop("nonce"))
    sys.addaudithook(_make_hook(chan=chan, nonce_line=nonce_line, main_frame=main_frame,
                                sandbox=cfg["sandbox"], read_roots=read_roots, tamper=tamper, paths=paths))
    cfg.clear()
    del nonce_line
    return code, glb, chan


def _main() -> None:
    audit, os_exit, run, base_exc = sys.audit, os._exit, exec, BaseException
    out, err = sys.stdout, sys.stderr
    cfg, source = _read_payload()
    # serve programs; returns only in a forked child, with its program
    cfg, source, tools, kit = _zygote(cfg)
    serve = (cfg["entry"], int(cfg["req"]), int(cfg["rep"])) if cfg.get("mode") == "call" else None
    code, glb, chan = _bootstrap(sys._getframe(), cfg, source, tools, kit)
    del cfg, source, tools, kit
    try:
        run(code, glb)
        if serve is not None:
            fn = glb.get(serve[0])
            if not callable(fn):
                raise NameError(f"the solution defines no function {serve[0]!r}")
            _serve(fn, serve[1], serve[2], out, err)
    except base_exc as exc:
        try:
            for stream in (out, err):
                stream.flush()
        except base_exc:
            pass
        try:
            _report(exc, glb, chan)
        finally:
            os_exit(FAIL_EXIT)
    try:
        out.flush()
        err.flush()
    except base_exc:
        os_exit(FAIL_EXIT)
    audit("podium.pass")
    os_exit(0)


if __name__ == "__main__":
    _main()
