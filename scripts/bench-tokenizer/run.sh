#!/usr/bin/env bash
# Recipe of `make bench-tokenizer`: encode throughput (MB/s, one core) of the Go tokenizer,
# HF tokenizers (Rust, npm "tokenizers") and transformers.js on the same generated multilingual
# text and tokenizer.json, plus an ids cross-check. npm packages go into a temporary directory.
# Usage: scripts/bench-tokenizer/run.sh [MODEL_DIR]   (default: ../shared/fixtures/tiny-mllama)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
model="${1:-$root/../shared/fixtures/tiny-mllama}"
model="$(cd "$model" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== Go (building)"
(cd "$root" && go run ./scripts/bench-tokenizer -model "$model" -out "$work")

echo "== npm install (tokenizers@0.23.2, @huggingface/transformers@4.3.1) into $work"
# --ignore-scripts: the tokenizer code needs no install scripts (the Rust binding ships as a
# per-platform optional dependency; onnxruntime/sharp are not used here).
(cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund --ignore-scripts --loglevel=error \
  tokenizers@0.23.2 @huggingface/transformers@4.3.1 >/dev/null)

echo "== Node"
TOKENIZERS_PARALLELISM=false RAYON_NUM_THREADS=1 node "$root/scripts/bench-tokenizer/bench.mjs" "$model" "$work"

echo "== Unicode classes of the pre-tokenizer regex, every code point (HF vs Go)"
node "$root/scripts/bench-tokenizer/classes.mjs" "$model/tokenizer.json" "$work" "$work/classes.bin"
(cd "$root" && go run ./scripts/bench-tokenizer -classes "$work/classes.bin")
