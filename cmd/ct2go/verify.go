package main

import (
	"errors"
	"fmt"
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
		Description: "Reference logits: a safetensors file (optionally .zst) with NAME.input_ids (I64 [T]) and NAME.logits\n" +
			"(F32 [T, vocab]) per prompt, e.g. from scripts/reference_logits.py. Reports max/mean |Δlogit|, KL(ref‖model)\n" +
			"mean/p99/max, top-1 and top-5 agreement and perplexities. Default thresholds: float32 compute max |Δ| ≤ 1e-4,\n" +
			"top-1 100%, KL mean ≤ 1e-6; int8 compute KL mean ≤ 5e-3, top-1 ≥ 90%. Exit 0 within thresholds, 1 outside,\n" +
			"2 on errors.",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: "CTranslate2 model directory to check", Required: true},
			&cli.StringFlag{Name: "reference", Usage: "reference logits (.safetensors or .safetensors.zst)"},
			&cli.StringFlag{Name: "against", Usage: "a second CTranslate2 model directory whose logits serve as the reference"},
			&cli.StringFlag{Name: "prompts", Usage: "with --against: JSON prompts, {\"NAME\": [ids] or \"text\"} or a list (text is tokenized with --model's tokenizer)"},
			&cli.StringFlag{Name: "compute", Value: "default", Usage: "compute type: default (CTranslate2's CPU choice), float32, int8"},
			&cli.Float64Flag{Name: "max-kld", Aliases: []string{"max_kld"}, Usage: "maximum mean KL divergence in nats, per prompt and overall (negative: not checked)", DefaultText: "1e-6 float32, 5e-3 int8"},
			&cli.Float64Flag{Name: "min-top1", Aliases: []string{"min_top1"}, Usage: "minimum top-1 agreement in percent, overall (negative: not checked)", DefaultText: "100 float32, 90 int8"},
			&cli.Float64Flag{Name: "max-abs", Aliases: []string{"max_abs"}, Usage: "maximum |Δlogit| (negative: not checked)", DefaultText: "1e-4 float32, unchecked int8"},
			&cli.IntFlag{Name: "threads", Usage: "runtime threads", DefaultText: "all cores"},
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
		},
		Action: runVerify,
	}
}

// exitVerifyError: verify could not judge (bad input, unreadable model or
// reference); 1 is reserved for "judged and outside the thresholds".
const exitVerifyError = 2

func verifyErr(err error) error { return exitError{exitVerifyError, err} }

func runVerify(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("verify takes no arguments (got %q): use --model and --reference", c.Args().First())
	}
	dir, refPath, against := c.String("model"), c.String("reference"), c.String("against")
	switch {
	case refPath == "" && against == "":
		return usagef("verify needs --reference FILE or --against MODEL_DIR --prompts FILE")
	case refPath != "" && against != "":
		return usagef("give --reference or --against, not both")
	case against != "" && c.String("prompts") == "":
		return usagef("--against needs --prompts FILE")
	case against == "" && c.String("prompts") != "":
		return usagef("--prompts goes with --against (a reference file carries its own prompts)")
	}
	compute, err := runtime.ParseCompute(c.String("compute"))
	if err != nil {
		return usagef("--compute: %v", err)
	}
	opts := runtime.Options{Compute: compute, Threads: c.Int("threads")}
	m, err := runtime.Load(dir, opts)
	if err != nil {
		return verifyErr(err)
	}
	defer m.Close()
	cfg := m.Config()
	th := verify.DefaultThresholds(cfg.Compute)
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

	var inputs []verify.Input
	var refName, refSource string
	var warnings []string
	if refPath != "" {
		ref, err := verify.LoadReference(refPath, verify.LoadOptions{})
		if err != nil {
			return verifyErr(err)
		}
		defer ref.Close()
		if err := ref.CheckModel(m.VocabSize()); err != nil {
			return verifyErr(err)
		}
		inputs, refName, refSource = ref.Inputs(), refPath, ref.Source
	} else {
		b, err := runtime.Load(against, runtime.Options{Threads: c.Int("threads")})
		if err != nil {
			return verifyErr(err)
		}
		defer b.Close()
		if b.VocabSize() != m.VocabSize() {
			return verifyErr(fmt.Errorf("%s has %d tokens, %s has %d: not the same model", against, b.VocabSize(), dir, m.VocabSize()))
		}
		pf := c.String("prompts")
		data, err := fsutil.ReadCapped(pf, hf.MaxTokenizerSize)
		if err != nil {
			return verifyErr(err)
		}
		var tok *tokenizer.Tokenizer
		if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err == nil {
			if tok, err = tokenizer.Load(dir); err != nil {
				return verifyErr(err)
			}
		}
		prompts, err := verify.ParsePrompts(pf, data, tok)
		if err != nil {
			return verifyErr(err)
		}
		bc := b.Config()
		inputs, refName = verify.ModelInputs(b, prompts), against
		refSource = fmt.Sprintf("CTranslate2 model %s run by the ct2go runtime (weights %s, compute %s)", against, bc.WeightDType, bc.Compute)
		if w := verify.RopeWarning(bc, against, nil); w != "" {
			warnings = append(warnings, w)
		}
	}

	rep, err := verify.Compare(c.Context, m, inputs, th)
	if err != nil {
		if errors.Is(err, c.Context.Err()) && c.Context.Err() != nil {
			return err
		}
		return verifyErr(err)
	}
	rep.Model, rep.Reference, rep.ReferenceSource = dir, refName, refSource
	if w := verify.RopeWarning(cfg, dir, rep); w != "" {
		warnings = append([]string{w}, warnings...)
	}
	rep.Warnings = warnings
	for _, w := range warnings {
		fmt.Fprintln(os.Stderr, w)
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
		}
		return exitError{exitFailure, fmt.Errorf("verification failed: %s outside the thresholds", what)}
	}
	return nil
}
