package convert

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/format/safetensors"
)

// isHFOutputFile reports names Strip writes into its output (so
// ReplaceOutput may delete them).
func isHFOutputFile(name string) bool {
	switch {
	case name == "config.json", name == "model.safetensors", name == safetensors.IndexFile,
		strings.HasPrefix(name, "model-") && strings.HasSuffix(name, ".safetensors"):
		return true
	}
	return slices.Contains(DefaultCopyFiles, name)
}

// MaxShardBytes is transformers' default save_pretrained max_shard_size ("5GB").
const MaxShardBytes = 5_000_000_000

// StripSummary describes a finished strip.
type StripSummary struct {
	Output  string   `json:"output_dir"`
	Tensors int      `json:"tensors"`
	Bytes   int64    `json:"bytes"`
	Shards  int      `json:"shards"`
	Seconds float64  `json:"seconds"`
	Files   []string `json:"files"`
	Notes   []string `json:"notes"`
}

// Strip writes the text model of an Mllama checkpoint as a standalone
// LlamaForCausalLM checkpoint (config.json, safetensors, index when
// sharded, tokenizer and license files) that any Llama tool can load.
func Strip(ctx context.Context, dir, outDir string, force Replace, progress func(int64)) (*StripSummary, error) {
	start := time.Now()
	if err := checkOutput(dir, outDir, force, isHFOutputFile); err != nil {
		return nil, err
	}
	src, err := Open(dir)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	tm := src.Text
	if tm.Family != "mllama" {
		return nil, fmt.Errorf("%s: already a %s checkpoint: nothing to strip (convert it directly)", dir, tm.Family)
	}
	cfg, err := strippedConfig(tm)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(tm.Tensors))
	for n := range tm.Tensors {
		if n == "lm_head.weight" && tm.Params.Tied {
			continue // tied: transformers saves the embedding only
		}
		names = append(names, n)
	}
	sort.Strings(names)
	shards := planShards(names, tm)
	copies, err := filesToCopy(dir, nil)
	if err != nil {
		return nil, err
	}
	sum := &StripSummary{Output: outDir, Tensors: len(names), Shards: len(shards), Notes: tm.Notes}
	err = writeAtomically(outDir, force, func(tmp string) error {
		weightMap := map[string]any{}
		var total int64
		for i, shard := range shards {
			file := "model.safetensors"
			if len(shards) > 1 {
				file = fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(shards))
			}
			var wts []safetensors.WriteTensor
			for _, n := range shard {
				ref := tm.Tensors[n]
				nb := refBytes(ref)
				total += nb
				weightMap[n] = file
				wts = append(wts, safetensors.WriteTensor{Name: n, DType: ref.T.DType, Shape: ref.Shape(), NBytes: nb,
					Write: func(w io.Writer) error { return copyRef(ctx, w, ref, progress) }})
			}
			if err := safetensors.WriteFile(filepath.Join(tmp, file), wts, map[string]string{"format": "pt"}); err != nil {
				return err
			}
			sum.Files = append(sum.Files, file)
		}
		if len(shards) > 1 {
			idx, err := ct2.PyJSON(map[string]any{"metadata": map[string]any{"total_size": total}, "weight_map": weightMap})
			if err != nil {
				return err
			}
			if err := writeFile(filepath.Join(tmp, safetensors.IndexFile), append(idx, '\n')); err != nil {
				return err
			}
			sum.Files = append(sum.Files, safetensors.IndexFile)
		}
		sum.Bytes = total
		b, err := ct2.ConfigJSON(cfg)
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(tmp, "config.json"), b); err != nil {
			return err
		}
		sum.Files = append(sum.Files, "config.json")
		for _, c := range copies {
			if err := copyFile(c, filepath.Join(tmp, filepath.Base(c))); err != nil {
				return err
			}
			sum.Files = append(sum.Files, filepath.Base(c))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sum.Seconds = time.Since(start).Seconds()
	return sum, nil
}

// planShards splits tensors the way huggingface_hub's
// split_torch_state_dict_into_shards does: fill a shard until the next
// tensor would overflow it; a tensor larger than the limit gets its own.
func planShards(names []string, tm *TextModel) [][]string {
	var shards [][]string
	var cur []string
	var size int64
	for _, n := range names {
		nb := refBytes(tm.Tensors[n])
		if nb > MaxShardBytes {
			shards = append(shards, []string{n})
			continue
		}
		if size+nb > MaxShardBytes && len(cur) > 0 {
			shards = append(shards, cur)
			cur, size = nil, 0
		}
		cur = append(cur, n)
		size += nb
	}
	if len(cur) > 0 {
		shards = append(shards, cur)
	}
	return shards
}

func refBytes(r Ref) int64 {
	if len(r.T.Shape) == 0 || r.T.Shape[0] == 0 {
		return r.T.NBytes
	}
	return r.T.NBytes / int64(r.T.Shape[0]) * int64(r.Rows)
}

// copyRef streams the referenced rows' raw bytes, releasing source pages as it goes.
func copyRef(ctx context.Context, w io.Writer, r Ref, progress func(int64)) error {
	b := r.T.Bytes()[:refBytes(r)]
	const chunk = 8 << 20
	for off := 0; off < len(b); off += chunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(len(b), off+chunk)
		if _, err := w.Write(b[off:end]); err != nil {
			return err
		}
		r.T.File.Release(r.T.Offset+int64(off), int64(end-off))
		if progress != nil {
			progress(int64(end - off))
		}
	}
	return nil
}

// strippedConfig derives the LlamaForCausalLM config.json of the text model
// from the Mllama text_config, with the fields transformers 4.45's
// LlamaConfig saves (shared/fixtures/golden/stripped-llama/config.json).
func strippedConfig(tm *TextModel) (map[string]any, error) {
	p := tm.Params
	raw := tm.Config.TextRaw
	pick := func(key string, def any) any {
		if v, ok := raw[key]; ok && v != nil {
			return v
		}
		return def
	}
	torchDType := tm.Config.TorchDType
	if torchDType == "" {
		torchDType, _ = raw["torch_dtype"].(string)
	}
	cfg := map[string]any{
		"architectures":           []any{"LlamaForCausalLM"},
		"model_type":              "llama",
		"attention_bias":          p.AttnBias,
		"attention_dropout":       pick("attention_dropout", 0.0),
		"bos_token_id":            pick("bos_token_id", nil),
		"eos_token_id":            pick("eos_token_id", nil),
		"pad_token_id":            pick("pad_token_id", nil),
		"head_dim":                p.HeadDim,
		"hidden_act":              pick("hidden_act", "silu"),
		"hidden_size":             p.Hidden,
		"initializer_range":       pick("initializer_range", 0.02),
		"intermediate_size":       p.Intermediate,
		"max_position_embeddings": pick("max_position_embeddings", 2048),
		"mlp_bias":                p.MLPBias,
		"num_attention_heads":     p.Heads,
		"num_hidden_layers":       p.Layers,
		"num_key_value_heads":     p.KVHeads,
		"pretraining_tp":          pick("pretraining_tp", 1),
		"rms_norm_eps":            pick("rms_norm_eps", p.Eps),
		"rope_scaling":            pick("rope_scaling", nil),
		"rope_theta":              pick("rope_theta", p.RopeTheta),
		"tie_word_embeddings":     p.Tied,
		"use_cache":               pick("use_cache", true),
		"vocab_size":              p.Vocab,
	}
	if torchDType != "" {
		cfg["torch_dtype"] = torchDType
	}
	if v, ok := tm.Config.Raw["transformers_version"]; ok {
		cfg["transformers_version"] = v
	}
	// Round-trip through JSON-compatible types only (json.Number stays as is).
	if _, err := json.Marshal(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}
