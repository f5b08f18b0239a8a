"""How long real outputs are: quantiles measured on the committed runs, and synthetic text of a drawn length.

The synthetic ``site_data`` (:mod:`tools.synth_site_data`) draws every output length, scenario turn count and grade
count from these tables, so the scale benchmark reads, parses and renders what real runs hold. Only lengths and
counts are measured — never any text (benchmark text stays out of the repository; the filler below is made-up
words).

    python tools/synth_lengths.py site_data    # measure the committed runs again; prints the table for MEASURED

Each entry is the mean, then the values at the probabilities :data:`P`, of one quantity pooled over every output
of every committed run of that suite but unmerged shards (HumanEval: the completion protocol's runs); lengths are the bytes a text takes
in a samples line (JSON escapes included). A draw picks a uniform probability and interpolates between the two
quantiles around it (see :class:`Lengths`). Re-measure when the committed runs change much:
tests/test_synth_lengths.py compares the draws with the committed runs and says so.
"""

from __future__ import annotations

import bisect
import gzip
import json
import random
import sys
import textwrap
from pathlib import Path
from typing import Any

P = tuple(i / 40 for i in range(37)) + (0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 1.0)

# measured on the committed site_data/runs on 2026-12-05, Gemma's HumanEval ×20 merged (SmolLM2-135M-Instruct and
# Gemma 3 270M):
# python tools/synth_lengths.py site_data
MEASURED: dict[str, list[float]] = {
    'gsm8k.text': [191.2, 0, 18, 22, 35, 43, 53, 63, 75, 86, 94, 100, 106, 111, 117, 123, 127, 132, 136, 141, 146,
        150, 156, 160, 165, 171, 177, 183, 191, 200, 208, 220, 233, 248, 263, 287, 310, 350, 458, 539, 704, 811,
        947, 1013, 1189],
    'humaneval.text': [426.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 28, 44, 61, 77, 89, 104, 119, 134, 151, 164, 183,
        203, 223, 247, 272, 301, 331, 376, 423, 494, 602, 781, 1017, 1196, 1352, 1500, 1651, 1776, 1928, 2046, 2193,
        2323, 3425],
    'humaneval.reason': [49.6, 14, 14, 14, 14, 14, 14, 14, 14, 22, 24, 24, 24, 24, 24, 24, 24, 24, 31, 32, 44, 54,
        61, 62, 63, 63, 63, 63, 63, 63, 63, 69, 70, 72, 79, 82, 86, 98, 98, 111, 112, 112, 114, 122, 500],
    'humaneval.error_line': [30.3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 14, 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 15,
        15, 15, 18, 21, 23, 38, 44, 60, 63, 67, 69, 72, 72, 74, 88, 98, 112, 112, 114, 122, 500],
    'scenarios.prompt': [272.9, 26, 26, 26, 29, 29, 29, 29, 29, 29, 29, 29, 29, 46, 46, 46, 51, 51, 66, 66, 110,
        110, 110, 121, 121, 227, 227, 346, 346, 346, 405, 405, 656, 656, 656, 759, 759, 793, 793, 917, 917, 917,
        917, 917, 917],
    'scenarios.text': [1061.1, 5, 25, 65, 127, 148, 164, 172, 199, 230, 272, 302, 361, 381, 421, 436, 490, 553, 615,
        647, 718, 749, 808, 842, 855, 883, 929, 1028, 1075, 1133, 1251, 1302, 1387, 1418, 1480, 1625, 1711, 1871,
        2313, 3158, 4818, 6872, 7194, 8410, 8866],
    'scenarios.turns': [1.1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 4, 5],
    'scenarios.turn': [325.7, 8, 22, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 112, 168, 194, 225, 225, 225, 225, 225,
        225, 227, 238, 245, 246, 295, 344, 355, 370, 370, 379, 451, 467, 490, 495, 553, 560, 813, 875, 1475, 1475,
        1693, 1693, 1693],
    'scenarios.explanation': [234.3, 37, 37, 37, 65, 65, 65, 65, 65, 65, 67, 68, 68, 77, 80, 90, 141, 142, 179, 197,
        287, 292, 293, 293, 293, 295, 302, 302, 302, 302, 316, 316, 316, 317, 317, 379, 379, 379, 392, 650, 694,
        726, 732, 732, 786],
    'scenarios.grades': [1.5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
    'scenarios.grade': [136.8, 27, 27, 45, 45, 45, 46, 46, 46, 52, 52, 52, 52, 54, 55, 58, 58, 58, 58, 60, 60, 60,
        67, 99, 99, 99, 157, 157, 157, 157, 192, 192, 192, 227, 276, 277, 277, 300, 300, 301, 562, 606, 638, 644,
        698],
}

SUITE_OF = {"gsm8k": "gsm8k", "humaneval": "humaneval", "scenarios": "scenarios"}


def quantiles(values: list[int]) -> list[float]:
    """The mean, then the values at :data:`P` (nearest rank)."""
    v = sorted(values)
    return [round(sum(v) / len(v), 1), *(v[min(len(v) - 1, round(p * (len(v) - 1)))] for p in P)]


def sample_files(site_data: Path, suite: str = "*") -> list[Path]:
    """The committed runs' samples files, unmerged shards left out: a suite's shards land one by one over several
    working stretches (issue 25) and are measured once merged, as one run."""
    return [p for p in sorted(site_data.glob(f"runs/*/{suite}/*/samples.jsonl.gz"))
            if json.loads((p.parent / "run.json").read_text(encoding="utf-8")).get("shard") is None]


def _lines(site_data: Path, suite: str) -> list[str]:
    out: list[str] = []
    for path in sample_files(site_data, suite):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            out += fh.readlines()
    return out


def _outputs(site_data: Path, suite: str) -> list[dict[str, Any]]:
    return [o for line in _lines(site_data, suite) for o in json.loads(line)["outputs"]]


def size(text: str | None) -> int:
    """What ``text`` takes in a samples line: its JSON string's UTF-8 bytes, escapes included, quotes not."""
    return len(json.dumps(text or "", ensure_ascii=False).encode("utf-8")) - 2


def measure(site_data: Path) -> dict[str, list[float]]:
    """The mean and quantiles of every length (in bytes as stored, see :func:`size`) and count the synthetic data
    draws, from the committed runs under ``site_data``."""
    table: dict[str, list[float]] = {}
    table["gsm8k.text"] = quantiles([size(o["text"]) for o in _outputs(site_data, "gsm8k")])
    he = _outputs(site_data, "humaneval")
    table["humaneval.text"] = quantiles([size(o["text"]) for o in he])
    table["humaneval.reason"] = quantiles([size(o["detail"]["reason"]) for o in he])
    table["humaneval.error_line"] = quantiles([size(o["detail"]["error_line"]) for o in he])
    table["scenarios.prompt"] = quantiles([sum(size(t["content"]) for t in json.loads(line)["prompt"] or [])
                                           for line in _lines(site_data, "scenarios")])
    sc = _outputs(site_data, "scenarios")
    table["scenarios.text"] = quantiles([size(o["text"]) for o in sc])
    table["scenarios.turns"] = quantiles([o["detail"]["turns"] for o in sc])
    table["scenarios.turn"] = quantiles([size(t["content"]) for o in sc for t in (o["transcript"] or [])[:-1]] or [0])
    table["scenarios.explanation"] = quantiles([size(o["explanation"]) for o in sc])
    table["scenarios.grades"] = quantiles([len(o["grades"]) for o in sc])
    table["scenarios.grade"] = quantiles([size(g["explanation"]) for o in sc for g in o["grades"]])
    return table


_WORDS = ("the so we then result value number first next step two three four answer is of to a in and that this it "
         "for with as on be by are from at each sum total make take get use function return list string check input "
         "output loop case if else true false count small large first last new old value index item key add one "
         "more less than equal each other left right start end print call tool result data name list")
WORDS = _WORDS.split()


class Filler:
    """Made-up text of any length, sliced from a fixed pool of random words (compresses like prose: the pool is
    larger than gzip's window)."""

    def __init__(self, seed: int = 0, size: int = 1 << 18) -> None:
        rng = random.Random(seed)
        words, n = [], 0
        while n < size:
            w = rng.choice(WORDS)
            words.append(w + ("\n" if rng.random() < 0.08 else " "))
            n += len(words[-1])
        self.pool = "".join(words)

    def text(self, n: int, rng: random.Random) -> str:
        if n <= 0:
            return ""
        out = []
        while n > 0:
            start = rng.randrange(len(self.pool) - min(n, len(self.pool) - 1))
            piece = self.pool[start:start + n]
            out.append(piece)
            n -= len(piece)
        return "".join(out)


MARGIN = 1.03  # lengths drawn 3% above the measured mean: the synthetic data is never lighter than real data
COUNTS = ("scenarios.turns", "scenarios.grades")  # whole numbers: drawn as one of the two quantiles around u


class Lengths:
    """Draws from :data:`MEASURED` (or another table of the same shape). A length is interpolated between the
    quantiles and scaled so that the draws' mean is :data:`MARGIN` × the measured mean (the interpolation alone
    under-weights the long tail by a few percent); a count is one of the two quantiles around the drawn
    probability."""

    def __init__(self, table: dict[str, list[float]] | None = None) -> None:
        self.table = table or MEASURED
        self.factor = {key: MARGIN * row[0] / _mean(row[1:]) if _mean(row[1:]) else 1.0
                       for key, row in self.table.items()}

    def draw(self, key: str, rng: random.Random) -> int:
        q = self.table[key][1:]
        u = rng.random()
        i = min(len(P) - 2, bisect.bisect_right(P, u) - 1)
        frac = (u - P[i]) / (P[i + 1] - P[i])
        if key in COUNTS:
            return int(q[i + 1] if rng.random() < frac else q[i])
        return round((q[i] + frac * (q[i + 1] - q[i])) * self.factor[key])


def _mean(q: list[float]) -> float:
    """The mean of the piecewise-linear distribution through the quantiles ``q`` at :data:`P`."""
    return sum((P[i + 1] - P[i]) * (q[i] + q[i + 1]) / 2 for i in range(len(P) - 1))


def main(argv: list[str]) -> int:
    table = measure(Path(argv[0] if argv else "site_data"))
    print("MEASURED: dict[str, list[float]] = {")
    for key, q in table.items():
        print(textwrap.fill(", ".join(f"{v:g}" for v in q), 116, initial_indent=f"    {key!r}: [",
                            subsequent_indent="        ") + "],")
    print("}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
