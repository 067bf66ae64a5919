package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ct2go/ct2go/format/hf"
	"github.com/ct2go/ct2go/internal/fsutil"
	"github.com/ct2go/ct2go/runtime"
	"github.com/ct2go/ct2go/tokenizer"
	"github.com/ct2go/ct2go/verify"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "run a CTranslate2 model with the Go runtime and compare its logits with reference logits (or with a second model)",
		Description: "Reference: --against-checkpoint CHECKPOINT (the Hugging Face checkpoint run by the Go runtime in float32),\n" +
			"--reference FILE (safetensors, optionally .zst, with NAME.input_ids I64 [T] and NAME.logits F32 [T, vocab] per\n" +
			"prompt, from `ct2go reference` or scripts/reference_logits.py), or --against MODEL_DIR (a second CTranslate2\n" +
			"model); the model references need --prompts FILE or --text FILE --ctx N.\n" +
			"Prompts mode compares every position: max/mean |Δlogit|, KL(ref‖model) mean/p99/max, top-1/top-5, perplexities.\n" +
			"Corpus mode (--text FILE --ctx N [--chunks K]) cuts the text into llama-perplexity windows (N tokens, the first\n" +
			"<|begin_of_text|>), compares positions N/2…N-2 of each and adds llama-perplexity's statistics: PPL(Q), PPL(base),\n" +
			"ratio, difference, correlation, KLD mean/max/99.9%/99%/median, Δp mean/RMS, same top p (with ±). With --reference\n" +
			"the file must come from `ct2go reference --text` (windows chunk0, chunk1, ...; --text then checks it matches).\n" +
			"Default thresholds: float32 compute max |Δ| ≤ 1e-4, top-1 100%, KL mean ≤ 1e-6; int8 compute or int8 weights\n" +
			"KL mean ≤ 5e-3, top-1 ≥ 90%. Exit 0 within thresholds, 1 outside, 2 on errors.",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: "CTranslate2 model directory to check", Required: true},
			&cli.StringFlag{Name: "reference", Usage: "reference logits (.safetensors or .safetensors.zst)"},
			&cli.StringFlag{Name: "against-checkpoint", Usage: "a Hugging Face checkpoint (directory or hub id) run by the Go runtime in float32 as the reference: no intermediate file"},
			&cli.StringFlag{Name: "against", Usage: "a second CTranslate2 model directory whose logits serve as the reference"},
			&cli.StringFlag{Name: "prompts", Usage: "with --against-checkpoint or --against: JSON prompts, {\"NAME\": [ids] or \"text\"} or a list (text is tokenized with the checkpoint's tokenizer, else --model's)"},
			&cli.StringFlag{Name: "text", Usage: "corpus mode: a UTF-8 text file, cut into --ctx windows as llama-perplexity does"},
			&cli.IntFlag{Name: "ctx", Usage: "corpus mode: window length in tokens (>= 3, at most the model's positions)"},
			&cli.IntFlag{Name: "chunks", Usage: "corpus mode: number of windows", DefaultText: "as many as the text holds"},
			&cli.StringFlag{Name: "compute", Value: "default", Usage: "compute type: default (CTranslate2's CPU choice), float32, int8"},
			&cli.Float64Flag{Name: "max-kld", Aliases: []string{"max_kld"}, Usage: "maximum mean KL divergence in nats, per prompt and overall (negative: not checked)", DefaultText: "1e-6 float32, 5e-3 int8"},
			&cli.Float64Flag{Name: "min-top1", Aliases: []string{"min_top1"}, Usage: "minimum top-1 agreement in percent, overall (negative: not checked)", DefaultText: "100 float32, 90 int8"},
			&cli.Float64Flag{Name: "max-abs", Aliases: []string{"max_abs"}, Usage: "maximum |Δlogit| (negative: not checked)", DefaultText: "1e-4 float32, unchecked int8"},
			&cli.IntFlag{Name: "threads", Usage: "runtime threads", DefaultText: "all cores"},
			weightsFlag(),
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
			&cli.StringFlag{Name: "report", Usage: "also write the report as one self-contained HTML file (inline SVG charts) to this path"},
			offlineFlag,
		},
		Action: runVerify,
	}
}

// exitVerifyError: verify could not judge (bad input, unreadable model or
// reference); 1 is reserved for "judged and outside the thresholds".
const exitVerifyError = 2

func verifyErr(err error) error { return exitError{exitVerifyError, err} }

// verifySource is where the reference logits come from.
type verifySource struct {
	inputs    []verify.Input
	name, src string
	warnings  []string
	corpus    *verify.Corpus
	cleanup   []func()
}

func runVerify(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("verify takes no arguments (got %q): use --model and --reference", c.Args().First())
	}
	dir, refPath, against, ckpt := c.String("model"), c.String("reference"), c.String("against"), c.String("against-checkpoint")
	text, prompts := c.String("text"), c.String("prompts")
	sources := 0
	for _, s := range []string{refPath, against, ckpt} {
		if s != "" {
			sources++
		}
	}
	switch {
	case sources == 0:
		return usagef("verify needs --against-checkpoint CHECKPOINT, --reference FILE or --against MODEL_DIR (with --prompts FILE or --text FILE --ctx N)")
	case sources > 1:
		return usagef("give one of --against-checkpoint, --reference and --against, not several")
	case text != "" && prompts != "":
		return usagef("give --prompts or --text, not both")
	case against != "" && prompts == "" && text == "":
		return usagef("--against needs --prompts FILE or --text FILE --ctx N")
	case ckpt != "" && prompts == "" && text == "":
		return usagef("--against-checkpoint needs --prompts FILE or --text FILE --ctx N")
	case refPath != "" && prompts != "":
		return usagef("--prompts goes with --against (a reference file carries its own prompts)")
	case text != "" && !c.IsSet("ctx"):
		return usagef("--text needs --ctx N (the window length in tokens)")
	case text == "" && (c.IsSet("ctx") || c.IsSet("chunks")):
		return usagef("--ctx and --chunks go with --text FILE")
	case text != "" && c.Int("ctx") < 3:
		return usagef("--ctx %d: a window needs at least 3 tokens (positions ctx/2 … ctx-2 are scored)", c.Int("ctx"))
	case c.IsSet("chunks") && c.Int("chunks") < 1:
		return usagef("--chunks %d: want at least 1", c.Int("chunks"))
	}
	compute, err := runtime.ParseCompute(c.String("compute"))
	if err != nil {
		return usagef("--compute: %v", err)
	}
	if text != "" {
		// Refuse a bad text before loading anything.
		if _, err := verify.ReadText(text); err != nil {
			return verifyErr(err)
		}
	}
	weights, err := weightsOption(c)
	if err != nil {
		return err
	}
	for _, p := range []string{dir, against} {
		if p == "" {
			continue
		}
		// A path of the wrong kind is a usage error; a missing one is verify's error (exit 2 as well).
		if err := checkModelPath("verify", p, kindCT2Dir); err != nil {
			if errors.As(err, new(usageError)) {
				return err
			}
			return verifyErr(err)
		}
	}
	opts := runtime.Options{Compute: compute, Threads: c.Int("threads"), Weights: weights}
	m, err := runtime.Load(dir, opts)
	if err != nil {
		return verifyErr(err)
	}
	defer m.Close()
	cfg := m.Config()
	th, note := verify.ThresholdsFor(cfg)
	if c.IsSet("max-kld") {
		th.MaxKLMean = c.Float64("max-kld")
	}
	if c.IsSet("min-top1") {
		p := c.Float64("min-top1")
		if p > 100 {
			return usagef("--min-top1 is a percentage (0-100), got %g", p)
		}
		th.MinTop1 = p / 100
	}
	if c.IsSet("max-abs") {
		th.MaxAbs = c.Float64("max-abs")
	}
	if note != "" && !(c.IsSet("max-kld") && c.IsSet("min-top1") && c.IsSet("max-abs")) {
		fmt.Fprintln(os.Stderr, "note:", note)
	}

	var src *verifySource
	switch {
	case refPath != "":
		src, err = referenceSource(c, m, dir, refPath)
	case ckpt != "":
		src, err = checkpointSource(c, m, dir, ckpt)
	default:
		src, err = againstSource(c, m, dir, against)
	}
	for _, f := range src.cleanupFuncs() {
		defer f()
	}
	if err != nil {
		return err
	}

	var rep *verify.Report
	if src.corpus != nil {
		rep, err = verify.CompareCorpus(c.Context, m, src.inputs, th, *src.corpus)
	} else {
		rep, err = verify.Compare(c.Context, m, src.inputs, th)
	}
	if err != nil {
		if errors.Is(err, c.Context.Err()) && c.Context.Err() != nil {
			return err
		}
		return verifyErr(err)
	}
	rep.Model, rep.Reference, rep.ReferenceSource = dir, src.name, src.src
	warnings := src.warnings
	if w := verify.RopeWarning(cfg, dir, rep); w != "" {
		warnings = append([]string{w}, warnings...)
	}
	for _, w := range warnings {
		fmt.Fprintln(os.Stderr, w)
	}
	if note != "" {
		warnings = append(warnings, note)
	}
	rep.Warnings = warnings
	if path := c.String("report"); path != "" {
		if err := writeFileAtomic(path, rep.WriteHTML); err != nil {
			return verifyErr(err)
		}
	}
	if c.Bool("json") {
		err = rep.WriteJSON(os.Stdout)
	} else {
		err = rep.WriteText(os.Stdout)
	}
	if err != nil {
		return verifyErr(err)
	}
	if !rep.Pass {
		what := "overall thresholds"
		if bad := rep.FailedPrompts(); len(bad) > 0 {
			what = "prompts " + strings.Join(bad, ", ")
			if src.corpus != nil {
				what = "windows " + strings.Join(bad, ", ")
			}
		}
		return exitError{exitFailure, fmt.Errorf("verification failed: %s outside the thresholds (first: %s)", what, rep.FirstFailure())}
	}
	return nil
}

func (s *verifySource) cleanupFuncs() []func() {
	if s == nil {
		return nil
	}
	return s.cleanup
}

// corpusTokenizer is the tokenizer for --text or text prompts: the first of
// dirs that has a tokenizer.json (nil when none has and need is false).
func corpusTokenizer(need string, dirs ...string) (*tokenizer.Tokenizer, error) {
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "tokenizer.json")); err == nil {
			return tokenizer.Load(d)
		}
	}
	if need != "" {
		return nil, fmt.Errorf("%s: none of %s has a tokenizer.json to encode it", need, strings.Join(dirs, ", "))
	}
	return nil, nil
}

// loadCorpus reads --text and cuts its windows, checking --ctx against the
// models' declared positions.
func loadCorpus(c *cli.Context, dirs ...string) ([]verify.NamedIDs, *verify.Corpus, error) {
	text, ctx := c.String("text"), c.Int("ctx")
	if err := verify.CheckCtx(ctx, dirs...); err != nil {
		return nil, nil, wordCorpus(err)
	}
	tok, err := corpusTokenizer(text, dirs...)
	if err != nil {
		return nil, nil, err
	}
	windows, corpus, err := verify.LoadCorpus(text, tok, ctx, c.Int("chunks"))
	return windows, corpus, wordCorpus(err)
}

// referenceSource reads --reference (prompts or corpus windows).
func referenceSource(c *cli.Context, m *runtime.Model, dir, refPath string) (*verifySource, error) {
	ref, err := verify.LoadReference(refPath, verify.LoadOptions{})
	if err != nil {
		return nil, verifyErr(err)
	}
	s := &verifySource{name: refPath, src: ref.Source, cleanup: []func(){func() { ref.Close() }}}
	if err := ref.CheckModel(m.VocabSize()); err != nil {
		return s, verifyErr(err)
	}
	if c.String("text") == "" && !ref.IsCorpus() {
		s.inputs = ref.Inputs()
		return s, nil
	}
	if !ref.IsCorpus() {
		return s, verifyErr(fmt.Errorf("%s: not a corpus reference (want windows chunk0, chunk1, ... and metadata %q, as `ct2go reference --text` writes): drop --text to compare its prompts", refPath, verify.MetaCtx))
	}
	var windows []verify.NamedIDs
	corpus := &verify.Corpus{Text: ref.Metadata[verify.MetaText], Ctx: ref.Prompts[0].T, Windows: len(ref.Prompts)}
	if c.String("text") != "" {
		w, cp, err := loadCorpus(c, dir)
		if err != nil {
			return s, verifyErr(err)
		}
		if cp.Ctx != corpus.Ctx {
			return s, verifyErr(fmt.Errorf("%s: windows of %d tokens, --ctx is %d", refPath, corpus.Ctx, cp.Ctx))
		}
		if !c.IsSet("chunks") && len(w) > len(ref.Prompts) {
			w = w[:len(ref.Prompts)]
		}
		windows, corpus = w, cp
		corpus.Windows = len(w)
	}
	corpus.ScoredPerWindow = corpus.Ctx - 1 - corpus.Ctx/2
	if s.inputs, err = ref.CorpusInputs(windows); err != nil {
		return s, verifyErr(wordCorpus(err))
	}
	s.corpus = corpus
	return s, nil
}

// againstSource uses a second CTranslate2 model as the reference.
func againstSource(c *cli.Context, m *runtime.Model, dir, against string) (*verifySource, error) {
	b, err := runtime.Load(against, runtime.Options{Threads: c.Int("threads")})
	if err != nil {
		return nil, verifyErr(err)
	}
	s := &verifySource{name: against, cleanup: []func(){func() { b.Close() }}}
	bc := b.Config()
	s.src = fmt.Sprintf("CTranslate2 model %s run by the ct2go runtime (weights %s, compute %s)", against, bc.WeightDType, bc.Compute)
	if w := verify.RopeWarning(bc, against, nil); w != "" {
		s.warnings = append(s.warnings, w)
	}
	return s, modelInputs(c, s, m, b, dir, against, dir, against)
}

// checkpointSource runs the Hugging Face checkpoint itself as the reference
// (float32, the weights widened exactly from their stored dtype).
func checkpointSource(c *cli.Context, m *runtime.Model, dir, spec string) (*verifySource, error) {
	ck, err := modelDir(c, spec, c.Bool("json"))
	if err != nil {
		return nil, verifyErr(err)
	}
	b, err := runtime.LoadCheckpoint(ck, runtime.Options{Compute: runtime.ComputeFloat32, Threads: c.Int("threads")})
	if err != nil {
		return nil, verifyErr(err)
	}
	s := &verifySource{name: ck, cleanup: []func(){func() { b.Close() }}}
	s.src = fmt.Sprintf("Hugging Face checkpoint %s run by the ct2go runtime (float32 compute, %s weights widened exactly)", ck, b.Config().WeightDType)
	// The checkpoint's tokenizer first: it is the one the reference speaks.
	return s, modelInputs(c, s, m, b, dir, ck, ck, dir)
}

// modelInputs fills s.inputs (and s.corpus) with model b as the reference,
// for --prompts or --text; text is tokenized with the first of tokDirs that
// has a tokenizer.json.
func modelInputs(c *cli.Context, s *verifySource, m, b *runtime.Model, dir, bdir string, tokDirs ...string) error {
	if b.VocabSize() != m.VocabSize() {
		return verifyErr(fmt.Errorf("%s has %d tokens, %s has %d: not the same model", bdir, b.VocabSize(), dir, m.VocabSize()))
	}
	if c.String("text") != "" {
		windows, corpus, err := loadCorpus(c, tokDirs...)
		if err != nil {
			return verifyErr(err)
		}
		s.inputs, s.corpus = verify.ModelCorpusInputs(b, windows), corpus
		return nil
	}
	pf := c.String("prompts")
	data, err := fsutil.ReadCapped(pf, hf.MaxTokenizerSize)
	if err != nil {
		return verifyErr(err)
	}
	tok, err := corpusTokenizer("", tokDirs...)
	if err != nil {
		return verifyErr(err)
	}
	prompts, err := verify.ParsePrompts(pf, data, tok)
	if err != nil {
		return verifyErr(err)
	}
	s.inputs = verify.ModelInputs(b, prompts)
	return nil
}

// writeFileAtomic writes path through a temporary file in the same directory
// and renames it into place, so a failed run leaves nothing half-written.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	bw := bufio.NewWriter(f)
	if err = write(bw); err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
