# ct2go — build, demo and tests. The fixtures live beside the repository in
# ../shared/fixtures (read-only); nothing here downloads model weights.
GO       ?= go
FIXTURES ?= ../shared/fixtures
BIN      := bin/ct2go
OUT      := out
# The revision goes in through the linker too: go build stamps VCS data only
# when it sees the repository (not in a git worktree, nor with -buildvcs=false).
REVISION := $(shell git rev-parse HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo -modified)
LDFLAGS  := -X main.revision=$(REVISION)
# make install copies bin/ct2go here (go install's default directory).
BINDIR   ?= $(shell $(GO) env GOBIN)
ifeq ($(BINDIR),)
BINDIR   := $(shell $(GO) env GOPATH)/bin
endif

.PHONY: all build install demo test vet fmt-check clean bench bench-convert bench-reference bench-tokenizer fuzz

all: build

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/ct2go

# Puts ct2go on PATH: BINDIR defaults to go install's directory ($GOBIN, else
# $GOPATH/bin); e.g. make install BINDIR=$$HOME/.local/bin.
install: build
	@mkdir -p "$(BINDIR)"
	install -m 0755 $(BIN) "$(BINDIR)/ct2go"
	@case ":$$PATH:" in *":$(BINDIR):"*) echo "installed $(BINDIR)/ct2go";; \
	  *) echo "installed $(BINDIR)/ct2go; $(BINDIR) is not on PATH: add it, e.g. export PATH=\"$(BINDIR):\$$PATH\"";; esac

# The main job on the bundled tiny Llama-3.2-Vision fixture: convert, inspect,
# verify against the checkpoint itself (no intermediate file; HTML report in
# out/verify.html) and against transformers' logits, chat one turn.
demo: build
	@test -d $(FIXTURES)/tiny-mllama || { echo "missing $(FIXTURES)/tiny-mllama"; exit 1; }
	$(BIN) convert --model $(FIXTURES)/tiny-mllama --output_dir $(OUT)/tiny-int8_float16 --quantization int8_float16 --force
	$(BIN) inspect $(OUT)/tiny-int8_float16 | head -n 12
	$(BIN) verify --model $(OUT)/tiny-int8_float16 --against-checkpoint $(FIXTURES)/tiny-mllama --prompts testdata/fixture-prompts.json --report $(OUT)/verify.html
	$(BIN) verify --model $(OUT)/tiny-int8_float16 --reference $(FIXTURES)/reference/transformers/logits.safetensors
	$(BIN) run --model $(OUT)/tiny-int8_float16 --prompt "Hello" --max_tokens 16

test: fmt-check vet
	@test -d $(FIXTURES) || { echo "missing $(FIXTURES): the tests need ../shared/fixtures beside the repository"; exit 1; }
	$(GO) test -count=1 -timeout 30m ./...

# The pure-Go paths must keep building where there is no assembly (arm64 Linux, e.g. Graviton).
vet:
	$(GO) vet ./...
	GOARCH=arm64 $(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Opt-in: prefill/decode of the full-size 8B-shaped int8_float16 model vs this machine's DRAM bandwidth, 3 runs
# (builds the model once under BENCH_DIR, ~8 GB kept; ~26 GB free needed the first time). See scripts/bench-decode.sh.
bench: build
	bash scripts/bench-decode.sh

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
