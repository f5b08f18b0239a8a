"""Produce tests/fixtures/lmeval/: a real lm-evaluation-harness 0.4.13 run on the embedded model, without benchmark text.

Runs ``lm_eval --model local-completions`` (gsm8k_cot, first ``--limit`` documents of the local GSM8K test file)
against ``podium serve-model`` (llama.cpp, SmolLM2-135M-Instruct), then strips every field that carries benchmark
text — samples' ``doc``, ``arguments``, ``target``; the task configs' few-shot examples, templates and local data
paths — and keeps what ``podium import lm-eval`` reads (doc_id, resps, filtered_resps, filter, metrics, hashes).

    bash tools/setup_lmeval.sh && .venv/bin/python tools/make_lmeval_fixture.py --limit 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from evals.data import default_data_dir  # noqa: E402
from tests.support.servers import llama_server  # noqa: E402

ROW_KEYS = ("doc_id", "resps", "filtered_resps", "filter", "metrics", "doc_hash", "prompt_hash", "target_hash")
DROP = ("pretty_env_info", "chat_template")  # machine details; not needed
CONFIG_KEYS = ("task", "dataset_path", "test_split", "output_type", "num_fewshot", "repeats", "should_decontaminate",
               "generation_kwargs", "metric_list", "filter_list", "metadata")


def strip_results(raw: dict[str, object]) -> dict[str, object]:
    configs = raw["configs"]
    assert isinstance(configs, dict)
    raw["configs"] = {t: {k: c[k] for k in CONFIG_KEYS if k in c} | {"stripped_for_fixture": True}
                      for t, c in configs.items()}
    return {k: v for k, v in raw.items() if k not in DROP}


def strip_row(row: dict[str, object]) -> dict[str, object]:
    metrics = row.get("metrics") or []
    assert isinstance(metrics, list)
    return {k: row[k] for k in (*ROW_KEYS, *metrics) if k in row}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=3)
    ap.add_argument("--out", type=Path, default=REPO / "tests" / "fixtures" / "lmeval")
    ap.add_argument("--lmeval-venv", type=Path, default=REPO / ".venv-lmeval")
    args = ap.parse_args()
    lm = args.lmeval_venv / "bin"
    tasks = subprocess.run([str(lm / "python"), "-c", "import lm_eval, os; print(os.path.dirname(lm_eval.__file__))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    work = Path(tempfile.mkdtemp(prefix="podium-lmeval-fixture-"))
    (work / "tasks").mkdir()
    (work / "tasks" / "gsm8k_cot_local.yaml").write_text(
        f"include: {tasks}/tasks/gsm8k/gsm8k-cot.yaml\ntask: gsm8k_cot_local\ndataset_path: json\n"
        f"dataset_name: null\ndataset_kwargs:\n  data_files:\n    test: {default_data_dir() / 'gsm8k' / 'test.jsonl'}\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(work / "hf")}
    with llama_server(parallel=1) as (url, _):
        cmd = [str(lm / "lm_eval"), "--model", "local-completions", "--model_args",
               f"model=smollm2,base_url={url}/completions,num_concurrent=1,max_retries=3,tokenized_requests=False,"
               "tokenizer_backend=None", "--tasks", "gsm8k_cot_local", "--include_path", str(work / "tasks"),
               "--limit", str(args.limit), "--log_samples", "--output_path", str(work / "out")]
        print(" ".join(cmd), flush=True)
        subprocess.run(cmd, env=env, check=True)
    args.out.mkdir(parents=True, exist_ok=True)
    for f in (work / "out").rglob("*.json*"):
        if f.name.startswith("results_"):
            (args.out / f.name).write_text(json.dumps(strip_results(json.loads(f.read_text())), indent=1) + "\n")
        else:
            rows = [strip_row(json.loads(x)) for x in f.read_text().splitlines() if x.strip()]
            (args.out / f.name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"fixture written to {args.out} (work dir {work})")


if __name__ == "__main__":
    main()
