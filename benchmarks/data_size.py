"""Bytes per item of ``samples.jsonl.gz``: schema v1 (benchmark text in every sample) vs v2 (item id + prompt sha256).

For every run under ``--site-data`` the v2 file is measured as stored; the v1 size is that of the same samples with
the fields v1 kept put back (the item's own text, the full prompt sent — few-shot block included —, the reference and
the choices, rebuilt from the benchmark data directory), gzip-compressed the same way. Prints a table per suite and
the total for one model's full suites (bytes per item × the suite's full size).

    python benchmarks/data_size.py --site-data site_data [--model smollm2-135m-instruct]
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections import defaultdict
from pathlib import Path

from evals.backends.base import GenerateRequest
from evals.data import default_data_dir
from evals.store import iter_run_files, read_run, read_samples
from evals.suites.lookup import load_suite_items
from evals.suites.multiple_choice import MCItem

FULL = {"gsm8k": 1319, "mmlu": 14042, "hellaswag": 10042, "boolq": 3270, "winogrande": 1267, "humaneval": 164}


def v1_prompt(suite: object, item: object) -> object:
    if isinstance(item, MCItem):
        return item.contexts[item.gold] + "▮"
    request = getattr(suite, "request", None) or (lambda it, s: suite.requests(it, s)[0])  # type: ignore[attr-defined]
    req: GenerateRequest = request(item, suite.default_sampling())  # type: ignore[attr-defined]
    return req.prompt if isinstance(req.prompt, str) else [m.content for m in req.prompt]


def measure(path: Path, data_dir: Path) -> tuple[str, int, int, int, int, int] | None:
    run = read_run(path)
    loaded = load_suite_items(run.suite.id, data_dir)
    if loaded is None:
        return None
    samples = read_samples(path.parent / "samples.jsonl.gz")
    v2 = "".join(s.model_dump_json() + "\n" for s in samples).encode()
    v1_rows = []
    for s in samples:
        item = loaded.items[s.item_id]
        text = loaded.suite.item_text(item)
        row = json.loads(s.model_dump_json())
        row.update(input=text.question, prompt=row["prompt"] if s.prompt else v1_prompt(loaded.suite, item),
                   reference=text.reference, choices=text.choices)
        v1_rows.append(json.dumps(row, ensure_ascii=False) + "\n")
    v1 = "".join(v1_rows).encode()
    gz = lambda b: len(gzip.compress(b, compresslevel=6, mtime=0))  # noqa: E731
    return run.suite.id, len(samples), gz(v1), gz(v2), len(v1), len(v2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site-data", type=Path, default=Path("site_data"))
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--model", default=None, help="only this model's runs")
    args = ap.parse_args()
    data_dir = args.data_dir or default_data_dir()
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for path in iter_run_files(args.site_data):
        if args.model and path.parts[-4] != args.model:
            continue
        got = measure(path, data_dir)
        if got is None:
            continue
        suite, *values = got
        per[suite] = [a + v for a, v in zip(per[suite], values, strict=True)]
    print(f"{'suite':<28}{'items':>8}{'raw v1 B':>10}{'raw v2 B':>10}{'gz v1 B':>9}{'gz v2 B':>9}{'ratio':>7}"
          f"{'full-size v1':>15}{'full-size v2':>15}   (B = bytes per item; full size = gzip × the suite's items)")
    tot1 = tot2 = 0.0
    for suite, (n, b1, b2, r1, r2) in sorted(per.items()):
        full = FULL.get(suite.split("-")[0], n)
        f1, f2 = b1 / n * full, b2 / n * full
        tot1, tot2 = tot1 + f1, tot2 + f2
        print(f"{suite:<28}{n:>8}{r1 / n:>10.0f}{r2 / n:>10.0f}{b1 / n:>9.0f}{b2 / n:>9.0f}{b1 / max(1, b2):>7.1f}"
              f"{f1 / 1e6:>13.2f}MB{f2 / 1e6:>13.2f}MB")
    print(f"{'total (full suites)':<81}{tot1 / 1e6:>13.2f}MB{tot2 / 1e6:>13.2f}MB")


if __name__ == "__main__":
    main()
