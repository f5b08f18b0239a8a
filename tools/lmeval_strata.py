"""The strata recipe of tools/make_lmeval_fixture.py (``--engine vllm --strata``): which documents lm-eval scores.

First-N slices never leave a suite's head (HellaSwag's first 3,243 rows are all ActivityNet; WikiHow — where
lm-eval's preprocessing leaves a leading space in some endings — starts at row 3,243). This recipe picks lm-eval
doc indices ACROSS each suite's strata, deterministically from ``--seed`` (``random.Random`` seeded with a string:
the same on every machine and Python version), and hands them to lm-eval's ``--samples`` (task → indices):

  * HellaSwag: 6 rows of each source × split type (ActivityNet / WikiHow × indomain / zeroshot), spread over the
    cell's rows; plus row 3269 (WikiHow, zeroshot), whose acc_norm pick once differed from lm-eval's.
  * MMLU (5-shot from dev, as Podium's suite): one subject of each of lm-eval's 4 categories (the ``tag`` of its
    ``mmlu_<subject>.yaml``: stem, humanities, social_sciences, other), drawn at random; 6 test rows of each.
  * BoolQ: 10 rows of each gold label, spread over the file.
  * WinoGrande: 12 rows spread over the file.
  * ARC-Challenge (0-shot, ``arc_challenge``): 100 questions — every 3- and 5-choice question (4 + 3) and 93
    four-choice ones spread over the 1,172-question test split.

"Spread" = the stratum's rows (in file order) cut into k equal consecutive blocks, one row drawn from each.

lm-eval 0.4.13 quirk: with ``--samples`` the evaluator logs ``doc_id = indices[position]`` while the documents
are visited in file order, so an unsorted list would mislabel every doc_id. Lists are passed sorted, and every
logged document is checked against the data row at its doc_id (:func:`check_docs`).

From the unstripped samples this module also writes lm-eval's own picks (``picks.json``): per document, the
index of the highest log-likelihood (acc) and — for tasks with acc_norm — ``len(choice)`` of each choice as
lm-eval measured it (the logged continuation minus the target delimiter " ") and the pick by log-likelihood per
character; each derived pick is checked against lm-eval's logged acc / acc_norm. Numbers only, no text.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

KNOWN_HELLASWAG = (3269,)  # WikiHow: acc_norm length case (issue 21)
MMLU_CATEGORIES = ("stem", "humanities", "social_sciences", "other")
Strata = dict[str, dict[str, list[int]]]  # lm-eval task → stratum name → doc indices (sorted)


def _rng(seed: int, *names: str) -> random.Random:
    return random.Random(":".join((str(seed), *names)))


def spread(indices: Sequence[int], k: int, rng: random.Random) -> list[int]:
    """One index from each of k equal consecutive blocks of ``indices`` (all of them when k ≥ their count)."""
    n = len(indices)
    if k >= n:
        return list(indices)
    return [indices[rng.randrange(n * b // k, n * (b + 1) // k)] for b in range(k)]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(x) for x in f if x.strip()]


def _csv_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as f:
        return sum(1 for r in csv.reader(f) if r)


def hellaswag(data: Path, seed: int, per_cell: int = 6) -> dict[str, list[int]]:
    cells: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(_read_jsonl(data / "hellaswag" / "hellaswag_val.jsonl.gz")):
        cells[f"{r['source_id'].split('~')[0]}/{r['split_type']}"].append(i)
    out = {c: spread(rows, per_cell, _rng(seed, "hellaswag", c)) for c, rows in sorted(cells.items())}
    for i in KNOWN_HELLASWAG:
        cell = next(c for c, rows in cells.items() if i in rows)
        out[cell] = [*out[cell], i] if i not in out[cell] else out[cell]
    return {c: sorted(v) for c, v in out.items()}


def mmlu_subjects(lm_tasks: Path, seed: int) -> dict[str, str]:
    """lm-eval's category (the ``tag`` of mmlu/default/mmlu_<subject>.yaml) → one subject drawn from it."""
    by_cat: dict[str, list[str]] = defaultdict(list)
    for path in sorted((lm_tasks / "mmlu" / "default").glob("mmlu_*.yaml")):
        tag = re.search(r'"?tag"?:\s*"?mmlu_(\w+?)_tasks', path.read_text())
        if tag:
            by_cat[tag.group(1)].append(path.stem.removeprefix("mmlu_"))
    assert sorted(by_cat) == sorted(MMLU_CATEGORIES), sorted(by_cat)
    return {c: _rng(seed, "mmlu", c).choice(sorted(by_cat[c])) for c in MMLU_CATEGORIES}


def mmlu(data: Path, subjects: dict[str, str], seed: int, per_subject: int = 6) -> Strata:
    out: Strata = {}
    for cat, subj in subjects.items():
        n = _csv_rows(data / "mmlu" / "test" / f"{subj}_test.csv")
        out[f"local_mmlu_{subj}"] = {f"{cat}/{subj}": sorted(spread(range(n), per_subject, _rng(seed, "mmlu", subj)))}
    return out


def boolq(data: Path, seed: int, per_label: int = 10) -> dict[str, list[int]]:
    rows = _read_jsonl(data / "boolq" / "dev.jsonl")
    out = {}
    for label in (True, False):
        idx = [i for i, r in enumerate(rows) if bool(r["answer"]) is label]
        out[f"gold {'yes' if label else 'no'}"] = sorted(spread(idx, per_label, _rng(seed, "boolq", str(label))))
    return out


def winogrande(data: Path, seed: int, k: int = 12) -> dict[str, list[int]]:
    n = len(_read_jsonl(data / "winogrande" / "dev.jsonl"))
    return {f"whole file ({k} blocks)": sorted(spread(range(n), k, _rng(seed, "winogrande")))}


def arc_challenge(data: Path, seed: int, total: int = 100) -> dict[str, list[int]]:
    by_k: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(_read_jsonl(data / "arc_challenge" / "test.jsonl")):
        by_k[len(r["choices"])].append(i)
    rare = {k: v for k, v in by_k.items() if k != 4}
    out = {f"{k} choices": v for k, v in sorted(rare.items())}
    out["4 choices"] = sorted(spread(by_k[4], total - sum(map(len, rare.values())), _rng(seed, "arc_challenge")))
    return dict(sorted(out.items()))


def choose(data: Path, lm_tasks: Path, seed: int) -> tuple[Strata, Strata, dict[str, str]]:
    """(multiple-choice tasks' strata, ARC's strata, MMLU category → subject)."""
    subjects = mmlu_subjects(lm_tasks, seed)
    mc: Strata = {"local_hellaswag": hellaswag(data, seed), "local_boolq": boolq(data, seed),
                  "local_winogrande": winogrande(data, seed), **mmlu(data, subjects, seed)}
    return mc, {"local_arc_challenge": arc_challenge(data, seed)}, subjects


def samples_arg(strata: Strata) -> str:
    """lm-eval's --samples JSON; each list sorted (see the module note on lm-eval's doc_id)."""
    return json.dumps({t: sorted({i for v in s.values() for i in v}) for t, s in strata.items()})


# ------------------------------------------------------------------ checks and lm-eval's picks (raw samples)
def raw_samples(out_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """lm-eval's unstripped samples files under ``out_dir``: task → rows."""
    got = {}
    for f in sorted(out_dir.rglob("samples_*.jsonl")):
        task = f.name.removeprefix("samples_").rsplit("_", 1)[0]
        got[task] = [json.loads(x) for x in f.read_text().splitlines() if x.strip()]
    return got


def check_docs(raw: dict[str, list[dict[str, Any]]], sources: dict[str, list[dict[str, Any]]],
               strata: Strata) -> None:
    """Every logged document is the data row at its doc_id (keys both have, equal), and exactly the chosen ones."""
    for task, rows in raw.items():
        want = sorted({i for v in strata[task].values() for i in v})
        assert sorted(r["doc_id"] for r in rows) == want, f"{task}: logged doc_ids differ from --samples"
        for r in rows:
            src = sources[task][r["doc_id"]]
            common = [k for k in src if k in r["doc"]]
            assert common and all(src[k] == r["doc"][k] for k in common), f"{task} doc {r['doc_id']}: not that row"


def _continuations(arguments: Any) -> list[str]:
    """The logged requests' continuations: ``{"gen_args_<i>": {"arg_0": context, "arg_1": continuation}}`` (0.4.13)
    or a list of ``[context, continuation]``."""
    if isinstance(arguments, dict):
        args = [arguments[k] for k in sorted(arguments, key=lambda k: int(k.rsplit("_", 1)[1]))]
    else:
        args = list(arguments)
    return [str(a["arg_1"] if isinstance(a, dict) else a[1]) for a in args]


def _gold(row: dict[str, Any]) -> int:
    """The gold index: the logged target, or — WinoGrande, whose target is the shared continuation text and whose
    gold lm-eval takes from doc_to_text — the document's answer ("1"/"2")."""
    target = str(row["target"])
    return int(target) if target.isdigit() else int(row["doc"]["answer"]) - 1


def _argmax(values: Sequence[float]) -> int:
    return max(range(len(values)), key=lambda i: (values[i], -i))


def picks(raw: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, dict[str, Any]]]:
    """lm-eval's picks per task and doc_id, each checked against its logged acc / acc_norm."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for task, rows in raw.items():
        out[task] = {}
        for r in sorted(rows, key=lambda r: r["doc_id"]):
            lls = [float((x[0] if isinstance(x[0], list) else x)[0]) for x in r["resps"]]
            gold = _gold(r)
            p: dict[str, Any] = {"pick": _argmax(lls)}
            assert float(p["pick"] == gold) == r["acc"], f"{task} doc {r['doc_id']}: acc pick"
            if "acc_norm" in r:
                conts = _continuations(r["arguments"])
                assert all(c.startswith(" ") for c in conts), f"{task} doc {r['doc_id']}: target delimiter"
                p["choice_chars"] = [len(c) - 1 for c in conts]
                p["pick_norm"] = _argmax([ll / n for ll, n in zip(lls, p["choice_chars"], strict=True)])
                assert float(p["pick_norm"] == gold) == r["acc_norm"], f"{task} doc {r['doc_id']}: acc_norm pick"
            out[task][str(r["doc_id"])] = p
    return out
