"""Reference-harness parity: Podium vs lm-evaluation-harness 0.4.13 on ONE vLLM server, same items.

One ``vllm serve`` (CPU, bf16, max-model-len 2048, enforce-eager, seed 0) serves SmolLM2-135M-Instruct; both
harnesses are run against it, suite by suite, with the same items and the same concurrency:

* lm-eval: ``lm_eval --model local-completions`` (token-id requests, HF tokenizer of the model directory) with
  task configs of lm-eval's own format that ``include:`` the built-in task YAML and point it at local copies of
  the shared benchmark files (converted into a temp dir to the field layout each lm-eval task expects);
* Podium: ``python -m generator run --backend openai`` (echo log-probs on vLLM; its own /tokenize round trips).

Per item it compares the picks (MMLU 5-shot, HellaSwag acc and acc_norm, BoolQ, WinoGrande), the raw
log-likelihoods, and for GSM8K (gsm8k_cot, 8-shot, greedy) the generations and the strict / flexible extracted
answers. It also checks that the prompts are the same text and that both send the same token ids. Prints one
table and then every disagreement with its cause.

    bash tools/setup_vllm_cpu.sh && bash tools/setup_lmeval.sh
    .venv/bin/python benchmarks/parity_lm_eval.py                       # 200 items per suite, concurrency 1
    .venv/bin/python benchmarks/parity_lm_eval.py --limit 20 --suites hellaswag,boolq --keep
    .venv/bin/python benchmarks/parity_lm_eval.py --noise-floor        # + lm-eval run twice: its self-agreement
    .venv/bin/python benchmarks/parity_lm_eval.py --concurrency 4 --limit 50   # shows vLLM's batch noise

What to expect (SmolLM2-135M, bf16 on CPU; measured 2026-11-23, 200 items per suite): prompts, token ids,
picks and greedy generations identical on all 1,000 items at --concurrency 1, log-likelihoods equal to the
3 decimals Podium stores. With concurrent requests, vLLM's bf16 results
depend on which requests share an engine step, and the two harnesses interleave their requests differently, so
near-tied picks and greedy generations can differ (each disagreement is listed with its gap and the noise).

MMLU: lm-eval's --limit is per subject (one task per subject) and so is Podium's; the script runs
``--mmlu-subjects`` (default: one or two per category) with ceil(limit / #subjects) items each.
No benchmark data is written into the repository: converted files, lm-eval's HF datasets cache, Podium's
site_data copy and both harnesses' outputs live in a temp dir (deleted at the end unless --keep).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import math
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SUITES = ("mmlu", "hellaswag", "boolq", "winogrande", "arc_challenge", "gsm8k")
# one subject per MMLU category (+1 STEM), all with 5-shot prompts well under 2,048 tokens
DEFAULT_SUBJECTS = ("abstract_algebra", "anatomy", "business_ethics", "high_school_geography", "philosophy")
LETTERS = "ABCD"
LETTERS_ALL = "ABCDEFGHIJ"
LL_RESOLUTION = 5e-4  # Podium's samples keep log-likelihoods to 3 decimals (its gallery detail string)
INVALID = "[invalid]"
LMEVAL_MAX_TOKENS = 2047  # lm-eval API models: max_length (2048) - 1; longer inputs are left-truncated

# Runs under .venv-lmeval's python: lm-eval's own _encode_pair (HF tokenizer, no special tokens) against the
# whole-string tokenisation Podium sends (evals.backends.loglik.encode_pair returns whole[:n_ctx], whole[n_ctx:]).
TOKEN_CHECK = r"""
import json, sys
from transformers import AutoTokenizer
tok = AutoTokenizer.from_pretrained(sys.argv[1])
enc = lambda s: tok(s, add_special_tokens=False).input_ids
pairs = json.load(open(sys.argv[2]))
out = []
for ctx, cont in pairs:
    n = len(ctx) - len(ctx.rstrip())
    if n:
        ctx, cont = ctx[:-n], ctx[-n:] + cont
    whole, c = enc(ctx + cont), enc(ctx)
    lm = c + whole[len(c):]
    out.append([lm == whole, len(c), len(whole) - len(c)])
json.dump(out, open(sys.argv[3], "w"))
"""


# ---------------------------------------------------------------------------------------------------- data
def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [row for row in csv.reader(fh) if row]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def mmlu_rows(path: Path, subject: str) -> list[dict[str, Any]]:
    """hendrycks CSV → cais/mmlu rows: question, subject, choices (4), answer (int)."""
    return [{"question": r[0], "subject": subject, "choices": r[1:5], "answer": LETTERS.index(r[5].strip())}
            for r in read_csv(path)]


def boolq_rows(path: Path) -> list[dict[str, Any]]:
    """Original BoolQ (title, passage, answer: bool) → aps/super_glue boolq (passage = "TITLE -- PASSAGE",
    question, label: 0 = no / 1 = yes, idx) — SuperGLUE's val.jsonl stores the title inside the passage."""
    out = []
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            r = json.loads(line)
            passage = f"{r['title']} -- {r['passage']}" if r.get("title") else r["passage"]
            out.append({"question": r["question"], "passage": passage, "idx": i, "label": int(bool(r["answer"]))})
    return out


def arc_rows(path: Path) -> list[dict[str, Any]]:
    """Podium's ARC file (id, question, choices, answer_index) → allenai/ai2_arc rows (choices {text, label},
    answerKey). The labels are positional (A, B, ...): lm-eval's target is ``choices.label.index(answerKey)``,
    the gold position either way."""
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            labels = [LETTERS_ALL[k] for k in range(len(r["choices"]))]
            out.append({"id": r["id"], "question": r["question"], "choices": {"text": r["choices"], "label": labels},
                        "answerKey": labels[r["answer_index"]]})
    return out


def task_yaml(include: Path, name: str, files: dict[str, Path], extra: str = "") -> str:
    data = "".join(f"    {split}: {path}\n" for split, path in files.items())
    return (f"include: {include}\ntask: {name}\ntag: []\ndataset_path: json\ndataset_name: null\n"
            f"dataset_kwargs:\n  data_files:\n{data}{extra}")


def prepare_lmeval_tasks(lm_tasks: Path, data: Path, work: Path, suites: list[str],
                         subjects: list[str]) -> dict[str, list[str]]:
    """Task YAMLs (+ converted data where the field layout differs) → {suite: [lm-eval task names]}."""
    tdir, ddir = work / "lmeval_tasks", work / "lmeval_data"
    tdir.mkdir(parents=True, exist_ok=True)
    names: dict[str, list[str]] = {}
    if "mmlu" in suites:
        names["mmlu"] = []
        for s in subjects:
            test, dev = ddir / "mmlu" / f"{s}_test.jsonl", ddir / "mmlu" / f"{s}_dev.jsonl"
            write_jsonl(test, mmlu_rows(data / "mmlu" / "test" / f"{s}_test.csv", s))
            write_jsonl(dev, mmlu_rows(data / "mmlu" / "dev" / f"{s}_dev.csv", s))
            name = f"parity_mmlu_{s}"
            (tdir / f"{name}.yaml").write_text(task_yaml(
                lm_tasks / "mmlu" / "default" / f"mmlu_{s}.yaml", name, {"test": test, "dev": dev},
                "num_fewshot: 5\n"))
            names["mmlu"].append(name)
    if "hellaswag" in suites:
        (tdir / "parity_hellaswag.yaml").write_text(task_yaml(
            lm_tasks / "hellaswag" / "hellaswag.yaml", "parity_hellaswag",
            {"validation": data / "hellaswag" / "hellaswag_val.jsonl.gz"}, "training_split: null\n"))
        names["hellaswag"] = ["parity_hellaswag"]
    if "boolq" in suites:
        val = ddir / "boolq" / "val.jsonl"
        write_jsonl(val, boolq_rows(data / "boolq" / "dev.jsonl"))
        (tdir / "parity_boolq.yaml").write_text(task_yaml(
            lm_tasks / "super_glue" / "boolq" / "default.yaml", "parity_boolq", {"validation": val},
            "training_split: null\n"))
        names["boolq"] = ["parity_boolq"]
    if "winogrande" in suites:  # fields (sentence, option1, option2, answer "1"/"2") are allenai/winogrande's
        (tdir / "parity_winogrande.yaml").write_text(task_yaml(
            lm_tasks / "winogrande" / "default.yaml", "parity_winogrande",
            {"validation": data / "winogrande" / "dev.jsonl"}, "training_split: null\n"))
        names["winogrande"] = ["parity_winogrande"]
    if "arc_challenge" in suites:
        test = ddir / "arc_challenge" / "test.jsonl"
        write_jsonl(test, arc_rows(data / "arc_challenge" / "test.jsonl"))
        (tdir / "parity_arc_challenge.yaml").write_text(task_yaml(
            lm_tasks / "arc" / "arc_challenge.yaml", "parity_arc_challenge", {"test": test},
            "training_split: null\nvalidation_split: null\n"))
        names["arc_challenge"] = ["parity_arc_challenge"]
    if "gsm8k" in suites:  # fields (question, answer) are openai/gsm8k's; the 8 shots are in the task config
        (tdir / "parity_gsm8k_cot.yaml").write_text(task_yaml(
            lm_tasks / "gsm8k" / "gsm8k-cot.yaml", "parity_gsm8k_cot", {"test": data / "gsm8k" / "test.jsonl"}))
        names["gsm8k"] = ["parity_gsm8k_cot"]
    return names


# ---------------------------------------------------------------------------------------------------- server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(url: str, body: dict[str, Any] | None = None, timeout: float = 5.0) -> tuple[int, str]:
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as e:
        return 0, str(e)


def start_server(python: Path, model: Path, port: int, log: Path, dtype: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "2", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "VLLM_SERVER_DEV_MODE": "1"}  # dev mode: POST /reset_prefix_cache between harness runs
    cmd = [str(python), "-m", "vllm.entrypoints.openai.api_server", "--model", str(model), "--host", "127.0.0.1",
           "--port", str(port), "--dtype", dtype, "--max-model-len", "2048", "--enforce-eager", "--seed", "0"]
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"vllm server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        if http(f"http://127.0.0.1:{port}/health")[0] == 200:
            # one request first: on a loaded machine the engine's first step can outlast a harness's probe timeout
            http(f"http://127.0.0.1:{port}/v1/completions", {"model": str(model), "prompt": "Hello world",
                                                             "max_tokens": 1, "echo": True, "logprobs": 1}, 600)
            return proc
        time.sleep(1.0)
    stop_server(proc)
    raise SystemExit(f"vllm server not healthy after 600 s:\n{log.read_text()[-3000:]}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    except ProcessLookupError:
        pass


def reset_prefix_cache(port: int) -> None:
    for _ in range(20):
        code, text = http(f"http://127.0.0.1:{port}/reset_prefix_cache", {}, timeout=30)
        if code == 200 and '"success":true' in text.replace(" ", ""):
            return
        time.sleep(0.5)
    print(f"warning: could not reset vLLM's prefix cache ({code} {text[:200]})", file=sys.stderr)


def run_timed(cmd: list[str], env: dict[str, str], log: Path, cwd: Path) -> float:
    t0 = time.perf_counter()
    with log.open("w") as fh:
        rc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=cwd).returncode
    wall = time.perf_counter() - t0
    if rc != 0:
        raise SystemExit(f"command failed (rc {rc}): {' '.join(cmd)}\n{log.read_text()[-4000:]}")
    return wall


# ---------------------------------------------------------------------------------------------------- results
@dataclass
class MCRow:
    lls: list[float]
    pick: int
    pick_norm: int | None
    correct: float
    correct_norm: float | None
    contexts: list[str] = field(default_factory=list)
    continuations: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    gold: int = 0
    error: str | None = None


def argmax(values: list[float]) -> int:  # numpy's: first index of the maximum
    best = 0
    for i, v in enumerate(values):
        if v > values[best]:
            best = i
    return best


def lm_samples(out: Path, task: str) -> list[dict[str, Any]]:
    files = sorted(out.rglob(f"samples_{task}_*.jsonl"))
    if not files:
        raise SystemExit(f"lm-eval wrote no samples for {task} under {out}")
    return [json.loads(x) for x in files[-1].read_text(encoding="utf-8").splitlines() if x.strip()]


def lm_mc(rows: list[dict[str, Any]], norm: bool) -> dict[int, MCRow]:
    out = {}
    for r in rows:
        resps = r["resps"]  # one [[ll, is_greedy]] per choice (strings in the log)
        lls = [float(x[0][0] if isinstance(x[0], list) else x[0]) for x in resps]
        args = [r["arguments"][k] for k in sorted(r["arguments"], key=lambda k: int(k.rsplit("_", 1)[1]))]
        ctxs, conts = [a["arg_0"] for a in args], [a["arg_1"] for a in args]
        doc = r["doc"]
        raw = doc.get("choices") or []
        choices = list(raw["text"] if isinstance(raw, dict) else raw) if norm else []
        pick = argmax(lls)
        pick_n = argmax([ll / len(c) for ll, c in zip(lls, choices, strict=True)]) if norm else None
        # winogrande's target is the shared continuation; its gold is the option number
        gold = int(doc["answer"]) - 1 if "option1" in doc else int(r["target"])
        out[int(r["doc_id"])] = MCRow(lls, pick, pick_n, float(r["acc"]),
                                      float(r["acc_norm"]) if norm else None, ctxs, conts, choices, gold)
    return out


def podium_samples(site: Path, suite: str) -> list[dict[str, Any]]:
    files = sorted(site.glob(f"runs/*/{suite}/*/samples.jsonl.gz"), key=lambda p: p.stat().st_mtime)
    if not files:
        raise SystemExit(f"Podium wrote no samples for {suite} under {site}")
    with gzip.open(files[-1], "rt", encoding="utf-8") as fh:
        return [json.loads(x) for x in fh if x.strip()]


def podium_prompts(suite: str, data: Path, ids: set[str]) -> dict[str, tuple[list[tuple[str, str]], list[str], str]]:
    """item id → the (context, continuation) pairs Podium's suite sends for it, its choice texts and the
    prompt_sha256 it records (built here, in-process, from the same data files: the samples keep no text)."""
    from evals.suites import get_suite

    s = get_suite(suite)
    out = {}
    for it in s.load(data):
        if it.id in ids:
            pairs = [(r.context, r.continuation) for r in it.requests()]  # type: ignore[attr-defined]
            out[it.id] = (pairs, list(it.choices), s.prompt_sha256(it))
    return out


def podium_mc(rows: list[dict[str, Any]], norm: bool,
              prompts: dict[str, tuple[list[tuple[str, str]], list[str], str]]) -> dict[str, MCRow]:
    """Podium's samples (typed ChoiceDetail: log-likelihoods, picks) with the prompts its suite builds."""
    out = {}
    for r in rows:
        o = r["outputs"][0]
        d = o.get("detail") or {}
        lls = [float("nan") if v is None else float(v) for v in d.get("loglikelihoods", [])]
        pick = d.get("picked", -1)
        pick_n = (d.get("picked_norm") if d.get("picked_norm") is not None else -1) if norm else None
        pairs, choices, sha = prompts.get(r["item_id"], ([], [], ""))
        error = o.get("error") or (None if sha == r["prompt_sha256"] else
                                   "stored prompt_sha256 differs from the one the suite rebuilds")
        out[r["item_id"]] = MCRow(lls, pick, pick_n, float(r["scores"]["acc"]),
                                  float(r["scores"]["acc_norm"]) if norm else None, [c for c, _ in pairs],
                                  [x for _, x in pairs], choices, error=error)
    return out


def podium_id(suite: str, doc_id: int, subject: str | None = None) -> str:
    return {"mmlu": f"mmlu/{subject}/{doc_id:04d}", "hellaswag": f"hellaswag/val/{doc_id:05d}",
            "boolq": f"boolq/dev/{doc_id:04d}", "winogrande": f"winogrande/dev/{doc_id:04d}",
            "arc_challenge": f"arc_challenge/test/{doc_id:04d}", "gsm8k": f"gsm8k/test/{doc_id:04d}"}[suite]


@dataclass
class SuiteResult:
    suite: str
    items: int = 0
    agree: dict[str, float] = field(default_factory=dict)  # metric → agreement fraction
    lm_score: dict[str, float] = field(default_factory=dict)
    pod_score: dict[str, float] = field(default_factory=dict)
    max_dll: float | None = None
    lm_wall: float = 0.0
    pod_wall: float = 0.0
    notes: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)


def picked(r: MCRow, metric: str) -> int:
    p = r.pick if metric == "acc" else r.pick_norm
    return -1 if p is None else p


def fmt_lls(lls: list[float], labels: list[str]) -> str:
    return " ".join(f"{lab}={v:.3f}" for lab, v in zip(labels, lls, strict=False))


def compare_mc(suite: str, lm: dict[str, MCRow], pod: dict[str, MCRow], labels: list[str], norm: bool,
               tokens_same: dict[str, bool], longest: dict[str, int], res: SuiteResult) -> None:
    keys = [k for k in lm if k in pod]
    missing = len(lm) - len(keys) + len(pod) - len(keys)
    if missing:
        res.notes.append(f"{missing} items present in only one harness")
    res.items = len(keys)
    metrics = ["acc", "acc_norm"] if norm else ["acc"]
    dmax = 0.0
    prompts_same = 0
    for k in keys:
        a, b = lm[k], pod[k]
        d = max((abs(x - y) for x, y in zip(a.lls, b.lls, strict=False)), default=0.0)
        if not b.error and longest.get(k, 0) <= LMEVAL_MAX_TOKENS:
            dmax = max(dmax, d)
        same_prompt = b.contexts == a.contexts and b.continuations == a.continuations  # every pair, in order
        prompts_same += same_prompt
        for m in metrics:
            pa, pb = picked(a, m), picked(b, m)
            if pa == pb:
                continue
            if not same_prompt:
                cause = "PROMPT TEXT DIFFERS between the harnesses"
            elif longest.get(k, 0) > LMEVAL_MAX_TOKENS or b.error:
                cause = (f"LENGTH: context + continuation is {longest.get(k, 0)} tokens; lm-eval left-truncates it to "
                         f"max_length - 1 = {LMEVAL_MAX_TOKENS} tokens and scores it, Podium sends it whole and the "
                         f"server rejects it (Podium error: {(b.error or 'none')[:120]})")
            elif not tokens_same.get(k, True):
                cause = ("TOKENISATION: lm-eval's context/continuation split (tok(ctx) + tok(ctx+cont)[n_ctx:]) "
                         "gives other token ids than Podium's whole-string tokenisation")
            else:
                if m == "acc":
                    va, vb = a.lls, b.lls
                    unit = ""
                else:
                    lens = [len(c) for c in (a.choices or b.choices)]
                    va = [x / n for x, n in zip(a.lls, lens, strict=True)]
                    vb = [x / n for x, n in zip(b.lls, lens, strict=True)]
                    unit = "/char"
                gap_lm, gap_pod = va[pa] - va[pb], vb[pb] - vb[pa]
                dd = max(abs(x - y) for x, y in zip(va, vb, strict=True))
                if gap_lm <= dd + LL_RESOLUTION or gap_pod <= dd + LL_RESOLUTION:
                    cause = (f"near-tie: lm-eval prefers {labels[pa]} by {gap_lm:.4f}{unit}, Podium prefers "
                             f"{labels[pb]} by {gap_pod:.4f}{unit}; same prompt and token ids, the server returned "
                             f"log-likelihoods up to {dd:.4f}{unit} apart between the two runs (bf16 numerics "
                             f"depend on the batch each request lands in)")
                else:
                    cause = (f"UNEXPLAINED: gaps lm-eval {gap_lm:.4f}{unit}, Podium {gap_pod:.4f}{unit} exceed the "
                             f"cross-run noise {dd:.4f}{unit}")
            res.disagreements.append(
                f"{k} [{m}] lm-eval→{labels[pa]} Podium→{labels[pb]} gold {labels[a.gold]} | lm-eval "
                f"{fmt_lls(a.lls, labels)} | Podium {fmt_lls(b.lls, labels)} | {cause}")
    for m in metrics:
        res.agree[m] = sum(picked(lm[k], m) == picked(pod[k], m) for k in keys) / max(1, len(keys))
        res.lm_score[m] = sum((lm[k].correct if m == "acc" else lm[k].correct_norm) or 0.0 for k in keys) / max(
            1, len(keys))
        res.pod_score[m] = sum((pod[k].correct if m == "acc" else pod[k].correct_norm) or 0.0 for k in keys) / max(
            1, len(keys))
    res.max_dll = dmax
    n_tok = sum(1 for k in keys if tokens_same.get(k, True))
    n_long = sum(1 for k in keys if longest.get(k, 0) > LMEVAL_MAX_TOKENS)
    n_err = sum(1 for k in keys if pod[k].error)
    res.notes.append(f"prompt text identical {prompts_same}/{len(keys)}; token ids identical {n_tok}/{len(keys)}"
                     + (f"; {n_long} items over {LMEVAL_MAX_TOKENS} tokens (left-truncated by lm-eval)" if n_long else "")
                     + (f"; {n_err} items with Podium request errors" if n_err else ""))


def first_diff(a: str, b: str) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def lm_gsm8k(lm_rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Podium item id → prompt, generation, strict / flexible extraction and correctness (one row per filter)."""
    lm: dict[str, dict[str, Any]] = {}
    for r in lm_rows:
        d = lm.setdefault(podium_id("gsm8k", int(r["doc_id"])), {"prompt": r["arguments"]["gen_args_0"]["arg_0"]})
        text = r["resps"][0][0] if isinstance(r["resps"][0], list) else r["resps"][0]
        d["text"] = text
        f = r["filtered_resps"][0] if isinstance(r["filtered_resps"], list) else r["filtered_resps"]
        variant = {"strict-match": "strict", "flexible-extract": "flexible"}.get(r["filter"], r["filter"])
        d[variant] = f
        d[f"{variant}_ok"] = float(r["exact_match"])
    return lm


@dataclass
class NoiseFloor:
    suite: str
    items: int
    agree: dict[str, float]
    max_dll: float | None
    same_text: int | None
    wall: float


def noise_floor_mc(suite: str, a: dict[str, MCRow], b: dict[str, MCRow], norm: bool, wall: float) -> NoiseFloor:
    keys = [k for k in a if k in b]
    agree = {"acc": sum(a[k].pick == b[k].pick for k in keys) / max(1, len(keys))}
    if norm:
        agree["acc_norm"] = sum(a[k].pick_norm == b[k].pick_norm for k in keys) / max(1, len(keys))
    d = max((abs(x - y) for k in keys for x, y in zip(a[k].lls, b[k].lls, strict=True)), default=0.0)
    return NoiseFloor(suite, len(keys), agree, d, None, wall)


def noise_floor_gsm8k(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]], wall: float) -> NoiseFloor:
    keys = [k for k in a if k in b]
    agree = {v: sum(a[k][v] == b[k][v] for k in keys) / max(1, len(keys)) for v in ("strict", "flexible")}
    return NoiseFloor("gsm8k", len(keys), agree, None, sum(a[k]["text"] == b[k]["text"] for k in keys), wall)


def pod_extracted(o: dict[str, Any], variant: str) -> str:
    """Podium's strict / flexible extraction (NumericDetail), lm-eval's "[invalid]" where there is none."""
    v = (o.get("detail") or {}).get(variant)
    return INVALID if v is None else str(v)


def compare_gsm8k(lm_rows: list[dict[str, Any]], pod_rows: list[dict[str, Any]], res: SuiteResult) -> None:
    lm = lm_gsm8k(lm_rows)
    pod = {r["item_id"]: r for r in pod_rows}
    keys = [k for k in lm if k in pod]
    res.items = len(keys)
    same_text = same_prompt = 0
    for v in ("strict", "flexible"):
        res.agree[v] = sum(lm[k][v] == pod_extracted(pod[k]["outputs"][0], v) for k in keys) / max(1, len(keys))
        res.lm_score[v] = sum(lm[k][f"{v}_ok"] for k in keys) / max(1, len(keys))
        res.pod_score[v] = sum(pod[k]["scores"][v] for k in keys) / max(1, len(keys))
    for k in keys:
        a, b = lm[k], pod[k]
        o = b["outputs"][0]
        st, sp = a["text"] == o["text"], hashlib.sha256(a["prompt"].encode()).hexdigest() == b["prompt_sha256"]
        same_text += st
        same_prompt += sp
        diff = [v for v in ("strict", "flexible") if a[v] != pod_extracted(o, v)]
        ok_diff = [v for v in ("strict", "flexible") if a[f"{v}_ok"] != b["scores"][v]]
        if not diff and not ok_diff:
            continue
        if not sp:
            cause = "PROMPT TEXT DIFFERS between the harnesses"
        elif not st:
            i = first_diff(a["text"], o["text"])
            cause = (f"greedy generations diverge after {i} of {len(a['text'])}/{len(o['text'])} characters "
                     f"(lm-eval …{a['text'][max(0, i - 25):i + 25]!r} vs Podium …{o['text'][max(0, i - 25):i + 25]!r}); "
                     f"same prompt, bf16 batch-shape noise flips a near-tied greedy token")
        else:
            cause = "SAME TEXT, DIFFERENT EXTRACTION/GRADING (grader mismatch)"
        res.disagreements.append(
            f"{k} [{','.join(diff or ok_diff)}] lm-eval strict={a['strict']!r} flex={a['flexible']!r} "
            f"(ok {a['strict_ok']:.0f}/{a['flexible_ok']:.0f}) | Podium strict={pod_extracted(o, 'strict')!r} "
            f"flex={pod_extracted(o, 'flexible')!r} (ok {b['scores']['strict']:.0f}/{b['scores']['flexible']:.0f}) "
            f"| {cause}")
    res.notes.append(f"prompt text identical {same_prompt}/{len(keys)}; identical generations {same_text}/{len(keys)}")


def check_tokens(lm_python: Path, model: Path, pairs: dict[str, list[tuple[str, str]]], work: Path
                 ) -> tuple[dict[str, bool], dict[str, int]]:
    """item key → every (context, continuation) of the item tokenises the same in both harnesses; and the
    item's longest context + continuation in tokens."""
    flat = [(k, c, x) for k, ps in pairs.items() for c, x in ps]
    src, dst = work / "token_pairs.json", work / "token_check.json"
    src.write_text(json.dumps([[c, x] for _, c, x in flat]))
    subprocess.run([str(lm_python), "-c", TOKEN_CHECK, str(model), str(src), str(dst)], check=True,
                   env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}, capture_output=True)
    out: dict[str, bool] = {}
    longest: dict[str, int] = {}
    for (k, _, _), (same, n_ctx, n_cont) in zip(flat, json.loads(dst.read_text()), strict=True):
        out[k] = out.get(k, True) and bool(same)
        longest[k] = max(longest.get(k, 0), n_ctx + n_cont)
    return out, longest


# ---------------------------------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=200, help="items per suite (MMLU: in total, split over subjects)")
    ap.add_argument("--concurrency", type=int, default=1,
                    help="requests in flight, both harnesses (>1: vLLM's bf16 results depend on the batch)")
    ap.add_argument("--suites", default=",".join(SUITES), help=f"comma-separated subset of {','.join(SUITES)}")
    ap.add_argument("--select", default=None,
                    help="Podium's item selection instead of --limit (first N), e.g. '--subset 100 --subset-seed 0' or "
                         "'--shard 1/11 --limit 100'; lm-eval then runs the items Podium ran (--samples); not MMLU")
    ap.add_argument("--mmlu-subjects", default=",".join(DEFAULT_SUBJECTS), help="comma-separated MMLU subjects")
    ap.add_argument("--mmlu-per-subject", type=int, default=None, help="default: ceil(limit / #subjects)")
    ap.add_argument("--port", type=int, default=None, help="vLLM server port (default: a free one)")
    ap.add_argument("--dtype", default="bfloat16", help="vLLM --dtype (float32: check that the bf16 noise is the cause)")
    ap.add_argument("--noise-floor", action="store_true",
                    help="run lm-eval a second time after Podium and report its agreement with itself")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs, converted data, outputs)")
    ap.add_argument("--model-dir", type=Path, default=REPO / ".podium" / "models" / "smollm2-135m-instruct-hf")
    ap.add_argument("--vllm-venv", type=Path, default=REPO / ".venv-vllm")
    ap.add_argument("--lmeval-venv", type=Path, default=REPO / ".venv-lmeval")
    ap.add_argument("--podium-python", type=Path, default=REPO / ".venv" / "bin" / "python")
    ap.add_argument("--data-dir", type=Path, default=None, help="shared benchmark files (default: Podium's)")
    args = ap.parse_args()

    suites = [s.strip() for s in args.suites.split(",") if s.strip()]
    bad = sorted(set(suites) - set(SUITES))
    if bad:
        ap.error(f"unknown suite(s): {', '.join(bad)}")
    subjects = [s.strip() for s in args.mmlu_subjects.split(",") if s.strip()]
    per_subject = args.mmlu_per_subject or math.ceil(args.limit / len(subjects))
    vllm_python, lm_python = args.vllm_venv / "bin" / "python", args.lmeval_venv / "bin" / "python"
    lm_eval = args.lmeval_venv / "bin" / "lm_eval"
    for p, fix in ((vllm_python, "bash tools/setup_vllm_cpu.sh"), (lm_eval, "bash tools/setup_lmeval.sh"),
                   (args.model_dir / "config.json", "bash tools/setup_vllm_cpu.sh"),
                   (args.podium_python, "python -m venv .venv && .venv/bin/pip install -e .")):
        if not p.exists():
            raise SystemExit(f"missing {p}: run `{fix}`")
    if args.data_dir is None:
        sys.path.insert(0, str(REPO))
        from evals.data import default_data_dir

        args.data_dir = default_data_dir()
    data, model = args.data_dir.resolve(), args.model_dir.resolve()
    lm_tasks = Path(subprocess.run([str(lm_python), "-c", "import lm_eval, os; print(os.path.dirname(lm_eval.__file__))"],
                                   capture_output=True, text=True, check=True).stdout.strip()) / "tasks"

    work = Path(tempfile.mkdtemp(prefix="podium-parity-"))
    logs = work / "logs"
    logs.mkdir()
    print(f"work dir: {work}", file=sys.stderr)
    task_names = prepare_lmeval_tasks(lm_tasks, data, work, suites, subjects)
    site = work / "site_data"
    shutil.copytree(REPO / "site_data" / "models", site / "models")
    env_lm = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
              "HF_DATASETS_CACHE": str(work / "hf_datasets"), "TOKENIZERS_PARALLELISM": "false"}
    env_pod = {**os.environ, "PODIUM_CACHE_DIR": str(work / "podium_cache")}
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    c = args.concurrency

    t0 = time.perf_counter()
    server = start_server(vllm_python, model, port, logs / "vllm.log", args.dtype)
    print(f"vLLM ready on {base} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    results: list[SuiteResult] = []
    floors: list[NoiseFloor] = []
    try:
        for suite in suites:
            res = SuiteResult(suite)
            n = per_subject if suite == "mmlu" else args.limit
            lm_out = work / "lmeval_out" / suite

            # --select: Podium picks the items (its own selection options), lm-eval runs those (--samples)
            podium_first = bool(args.select) and suite != "mmlu"
            lm_sel = ["--limit", str(n)]

            def run_lmeval(out: Path, log: Path, suite: str = suite, lm_sel: list[str] = lm_sel) -> float:
                reset_prefix_cache(port)
                return run_timed([
                    str(lm_eval), "--model", "local-completions", "--model_args",
                    f"model={model},base_url={base}/v1/completions,tokenizer={model},tokenizer_backend=huggingface,"
                    f"num_concurrent={c},max_length=2048,tokenized_requests=True",
                    "--tasks", ",".join(task_names[suite]), "--include_path", str(work / "lmeval_tasks"),
                    *lm_sel, "--log_samples", "--output_path", str(out)], env_lm, log, work)

            if not podium_first:
                res.lm_wall = run_lmeval(lm_out, logs / f"lmeval_{suite}.log")
            reset_prefix_cache(port)
            pod_cmd = [str(args.podium_python), "-m", "generator", "run", "--model", "smollm2-135m-instruct",
                       "--backend", "openai", "--base-url", f"{base}/v1", "--api-model", str(model),
                       "--suite", suite, *(shlex.split(args.select) if podium_first else ["--limit", str(n)]),
                       "--concurrency", str(c), "--no-cache", "--site-data", str(site), "--data-dir", str(data)]
            if suite == "mmlu":
                pod_cmd += ["--subjects", ",".join(subjects)]
            res.pod_wall = run_timed(pod_cmd, env_pod, logs / f"podium_{suite}.log", work)
            if podium_first:
                docs = sorted(int(r["item_id"].rsplit("/", 1)[1]) for r in podium_samples(site, suite))
                lm_sel[:] = ["--samples", json.dumps({task_names[suite][0]: docs})]
                res.lm_wall = run_lmeval(lm_out, logs / f"lmeval_{suite}.log")
                res.notes.append(f"items chosen by Podium's `{args.select}`: {len(docs)} doc ids from {docs[0]} "
                                 f"to {docs[-1]}, run by lm-eval with --samples")
            print(f"{suite}: lm-eval {res.lm_wall:.1f} s, Podium {res.pod_wall:.1f} s", file=sys.stderr)
            lm_out2 = work / "lmeval_out2" / suite
            wall2 = run_lmeval(lm_out2, logs / f"lmeval2_{suite}.log") if args.noise_floor else 0.0
            pod_rows = podium_samples(site, suite)
            if suite == "gsm8k":
                compare_gsm8k(lm_samples(lm_out, task_names[suite][0]), pod_rows, res)
                if args.noise_floor:
                    floors.append(noise_floor_gsm8k(lm_gsm8k(lm_samples(lm_out, task_names[suite][0])),
                                                    lm_gsm8k(lm_samples(lm_out2, task_names[suite][0])), wall2))
            else:
                norm = suite in ("hellaswag", "arc_challenge")
                labels = {"boolq": ["no", "yes"], "winogrande": ["A", "B"],
                          "arc_challenge": list(LETTERS_ALL[:5])}.get(suite, list(LETTERS))

                def load_lm(out: Path, suite: str = suite, norm: bool = norm) -> dict[str, MCRow]:
                    rows: dict[str, MCRow] = {}
                    for task in task_names[suite]:
                        subject = task.removeprefix("parity_mmlu_") if suite == "mmlu" else None
                        for doc_id, row in lm_mc(lm_samples(out, task), norm).items():
                            rows[podium_id(suite, doc_id, subject)] = row
                    return rows

                lm = load_lm(lm_out)
                if args.noise_floor:
                    floors.append(noise_floor_mc(suite, lm, load_lm(lm_out2), norm, wall2))
                pairs = {k: list(zip(r.contexts, r.continuations, strict=True)) for k, r in lm.items()}
                tokens_same, longest = check_tokens(lm_python, model, pairs, work)
                prompts = podium_prompts(suite, data, {r["item_id"] for r in pod_rows})
                compare_mc(suite, lm, podium_mc(pod_rows, norm, prompts), labels, norm, tokens_same, longest, res)
            results.append(res)
    finally:
        stop_server(server)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}", file=sys.stderr)

    report(results, floors, args, subjects, per_subject)


def print_table(head: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(x[i]) for x in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


def report(results: list[SuiteResult], floors: list[NoiseFloor], args: argparse.Namespace, subjects: list[str],
           per_subject: int) -> None:
    def pct(d: dict[str, float], short: dict[str, str]) -> str:
        return " / ".join(f"{short.get(k, k)} {v:.1%}" for k, v in d.items())

    def score(d: dict[str, float], short: dict[str, str]) -> str:
        return " / ".join(f"{short.get(k, k)} {v:.3f}" for k, v in d.items())

    short = {"acc": "acc", "acc_norm": "norm", "strict": "strict", "flexible": "flex"}
    head = ["suite", "items", "agreement %", "lm-eval score", "Podium score", "max |Δ loglik|", "lm-eval wall s",
            "Podium wall s", "ratio Podium/lm-eval"]
    rows = []
    for r in results:
        name = f"{r.suite} ({len(subjects)}×{per_subject}, 5-shot)" if r.suite == "mmlu" else (
            "gsm8k (cot, 8-shot)" if r.suite == "gsm8k" else r.suite)
        rows.append([name, str(r.items), pct(r.agree, short), score(r.lm_score, short), score(r.pod_score, short),
                     "n/a (generative)" if r.max_dll is None else f"{r.max_dll:.4f}", f"{r.lm_wall:.1f}",
                     f"{r.pod_wall:.1f}", f"{r.pod_wall / r.lm_wall:.2f}" if r.lm_wall else "-"])
    if results:
        tl, tp = sum(r.lm_wall for r in results), sum(r.pod_wall for r in results)
        rows.append(["total", str(sum(r.items for r in results)), "", "", "", "", f"{tl:.1f}", f"{tp:.1f}",
                     f"{tp / tl:.2f}" if tl else "-"])
    print(f"\nPodium vs lm-eval 0.4.13 (local-completions), one vLLM CPU server ({args.dtype}, max-model-len "
          f"2048, enforce-eager, seed 0), concurrency {args.concurrency}, whole-command wall times")
    print_table(head, rows)
    if floors:
        print("\nNoise floor: lm-eval run a second time (after Podium) against the same server, compared with its "
              "first run")
        print_table(["suite", "items", "lm-eval vs lm-eval agreement %", "max |Δ loglik|", "identical generations",
                     "2nd lm-eval wall s"],
                    [[f.suite, str(f.items), pct(f.agree, short),
                      "n/a (generative)" if f.max_dll is None else f"{f.max_dll:.4f}",
                      "-" if f.same_text is None else f"{f.same_text}/{f.items}", f"{f.wall:.1f}"] for f in floors])
    print(f"\nmax |Δ loglik|: Podium's samples keep 3 decimals, so differences below {LL_RESOLUTION} are rounding.")
    if any(r.suite == "mmlu" for r in results):
        print(f"MMLU subjects: {', '.join(subjects)} ({per_subject} items each).")
    for r in results:
        for note in r.notes:
            print(f"{r.suite}: {note}")
    print("\nDisagreements:")
    total = 0
    for r in results:
        for d in r.disagreements:
            print(f"  {r.suite}: {d}")
            total += 1
    if not total:
        print("  none")
    elif args.concurrency > 1 and all("near-tie" in d or "greedy generations diverge" in d
                                      for r in results for d in r.disagreements):
        print("\nAll disagreements are batch-composition effects: with --concurrency 1 (each request alone in its "
              "engine step) both harnesses get bit-identical log-likelihoods and generations.")


if __name__ == "__main__":
    main()
