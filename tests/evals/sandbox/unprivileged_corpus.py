"""Run the hostile corpus as an unprivileged user: ``python unprivileged_corpus.py <repo> <data file> <work dir>``.

Started by ``test_hostile_judge.py`` as user ``nobody`` (the harness itself unprivileged, so the sandbox takes
its no-root path: a user namespace).  Prints one JSON object per case and one for the canonical solutions.
Standard library and ``evals.sandbox`` only, so any CPython 3.11+ that ``nobody`` may run will do.
"""

from __future__ import annotations

import json
import os
import socket
import sys


def main() -> None:
    repo, data, work = sys.argv[1:4]
    sys.path.insert(0, repo)
    from evals.sandbox import Limits, Verdict, load_problems, run_many
    from evals.sandbox.humaneval import humaneval_judged
    from tests.evals.sandbox.hostile_judge_cases import CASES

    problems = load_problems(data)
    canary = os.path.join(work, "canary.txt")
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    tcp.setblocking(False)
    with open(os.path.join(repo, "pyproject.toml")) as fh:
        marker = next(line for line in fh if line.startswith("name ="))
    for name, attack in CASES.items():
        with open(canary, "w") as fh:
            fh.write("precious")
        p = problems[attack.task]
        completion = attack.filled(canary=canary, port=tcp.getsockname()[1], usock=os.path.join(work, "no.sock"),
                                   harness_pid=os.getpid(), repo_file=os.path.join(repo, "pyproject.toml"), data=data)
        control = humaneval_judged(p["prompt"], p["canonical_solution"], p["test"], p["entry_point"])
        result, after = run_many([humaneval_judged(p["prompt"], completion, p["test"], p["entry_point"]), control],
                                 attack.limits, workers=1)
        try:
            tcp.accept()
            connected = True
        except BlockingIOError:
            connected = False
        with open(canary) as fh:
            kept = fh.read() == "precious"
        print(json.dumps({"case": name, "verdict": result.verdict.value, "reason": result.reason,
                          "layers": list(result.layers), "control": after.verdict.value, "canary_kept": kept,
                          "connected": connected, "read_repository": marker.strip() in result.stdout_tail}), flush=True)
    honest = run_many([humaneval_judged(p["prompt"], p["canonical_solution"], p["test"], p["entry_point"])
                       for p in problems], Limits())
    print(json.dumps({"canonical_passed": sum(r.verdict is Verdict.PASSED for r in honest), "of": len(honest)}))


if __name__ == "__main__":
    main()
