package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ct2go/ct2go/convert"
	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/format/half"
	"github.com/ct2go/ct2go/format/hf"
	"github.com/ct2go/ct2go/internal/fsutil"
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

type inspectVar struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
	Bytes int64  `json:"nbytes"`
	Value any    `json:"value,omitempty"`
}

func inspectCT2(bin string, asJSON bool) error {
	m, err := ct2.Map(bin)
	if err != nil {
		return err
	}
	defer m.Close()
	vars := make([]inspectVar, 0, len(m.Variables))
	var total int64
	for i := range m.Variables {
		v := &m.Variables[i]
		iv := inspectVar{Name: v.Name, DType: v.DType.String(), Shape: v.Shape, Bytes: v.NBytes}
		if iv.Shape == nil {
			iv.Shape = []int{}
		}
		if v.IsScalar() {
			iv.Value = scalarValue(v.DType, m.Bytes(v))
		}
		total += v.NBytes
		vars = append(vars, iv)
	}
	dir := filepath.Dir(bin)
	var cfg map[string]any
	// Capped regular-file reads: a FIFO or /dev/zero here must not hang inspect.
	if raw, err := fsutil.ReadCapped(filepath.Join(dir, "config.json"), hf.MaxJSONSize); err == nil {
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return fmt.Errorf("%s: not valid JSON: %w", filepath.Join(dir, "config.json"), err)
		}
	} else if !os.IsNotExist(err) {
		return err
	}
	vocab := -1
	if raw, err := fsutil.ReadCapped(filepath.Join(dir, "vocabulary.json"), hf.MaxTokenizerSize); err == nil {
		var toks []string
		if err := json.Unmarshal(raw, &toks); err != nil {
			return fmt.Errorf("%s: not a JSON list of tokens: %w", filepath.Join(dir, "vocabulary.json"), err)
		}
		vocab = len(toks)
	} else if !os.IsNotExist(err) {
		return err
	}
	warnings := ropeWarnings(m.Header)
	if asJSON {
		out := map[string]any{"path": bin, "binary_version": m.Version, "spec": m.Spec, "revision": m.Revision,
			"variables": vars, "aliases": m.Aliases, "payload_bytes": total, "config": cfg, "warnings": warnings}
		if vocab >= 0 {
			out["vocabulary_size"] = vocab
		}
		return printJSON(os.Stdout, out)
	}
	fmt.Printf("%s: binary version %d, spec %s revision %d, %d variables, %d aliases, %s of payload\n",
		bin, m.Version, m.Spec, m.Revision, len(vars), len(m.Aliases), human(total))
	fmt.Printf("%-64s %-9s %-16s %12s  %s\n", "VARIABLE", "DTYPE", "SHAPE", "BYTES", "VALUE")
	for _, v := range vars {
		val := ""
		if v.Value != nil {
			val = fmt.Sprint(v.Value)
		}
		fmt.Printf("%-64s %-9s %-16s %12d  %s\n", v.Name, v.DType, fmt.Sprint(v.Shape), v.Bytes, val)
	}
	for _, a := range m.Aliases {
		fmt.Printf("alias %s -> %s\n", a.Name, a.Target)
	}
	if cfg != nil {
		keys := make([]string, 0, len(cfg))
		for k := range cfg {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Printf("config %s = %v\n", k, cfg[k])
		}
	}
	if vocab >= 0 {
		fmt.Printf("vocabulary: %d tokens\n", vocab)
	}
	for _, w := range warnings {
		fmt.Fprintf(os.Stderr, "warning: %s\n", w)
	}
	return nil
}

// ropeWarnings flags llama3-scaled layers without the two scalars
// CTranslate2's converter forgets: such a model runs with unscaled RoPE.
func ropeWarnings(h *ct2.Header) []string {
	var missing []string
	for i := 0; ; i++ {
		pre := fmt.Sprintf("decoder/layer_%d/self_attention/", i)
		if _, ok := h.Lookup(pre + "rotary_dim"); !ok {
			if _, ok := h.Lookup(pre + "linear_1/weight"); !ok {
				break
			}
		}
		v, ok := h.Lookup(pre + "rotary_scaling_type")
		if !ok || v.DType != ct2.Int8 || v.NBytes != 1 {
			continue
		}
		_, hasFactor := h.Lookup(pre + "rotary_scaling_factor")
		_, hasOrig := h.Lookup(pre + "original_max_position_embeddings")
		if !hasFactor || !hasOrig {
			missing = append(missing, fmt.Sprint(i))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("layers %s use llama3 RoPE scaling (if rotary_scaling_type is 2) but lack rotary_scaling_factor / original_max_position_embeddings: CTranslate2 then runs unscaled RoPE; repair with `ct2go fix-rope --model DIR`", strings.Join(missing, ","))}
}

func scalarValue(dt ct2.DType, b []byte) any {
	switch dt {
	case ct2.Int8:
		return int8(b[0])
	case ct2.Int16:
		return int16(binary.LittleEndian.Uint16(b))
	case ct2.Int32:
		return int32(binary.LittleEndian.Uint32(b))
	case ct2.Float32:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case ct2.Float16, ct2.BFloat16:
		f := make([]float32, 1)
		u := []uint16{binary.LittleEndian.Uint16(b)}
		if dt == ct2.Float16 {
			half.F16ToF32(f, u)
		} else {
			half.BF16ToF32(f, u)
		}
		return float64(f[0])
	}
	return nil
}

func inspectHF(dir string, asJSON bool) error {
	src, err := convert.Open(dir)
	if err != nil {
		return err
	}
	defer src.Close()
	ck := src.Checkpoint
	type tensor struct {
		Name  string `json:"name"`
		DType string `json:"dtype"`
		Shape []int  `json:"shape"`
		Bytes int64  `json:"nbytes"`
		File  string `json:"file"`
	}
	var ts []tensor
	for _, n := range ck.Names() {
		t := ck.Tensors[n]
		ts = append(ts, tensor{n, t.DType, t.Shape, t.NBytes, filepath.Base(t.File.Path)})
	}
	tm := src.Text
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
