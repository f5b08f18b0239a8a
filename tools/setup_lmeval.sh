#!/usr/bin/env bash
# lm-evaluation-harness 0.4.13 in its own venv, for the parity/speed benchmarks (never a Podium dependency).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${PODIUM_LMEVAL_VENV:-.venv-lmeval}
if [ ! -x "$VENV/bin/lm_eval" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  # [api] = the local-completions/local-chat-completions clients; transformers for the tokenizer of HF model dirs
  "$VENV/bin/pip" install -q "lm-eval[api]==0.4.13" transformers
fi
"$VENV/bin/lm_eval" --help >/dev/null && echo "lm-eval ready in $VENV"
