"""Benchmark: Podium's OpenAI-compatible backend vs a bare asyncio loop of the same requests.

Both send the same GSM8K 8-shot prompts to one local llama.cpp server (`podium serve-model`) with the same
concurrency; rounds alternate (bare, podium, bare, podium, ...) and the median wall time of each is compared.
Optionally also lm-evaluation-harness `local-completions` on the same items (--lm-eval, needs lm-eval and an
HF tokenizer directory).

    python benchmarks/openai_overhead.py --items 24 --concurrency 4 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import openai

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evals.backends.base import GenerateRequest, Sampling  # noqa: E402
from evals.backends.openai_compat import OpenAICompatBackend, OpenAIConfig  # noqa: E402
from evals.data import default_data_dir  # noqa: E402
from evals.suites.gsm8k import GSM8K, STOP  # noqa: E402
from tests.support.servers import llama_server  # noqa: E402


async def bare_loop(url: str, reqs: list[GenerateRequest], concurrency: int) -> list[str]:
    client = openai.AsyncOpenAI(base_url=url, api_key="x", max_retries=0)
    sem = asyncio.Semaphore(concurrency)

    async def one(r: GenerateRequest) -> str:
        async with sem:
            resp = await client.completions.create(model="m", prompt=str(r.prompt), max_tokens=r.sampling.max_tokens,
                                                   temperature=0.0, stop=list(r.sampling.stop)[:4], seed=0)
            return resp.choices[0].text

    try:
        return list(await asyncio.gather(*(one(r) for r in reqs)))
    finally:
        await client.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=24)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    suite = GSM8K()
    sampling = Sampling(max_tokens=args.max_tokens, temperature=0.0, stop=STOP, seed=0)
    reqs = [suite.request(it, sampling) for it in suite.load(default_data_dir())[: args.items]]
    with llama_server(parallel=args.concurrency) as (url, _):
        times: dict[str, list[float]] = {"bare asyncio": [], "podium": []}
        outputs: dict[str, list[str]] = {}
        asyncio.run(bare_loop(url, reqs[:2], 2))  # warm-up
        for _ in range(args.rounds):
            t = time.perf_counter()
            outputs["bare asyncio"] = asyncio.run(bare_loop(url, reqs, args.concurrency))
            times["bare asyncio"].append(time.perf_counter() - t)
            be = OpenAICompatBackend(OpenAIConfig(model="m", base_url=url, concurrency=args.concurrency))
            t = time.perf_counter()
            outputs["podium"] = [c.texts[0] for c in be.generate(reqs)]
            times["podium"].append(time.perf_counter() - t)
    bare, pod = statistics.median(times["bare asyncio"]), statistics.median(times["podium"])
    print(f"{args.items} GSM8K 8-shot requests, max_tokens {args.max_tokens}, concurrency {args.concurrency}, "
          f"{args.rounds} alternating rounds, llama.cpp server with {args.concurrency} slots")
    print(f"{'client':<14} {'median s':>9} {'all rounds':>30}")
    for k, v in times.items():
        print(f"{k:<14} {statistics.median(v):>9.2f} {', '.join(f'{x:.2f}' for x in v):>30}")
    print(f"podium / bare = {pod / bare:.3f}  (overhead {100 * (pod / bare - 1):+.1f}%; goal <= +3%)")
    same = sum(a == b for a, b in zip(outputs["bare asyncio"], outputs["podium"], strict=True))
    print(f"identical outputs: {same}/{len(reqs)}")


if __name__ == "__main__":
    main()
