package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ct2go/ct2go/convert/synth"
)

func synthCommand() *cli.Command {
	var names []string
	for n := range synth.Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return &cli.Command{
		Name:      "synth",
		Usage:     "write a full-size synthetic checkpoint (real structure, random bf16 weights) for benchmarks",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "preset", Usage: strings.Join(names, " | "), Required: true},
			&cli.StringFlag{Name: "output_dir", Aliases: []string{"output-dir", "o"}, Usage: "output directory (must not exist)", Required: true},
			&cli.Uint64Flag{Name: "seed", Value: 1234, Usage: "random seed (same seed, same bytes)"},
			&cli.StringFlag{Name: "tokenizer", Value: filepath.Join("..", "shared", "fixtures", "tiny-mllama"), Usage: "directory to copy the tokenizer and license files from"},
			&cli.IntFlag{Name: "threads", Usage: "generator threads (default: all cores)"},
			&cli.BoolFlag{Name: "quiet", Usage: "no progress bar or summary"},
		},
		Action: func(c *cli.Context) error {
			p, ok := synth.Presets[c.String("preset")]
			if !ok {
				return usagef("unknown preset %q (%s)", c.String("preset"), strings.Join(names, ", "))
			}
			out := c.String("output_dir")
			if _, err := os.Lstat(out); err == nil {
				return fmt.Errorf("%s: already exists", out)
			}
			add, done := progress(p.TotalBytes(), "synthesizing", c.Bool("quiet"))
			start := time.Now()
			err := synth.Write(c.Context, p, out, synth.Options{Seed: c.Uint64("seed"), Tokenizer: c.String("tokenizer"), Threads: c.Int("threads"), Progress: add})
			done()
			if err != nil {
				os.RemoveAll(out)
				return err
			}
			if !c.Bool("quiet") {
				secs := time.Since(start).Seconds()
				fmt.Fprintf(os.Stderr, "wrote %s: %d tensors in %d shards, %s in %.1fs (%.2f GB/s)\n",
					out, len(p.Tensors()), len(p.Shards()), gb(p.TotalBytes()), secs, float64(p.TotalBytes())/1e9/secs)
			}
			return nil
		},
	}
}
