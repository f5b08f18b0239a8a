"""Benchmark: Podium's OpenAI-compatible backend vs lm-evaluation-harness `local-completions`, same server,
same task (GSM8K gsm8k_cot, 8-shot), same items, same concurrency. Prints wall times, the ratio and how many
generations are identical.

    bash tools/setup_lmeval.sh && python benchmarks/lmeval_speed.py --limit 16 --concurrency 4
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from evals.data import default_data_dir  # noqa: E402
from tests.support.servers import llama_server  # noqa: E402


def lmeval_task_dir(lmeval_python: Path, data_dir: Path, out: Path) -> Path:
    """A task config of lm-eval's own format that includes the built-in gsm8k_cot and points it at local data."""
    tasks = subprocess.run([str(lmeval_python), "-c", "import lm_eval, os; print(os.path.dirname(lm_eval.__file__))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    d = out / "tasks"
    d.mkdir(parents=True, exist_ok=True)
    (d / "gsm8k_cot_local.yaml").write_text(
        f"include: {tasks}/tasks/gsm8k/gsm8k-cot.yaml\ntask: gsm8k_cot_local\ndataset_path: json\n"
        f"dataset_name: null\ndataset_kwargs:\n  data_files:\n    test: {data_dir / 'gsm8k' / 'test.jsonl'}\n")
    return d


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=16)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--lmeval-venv", type=Path, default=REPO / ".venv-lmeval")
    args = ap.parse_args()
    lm_python = args.lmeval_venv / "bin" / "python"
    if not lm_python.exists():
        sys.exit("lm-eval not installed: bash tools/setup_lmeval.sh")
    data_dir = default_data_dir()
    work = Path(tempfile.mkdtemp(prefix="podium-lmeval-"))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "PODIUM_CACHE_DIR": str(work / "cache")}
    with llama_server(parallel=args.concurrency) as (url, _):
        task_dir = lmeval_task_dir(lm_python, data_dir, work)
        t0 = time.perf_counter()
        lm = subprocess.run([str(args.lmeval_venv / "bin" / "lm_eval"), "--model", "local-completions",
                             "--model_args", f"model=smollm2,base_url={url}/completions,num_concurrent="
                             f"{args.concurrency},max_retries=3,tokenized_requests=False,tokenizer_backend=None",
                             "--tasks", "gsm8k_cot_local", "--include_path", str(task_dir), "--limit",
                             str(args.limit), "--log_samples", "--output_path", str(work / "lmeval")],
                            capture_output=True, text=True, env=env)
        t_lm = time.perf_counter() - t0
        if lm.returncode != 0:
            sys.exit(f"lm-eval failed:\n{lm.stderr[-3000:]}")
        site = work / "site_data"
        subprocess.run(["cp", "-r", str(REPO / "site_data"), str(site)], check=True)
        t0 = time.perf_counter()
        pod = subprocess.run([sys.executable, "-m", "generator", "run", "--model", "smollm2-135m-instruct",
                              "--backend", "openai", "--base-url", url, "--api-model", "smollm2", "--suite", "gsm8k",
                              "--limit", str(args.limit), "--concurrency", str(args.concurrency), "--no-cache",
                              "--site-data", str(site)], capture_output=True, text=True, env=env, cwd=REPO)
        t_pod = time.perf_counter() - t0
        if pod.returncode != 0:
            sys.exit(f"podium failed:\n{pod.stderr[-3000:]}")
    lm_rows = [json.loads(x) for p in (work / "lmeval").rglob("samples_gsm8k_cot_local_*.jsonl")
               for x in p.read_text().splitlines()]
    lm_out = {r["doc_id"]: r["resps"][0][0] for r in lm_rows}
    (samples,) = list(site.glob("runs/*/gsm8k/*/samples.jsonl.gz"))
    with gzip.open(samples, "rt") as fh:
        pod_out = {int(json.loads(x)["item_id"].rsplit("/", 1)[1]): json.loads(x)["outputs"][0]["text"] for x in fh}
    same = sum(1 for k, v in pod_out.items() if lm_out.get(k, "").strip() == v.strip())
    print(f"GSM8K gsm8k_cot, {args.limit} items, concurrency {args.concurrency}, one llama.cpp server "
          f"({args.concurrency} slots), whole command wall time incl. start-up")
    print(f"{'harness':<28} {'wall s':>8}")
    print(f"{'lm-eval local-completions':<28} {t_lm:>8.1f}")
    print(f"{'podium --backend openai':<28} {t_pod:>8.1f}")
    print(f"podium / lm-eval = {t_pod / t_lm:.2f}  (goal < 1)")
    print(f"identical generations: {same}/{len(pod_out)}")


if __name__ == "__main__":
    main()
