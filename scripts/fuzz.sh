#!/usr/bin/env bash
# Runs every fuzz target of the repository for FUZZTIME each (default 5m),
# one after the other. Usage: scripts/fuzz.sh [pattern]   (pattern filters
# "pkg:Target" entries, e.g. scripts/fuzz.sh safetensors).
# FUZZTIME accepts go test -fuzztime values (5m, 30s, 100000x); FUZZPARALLEL
# sets the worker count (default 1: the machine is shared).
# New crashers land in <pkg>/testdata/fuzz/<Target>/ and then run as
# ordinary seeds in `go test`; commit them with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-5m}
FUZZPARALLEL=${FUZZPARALLEL:-1}
# Minimizing a new interesting input is capped: with real-sized seeds (a
# 30 KB shard header) the default 60 s stalls the run without finding more.
FUZZMINIMIZE=${FUZZMINIMIZE:-2s}
GO=${GO:-go}
targets=(
	./format/safetensors:FuzzParse
	./format/safetensors:FuzzParseIndex
	./format/ct2:FuzzReadHeader
	./format/hf:FuzzParseConfig
	./format/hf:FuzzParseVocabulary
	./convert:FuzzConfigSpec
	./tokenizer:FuzzLoad
	./tokenizer:FuzzEncode
	./runtime:FuzzLoad
	./internal/kernels:FuzzInt8Kernels
	./internal/kernels:FuzzExpKernels
)
status=0
for t in "${targets[@]}"; do
	if [[ $# -gt 0 && "$t" != *"$1"* ]]; then
		continue
	fi
	pkg=${t%%:*} name=${t##*:}
	echo "== $pkg $name ($FUZZTIME)"
	if ! $GO test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZE" -parallel "$FUZZPARALLEL"; then
		echo "FAIL: $pkg $name (crasher saved under $pkg/testdata/fuzz/$name)"
		status=1
	fi
done
exit $status
