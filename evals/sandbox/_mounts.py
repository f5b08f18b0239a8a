"""Child-side mount and user namespaces of the Podium sandbox zygote (set up once per zygote).

Executed by the bootstrap in the child's one namespace after :mod:`evals.sandbox._reply` and before
:mod:`evals.sandbox._zygote`, which calls :func:`_zygote_isolate` and reuses the tmpfs helpers; standard
library only, it must never import ``evals``.  As root a network and a private mount namespace; without root a
user namespace mapping our own ids with the same mount namespace where the kernel allows it: host paths and
user directories hidden, every mount read-only, a size-capped tmpfs for the programs' temp dirs.
"""

from __future__ import annotations

import os
import sys

_MS_FLAGS = 0x2 | 0x4 | 0x8  # MS_NOSUID | MS_NODEV | MS_NOEXEC
_MS_REMOUNT = 0x20


def _tmpfs_opts(disk: int) -> str:
    return f"size={disk},nr_inodes=8192"


# root-only files a throw-away uid must not read even where a capability or an unaudited call lets it try
_SECRETS = ("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/security/opasswd")


def _hide_host(c: object, base: str) -> list[str]:
    """In the zygote's private mount namespace (before it turns read-only): an empty file over each
    secret and an empty tmpfs over the directories where the host keeps filesystem
    sockets (``/run``, ``/tmp``, ``/var/tmp``, ``/dev/shm`` and the base's parent, whose mount point is made
    again inside it), so no ``AF_UNIX`` socket of the harness or the host is reachable by path."""
    import ctypes

    libc: ctypes.CDLL = c  # type: ignore[assignment]
    layers: list[str] = []
    hidden = [p for p in _SECRETS if os.path.isfile(p)
              and libc.mount(b"/dev/null", p.encode(), None, 0x1000, None) == 0]  # MS_BIND
    if hidden:
        layers.append("no_shadow")
    parent = os.path.dirname(base)
    covered = 0
    for d in dict.fromkeys((parent, "/run", "/tmp", "/var/tmp", "/dev/shm")):
        if d == "/" or os.path.islink(d) or not os.path.isdir(d) or (d != parent and base.startswith(d + "/")):
            continue
        if libc.mount(b"podium-empty", d.encode(), b"tmpfs", _MS_FLAGS, b"size=64k,nr_inodes=16,mode=0755") != 0:
            raise OSError(ctypes.get_errno(), f"mount tmpfs on {d}")
        covered += 1
        if d == parent:
            os.mkdir(base, 0o711)
    if covered:
        layers.append("no_host_sockets")
    return layers

# Top-level entries a program may see: the system's own.  Every other one (/home, /root, /work, /srv, /opt, /mnt
# ...: where repositories, benchmark data with its answer key, results and .env files live) is hidden.
_SYSTEM_TOP = frozenset({"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "dev", "proc", "sys",
                         "run", "tmp", "var", "boot", "nix", "gnu"})


def _hide_user_dirs(c: object, base: str) -> list[str]:
    """In the zygote's mount namespace: an empty tmpfs over every top-level directory that is not a
    system one (an empty file over every such file), and over the first ancestor of the interpreter's tree that
    other uids cannot traverse; the interpreter tree is then bind-mounted back at its own path, readable to a
    throw-away uid, so the child drops *every* capability (it once kept ``CAP_DAC_READ_SEARCH`` for
    ``/root/.pyenv``).  A reward-hacking program that gets past the audit hook (``_posixsubprocess.fork_exec``,
    a neutered hook) so finds no benchmark data - a HumanEval answer key is world-readable by default - and no
    file of the harness's user.  Read-only, like every mount, once the zygote turns them so."""
    import ctypes
    import stat

    libc: ctypes.CDLL = c  # type: ignore[assignment]
    target = os.path.realpath(sys.base_prefix)
    parts = target.strip("/").split("/")
    blocker = next((p for p in ("/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1))
                    if not os.stat(p).st_mode & stat.S_IXOTH), None)
    tops = [f"/{name}" for name in sorted(os.listdir("/")) if name not in _SYSTEM_TOP
            and not os.path.islink(f"/{name}") and not (base == f"/{name}" or base.startswith(f"/{name}/"))]
    dirs = [t for t in tops if os.path.isdir(t)]
    if blocker is not None and not any(blocker == d or blocker.startswith(d + "/") for d in dirs):
        dirs.append(blocker)
    files = [t for t in tops if os.path.isfile(t) and libc.mount(b"/dev/null", t.encode(), None, 0x1000, None) == 0]
    fd = os.open(target, os.O_PATH | os.O_DIRECTORY)
    try:
        for d in dirs:
            if libc.mount(b"podium-hidden", d.encode(), b"tmpfs", _MS_FLAGS, b"size=64k,nr_inodes=64,mode=0755") != 0:
                raise OSError(ctypes.get_errno(), f"mount tmpfs on {d}")
        rebind = any(target == d or target.startswith(d + "/") for d in dirs)
        if rebind:
            os.makedirs(target, 0o755, exist_ok=True)
            bind_rec = 0x1000 | 0x4000  # MS_BIND | MS_REC
            if libc.mount(f"/proc/self/fd/{fd}".encode(), target.encode(), None, bind_rec, None) != 0:
                raise OSError(ctypes.get_errno(), f"bind mount {target}")
    finally:
        os.close(fd)
    return (["hidden_user_dirs"] if dirs or files else []) + (["interpreter_bind"] if rebind else [])


_NEWNET, _NEWNS, _NEWUSER = 0x40000000, 0x00020000, 0x10000000


def _zygote_isolate(libc: object, base: str, root: bool, disk: int) -> list[str]:
    """Namespaces shared by every program of this zygote; returns the layers that took effect.

    As root: a network and a mount namespace (:func:`_mount_isolate`; any failure is fatal).  Without root: a
    user namespace mapping our own ids, with a network and - where the kernel allows it - a mount namespace set
    up the same way but best-effort (the layers that took effect are listed): no ``/proc`` of its own (that
    needs a pid namespace), no throw-away uid; each child drops every capability it holds in the namespace."""
    import ctypes

    c: ctypes.CDLL = libc  # type: ignore[assignment]
    layers: list[str] = []
    if root:
        if c.unshare(_NEWNET | _NEWNS) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET|CLONE_NEWNS)")
        layers.append("netns")
        _mount_isolate(c, base, disk, layers, root=True)
        return layers
    mount_ns = c.unshare(_NEWNET | _NEWUSER | _NEWNS) == 0
    if not mount_ns and c.unshare(_NEWNET | _NEWUSER) != 0:
        return layers
    layers.append("userns+netns")
    if _map_own_ids() and mount_ns:
        try:  # noqa: SIM105 - contextlib is not preloaded
            _mount_isolate(c, base, disk, layers, root=False)
        except OSError:
            pass
    return layers


def _map_own_ids() -> bool:
    """In a fresh user namespace: map our own uid and gid to themselves (files keep their owner)."""
    uid, gid = os.getuid(), os.getgid()
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as fh:
                fh.write(text)
    except OSError:
        return False
    return True


def _mount_isolate(c: object, base: str, disk: int, layers: list[str], root: bool) -> None:
    """The zygote's private mount namespace: host paths and user directories hidden, every mount read-only, a
    size-capped tmpfs for the temp dirs (and as root a ``/proc`` with ``hidepid``); appends each layer as it
    takes effect, raises ``OSError`` at the first step that fails."""
    import ctypes

    libc: ctypes.CDLL = c  # type: ignore[assignment]
    if libc.mount(b"none", b"/", None, 0x4000 | 0x40000, None) != 0:  # MS_REC | MS_PRIVATE
        raise OSError(ctypes.get_errno(), "mount --make-rprivate /")

    class MountAttr(ctypes.Structure):
        _fields_ = [(n, ctypes.c_uint64) for n in ("attr_set", "attr_clr", "propagation", "userns_fd")]

    layers += _hide_host(libc, base)
    layers += _hide_user_dirs(libc, base)
    attr = MountAttr(0x1, 0, 0, 0)  # mount_setattr(AT_RECURSIVE, MOUNT_ATTR_RDONLY): every mount read-only
    if os.uname().machine in ("x86_64", "aarch64") and libc.syscall(
            442, -100, b"/", 0x8000, ctypes.byref(attr), ctypes.sizeof(attr)) == 0:
        layers.append("ro_root")
    # after the read-only turn, so each child can make itself the OOM killer's first choice
    if root and libc.mount(b"proc", b"/proc", b"proc", _MS_FLAGS, b"hidepid=invisible") == 0:
        layers.append("hidepid")
    # one size-capped tmpfs for this zygote's temp dirs: it runs one program at a time and empties the
    # tmpfs after each, so the cap is per program; 0711 so each program's uid can reach its own dir
    if libc.mount(b"podium-sandbox", base.encode(), b"tmpfs", _MS_FLAGS, f"{_tmpfs_opts(disk)},mode=0711".encode()) != 0:
        raise OSError(ctypes.get_errno(), f"mount tmpfs on {base}")
    layers.append("tmpfs")
