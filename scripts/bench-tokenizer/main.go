// Command bench-tokenizer measures single-core Encode throughput of the Go tokenizer on the
// benchmark text (tokenizer/benchtext) and writes that text and the resulting ids so
// that bench.mjs can time HF tokenizers (Rust, npm "tokenizers") and transformers.js on the same
// documents and check that their ids agree. Driven by run.sh.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/ct2go/ct2go/tokenizer"
	"github.com/ct2go/ct2go/tokenizer/benchtext"
)

// processCPU is the user+system CPU time of this process; on a busy machine it gives a steadier
// throughput figure than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	model := flag.String("model", "", "directory with tokenizer.json")
	size := flag.Int("size", 4<<20, "bytes of text")
	out := flag.String("out", "", "directory for docs.json and go_ids.json")
	minTime := flag.Duration("time", 3*time.Second, "minimum measuring time")
	flag.Parse()
	if *model == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: bench-tokenizer -model DIR -out DIR [-size BYTES] [-time 3s]")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(1) // one core, as for the other engines
	tok, err := tokenizer.Load(*model)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	text := benchtext.Generate(*size, 1)
	docs := benchtext.Chunks(text, 4096)
	ids := make([][]int, len(docs))
	for i, d := range docs { // warm-up pass, also the ids to compare
		ids[i] = tok.Encode(d, false)
	}
	start, cpu0 := time.Now(), processCPU()
	passes := 0
	for time.Since(start) < *minTime || passes < 2 {
		for _, d := range docs {
			tok.Encode(d, false)
		}
		passes++
	}
	el, cpu := time.Since(start), processCPU()-cpu0
	mbps := float64(len(text)) * float64(passes) / el.Seconds() / 1e6
	cpuMBps := float64(len(text)) * float64(passes) / cpu.Seconds() / 1e6
	ntok := 0
	for _, x := range ids {
		ntok += len(x)
	}
	fmt.Printf("go ct2go/tokenizer: %.2f MB/s wall, %.2f MB/s per CPU-second (%d docs, %d bytes, %d tokens, %d passes)\n",
		mbps, cpuMBps, len(docs), len(text), ntok, passes)
	for name, v := range map[string]any{"docs.json": docs, "go_ids.json": ids} {
		data, err := json.Marshal(v)
		if err == nil {
			err = os.WriteFile(filepath.Join(*out, name), data, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
