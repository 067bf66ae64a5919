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
			weightsFlag(),
			&cli.IntFlag{Name: "bandwidth-mib", Usage: "buffer of the DRAM read probe in MiB (default: 8x the last-level cache, at least 1024)"},
			&cli.BoolFlag{Name: "profile", Usage: "time each op of the decode steps"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
		},
		Action: func(c *cli.Context) error {
			compute, err := runtime.ParseCompute(c.String("compute"))
			if err != nil {
				return usagef("--compute: %v", err)
			}
			weights, err := weightsOption(c)
			if err != nil {
				return err
			}
			m, err := runtime.Load(c.String("model"), runtime.Options{Compute: compute, Threads: c.Int("threads"), Weights: weights})
			if err != nil {
				return err
			}
			defer m.Close()
			r, err := runtime.Bench(m, runtime.BenchOptions{PromptTokens: c.Int("prompt-tokens"), NewTokens: c.Int("new-tokens"), BandwidthMiB: c.Int("bandwidth-mib"), Profile: c.Bool("profile")})
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
			fmt.Printf("peak RSS %s (mapped model.bin pages count as shared file memory, anon copies as anonymous)\n", human(peakRSS()))
			return nil
		},
	}
}

// weightsFlag is --weights of bench, run and verify.
func weightsFlag() cli.Flag {
	return &cli.StringFlag{Name: "weights", Value: "auto", Usage: "weight placement: auto (measure both at load), mmap (decode from the model.bin mapping), anon (copy into huge-page anonymous memory)"}
}

func weightsOption(c *cli.Context) (runtime.Weights, error) {
	w, err := runtime.ParseWeights(c.String("weights"))
	if err != nil {
		return 0, usagef("--weights: %v", err)
	}
	return w, nil
}
