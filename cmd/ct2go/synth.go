package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ct2go/ct2go/internal/synth"
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
			&cli.StringFlag{Name: "tokenizer", Usage: "directory to copy the Llama 3 tokenizer and license files from " +
				"(default: the tiny-mllama fixture in ../shared/fixtures beside the repository, found from the executable or the working directory)"},
			&cli.IntFlag{Name: "threads", Usage: "generator threads (default: all cores)"},
			&cli.BoolFlag{Name: "quiet", Usage: "no progress bar or summary"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"dry_run"}, Usage: "find the tokenizer, check free space and say what would be written; write nothing"},
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
			tok := c.String("tokenizer")
			if tok == "" {
				exe, _ := os.Executable()
				cwd, _ := os.Getwd()
				var tried []string
				if tok, tried = findTokenizerDir(exe, cwd); tok == "" {
					return usagef("synth needs the Llama 3 tokenizer files (%s): none in %s; give --tokenizer DIR (a Llama 3.x checkpoint or ../shared/fixtures/tiny-mllama)",
						strings.Join(synth.TokenizerFiles, ", "), strings.Join(tried, ", "))
				}
			}
			if err := synth.CheckTokenizer(tok); err != nil {
				return usagef("--tokenizer: %v", err)
			}
			if err := synth.CheckFreeSpace(out, p.TotalBytes()); err != nil {
				return fmt.Errorf("not enough disk space for preset %s: %w", c.String("preset"), err)
			}
			if c.Bool("dry-run") {
				fmt.Printf("would write %s: %d tensors in %d shards, %s, tokenizer files from %s\n",
					out, len(p.Tensors()), len(p.Shards()), gb(p.TotalBytes()), tok)
				return nil
			}
			add, done := progress(p.TotalBytes(), "synthesizing", c.Bool("quiet"))
			start := time.Now()
			err := synth.Write(c.Context, p, out, synth.Options{Seed: c.Uint64("seed"), Tokenizer: tok, Threads: c.Int("threads"), Progress: add})
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

// findTokenizerDir looks for the tiny-mllama fixture (which holds the Llama
// 3 tokenizer files) where a checkout puts it: ../shared/fixtures beside the
// repository, reached from the executable (bin/ct2go or a go install'd
// binary run from the repository) or from the working directory (the
// repository root or one of its packages). It returns "" and the places
// tried when none has the files.
func findTokenizerDir(exe, cwd string) (string, []string) {
	var bases []string
	if exe != "" {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		bases = append(bases, filepath.Dir(filepath.Dir(exe))) // repo/bin/ct2go -> repo
	}
	if cwd != "" {
		bases = append(bases, cwd, filepath.Dir(cwd), filepath.Dir(filepath.Dir(cwd)))
	}
	var tried []string
	for _, b := range bases {
		dir := filepath.Join(filepath.Dir(b), "shared", "fixtures", "tiny-mllama")
		if slices.Contains(tried, dir) {
			continue
		}
		tried = append(tried, dir)
		if synth.CheckTokenizer(dir) == nil {
			return dir, tried
		}
	}
	return "", tried
}
