// Command bench-tokenizer measures single-core Encode throughput of the Go tokenizer on the
// benchmark text (tokenizer/benchtext) and writes that text and the resulting ids so
// that bench.mjs can time HF tokenizers (Rust, npm "tokenizers") and transformers.js on the same
// documents and check that their ids agree. Driven by run.sh.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/ct2go/ct2go/tokenizer"
	"github.com/ct2go/ct2go/tokenizer/benchtext"
)

// compareClasses checks the pre-tokenizer's character classes against HF's, measured per code
// point by classes.mjs, and prints the differing ranges.
func compareClasses(file string) int {
	data, err := os.ReadFile(file)
	if err != nil || len(data) != 0x110000 {
		fmt.Fprintf(os.Stderr, "classes file %s: %v (len %d)\n", file, err, len(data))
		return 1
	}
	points := 0
	for cp := rune(0); cp < 0x110000; cp++ {
		got := data[cp]
		if got == 'x' {
			continue
		}
		if want := tokenizer.ClassSignature(cp); got != want {
			if points < 20 {
				fmt.Printf("  U+%04X: HF %c, Go %c\n", cp, got, want)
			}
			points++
		}
	}
	if points == 0 {
		fmt.Println("unicode classes: identical for all code points")
		return 0
	}
	fmt.Printf("unicode classes: %d code points differ\n", points)
	return 1
}

func randomStrings(n int) []string {
	rng := rand.New(rand.NewPCG(7, 8))
	alpha := []rune("aZéſsStrevmlLd'’1٣½ \t\n\r\v\f\u0085\u00a0\u3000\u2028\u200b\ufeff\x1c.!(-_👋\u200d्中#K")
	pieces := []string{"<|eot_id|>", "<|image|>", "<|begin_of_text|>", "<|eot_id|", "'s", "'LL", "123456"}
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for k := 1 + rng.IntN(16); k > 0; k-- {
			switch r := rng.Float64(); {
			case r < 0.45:
				b.WriteRune(alpha[rng.IntN(len(alpha))])
			case r < 0.55:
				b.WriteString(pieces[rng.IntN(len(pieces))])
			case r < 0.85:
				b.WriteRune(rune(0x20 + rng.IntN(0x3000)))
			default:
				c := rune(0x20 + rng.IntN(0x2FFFF))
				if c >= 0xD800 && c <= 0xDFFF {
					c = 'A'
				}
				b.WriteRune(c)
			}
		}
		out[i] = b.String()
	}
	return out
}

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
	nRandom := flag.Int("random", 20000, "random short strings for the ids cross-check")
	classes := flag.String("classes", "", "compare the code point classes measured by classes.mjs in this file and exit")
	flag.Parse()
	if *classes != "" {
		os.Exit(compareClasses(*classes))
	}
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
	// Short random strings over tricky code points (all planes up to U+2FFFF, Unicode
	// whitespace, contractions, specials, digit runs) for an exact ids cross-check.
	rnd := randomStrings(*nRandom)
	rndIDs := make([][]int, len(rnd))
	for i, s := range rnd {
		rndIDs[i] = tok.Encode(s, false)
	}
	for name, v := range map[string]any{"docs.json": docs, "go_ids.json": ids, "random.json": rnd, "go_random_ids.json": rndIDs} {
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
