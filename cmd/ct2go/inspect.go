package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ct2go/ct2go/format/checkpoint"
	"github.com/ct2go/ct2go/format/ct2"
)

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show the variables of a model.bin / CTranslate2 model directory, or the tensors of a Hugging Face checkpoint",
		ArgsUsage: "PATH",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print as JSON"},
			offlineFlag,
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("inspect takes exactly one PATH (model.bin, a CTranslate2 model directory or a Hugging Face checkpoint)")
			}
			path := c.Args().First()
			if _, err := os.Stat(path); err != nil {
				// Not a local path: try it as a Hugging Face id (modelDir never
				// sends path-like values to the hub).
				if path, err = modelDir(c, path, c.Bool("json")); err != nil {
					return err
				}
			}
			if err := checkModelPath("inspect", path, kindAnyOrBin); err != nil {
				return err
			}
			st, err := os.Stat(path)
			if err != nil {
				return err
			}
			bin := path
			if st.IsDir() {
				bin = filepath.Join(path, "model.bin")
				if _, err := os.Stat(bin); err != nil {
					// vocabulary.json marks a CTranslate2 model directory: without
					// model.bin it is a broken one, not a Hugging Face checkpoint.
					if _, verr := os.Stat(filepath.Join(path, "vocabulary.json")); verr == nil {
						return fmt.Errorf("%s: a CTranslate2 model directory (vocabulary.json) without its model.bin: %w", path, err)
					}
					if _, err := os.Stat(filepath.Join(path, "config.json")); err == nil {
						return inspectHF(path, c.Bool("json"))
					}
					return fmt.Errorf("%s: neither a CTranslate2 model (model.bin) nor a Hugging Face checkpoint (config.json)", path)
				}
			}
			return inspectCT2(bin, c.Bool("json"))
		},
	}
}

func inspectCT2(bin string, asJSON bool) error {
	s, err := ct2.Describe(bin)
	if err != nil {
		return err
	}
	warnings := ropeWarnings(s.Llama3Unscaled)
	if asJSON {
		out := map[string]any{"path": s.Path, "binary_version": s.BinaryVersion, "spec": s.Spec, "revision": s.Revision,
			"variables": s.Variables, "aliases": s.Aliases, "payload_bytes": s.PayloadBytes, "config": s.Config, "warnings": warnings}
		if s.VocabularySize >= 0 {
			out["vocabulary_size"] = s.VocabularySize
		}
		return printJSON(os.Stdout, out)
	}
	fmt.Printf("%s: binary version %d, spec %s revision %d, %d variables, %d aliases, %s of payload\n",
		s.Path, s.BinaryVersion, s.Spec, s.Revision, len(s.Variables), len(s.Aliases), human(s.PayloadBytes))
	fmt.Printf("%-64s %-9s %-16s %12s  %s\n", "VARIABLE", "DTYPE", "SHAPE", "BYTES", "VALUE")
	for _, v := range s.Variables {
		val := ""
		if v.Value != nil {
			val = fmt.Sprint(v.Value)
		}
		fmt.Printf("%-64s %-9s %-16s %12d  %s\n", v.Name, v.DType, fmt.Sprint(v.Shape), v.Bytes, val)
	}
	for _, a := range s.Aliases {
		fmt.Printf("alias %s -> %s\n", a.Name, a.Target)
	}
	keys := make([]string, 0, len(s.Config))
	for k := range s.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("config %s = %v\n", k, s.Config[k])
	}
	if s.VocabularySize >= 0 {
		fmt.Printf("vocabulary: %d tokens\n", s.VocabularySize)
	}
	for _, w := range warnings {
		fmt.Fprintf(os.Stderr, "warning: %s\n", w)
	}
	return nil
}

// ropeWarnings words ct2.Llama3Unscaled's finding (the check behind
// runtime.Config.Llama3ScalarsMissing and verify's RopeWarning): such a model
// runs with unscaled RoPE.
func ropeWarnings(layers []int) []string {
	if len(layers) == 0 {
		return nil
	}
	missing := make([]string, len(layers))
	for i, l := range layers {
		missing[i] = strconv.Itoa(l)
	}
	return []string{fmt.Sprintf("layers %s use llama3 RoPE scaling (if rotary_scaling_type is 2) but lack rotary_scaling_factor / original_max_position_embeddings: CTranslate2 then runs unscaled RoPE; repair with `ct2go fix-rope --model DIR`", strings.Join(missing, ","))}
}

func inspectHF(dir string, asJSON bool) error {
	src, err := checkpoint.Open(dir)
	if err != nil {
		return err
	}
	defer src.Close()
	ck, tm, ts := src.Checkpoint, src.Text, src.Tensors()
	if asJSON {
		return printJSON(os.Stdout, map[string]any{"path": dir, "family": tm.Family, "model_type": tm.Config.ModelType,
			"params": tm.Params, "tensors": ts, "total_bytes": ck.TotalBytes(), "text_tensors": len(tm.Tensors),
			"dropped_tensors": tm.Dropped, "notes": tm.Notes})
	}
	p := tm.Params
	fmt.Printf("%s: %s checkpoint (model_type %s), %d tensors, %s in %d file(s)\n", dir, tm.Family, tm.Config.ModelType, len(ts), gb(ck.TotalBytes()), len(ck.Files))
	fmt.Printf("text model: %d layers, hidden %d, intermediate %d, heads %d/%d (head_dim %d), vocab %d, eps %g, rope %q theta %g factor %g, tied %v, torch_dtype %q\n",
		p.Layers, p.Hidden, p.Intermediate, p.Heads, p.KVHeads, p.HeadDim, p.Vocab, p.Eps, p.Rope, p.RopeTheta, p.RopeFactor, p.Tied, p.LoadDType)
	for _, n := range tm.Notes {
		fmt.Printf("note: %s\n", n)
	}
	fmt.Printf("%-72s %-5s %-16s %12s  %s\n", "TENSOR", "DTYPE", "SHAPE", "BYTES", "FILE")
	for _, t := range ts {
		fmt.Printf("%-72s %-5s %-16s %12d  %s\n", t.Name, t.DType, fmt.Sprint(t.Shape), t.Bytes, t.File)
	}
	return nil
}
