package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ct2go/ct2go/convert"
)

func stripCommand() *cli.Command {
	var forces int
	return &cli.Command{
		Name:      "strip",
		Usage:     "write the text model of a Llama-3.2-Vision checkpoint as a standalone Hugging Face Llama checkpoint",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: "Mllama " + modelUsage, Required: true},
			offlineFlag,
			&cli.StringFlag{Name: "output_dir", Aliases: []string{"output-dir", "o"}, Usage: "output directory", Required: true},
			forceFlag(&forces),
			&cli.BoolFlag{Name: "quiet", Usage: "no progress bar or summary"},
			&cli.BoolFlag{Name: "json", Usage: "print the summary as JSON on stdout"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("strip takes no arguments (got %q)", c.Args().First())
			}
			quiet, asJSON := c.Bool("quiet"), c.Bool("json")
			model, err := modelDir(c, c.String("model"), quiet || asJSON)
			if err != nil {
				return err
			}
			if err := checkModelPath("strip", model, kindHFDir); err != nil {
				return err
			}
			removeStale(c.String("output_dir"), quiet)
			var progress func(int64)
			if fi := os.Getenv("CT2GO_FAULT"); fi != "" {
				// Testing seam (see faultHook): strip has no per-variable hook,
				// so the fault runs at each copied chunk; only slow:DURATION
				// has an effect here (to deliver Ctrl-C mid-way).
				hook, err := faultHook(fi)
				if err != nil {
					return usagef("CT2GO_FAULT: %v", err)
				}
				progress = func(int64) { _ = hook("") }
			}
			sum, err := convert.Strip(c.Context, model, c.String("output_dir"), replaceMode(forces), progress)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(os.Stdout, struct {
					*convert.StripSummary
					PeakRSS int64 `json:"peak_rss_bytes"`
				}{sum, peakRSS()})
			}
			if !quiet {
				for _, n := range sum.Notes {
					fmt.Fprintf(os.Stderr, "note: %s\n", n)
				}
				fmt.Fprintf(os.Stderr, "stripped → %s: %d tensors, %s in %d shard(s), %.2fs, peak RSS %s\n  files: %s\n",
					sum.Output, sum.Tensors, gb(sum.Bytes), sum.Shards, sum.Seconds, human(peakRSS()), strings.Join(sum.Files, ", "))
			}
			return nil
		},
	}
}
