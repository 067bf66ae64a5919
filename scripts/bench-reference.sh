#!/usr/bin/env bash
# Full-size checkpoint-runtime benchmark (opt-in: `make bench-reference`, not part of `make test`).
#
# Synthesizes the llama-3.2-11b-vision checkpoint once (random bf16 weights, real structure, 21.3 GB) into
# SYNTH_DIR and keeps it for reruns (delete it when done), then runs `ct2go reference` on one 64-token prompt with
# 1 and 2 threads. Each run reports, from inside the process: prefill tok/s and GFLOPS of the compute (load and
# the NaN/Inf scan excluded; flops = runtime.Model.PrefillFLOPs: every linear incl. lm_head per position, plus
# attention), the float32 FMA peak (runtime.PeakFMA = kernels.PeakFMA, best of three windows) measured by the same process
# right after the compute (--peak) and the fraction reached per wall second, the same per CPU-second against one
# thread's peak (steadier on a shared machine), and the peak RssAnon sampled during the run (anonymous memory
# only; the mapped shards are file-backed pages). When `ct2go reference` offers corpus mode (--text), a --ctx 512 --chunks 1 run
# is measured for memory too.
#
# Environment: SYNTH_DIR (default ./out/bench-reference/synth-11b-vision), THREADS (default "1 2"),
# CT2GO (default bin/ct2go), FIXTURES (default ../shared/fixtures).
set -euo pipefail
cd "$(dirname "$0")/.."

CT2GO=${CT2GO:-bin/ct2go}
SYNTH=${SYNTH_DIR:-$PWD/out/bench-reference/synth-11b-vision}
THREADS=${THREADS:-"1 2"}
FIXTURES=${FIXTURES:-../shared/fixtures}

mkdir -p "$(dirname "$SYNTH")"
WORK=$(mktemp -d "$(dirname "$SYNTH")/run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

printf 'machine: %s, %s cores, %s; load average %s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)" \
  "$(nproc)" "$(free -g | awk '/Mem:/ {print $2 " GiB RAM"}')" "$(cut -d' ' -f1-3 /proc/loadavg)"

if [ ! -f "$SYNTH/model.safetensors.index.json" ]; then
  free_gb=$(df -Pk "$(dirname "$SYNTH")" | awk 'NR==2 {print int($4/1024/1024)}')
  if [ "$free_gb" -lt 23 ]; then
    echo "bench-reference: $free_gb GiB free beside $SYNTH, need about 23 GiB (set SYNTH_DIR elsewhere)" >&2
    exit 1
  fi
  echo "synthesizing llama-3.2-11b-vision into $SYNTH (21.3 GB, kept for reruns) ..."
  "$CT2GO" synth --preset llama-3.2-11b-vision --output_dir "$SYNTH" --tokenizer "$FIXTURES/tiny-mllama" --quiet
fi

# One 64-token prompt: <|begin_of_text|> and 63 ids spread over the vocabulary.
awk 'BEGIN { printf "{\"p64\": [128000"; for (i = 1; i < 64; i++) printf ", %d", (i * 7919) % 128000; print "]}" }' > "$WORK/p64.json"

for t in $THREADS; do
  echo "== 64-token prompt, $t thread(s) =="
  "$CT2GO" reference --model "$SYNTH" --prompts "$WORK/p64.json" --output "$WORK/ref-$t.safetensors" --threads "$t" --peak --force
done

if "$CT2GO" reference --help 2>/dev/null | grep -q -- '--text'; then
  # The shipped public-domain text (testdata/tom-sawyer.txt), tokenized by the checkpoint's tokenizer.
  echo "== --text, --ctx 512 --chunks 1, 2 threads =="
  "$CT2GO" reference --model "$SYNTH" --text testdata/tom-sawyer.txt --ctx 512 --chunks 1 --output "$WORK/ref-text.safetensors" --threads 2 --peak --force
fi
echo "the synthetic checkpoint stays in $SYNTH for reruns: rm -rf it when done"
