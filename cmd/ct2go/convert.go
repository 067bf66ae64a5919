package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ct2go/ct2go/convert"
)

// forceFlag counts its repetitions: one --force replaces a previous output,
// two replace whatever is there.
func forceFlag(count *int) *cli.BoolFlag {
	return &cli.BoolFlag{Name: "force", Count: count,
		Usage: "replace an existing output directory; twice: even one holding files a conversion does not write"}
}

func replaceMode(forces int) convert.Replace { return convert.Replace(min(forces, 2)) }

// removeStale deletes partial outputs of killed runs beside out, in one line.
func removeStale(out string, quiet bool) {
	removed, err := convert.RemoveStalePartials(filepath.Dir(out))
	if quiet || (len(removed) == 0 && err == nil) {
		return
	}
	var names []string
	for _, r := range removed {
		names = append(names, fmt.Sprintf("%s (pid %d)", filepath.Base(r.Dir), r.PID))
	}
	if len(names) > 0 {
		fmt.Fprintf(os.Stderr, "note: removed %d partial output(s) of killed runs in %s: %s\n", len(names), filepath.Dir(out), strings.Join(names, ", "))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "warning: %v\n", oneLine(err))
	}
}

func convertCommand() *cli.Command {
	var forces int
	return &cli.Command{
		Name:      "convert",
		Usage:     "convert a Hugging Face Mllama/Llama checkpoint to a CTranslate2 model directory",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: modelUsage, Required: true},
			offlineFlag,
			&cli.StringFlag{Name: "output_dir", Aliases: []string{"output-dir", "o"}, Usage: "output directory"},
			&cli.StringFlag{Name: "quantization", Aliases: []string{"q"}, Value: "int8_float16", Usage: "weight type: " + strings.Join(convert.Quantizations, ", ")},
			&cli.BoolFlag{Name: "ct2-compat", Aliases: []string{"ct2_compat"}, Usage: "write exactly what CTranslate2 4.8.1's converter writes (without the llama3 RoPE scalars)"},
			forceFlag(&forces),
			&cli.StringSliceFlag{Name: "copy_files", Aliases: []string{"copy-files"}, Usage: "extra files of the model directory to copy into the output (--copy_files A B, repeated, or A,B)"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"dry_run"}, Usage: "read headers only and print the plan"},
			&cli.BoolFlag{Name: "allow-nonfinite", Aliases: []string{"allow_nonfinite"}, Usage: "convert even if weights contain NaN or Inf"},
			&cli.IntFlag{Name: "threads", Usage: "quantization workers (default: all cores)"},
			&cli.BoolFlag{Name: "quiet", Usage: "no progress bar or summary"},
			&cli.BoolFlag{Name: "json", Usage: "print the summary (or plan) as JSON on stdout"},
			&cli.BoolFlag{Name: "low_cpu_mem_usage", Hidden: true},
			&cli.BoolFlag{Name: "trust_remote_code", Hidden: true},
		},
		Action: func(c *cli.Context) error { return runConvert(c, forces) },
	}
}

func runConvert(c *cli.Context, forces int) error {
	if c.NArg() > 0 {
		return usagef("convert takes no arguments (got %q): use --model and --output_dir", c.Args().First())
	}
	q := c.String("quantization")
	if !slices.Contains(convert.Quantizations, q) {
		return usagef("--quantization %q: choose one of %s", q, strings.Join(convert.Quantizations, ", "))
	}
	quiet, asJSON := c.Bool("quiet"), c.Bool("json")
	model, err := modelDir(c, c.String("model"), quiet || asJSON)
	if err != nil {
		return err
	}
	if err := checkModelPath("convert", model, kindHFDir); err != nil {
		return err
	}
	for _, f := range []string{"low_cpu_mem_usage", "trust_remote_code"} {
		if c.Bool(f) && !quiet {
			fmt.Fprintf(os.Stderr, "note: --%s has no effect: ct2go always streams and never runs remote code\n", f)
		}
	}
	out := c.String("output_dir")
	if c.Bool("dry-run") {
		return dryRun(c, model, q, out, forces)
	}
	if out == "" {
		return usagef("--output_dir is required")
	}
	removeStale(out, quiet)
	var done func()
	var sink func(int64) // the progress bar, once the plan says how much there is to read
	opt := convert.Options{
		Quantization: q, Compat: c.Bool("ct2-compat"), Force: replaceMode(forces),
		CopyFiles: c.StringSlice("copy_files"), AllowNonFinite: c.Bool("allow-nonfinite"), Threads: c.Int("threads"),
		OnPlan: func(p *convert.Plan) {
			sink, done = progress(p.InputBytes(), "converting", quiet || asJSON)
		},
		Progress: func(n int64) {
			if sink != nil {
				sink(n)
			}
		},
	}
	if fi := os.Getenv("CT2GO_FAULT"); fi != "" {
		hook, err := faultHook(fi)
		if err != nil {
			return usagef("CT2GO_FAULT: %v", err)
		}
		opt.BeforeVariable = hook
	}
	sum, err := convert.Convert(c.Context, model, out, opt)
	if done != nil {
		done()
	}
	if err != nil {
		return err
	}
	rss := peakRSS()
	if asJSON {
		return printJSON(os.Stdout, struct {
			*convert.Summary
			PeakRSS int64 `json:"peak_rss_bytes"`
		}{sum, rss})
	}
	if quiet {
		return nil
	}
	for _, n := range sum.Notes {
		fmt.Fprintf(os.Stderr, "note: %s\n", n)
	}
	mode := "ct2go (with llama3 RoPE scalars)"
	if sum.Compat {
		mode = "ct2-compat (CTranslate2 4.8.1 bytes)"
	}
	rate := float64(sum.InputBytes) / 1e9 / max(sum.Seconds, 1e-9)
	fmt.Fprintf(os.Stderr, "converted %s → %s [%s, %s]\n", model, out, sum.Quantization, mode)
	fmt.Fprintf(os.Stderr, "  %d variables (%d aliases), %d source tensors dropped\n", sum.Variables, sum.Aliases, sum.Dropped)
	fmt.Fprintf(os.Stderr, "  read %s, wrote %s in %.2fs (%.2f GB/s), peak RSS %s\n", gb(sum.InputBytes), gb(sum.OutputBytes), sum.Seconds, rate, human(rss))
	if sum.F16Overflow+sum.F16Underflow > 0 {
		fmt.Fprintf(os.Stderr, "  float16 cast: %d values overflowed to ±Inf, %d lost precision below 6.1e-5 (CTranslate2 casts the same way; int8_bfloat16 avoids it)\n", sum.F16Overflow, sum.F16Underflow)
	}
	if sum.NonFinite > 0 {
		fmt.Fprintf(os.Stderr, "  warning: %d NaN/Inf weights converted (--allow-nonfinite)\n", sum.NonFinite)
	}
	fmt.Fprintf(os.Stderr, "  files: %s\n", strings.Join(sum.Files, ", "))
	return nil
}

// wouldStop is why the real run into out would stop before writing (the
// output exists and --force is missing or not enough), or "".
func wouldStop(out string, forces int, copyFiles []string) string {
	if out == "" {
		return ""
	}
	err := convert.CheckOutput(out, replaceMode(forces), copyFiles)
	if err == nil {
		return ""
	}
	var b strings.Builder
	report(&b, io.Discard, err, "convert", false)
	return fmt.Sprintf("the real run would stop (exit %d): %s", exitCode(context.Background(), err), strings.TrimSpace(strings.TrimPrefix(b.String(), "ct2go: ")))
}

func dryRun(c *cli.Context, model, q, out string, forces int) error {
	warn := wouldStop(out, forces, c.StringSlice("copy_files"))
	if warn != "" {
		fmt.Fprintf(os.Stderr, "warning: %s\n", warn)
	}
	src, err := convert.Open(model)
	if err != nil {
		return err
	}
	defer src.Close()
	plan, err := src.NewPlan(q, c.Bool("ct2-compat"))
	if err != nil {
		return err
	}
	type pv struct {
		Name  string `json:"name"`
		DType string `json:"dtype"`
		Shape []int  `json:"shape"`
		Bytes int64  `json:"nbytes"`
	}
	var vars []pv
	for _, v := range plan.Vars {
		shape := v.Shape
		if shape == nil {
			shape = []int{}
		}
		vars = append(vars, pv{v.Name, v.DType.String(), shape, v.NBytes()})
	}
	tm := src.Text
	if c.Bool("json") {
		return printJSON(os.Stdout, map[string]any{
			"family": tm.Family, "quantization": q, "ct2_compat": c.Bool("ct2-compat"),
			"params": tm.Params, "variables": vars, "aliases": plan.Aliases,
			"input_bytes": plan.InputBytes(), "output_bytes": plan.OutputBytes(),
			"vocabulary_size": len(plan.Vocab), "config": plan.Config, "notes": plan.Notes,
			"would_stop": warn,
		})
	}
	p := tm.Params
	fmt.Printf("family %s: %d layers, hidden %d, intermediate %d, heads %d/%d (head_dim %d), vocab %d, rope %q theta %g\n",
		tm.Family, p.Layers, p.Hidden, p.Intermediate, p.Heads, p.KVHeads, p.HeadDim, p.Vocab, p.Rope, p.RopeTheta)
	for _, n := range plan.Notes {
		fmt.Printf("note: %s\n", n)
	}
	fmt.Printf("%-64s %-9s %-16s %12s\n", "VARIABLE", "DTYPE", "SHAPE", "BYTES")
	for _, v := range vars {
		fmt.Printf("%-64s %-9s %-16s %12d\n", v.Name, v.DType, fmt.Sprint(v.Shape), v.Bytes)
	}
	fmt.Printf("%d variables, %d aliases; reads %s, writes %s (model.bin)\n", len(vars), len(plan.Aliases), gb(plan.InputBytes()), gb(plan.OutputBytes()))
	return nil
}
