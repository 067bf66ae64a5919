# ct2go — build, demo and tests. The fixtures live beside the repository in
# ../shared/fixtures (read-only); nothing here downloads model weights.
GO       ?= go
FIXTURES ?= ../shared/fixtures
BIN      := bin/ct2go
OUT      := out

.PHONY: all build demo test vet fmt-check clean bench-convert bench-reference bench-tokenizer fuzz

all: build

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/ct2go

# The main job on the bundled tiny Llama-3.2-Vision fixture: convert, inspect,
# verify against transformers' logits, chat one turn.
demo: build
	@test -d $(FIXTURES)/tiny-mllama || { echo "missing $(FIXTURES)/tiny-mllama"; exit 1; }
	$(BIN) convert --model $(FIXTURES)/tiny-mllama --output_dir $(OUT)/tiny-int8_float16 --quantization int8_float16 --force
	$(BIN) inspect $(OUT)/tiny-int8_float16 | head -n 12
	$(BIN) verify --model $(OUT)/tiny-int8_float16 --reference $(FIXTURES)/reference/transformers/logits.safetensors
	$(BIN) run --model $(OUT)/tiny-int8_float16 --prompt "Hello" --max_tokens 16

test: fmt-check vet
	@test -d $(FIXTURES) || { echo "missing $(FIXTURES): the tests need ../shared/fixtures beside the repository"; exit 1; }
	$(GO) test -count=1 -timeout 30m ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Opt-in, long (~10 min, ~34 GB of disk): full-size synthetic 11B-Vision and 8B conversions, cold and warm.
bench-convert: build
	bash scripts/bench-convert.sh

# Opt-in, long (~5 min, 21.3 GB of disk kept in SYNTH_DIR for reruns): `ct2go reference` straight from a
# full-size synthetic 11B-Vision checkpoint, 64-token prompt on 1 and 2 threads: prefill tok/s, fraction of the
# float32 FMA peak measured in the same process, peak RssAnon.
bench-reference: build
	bash scripts/bench-reference.sh

# Every fuzz target for FUZZTIME each (default 5m), e.g. make fuzz FUZZTIME=30s.
# `make test` already runs each target's seed corpus.
FUZZTIME ?= 5m
fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

# Opt-in: Go tokenizer vs HF tokenizers (Rust, npm) vs transformers.js on the same text; needs node + npm.
bench-tokenizer:
	bash scripts/bench-tokenizer/run.sh

clean:
	rm -rf bin $(OUT)
