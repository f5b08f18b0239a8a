"""Hardened execution of untrusted, LLM-generated Python, and a trusted judge for its functional correctness.

**Who decides the verdict.** For HumanEval (and scenario ``code_tests`` that name a ``function``) only the
candidate - the model's code - runs in the sandbox.  The benchmark's tests run in the trusted judge
(:mod:`evals.sandbox.judge`), in the harness thread that supervises the child, in a fresh namespace per program:
the prompt's own helper definitions, the ``test`` text, then ``check(proxy)``, where the proxy sends each call's
arguments to the child and returns its reply.  Values cross as plain data of exact builtin types only
(:mod:`evals.sandbox._wire`: a tagged JSON encoding with size and depth limits; no pickle), so nothing the
candidate does in its own process - patched builtins or ``flush``, code run inside the audit hook, signal
handlers, finalizers, frame or bytecode reading, redefined prompt helpers, ``int`` subclasses, always-equal
objects - reaches the test.  There is no nonce and no in-process pass signal in this mode.  Whole-program mode
(a plain ``str`` program: it passes when it runs to the end and the guard writes the completion nonce) remains
for checks that must handle the solution's own objects (the Tetris scenario); it is forgeable by a program
aimed at the guard, as issue 16 showed.

**Where the code lives.**  Harness side: :mod:`~evals.sandbox.runner` (pools, verdicts),
:mod:`~evals.sandbox.zygote` (one warm zygote, the call conversation), :mod:`~evals.sandbox.judge`,
:mod:`~evals.sandbox.cgroup`.  Child side, standard library only, executed by the bootstrap in one namespace and
in this order: :mod:`~evals.sandbox._wire` (values and messages - shared with the harness, so both ends use
one encoder and one parser), :mod:`~evals.sandbox._reply` (the child's replies and reports),
:mod:`~evals.sandbox._mounts` (namespaces, once per zygote), :mod:`~evals.sandbox._zygote` (fork per program, sweep),
:mod:`~evals.sandbox._guard` (per-program isolation, audit hook, run, serve calls).  Each file imports the names
it takes from an earlier one under ``TYPE_CHECKING`` (checked by mypy), and a test checks that no two define the
same top-level name.  Every message - zygote ready/fatal/done, child ready/setup/violation/result/pass, judge
call and candidate ret/exc/bad/exit - is a typed JSON message with one parser (``wire_message``).

Defence layers around the candidate, outermost first:

* **process**: one warm "zygote" per worker - ``python -I -S -B`` (no site, no user paths, no ``PYTHON*``
  variables) that isolates itself once (below) and then forks one child per program; the child gets its own
  session/process group, SIGKILLed as a whole at the end, even on success, and the zygote is a child subreaper,
  so everything the program started (also ``setsid`` escapees) is killed and reaped before the next program; a
  fresh temporary cwd deleted afterwards (a walk with one fd at a time: no recursion, never raises); an
  environment of only ``PATH``, ``LANG``, ``HOME``/``TMPDIR`` (= the temp dir).  The zygote's wall clock waits
  on a pidfd, so a program that stops itself (SIGSTOP) still times out.
* **kernel**: ``RLIMIT_CPU`` (SIGXCPU, then SIGKILL one second later), ``RLIMIT_AS``, ``RLIMIT_FSIZE``,
  ``RLIMIT_NPROC``, ``RLIMIT_CORE=0``; ``PR_SET_NO_NEW_PRIVS``; an empty network namespace per zygote
  (``unshare(CLONE_NEWNET)`` as root, ``CLONE_NEWUSER|CLONE_NEWNET`` otherwise).  A private mount namespace
  in which every mount is read-only, the host paths and user directories below are hidden and the temp dir is a
  fresh tmpfs capped at ``Limits.disk_bytes`` - as root, and without root too where the kernel lets an
  unprivileged user namespace own a mount namespace (best-effort: the layers that took effect are recorded; the
  child then drops every capability it holds in that namespace, layer ``no_capabilities``, so it cannot unmount
  anything).  As root also a throw-away uid/gid per program (random, in a 2**24 range above 1.5e9) with
  **no capability**: where the interpreter lives under a directory other uids cannot traverse (e.g.
  ``/root/.pyenv``) or under a hidden one (below), the zygote bind-mounts the interpreter's tree back at its own
  path (layer ``interpreter_bind``) instead of letting the child keep ``CAP_DAC_READ_SEARCH``.
  Writing outside the temp dir, signalling the harness and escaping ``RLIMIT_NPROC`` are refused by the
  kernel even for code that gets past the audit hook; leftover processes of the uid are SIGKILLed with
  ``kill(-1)`` sent as that uid.
* **host hidden (as root, per zygote)**: an empty file over ``/etc/shadow``, ``/etc/gshadow`` (and their
  backups), a ``/proc`` of its own with ``hidepid=invisible`` (not the harness's ``cmdline`` or ``environ``),
  and an empty tmpfs over ``/run``, ``/tmp``, ``/var/tmp``, ``/dev/shm`` and the base dir's parent, so no
  filesystem ``AF_UNIX`` socket of the harness or the host can be reached by path - also by code that climbs
  with ``dir_fd`` past the hook's path check or runs through the unaudited ``_posixsubprocess.fork_exec``;
  an empty tmpfs over every top-level directory that is not a system one (``/home``, ``/root``, ``/srv``,
  ``/opt``, ``/mnt``, ``/work`` ...; layer ``hidden_user_dirs``), so the benchmark data - a HumanEval answer
  key is world-readable - the repository, its results and ``.env`` files do not exist for the program.  A
  memory cgroup per zygote (:mod:`evals.sandbox.cgroup`) counts *all* memory - also a ``memfd`` or tmpfs file
  that ``RLIMIT_AS`` does not see; its OOM kills become an OOM verdict.
* **audit hook** (``sys.addaudithook``): refuses sockets, fork/exec/spawn/``subprocess``/``os.system``, signals
  to other processes, ``ctypes``, ``gc`` and cross-thread frame introspection, trace/profile hooks, rlimit
  changes, symlinks/hard links, writes outside the temp dir and reads outside the interpreter's trees and a few
  system directories; a refusal ends the process at once (verdict ERROR).  It compares only exact ``str``/``int``
  values, so no program ``__eq__``/``__hash__``/``__str__`` runs inside it - but it is a convenience layer, not a
  boundary: code that runs inside it anyway (a GC callback) can neuter it from the hook's frame; then the
  kernel layers above are what contain the program (the hostile corpus shows they hold as root).

Residual risks (threat model: careless or reward-hacking LLM code that has read this source, not a determined
attacker with kernel exploits): a candidate that knows or computes the expected answers; reads of
world-readable system files (``/usr``, ``/etc`` ...) through the unaudited ``_posixsubprocess.fork_exec`` or a
neutered hook - as root the secrets and every user directory (with the benchmark data) are hidden and nothing is
writable; without root the same holds where the kernel allows the unprivileged mount namespace, else the
benchmark data and the user's files stay readable that way (an answer key: a reward-hacking program that read
it would pass); whole-program mode's verdicts
(see above); the judge spends its own CPU on returned values, bounded by the wire's size limits.  Without root
there is never a separate uid, a ``/proc`` of its own or a memory cgroup (``RLIMIT_AS`` is the only memory
limit; ``RLIMIT_NPROC`` counts all of that user's processes); where the kernel refuses the unprivileged mount
namespace there is also no read-only root, tmpfs or hidden path: the judge still decides every verdict and the
user + network namespace still cuts the network, but files and filesystem sockets of the harness user are then
protected only by the audit hook, which a program aimed at it can neuter, and disk use is capped only by
``RLIMIT_FSIZE`` per file.  The sandbox is Linux-only (``pidfd_open``, ``/proc``, namespaces).
"""

from evals.sandbox.humaneval import Problem, humaneval_judged, humaneval_program, load_problems
from evals.sandbox.judge import JudgedProgram, TrustedTests
from evals.sandbox.model import GUARD_VERSION, ExecResult, Limits, Verdict, limits_record
from evals.sandbox.runner import DEFAULT_LIMITS, SandboxPool, run_many, run_program

__all__ = [
    "DEFAULT_LIMITS",
    "GUARD_VERSION",
    "ExecResult",
    "Limits",
    "Problem",
    "Verdict",
    "JudgedProgram",
    "TrustedTests",
    "humaneval_judged",
    "humaneval_program",
    "limits_record",
    "load_problems",
    "SandboxPool",
    "run_many",
    "run_program",
]
