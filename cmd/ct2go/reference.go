package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ct2go/ct2go/format/hf"
	"github.com/ct2go/ct2go/internal/fsutil"
	"github.com/ct2go/ct2go/runtime"
	"github.com/ct2go/ct2go/tokenizer"
	"github.com/ct2go/ct2go/verify"
)

func referenceCommand() *cli.Command {
	return &cli.Command{
		Name:  "reference",
		Usage: "write reference logits by running a Hugging Face checkpoint directly (float32, no conversion)",
		Description: "Runs the checkpoint (directory or hub id; Mllama text-only or Llama; BF16/F16/F32 shards, memory-mapped)\n" +
			"with the Go runtime in float32 and writes every position's logits in verify's reference format\n" +
			"(NAME.input_ids I64 [T], NAME.logits F32 [T, vocab]); a .zst suffix compresses. Prompts: JSON\n" +
			"{\"NAME\": [ids] or \"text\"} or a list; text is tokenized with the checkpoint's tokenizer.json.\n" +
			"Corpus mode (--text FILE --ctx N [--chunks K]) writes llama-perplexity windows of the text instead (chunk0,\n" +
			"chunk1, ...: N tokens each, the first <|begin_of_text|>; metadata ctx and text) for `ct2go verify --reference\n" +
			"FILE [--text FILE --ctx N]`. Size: full [N, vocab] float32 logits per window, 4·vocab bytes per token: 0.5 MB\n" +
			"at vocab 128256, so 20 windows of 512 tokens take 5.3 GB; a .zst output is recommended.",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: modelUsage, Required: true},
			&cli.StringFlag{Name: "prompts", Usage: "JSON prompts file, {\"NAME\": [ids] or \"text\"} or a list"},
			&cli.StringFlag{Name: "text", Usage: "corpus mode: a UTF-8 text file, cut into --ctx windows as llama-perplexity does (0.5 MB of logits per token at vocab 128256)"},
			&cli.IntFlag{Name: "ctx", Usage: "corpus mode: window length in tokens (>= 3, at most max_position_embeddings)"},
			&cli.IntFlag{Name: "chunks", Usage: "corpus mode: number of windows", DefaultText: "as many as the text holds"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "reference file to write (.safetensors, or .safetensors.zst for zstd)", Required: true},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing output file"},
			&cli.IntFlag{Name: "threads", Usage: "runtime threads", DefaultText: "all cores"},
			&cli.BoolFlag{Name: "json", Usage: "print the summary as JSON on stdout"},
			&cli.BoolFlag{Name: "quiet", Usage: "no summary on stderr"},
			&cli.BoolFlag{Name: "peak", Usage: "after the run, measure this machine's float32 FMA peak at --threads (~1 s) and report the fraction reached"},
			offlineFlag,
		},
		Action: runReference,
	}
}

// referenceSummary is the --json output of `ct2go reference`.
type referenceSummary struct {
	Output     string  `json:"output"`
	Checkpoint string  `json:"checkpoint"`
	Family     string  `json:"family"`
	DType      string  `json:"dtype"`
	Threads    int     `json:"threads"`
	Source     string  `json:"source"`
	LoadSecs   float64 `json:"load_seconds"`
	*verify.WriteStats
	// CPUSeconds is the process CPU time spent while computing logits (all threads).
	CPUSeconds float64 `json:"compute_cpu_seconds"`
	TokPerSec  float64 `json:"prefill_tok_per_s"`
	// GFLOPS counts runtime.Model.PrefillFLOPs (every linear incl. lm_head
	// for each position, and the attention products) per wall second.
	GFLOPS float64 `json:"gflops"`
	flops  float64
	// PeakRSSAnon is the largest RssAnon sampled during the run: anonymous
	// memory only, not the file-backed pages of the mapped shards.
	PeakRSSAnon int64 `json:"peak_rss_anon_bytes"`
	PeakRSS     int64 `json:"peak_rss_bytes"` // VmHWM, mapped weights included
	// With --peak: kernels.PeakFMA at the same thread count right after the
	// compute (best of three windows: interference only lowers a rate) and the
	// fraction of it reached per wall second; and per CPU second: the
	// compute's flops per CPU-second of its threads against one thread's peak
	// (steadier when other processes share the cores).
	PeakGFLOPS        float64 `json:"peak_gflops,omitempty"`
	PeakGFLOPS1       float64 `json:"peak_gflops_1_thread,omitempty"`
	FractionOfPeak    float64 `json:"fraction_of_peak,omitempty"`
	FractionOfPeakCPU float64 `json:"fraction_of_peak_per_cpu_s,omitempty"`
}

func runReference(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("reference takes no arguments (got %q): use --model, --prompts and --output", c.Args().First())
	}
	text := c.String("text")
	switch {
	case c.String("prompts") == "" && text == "":
		return usagef("reference needs --prompts FILE or --text FILE --ctx N")
	case c.String("prompts") != "" && text != "":
		return usagef("give --prompts or --text, not both")
	case text != "" && !c.IsSet("ctx"):
		return usagef("--text needs --ctx N (the window length in tokens)")
	case text == "" && (c.IsSet("ctx") || c.IsSet("chunks")):
		return usagef("--ctx and --chunks go with --text FILE")
	case text != "" && c.Int("ctx") < 3:
		return usagef("--ctx %d: a window needs at least 3 tokens (positions ctx/2 … ctx-2 are scored)", c.Int("ctx"))
	case c.IsSet("chunks") && c.Int("chunks") < 1:
		return usagef("--chunks %d: want at least 1", c.Int("chunks"))
	}
	if text != "" {
		// Refuse a bad text before loading anything.
		if _, err := verify.ReadText(text); err != nil {
			return err
		}
	}
	out := c.String("output")
	if fi, err := os.Stat(out); err == nil {
		if fi.IsDir() {
			return usagef("--output %s is a directory", out)
		}
		if !c.Bool("force") {
			return exitError{exitExists, fmt.Errorf("%s exists (use --force to replace it)", out)}
		}
	}
	rss := startRSSAnonSampler()
	defer rss.stop()

	dir, err := modelDir(c, c.String("model"), c.Bool("quiet") || c.Bool("json"))
	if err != nil {
		return err
	}
	t0 := time.Now()
	m, err := runtime.LoadCheckpoint(dir, runtime.Options{Compute: runtime.ComputeFloat32, Threads: c.Int("threads")})
	if err != nil {
		return err
	}
	defer m.Close()
	loadSecs := time.Since(t0).Seconds()

	prompts, meta, err := referencePrompts(c, dir)
	if err != nil {
		return err
	}
	sum, err := writeReference(c.Context, m, dir, out, prompts, meta)
	if err != nil {
		return err
	}
	sum.LoadSecs = loadSecs
	sum.PeakRSSAnon, sum.PeakRSS = rss.stop(), peakRSS()
	if c.Bool("peak") {
		for i := 0; i < 3; i++ {
			sum.PeakGFLOPS = max(sum.PeakGFLOPS, runtime.PeakFMA(sum.Threads))
			sum.PeakGFLOPS1 = max(sum.PeakGFLOPS1, runtime.PeakFMA(1))
		}
		if sum.PeakGFLOPS > 0 {
			sum.FractionOfPeak = sum.GFLOPS / sum.PeakGFLOPS
		}
		if sum.PeakGFLOPS1 > 0 && sum.CPUSeconds > 0 {
			sum.FractionOfPeakCPU = sum.flops / sum.CPUSeconds / 1e9 / sum.PeakGFLOPS1
		}
	}
	if c.Bool("json") {
		return printJSON(os.Stdout, sum)
	}
	if !c.Bool("quiet") {
		fmt.Fprintf(os.Stderr, "wrote %s: %d prompts, %d positions, %s; prefill %.2f tok/s (%.1f GFLOPS, %d threads); peak RssAnon %s\n",
			out, sum.Prompts, sum.Positions, human(sum.Bytes), sum.TokPerSec, sum.GFLOPS, sum.Threads, human(sum.PeakRSSAnon))
		if sum.PeakGFLOPS > 0 {
			fmt.Fprintf(os.Stderr, "float32 FMA peak measured after the run: %.1f GFLOPS on %d threads (%.1f on 1): %.0f%% reached per wall second; per CPU second %.0f%% of one thread's peak (%.3g of %.3g thread-seconds busy)\n",
				sum.PeakGFLOPS, sum.Threads, sum.PeakGFLOPS1, 100*sum.FractionOfPeak, 100*sum.FractionOfPeakCPU, sum.CPUSeconds, float64(sum.Threads)*sum.ComputeSeconds)
		}
	}
	return nil
}

// referencePrompts reads --prompts, or cuts --text into corpus windows
// (with the metadata that marks a corpus reference).
func referencePrompts(c *cli.Context, dir string) ([]verify.NamedIDs, map[string]string, error) {
	var tok *tokenizer.Tokenizer
	if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err == nil {
		var err error
		if tok, err = tokenizer.Load(dir); err != nil {
			return nil, nil, err
		}
	}
	if text := c.String("text"); text != "" {
		if tok == nil {
			return nil, nil, fmt.Errorf("%s: the checkpoint %s has no tokenizer.json to encode it", text, dir)
		}
		if err := verify.CheckCtx(c.Int("ctx"), dir); err != nil {
			return nil, nil, wordCorpus(err)
		}
		windows, corpus, err := verify.LoadCorpus(text, tok, c.Int("ctx"), c.Int("chunks"))
		if err != nil {
			return nil, nil, wordCorpus(err)
		}
		return windows, map[string]string{verify.MetaCtx: strconv.Itoa(corpus.Ctx), verify.MetaText: filepath.Base(text)}, nil
	}
	pf := c.String("prompts")
	data, err := fsutil.ReadCapped(pf, hf.MaxTokenizerSize)
	if err != nil {
		return nil, nil, err
	}
	prompts, err := verify.ParsePrompts(pf, data, tok)
	return prompts, nil, err
}

// writeReference runs every prompt through m (a loaded checkpoint) and
// writes the reference file; meta adds to its metadata (corpus mode).
func writeReference(ctx context.Context, m *runtime.Model, dir, out string, prompts []verify.NamedIDs, meta map[string]string) (*referenceSummary, error) {
	cfg := m.Config()
	for _, p := range prompts {
		if cfg.MaxPositions > 0 && len(p.IDs) > cfg.MaxPositions {
			return nil, fmt.Errorf("prompt %s has %d tokens, more than the model's max_position_embeddings %d", p.Name, len(p.IDs), cfg.MaxPositions)
		}
	}
	dtype := cfg.WeightDType.String()
	source := fmt.Sprintf("ct2go %s reference: Go runtime, float32 compute (%s weights widened exactly), checkpoint %s (%s)", version, dtype, dir, cfg.Checkpoint)
	var flops float64
	var cpu time.Duration
	rows := func(ctx context.Context, ids []int) ([][]float32, error) {
		c0 := processCPUTime()
		defer func() { cpu += processCPUTime() - c0 }()
		s := m.NewSession(len(ids))
		flops += m.PrefillFLOPs(len(ids))
		return s.PrefillContext(ctx, ids, true)
	}
	md := map[string]string{"source": source, "checkpoint": dir, "dtype": dtype, "compute": "float32"}
	for k, v := range meta {
		md[k] = v
	}
	st, err := verify.WriteReferenceFile(ctx, out, prompts, m.VocabSize(), rows, md)
	if err != nil {
		return nil, err
	}
	sum := &referenceSummary{Output: out, Checkpoint: dir, Family: cfg.Checkpoint, DType: dtype, Threads: m.Threads(), Source: source, WriteStats: st,
		CPUSeconds: cpu.Seconds(), flops: flops}
	if st.ComputeSeconds > 0 {
		sum.TokPerSec = float64(st.Positions) / st.ComputeSeconds
		sum.GFLOPS = flops / st.ComputeSeconds / 1e9
	}
	return sum, nil
}
