"""The synthetic site_data (tools/synth_site_data.py) weighs what real runs weigh: output lengths, scenario turns,
grades and trials drawn from the committed runs' measured distributions (tools/synth_lengths.py), per-suite raw
bytes per output within a few percent of the committed runs'."""

from __future__ import annotations

import gzip
import json
import random
import statistics
from collections import Counter
from pathlib import Path

import pytest

from tests.support.servers import REPO
from tools.synth_lengths import MEASURED, Lengths, P, measure, sample_files
from tools.synth_site_data import generate

SITE_DATA = REPO / "site_data"
REMEASURE = "the committed runs moved: re-measure with `python tools/synth_lengths.py site_data` into MEASURED"


@pytest.fixture(scope="module")
def committed() -> dict[str, list[float]]:
    if not list(SITE_DATA.glob("runs/*/scenarios/*/samples.jsonl.gz")):
        pytest.skip("no committed scenario run to measure")
    return measure(SITE_DATA)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "site_data"
    generate(root, models=4, scale=0.1, samples=20, trials=9, extras=False)
    return root


def _at(q: list[float], p: float) -> float:
    return q[1:][P.index(p)]


def test_draws_follow_the_committed_runs(committed: dict[str, list[float]]) -> None:
    """200,000 draws per quantity: the mean 0–6% above the committed runs' (never lighter), the quartiles, median
    and 90th percentile within 10% (or 5 characters)."""
    assert set(MEASURED) == set(committed)
    lengths, rng = Lengths(), random.Random(7)
    for key, real in committed.items():
        draws = sorted(lengths.draw(key, rng) for _ in range(200_000))
        mean = statistics.fmean(draws)
        assert real[0] <= mean <= 1.06 * real[0] + 0.05, f"{key}: mean {mean:.1f}, committed {real[0]} — {REMEASURE}"
        for p in (0.25, 0.5, 0.75, 0.9):
            got, want = draws[int(p * (len(draws) - 1))], _at(real, p)
            assert abs(got - want) <= max(5, 0.1 * want), f"{key}: q{p} {got}, committed {want} — {REMEASURE}"


def _per_suite(root: Path) -> dict[str, tuple[float, list[int]]]:
    """suite → (decompressed bytes per output, every output's text length)."""
    out: dict[str, tuple[int, int, list[int]]] = {}
    for path in sample_files(root):
        suite = path.parts[-3]
        lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
        outputs = [o for line in lines for o in json.loads(line)["outputs"]]
        size, n, lengths = out.get(suite, (0, 0, []))
        out[suite] = (size + sum(map(len, lines)), n + len(outputs), lengths + [len(o["text"]) for o in outputs])
    return {s: (size / n, lengths) for s, (size, n, lengths) in out.items()}


def test_synthetic_runs_weigh_what_committed_runs_weigh(synthetic: Path) -> None:
    """Per suite, raw bytes per output within -3%..+10% of the committed runs' (a sample of four models at a tenth
    of the size: the draws' noise is a few percent), the mean output length within 12%, and each committed quartile
    and 90th percentile of the length at that probability of the synthetic lengths (±0.06; ties count either way)."""
    real, synth = _per_suite(SITE_DATA), _per_suite(synthetic)
    for suite in ("gsm8k", "humaneval", "mmlu", "hellaswag", "boolq", "winogrande", "scenarios"):
        if suite not in real:
            continue
        (rb, rl), (sb, sl) = real[suite], synth[suite]
        assert 0.97 * rb <= sb <= 1.10 * rb, f"{suite}: {sb:.0f} bytes per output, committed {rb:.0f}"
        r, s = statistics.fmean(rl), statistics.fmean(sl)
        assert abs(s - r) <= max(1, 0.12 * r), f"{suite}: mean length {s:.0f}, committed {r:.0f}"
        if suite in ("gsm8k", "humaneval", "scenarios"):
            ranked = sorted(rl)
            for p in (0.25, 0.5, 0.75, 0.9):
                x = ranked[int(p * (len(ranked) - 1))]
                below, upto = (sum(v < x for v in sl) / len(sl), sum(v <= x for v in sl) / len(sl))
                assert below - 0.06 <= p <= upto + 0.06, \
                    f"{suite}: committed q{p} = {x}, synthetic {below:.2f}–{upto:.2f}"


def _shape(path: Path) -> tuple[Counter[str], Counter[int]]:
    """(items per scenario/protocol, turns per trial) of one scenario run."""
    rows = [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]
    return (Counter(r["item_id"].rsplit("/", 1)[0] for r in rows),
            Counter(o["detail"]["turns"] for r in rows for o in r["outputs"]))


def test_scenario_runs_have_the_committed_shape(synthetic: Path) -> None:
    """As many scenario/protocol pairs and trials each as the largest committed scenario run, with multi-turn
    transcripts about as often."""
    real = max(SITE_DATA.glob("runs/*/scenarios/*/samples.jsonl.gz"), key=lambda p: p.stat().st_size)
    (rp, rt), (sp, st) = _shape(real), _shape(next(synthetic.glob("runs/*/scenarios/*/samples.jsonl.gz")))
    assert len(sp) == len(rp) and set(sp.values()) == set(rp.values())
    multi = (sum(v for k, v in rt.items() if k > 1) / rt.total(), sum(v for k, v in st.items() if k > 1) / st.total())
    assert multi[1] > 0 and abs(multi[1] - multi[0]) < 0.1, multi
