#!/usr/bin/env bash
# Full-scale conversion benchmark (opt-in: `make bench-convert`, not part of `make test`).
#
# For each preset: synthesize the full-size checkpoint (random bf16 weights, real structure), then in the same run
# time a plain sequential read of its shards and `ct2go convert --quantization int8_float16`, both with a cold page
# cache (sync; echo 3 > /proc/sys/vm/drop_caches, needs root) and warm. Prints peak RSS (VmHWM), wall times, their
# ratio, output GB/s and CPU utilisation, checks the two model.bin are byte-identical and loadable, and cleans up.
#
# Environment: BENCH_DIR (default ./out/bench-convert), BENCH_PRESETS (default "llama-3.2-11b-vision llama-3.1-8b"),
# QUANT (default int8_float16), CT2GO (default bin/ct2go).
set -euo pipefail
cd "$(dirname "$0")/.."

CT2GO=${CT2GO:-bin/ct2go}
QUANT=${QUANT:-int8_float16}
PRESETS=${BENCH_PRESETS:-"llama-3.2-11b-vision llama-3.1-8b"}
BASE=${BENCH_DIR:-$PWD/out/bench-convert}
FIXTURES=${FIXTURES:-../shared/fixtures}

mkdir -p "$BASE"
WORK=$(mktemp -d "$BASE/run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

need_gb=34 # 21.3 GB synthetic input + ~8.6 GB output + margin
free_gb=$(df -Pk "$WORK" | awk 'NR==2 {print int($4/1024/1024)}')
if [ "$free_gb" -lt "$need_gb" ]; then
  echo "bench-convert: $free_gb GiB free in $BASE, need about $need_gb GiB (set BENCH_DIR elsewhere)" >&2
  exit 1
fi

cold=1
if [ "$(id -u)" != 0 ] || ! [ -w /proc/sys/vm/drop_caches ]; then
  echo "bench-convert: not root: cannot drop the page cache, measuring warm runs only" >&2
  cold=0
fi
drop() { sync; if [ "$cold" = 1 ]; then echo 3 > /proc/sys/vm/drop_caches; fi; }
now() { date +%s.%N; }

# time_cmd OUTVAR CMD...: runs CMD under GNU time, sets wall/user/sys/maxrss (KiB).
time_cmd() {
  local tf; tf=$(mktemp)
  /usr/bin/time -f "%e %U %S %M" -o "$tf" "$@"
  read -r T_WALL T_USER T_SYS T_RSS < "$tf"
  rm -f "$tf"
}

printf 'machine: %s, %s cores, %s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)" "$(nproc)" \
  "$(free -g | awk '/Mem:/ {print $2 " GiB RAM"}')"

for preset in $PRESETS; do
  in="$WORK/$preset"
  echo "== $preset =="
  t0=$(now)
  "$CT2GO" synth --preset "$preset" --output_dir "$in" --tokenizer "$FIXTURES/tiny-mllama" --quiet
  synth_s=$(echo "$(now) - $t0" | bc)
  in_bytes=$(du -cb "$in"/*.safetensors | tail -1 | cut -f1)
  printf 'synth: %.1f GB in %.1fs\n' "$(echo "$in_bytes/1000000000" | bc -l)" "$synth_s"

  for mode in cold warm; do
    if [ "$mode" = cold ] && [ "$cold" = 0 ]; then continue; fi
    out="$WORK/out-$preset-$mode"
    # Plain sequential read of the same shards.
    if [ "$mode" = cold ]; then drop; else cat "$in"/*.safetensors > /dev/null; fi
    t0=$(now); cat "$in"/*.safetensors > /dev/null; read_s=$(echo "$(now) - $t0" | bc)
    # Conversion.
    if [ "$mode" = cold ]; then drop; fi
    time_cmd "$CT2GO" convert --model "$in" --output_dir "$out" --quantization "$QUANT" --quiet
    out_bytes=$(du -cb "$out/model.bin" | tail -1 | cut -f1)
    cpu=$(echo "($T_USER + $T_SYS) / $T_WALL * 100" | bc -l)
    printf '%-5s read %6.1fs (%5.2f GB/s) | convert %6.1fs (%5.2f GB/s in, %5.2f GB/s out) | ratio %.2f | peak RSS %.2f GiB | CPU %3.0f%% (user %.1fs sys %.1fs)\n' \
      "$mode" "$read_s" "$(echo "$in_bytes/$read_s/1000000000" | bc -l)" "$T_WALL" "$(echo "$in_bytes/$T_WALL/1000000000" | bc -l)" \
      "$(echo "$out_bytes/$T_WALL/1000000000" | bc -l)" "$(echo "$T_WALL/$read_s" | bc -l)" "$(echo "$T_RSS/1048576" | bc -l)" \
      "$cpu" "$T_USER" "$T_SYS"
    sha=$(sha256sum "$out/model.bin" | cut -d' ' -f1)
    if [ -n "${prev_sha:-}" ] && [ "$sha" != "$prev_sha" ]; then
      echo "FAIL: model.bin differs between runs ($prev_sha vs $sha)" >&2; exit 1
    fi
    prev_sha=$sha
    "$CT2GO" inspect "$out" > /dev/null
    rm -rf "$out"
  done
  echo "model.bin sha256 $prev_sha (identical across runs, loads in ct2go inspect)"
  unset prev_sha
  rm -rf "$in"
done
