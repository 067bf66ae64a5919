package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/ct2go/ct2go/runtime"
)

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:      "bench",
		Usage:     "measure prefill and decode speed of a CTranslate2 model against this machine's memory bandwidth",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: "CTranslate2 model directory", Required: true},
			&cli.IntFlag{Name: "prompt-tokens", Aliases: []string{"prompt_tokens"}, Value: 128, Usage: "prefill length"},
			&cli.IntFlag{Name: "new-tokens", Aliases: []string{"new_tokens"}, Value: 64, Usage: "greedy decode steps"},
			&cli.IntFlag{Name: "threads", Usage: "threads (default: all cores)"},
			&cli.StringFlag{Name: "compute", Value: "default", Usage: "compute type: default (CTranslate2's CPU choice), float32, int8"},
			&cli.IntFlag{Name: "bandwidth-mib", Value: 1024, Usage: "buffer size of the memory read-bandwidth loop"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
		},
		Action: func(c *cli.Context) error {
			compute, err := runtime.ParseCompute(c.String("compute"))
			if err != nil {
				return usagef("--compute: %v", err)
			}
			m, err := runtime.Load(c.String("model"), runtime.Options{Compute: compute, Threads: c.Int("threads")})
			if err != nil {
				return err
			}
			defer m.Close()
			r, err := runtime.Bench(m, runtime.BenchOptions{PromptTokens: c.Int("prompt-tokens"), NewTokens: c.Int("new-tokens"), BandwidthMiB: c.Int("bandwidth-mib")})
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return printJSON(os.Stdout, struct {
					*runtime.BenchResult
					PeakRSS int64 `json:"peak_rss_bytes"`
				}{r, peakRSS()})
			}
			fmt.Println(r.String())
			fmt.Printf("peak RSS %s (model.bin is memory-mapped: its pages count as shared file memory)\n", human(peakRSS()))
			return nil
		},
	}
}
