"""Benchmark: the embedded backend's old path (every prompt evaluated from scratch) vs prefix reuse (each
few-shot prefix evaluated once, in one fixed way — evals.backends.prefix), side by side in one process.

Both engines run the same MMLU and GSM8K requests, interleaved (old subject 1, new subject 1, old subject 2,
...; GSM8K in chunks) so both see the same machine load. Prints items/s and tokens/s per path, the
speed-up, wall-time estimates for the full suites, and checks that outputs are identical run to run (the new
path a second time, items in reverse order) and how many differ between the old and the new path.

    python benchmarks/embedded_speed.py --subjects 3 --mmlu-items 20 --gsm8k-items 10
    python benchmarks/embedded_speed.py --subject-names clinical_knowledge --mmlu-items 9999 --gsm8k-items 10
    python benchmarks/embedded_speed.py --threads-study   # 1 vs 2 threads, idle vs one core busy
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evals.backends.base import GenerateRequest, LoglikelihoodRequest  # noqa: E402
from evals.backends.embedded import EmbeddedBackend, EmbeddedConfig  # noqa: E402
from evals.data import default_data_dir  # noqa: E402
from evals.suites import get_suite  # noqa: E402
from evals.suites.gsm8k import GSM8K  # noqa: E402
from evals.suites.mmlu import MMLU  # noqa: E402
from evals.suites.multiple_choice import MCItem  # noqa: E402

MMLU_FULL, MMLU_SUBJECTS, GSM8K_FULL = 14042, 57, 1319
MC_FULL = {"hellaswag": 10042, "boolq": 3270, "winogrande": 1267}


@dataclass
class Tally:
    seconds: float = 0.0
    items: int = 0
    evaluated: int = 0  # prompt tokens the engine computed
    cached: int = 0  # prompt tokens served from its cache
    generated: int = 0
    outputs: dict[str, object] = field(default_factory=dict)

    def line(self, name: str) -> str:
        s = self.seconds or 1e-9
        return (f"  {name:<4} {self.items:4d} items {self.seconds:7.1f} s  {self.items / s:6.3f} items/s  "
                f"prompt {self.evaluated:7d} evaluated + {self.cached:7d} cached ({(self.evaluated + self.cached) / s:7.1f}"
                f" tok/s, {self.evaluated / s:6.1f} evaluated tok/s)  generated {self.generated / s:5.1f} tok/s")


def mmlu_chunks(data: Path, subjects: int | Sequence[str], per_subject: int,
                chunk: int = 0) -> list[list[LoglikelihoodRequest]]:
    """Requests per subject (the first ``subjects`` alphabetically, or these names), split into chunks of
    ``chunk`` items (0 = one chunk per subject) so that the old and the new path alternate often."""
    suite = MMLU()
    items = [it for it in suite.load(data) if isinstance(it, MCItem)]
    all_names = sorted({it.group.id for it in items if it.group})
    names = all_names[:subjects] if isinstance(subjects, int) else list(subjects)
    unknown = [n for n in names if n not in all_names]
    if unknown:
        raise SystemExit(f"unknown MMLU subject(s) {unknown} — choose from {all_names}")
    return [chunk_reqs for name in names
            for chunk_reqs in chunked([x for x in items if x.group and x.group.id == name][:per_subject], chunk)]


def mc_chunks(suite_id: str, data: Path, n: int, chunk: int) -> list[list[LoglikelihoodRequest]]:
    """The first ``n`` items of a multiple-choice suite, in chunks of ``chunk`` items."""
    return chunked([it for it in get_suite(suite_id).load(data) if isinstance(it, MCItem)][:n], chunk)


def chunked(items: Sequence[MCItem], size: int) -> list[list[LoglikelihoodRequest]]:
    """The items' requests, ``size`` items a chunk (0 = one chunk)."""
    size = size or len(items) or 1
    return [[r for it in items[i:i + size] for r in it.requests()] for i in range(0, len(items), size)]


def gsm8k_chunks(data: Path, n: int, chunk: int) -> list[list[GenerateRequest]]:
    suite = GSM8K()
    reqs = [suite.request(it, suite.default_sampling()) for it in suite.load(data)[:n]]
    return [reqs[i:i + chunk] for i in range(0, len(reqs), chunk)]


def run_ll(be: EmbeddedBackend, reqs: Sequence[LoglikelihoodRequest], t: Tally) -> None:
    t0 = time.perf_counter()
    res = be.loglikelihood(reqs)
    t.seconds += time.perf_counter() - t0
    t.items += len({r.key.rsplit("#", 1)[0] for r in reqs})
    t.evaluated += sum(r.prompt_tokens for r in res)
    t.cached += sum(r.cached_tokens for r in res)
    t.outputs.update({r.key: (r.logprob, r.is_greedy, r.error) for r in res})


def run_gen(be: EmbeddedBackend, reqs: Sequence[GenerateRequest], t: Tally) -> None:
    t0 = time.perf_counter()
    res = be.generate(reqs)
    t.seconds += time.perf_counter() - t0
    t.items += len(reqs)
    t.evaluated += sum(c.prompt_tokens for c in res)
    t.cached += sum(c.cached_tokens for c in res)
    t.generated += sum(c.completion_tokens for c in res)
    t.outputs.update({c.key: (c.texts, c.error) for c in res})


def picks(outputs: dict[str, object]) -> dict[str, int]:
    """Item id → index of the choice with the highest log-likelihood (ties: lowest index)."""
    by_item: dict[str, list[tuple[int, float]]] = {}
    for key, value in outputs.items():
        item, k = key.rsplit("#", 1)
        by_item.setdefault(item, []).append((int(k), value[0]))  # type: ignore[index]
    return {item: max(sorted(v), key=lambda kv: (kv[1], -kv[0]))[0] for item, v in by_item.items()}


def reverse_items(chunk: Sequence) -> list:  # type: ignore[type-arg]
    """The requests with the items in reverse order; the choices of one item (keys ``item#k``) keep theirs, as
    the runner always sends them."""
    groups: list[list] = []  # type: ignore[type-arg]
    for req in chunk:
        item = req.key.rsplit("#", 1)[0]
        if groups and groups[-1][0].key.rsplit("#", 1)[0] == item:
            groups[-1].append(req)
        else:
            groups.append([req])
    return [r for g in reversed(groups) for r in g]


Runner = Callable[[EmbeddedBackend, Sequence, Tally], None]  # type: ignore[type-arg]


def compare(name: str, chunks: list[list], run: Runner, old: EmbeddedBackend,  # type: ignore[type-arg]
            new: EmbeddedBackend, full_items: int, prefixes: int) -> float:
    t_old, t_new, t_again = Tally(), Tally(), Tally()
    fresh0 = (new.slot.fresh_evaluations, new.slot.fresh_seconds)
    for chunk in chunks:  # interleaved: both paths see the same load
        run(old, chunk, t_old)
        run(new, chunk, t_new)
    n_fresh, s_fresh = new.slot.fresh_evaluations - fresh0[0], new.slot.fresh_seconds - fresh0[1]
    for chunk in reversed(chunks):  # run to run, items in reverse order (an item's choices keep their order)
        run(new, reverse_items(chunk), t_again)
    unit = "items" if name == "GSM8K" else "requests"
    same_again = t_again.outputs == t_new.outputs
    differ = sum(1 for k, v in t_new.outputs.items() if t_old.outputs.get(k) != v)
    speedup = (t_new.items / t_new.seconds) / (t_old.items / t_old.seconds)
    print(f"{name}:")
    print(t_old.line("old"))
    print(t_new.line("new"))
    print(t_again.line("new'") + "   (second run, reverse order)")
    print(f"  speed-up new/old: {speedup:.2f}x items/s")
    print(f"  new path identical run to run (reverse order): {same_again}")
    print(f"  old vs new: {differ} of {len(t_new.outputs)} {unit} differ (float summation order of the batches)")
    if unit == "requests":
        old_p, new_p = picks(t_old.outputs), picks(t_new.outputs)
        moved = [k for k in new_p if old_p[k] != new_p[k]]
        print(f"  old vs new: {len(moved)} of {len(new_p)} items pick another answer {moved[:5]}")
    # full suite: every item's own cost, plus each distinct prefix computed once (here: n_fresh of them)
    est_old = full_items * t_old.seconds / t_old.items
    per_prefix = s_fresh / max(1, n_fresh)
    est_new = full_items * (t_new.seconds - s_fresh) / t_new.items + prefixes * per_prefix
    print(f"  new path: {n_fresh} prefix(es) computed fresh, {per_prefix:.1f} s each")
    print(f"  full {name} ({full_items} items, {prefixes} prefix(es)) estimate: old {est_old / 3600:.2f} h, "
          f"new {est_new / 3600:.2f} h ({est_old / est_new:.1f}x)")
    return speedup


def threads_study(data: Path) -> None:
    """Prompt evaluation and generation speed with 1 and 2 threads, idle and with one core kept busy."""
    mm = mmlu_chunks(data, 1, 4)[0]
    gs = gsm8k_chunks(data, 1, 1)[0]
    for load in ("idle", "loaded"):
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if load == "loaded" else None
        try:
            for threads in (1, 2):
                be = EmbeddedBackend(EmbeddedConfig(threads=threads, prefix_reuse=False))
                t_ll, t_gen = Tally(), Tally()
                try:
                    run_ll(be, mm, t_ll)
                    run_gen(be, gs, t_gen)
                finally:
                    be.close()
                print(f"{load:<6} threads={threads}: MMLU (old path) {t_ll.evaluated / t_ll.seconds:6.1f} prompt "
                      f"tok/s; GSM8K {t_gen.seconds:5.1f} s for 1 item ({t_gen.generated / t_gen.seconds:5.1f} "
                      f"generated tok/s incl. its prompt)")
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subjects", type=int, default=3, help="MMLU subjects (alphabetical)")
    ap.add_argument("--subject-names", default="", help="MMLU subjects by name, comma-separated (overrides --subjects)")
    ap.add_argument("--mmlu-items", type=int, default=20, help="MMLU items per subject (a large number: whole subjects)")
    ap.add_argument("--chunk", type=int, default=10, help="items per interleaved chunk (old and new path alternate)")
    ap.add_argument("--gsm8k-items", type=int, default=10)
    ap.add_argument("--mc-suites", default="", help="also these zero-shot multiple-choice suites, e.g. "
                    "hellaswag,boolq,winogrande (no few-shot prefix: both paths are the same code; shown for items/s)")
    ap.add_argument("--mc-items", type=int, default=20, help="items per --mc-suites suite")
    ap.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0 = the backend's default)")
    ap.add_argument("--threads-study", action="store_true", help="only measure 1 vs 2 threads, idle vs loaded")
    ap.add_argument("--skip", choices=["mmlu", "gsm8k"], default=None)
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    data = default_data_dir()
    if args.threads_study:
        threads_study(data)
        return
    old = EmbeddedBackend(EmbeddedConfig(threads=args.threads, prefix_reuse=False))
    new = EmbeddedBackend(EmbeddedConfig(threads=args.threads, prefix_reuse=True))
    print(f"engine {new.info.engine}, model {new.info.model}, threads {new.info.parameters['threads']}")
    try:
        if args.skip != "mmlu":
            subjects = [s for s in args.subject_names.split(",") if s] or args.subjects
            compare("MMLU", mmlu_chunks(data, subjects, args.mmlu_items, args.chunk), run_ll, old, new, MMLU_FULL,
                    MMLU_SUBJECTS)
        for sid in [s for s in args.mc_suites.split(",") if s]:
            compare(sid, mc_chunks(sid, data, args.mc_items, args.chunk), run_ll, old, new, MC_FULL[sid], 0)
        if args.skip != "gsm8k":
            compare("GSM8K", gsm8k_chunks(data, args.gsm8k_items, 2), run_gen, old, new, GSM8K_FULL, 1)
    finally:
        old.close()
        new.close()


if __name__ == "__main__":
    main()
