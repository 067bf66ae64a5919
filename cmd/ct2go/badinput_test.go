package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/format/safetensors"
	"github.com/ct2go/ct2go/internal/synth"
	"github.com/ct2go/ct2go/internal/synthmodel"
	"github.com/ct2go/ct2go/verify"
)

// The bad-input suite runs every command on small synthetic inputs built
// once per test binary, inside the directory TestMain removes at the end:
// a Llama-3.2-Vision-shaped checkpoint of a few kilobytes (4 layers, cross
// layer 1, vision tower, 40-token vocabulary, sharded at 4 KB) and a tiny
// CTranslate2 model. Each case copies what it breaks, so cases run in
// parallel and never share a mutation.

var tinyPreset = synth.Preset{
	Name: "tiny", Hidden: 16, Intermediate: 32, Layers: 4, Heads: 2, KVHeads: 1, Vocab: 40, CrossLayers: []int{1},
	VisionHidden: 8, VisionIntermediate: 16, VisionLayers: 1, VisionGlobalLayers: 1, VisionHeads: 2,
	ImageSize: 28, PatchSize: 14, MaxTiles: 1, VisionOutputDim: 16, MaxShardBytes: 4096,
}

var tinyInputs struct {
	once     sync.Once
	ckpt     string // Mllama checkpoint
	ct2      string // CTranslate2 model (runtime synthetic)
	ctVocab  int
	baseline []byte // model.bin of converting ckpt with the default quantization
	err      error
}

// tinyTokenizer is a 36-token vocabulary plus 4 special tokens, enough for
// hf.Vocabulary and the special-token lookup of conversion.
func tinyTokenizer(dir string) error {
	vocab := map[string]int{}
	for i := 0; i < 36; i++ {
		vocab[fmt.Sprintf("t%d", i)] = i
	}
	var added []map[string]any
	for i, s := range []string{"<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|image|>"} {
		added = append(added, map[string]any{"id": 36 + i, "content": s, "special": true})
	}
	tj, _ := json.Marshal(map[string]any{"model": map[string]any{"type": "BPE", "vocab": vocab, "merges": []any{}}, "added_tokens": added})
	tc, _ := json.Marshal(map[string]any{"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"})
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tj, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), tc, 0o644)
}

func tiny(t *testing.T) (ckpt, model string) {
	t.Helper()
	tinyInputs.once.Do(func() {
		base := filepath.Dir(binPath)
		ck := filepath.Join(base, "tiny-ckpt")
		if err := synth.Write(context.Background(), tinyPreset, ck, synth.Options{Seed: 7, Threads: 1}); err != nil {
			tinyInputs.err = err
			return
		}
		if err := tinyTokenizer(ck); err != nil {
			tinyInputs.err = err
			return
		}
		m := filepath.Join(base, "tiny-ct2")
		if err := synthmodel.Write(m, synthmodel.Shape{Layers: 1, Hidden: 8, Inter: 12, Heads: 2, KVHeads: 1, Vocab: 16, DType: ct2.Int8}, 3); err != nil {
			tinyInputs.err = err
			return
		}
		out := filepath.Join(base, "tiny-baseline")
		cmd := exec.Command(binPath, "convert", "--model", ck, "--output_dir", out, "--quiet")
		if b, err := cmd.CombinedOutput(); err != nil {
			tinyInputs.err = fmt.Errorf("baseline conversion of the tiny checkpoint: %v: %s", err, b)
			return
		}
		// The synthetic model's eos_token is not in its vocabulary: name a token that is, so run works.
		var toks []string
		b, _ := os.ReadFile(filepath.Join(m, "vocabulary.json"))
		if err := json.Unmarshal(b, &toks); err != nil || len(toks) != 16 {
			tinyInputs.err = fmt.Errorf("tiny model vocabulary: %v", err)
			return
		}
		var cfg map[string]any
		b, _ = os.ReadFile(filepath.Join(m, "config.json"))
		json.Unmarshal(b, &cfg)
		cfg["eos_token"] = toks[15]
		b, _ = json.Marshal(cfg)
		os.WriteFile(filepath.Join(m, "config.json"), b, 0o644)
		tinyInputs.baseline, tinyInputs.err = os.ReadFile(filepath.Join(out, "model.bin"))
		tinyInputs.ckpt, tinyInputs.ct2, tinyInputs.ctVocab = ck, m, 16
	})
	if tinyInputs.err != nil {
		t.Fatal(tinyInputs.err)
	}
	return tinyInputs.ckpt, tinyInputs.ct2
}

// copyTree copies a directory of regular files into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// shardOf finds the shard holding tensor name (by the index) and the
// tensor's absolute offset and size in it.
func shardOf(t *testing.T, dir, name string) (path string, off, n int64) {
	t.Helper()
	idx, err := safetensors.ReadIndex(filepath.Join(dir, safetensors.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, idx.WeightMap[name])
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, ten := range f.Tensors {
		if ten.Name == name {
			return path, ten.Offset, ten.NBytes
		}
	}
	t.Fatalf("%s not in %s", name, path)
	return
}

// editHeader rewrites a shard's JSON header (decoded with numbers kept
// exact) and the data section: edit may change both.
func editHeader(t *testing.T, path string, edit func(h map[string]map[string]any, data []byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hlen := binary.LittleEndian.Uint64(b)
	dec := json.NewDecoder(bytes.NewReader(b[8 : 8+hlen]))
	dec.UseNumber()
	h := map[string]map[string]any{}
	if err := dec.Decode(&h); err != nil {
		t.Fatal(err)
	}
	data := edit(h, append([]byte(nil), b[8+hlen:]...))
	hj, _ := json.Marshal(h)
	for len(hj)%8 != 0 {
		hj = append(hj, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hj)))
	out = append(append(out, hj...), data...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// offsets returns a header entry's data_offsets.
func offsets(t *testing.T, e map[string]any) (int64, int64) {
	o := e["data_offsets"].([]any)
	a, _ := o[0].(json.Number).Int64()
	b, _ := o[1].(json.Number).Int64()
	return a, b
}

// rewriteShard replaces a shard by the tensors edit leaves in the map.
func rewriteShard(t *testing.T, path string, edit func(map[string]safetensors.WriteTensor)) {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ts := map[string]safetensors.WriteTensor{}
	for _, ten := range f.Tensors {
		data := append([]byte(nil), ten.Bytes()...) // copied: the file is rewritten below
		ts[ten.Name] = safetensors.WriteTensor{Name: ten.Name, DType: ten.DType, Shape: ten.Shape, NBytes: ten.NBytes,
			Write: func(w io.Writer) error { _, err := w.Write(data); return err }}
	}
	f.Close()
	edit(ts)
	var list []safetensors.WriteTensor
	for _, w := range ts {
		list = append(list, w)
	}
	if err := safetensors.WriteFile(path, list, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
}

// patchBF16 overwrites the first len(vals) elements of a bf16 tensor.
func patchBF16(t *testing.T, dir, name string, vals ...float32) string {
	t.Helper()
	path, off, n := shardOf(t, dir, name)
	if int64(2*len(vals)) > n {
		t.Fatalf("%s has only %d bytes", name, n)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 2*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(math.Float32bits(v)>>16))
	}
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	return path
}

func textCfg(m map[string]any) map[string]any { return m["text_config"].(map[string]any) }

const (
	qProj   = "language_model.model.layers.2.self_attn.q_proj.weight"
	upProj  = "language_model.model.layers.3.mlp.up_proj.weight"
	normW   = "language_model.model.norm.weight"
	visionW = "vision_model.transformer.layers.0.mlp.fc1.weight"
	crossW  = "language_model.model.layers.1.cross_attn.k_norm.weight"
)

type badCase struct {
	name string
	// on: "ckpt" (a copy of the tiny checkpoint) or "ct2" (a copy of the tiny model).
	on string
	// prepare breaks the copy in dir; it returns more strings stderr must name
	// (e.g. the shard file, known only once the copy exists).
	prepare func(t *testing.T, dir, scratch string) []string
	// codes gives the commands the case runs and each one's exit code.
	codes map[string]int
	// mentions must all appear on stderr (for exit 0: in the summary) of
	// the commands in mentionsOn (default: all of them).
	mentions   []string
	mentionsOn string
	// extra arguments per command.
	extra map[string][]string
	env   []string
	// fileLimitKB > 0 runs the command under `ulimit -f` (KiB): writes past
	// it fail with EFBIG, a real write failure like a full disk.
	fileLimitKB int
	// after runs extra checks on a successful command's output.
	after func(t *testing.T, cmd string, r result, out string)
}

// cmdArgs is how each command is invoked on input dir with output out;
// scratch holds helper files (prompts) outside the input.
func cmdArgs(t *testing.T, cmd, dir, out, scratch string) []string {
	switch cmd {
	case "convert", "strip":
		return []string{cmd, "--model", dir, "--output_dir", out}
	case "inspect":
		return []string{cmd, dir}
	case "verify":
		p := filepath.Join(scratch, "prompts.json")
		if err := os.WriteFile(p, []byte(`{"a": [1, 2, 3], "b": [4]}`), 0o644); err != nil {
			t.Fatal(err)
		}
		return []string{cmd, "--model", dir, "--against", dir, "--prompts", p, "--threads", "1"}
	case "run":
		return []string{cmd, "--model", dir, "--ids", "1,2,3", "--max_tokens", "2", "--threads", "1"}
	}
	t.Fatalf("unknown command %s", cmd)
	return nil
}

const (
	ckptCmds = "convert strip inspect"
)

func all(code int, cmds string) map[string]int {
	m := map[string]int{}
	for _, c := range strings.Fields(cmds) {
		m[c] = code
	}
	return m
}

func badCases() []badCase {
	return []badCase{
		// Baselines: every command succeeds on the good inputs (and leaves them untouched).
		{name: "good checkpoint", on: "ckpt", codes: all(0, ckptCmds),
			after: func(t *testing.T, cmd string, r result, out string) {
				if cmd == "convert" {
					b, _ := os.ReadFile(filepath.Join(out, "model.bin"))
					if !bytes.Equal(b, tinyInputs.baseline) {
						t.Error("model.bin differs from the baseline conversion")
					}
				}
			}},
		{name: "good model", on: "ct2", codes: all(0, "inspect verify run")},
		{name: "CT2GO_ISA names no kernel level", on: "ct2", codes: map[string]int{"verify": exitVerifyError, "run": exitFailure},
			mentions: []string{"CT2GO_ISA=avx9", "unknown kernel level", "known: generic, avx2, avxvnni, avx512"}, env: []string{"CT2GO_ISA=avx9"}},

		// config.json (convert's cases are in TestConvertBadInput).
		{name: "config.json missing", on: "ckpt", codes: all(exitFailure, "strip inspect"), mentions: []string{"config.json"},
			prepare: func(t *testing.T, d, _ string) []string { os.Remove(filepath.Join(d, "config.json")); return nil }},
		{name: "config.json not JSON", on: "ckpt", codes: all(exitFailure, "strip inspect"), mentions: []string{"config.json", "not valid JSON"},
			prepare: func(t *testing.T, d, _ string) []string {
				os.WriteFile(filepath.Join(d, "config.json"), []byte(`{"model_type": "mllama",`), 0o644)
				return nil
			}},
		{name: "wrong model_type", on: "ckpt", codes: all(exitUnsupported, "strip inspect"), mentions: []string{"config.json", "model_type bert", "supported"},
			prepare: func(t *testing.T, d, _ string) []string {
				editJSON(t, filepath.Join(d, "config.json"), func(m map[string]any) { m["model_type"] = "bert" })
				return nil
			}},
		{name: "unsupported rope_type", on: "ckpt", codes: all(exitFailure, "strip inspect"), mentions: []string{`rope_scaling type "yarn"`, "llama3"},
			prepare: func(t *testing.T, d, _ string) []string {
				editJSON(t, filepath.Join(d, "config.json"), func(m map[string]any) {
					textCfg(m)["rope_scaling"].(map[string]any)["rope_type"] = "yarn"
				})
				return nil
			}},
		{name: "heads x head_dim inconsistent", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{"q_proj.weight (model-", "has shape [16 16], config implies [32 16]"},
			prepare: func(t *testing.T, d, _ string) []string {
				editJSON(t, filepath.Join(d, "config.json"), func(m map[string]any) { textCfg(m)["head_dim"] = 16 })
				return nil
			}},
		{name: "embed rows vs vocab_size", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{"embed_tokens.weight (model-", "has 48 rows, Mllama expects vocab_size+8 = 49"},
			prepare: func(t *testing.T, d, _ string) []string {
				editJSON(t, filepath.Join(d, "config.json"), func(m map[string]any) { textCfg(m)["vocab_size"] = 41 })
				return nil
			}},
		{name: "cross_attention_layers vs tensors", on: "ckpt", codes: all(exitFailure, ckptCmds),
			// The 24 problems continue with layer 2's missing cross_attn tensors:
			// TestManyProblems checks --json lists all.
			mentions: []string{"unexpected tensor language_model.model.layers.1.cross_attn", "layer 1 is a self-attention layer", "missing tensor for model.layers.1.self_attn", "and 14 more"},
			prepare: func(t *testing.T, d, _ string) []string {
				editJSON(t, filepath.Join(d, "config.json"), func(m map[string]any) { textCfg(m)["cross_attention_layers"] = []any{2} })
				return nil
			}},
		{name: "kv heads vs k/v shapes", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{"k_proj.weight (model-", "has shape [8 16], config implies [16 16]"},
			prepare: func(t *testing.T, d, _ string) []string {
				editJSON(t, filepath.Join(d, "config.json"), func(m map[string]any) { textCfg(m)["num_key_value_heads"] = 2 })
				return nil
			}},
		{name: "absurd num_hidden_layers", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{"num_hidden_layers 1000000000000 is implausibly large"},
			prepare: func(t *testing.T, d, _ string) []string {
				editJSON(t, filepath.Join(d, "config.json"), func(m map[string]any) { textCfg(m)["num_hidden_layers"] = 1e12 })
				return nil
			}},

		// Shard headers and layout.
		{name: "truncated shard", on: "ckpt", codes: all(exitFailure, "strip inspect"), mentions: []string{"truncated"},
			prepare: func(t *testing.T, d, _ string) []string {
				p, _, _ := shardOf(t, d, normW)
				fi, _ := os.Stat(p)
				os.Truncate(p, fi.Size()-10)
				return []string{filepath.Base(p)}
			}},
		{name: "header length larger than the file", on: "ckpt", codes: all(exitFailure, "strip inspect"), mentions: []string{"header length", "larger than the file"},
			prepare: func(t *testing.T, d, _ string) []string {
				p, _, _ := shardOf(t, d, qProj)
				fi, _ := os.Stat(p)
				f, _ := os.OpenFile(p, os.O_WRONLY, 0)
				f.WriteAt(binary.LittleEndian.AppendUint64(nil, uint64(fi.Size())), 0)
				f.Close()
				return []string{filepath.Base(p)}
			}},
		{name: "header length 2^60", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{"header length 1152921504606846976 exceeds the 100 MB limit"},
			prepare: func(t *testing.T, d, _ string) []string {
				p, _, _ := shardOf(t, d, qProj)
				f, _ := os.OpenFile(p, os.O_WRONLY, 0)
				f.WriteAt(binary.LittleEndian.AppendUint64(nil, 1<<60), 0)
				f.Close()
				return []string{filepath.Base(p)}
			}},
		{name: "overlapping offsets", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{"overlaps tensor"},
			prepare: func(t *testing.T, d, _ string) []string {
				p, _, _ := shardOf(t, d, qProj)
				editHeader(t, p, func(h map[string]map[string]any, data []byte) []byte {
					// Move the last tensor 2 bytes back into its neighbour and cut the 2 freed bytes.
					var last string
					var end int64
					for n, e := range h {
						if n == "__metadata__" {
							continue
						}
						if _, b := offsets(t, e); b > end {
							last, end = n, b
						}
					}
					a, b := offsets(t, h[last])
					h[last]["data_offsets"] = []int64{a - 2, b - 2}
					return data[:len(data)-2]
				})
				return []string{filepath.Base(p)}
			}},
		{name: "offsets out of range", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{qProj, "run past the end of the file"},
			prepare: func(t *testing.T, d, _ string) []string {
				p, _, _ := shardOf(t, d, qProj)
				editHeader(t, p, func(h map[string]map[string]any, data []byte) []byte {
					a, b := offsets(t, h[qProj])
					h[qProj]["data_offsets"] = []int64{a + int64(len(data)), b + int64(len(data))}
					return data
				})
				return []string{filepath.Base(p)}
			}},
		{name: "non-contiguous offsets", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{"4 unused bytes before tensor", "contiguous"},
			prepare: func(t *testing.T, d, _ string) []string {
				p, _, _ := shardOf(t, d, qProj)
				editHeader(t, p, func(h map[string]map[string]any, data []byte) []byte {
					for n, e := range h {
						if n != "__metadata__" {
							a, b := offsets(t, e)
							e["data_offsets"] = []int64{a + 4, b + 4}
						}
					}
					return append(make([]byte, 4), data...)
				})
				return []string{filepath.Base(p)}
			}},
		{name: "dtype x shape != byte length", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{qProj, "BF16 × shape [16 8] needs 256 bytes", "hold 512"},
			prepare: func(t *testing.T, d, _ string) []string {
				p, _, _ := shardOf(t, d, qProj)
				editHeader(t, p, func(h map[string]map[string]any, data []byte) []byte {
					h[qProj]["shape"] = []int{16, 8}
					return data
				})
				return []string{filepath.Base(p)}
			}},
		{name: "unknown dtype", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{qProj, `unknown dtype "F8_E4M3"`},
			prepare: func(t *testing.T, d, _ string) []string {
				p, _, _ := shardOf(t, d, qProj)
				editHeader(t, p, func(h map[string]map[string]any, data []byte) []byte {
					h[qProj]["dtype"] = "F8_E4M3"
					h[qProj]["shape"] = []int{32, 16, 2} // F8 is one byte: keep the byte length consistent
					return data
				})
				return []string{filepath.Base(p)}
			}},
		{name: "unsupported dtype I32", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{normW, "dtype I32", "BF16, F16, F32"},
			prepare: func(t *testing.T, d, _ string) []string {
				p, _, _ := shardOf(t, d, normW)
				editHeader(t, p, func(h map[string]map[string]any, data []byte) []byte {
					h[normW]["dtype"] = "I32"
					h[normW]["shape"] = []int{16}
					a, b := offsets(t, h[normW])
					// 16 int32 need 64 bytes where 32 were: grow the tensor in place.
					rest := append([]byte(nil), data[b:]...)
					data = append(append(data[:b], make([]byte, 32)...), rest...)
					h[normW]["data_offsets"] = []int64{a, a + 64}
					for n, e := range h {
						if n != "__metadata__" && n != normW {
							if x, y := offsets(t, e); x >= b {
								e["data_offsets"] = []int64{x + 32, y + 32}
							}
						}
					}
					return data
				})
				return []string{filepath.Base(p)}
			}},
		{name: "tensor in two shards", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{"tensor " + normW + " is in both"},
			prepare: func(t *testing.T, d, _ string) []string {
				p, _, _ := shardOf(t, d, normW)
				other, _, _ := shardOf(t, d, visionW)
				if other == p {
					t.Fatal("test needs the two tensors in different shards")
				}
				var dup safetensors.WriteTensor
				rewriteShard(t, p, func(m map[string]safetensors.WriteTensor) { dup = m[normW] })
				rewriteShard(t, other, func(m map[string]safetensors.WriteTensor) { m[normW] = dup })
				return nil
			}},
		{name: "missing tensor", on: "ckpt", codes: all(exitFailure, "strip inspect"), mentions: []string{"missing tensor for model.layers.2.mlp.up_proj.weight"},
			prepare: func(t *testing.T, d, _ string) []string {
				p, _, _ := shardOf(t, d, upProj)
				rewriteShard(t, p, func(m map[string]safetensors.WriteTensor) { delete(m, upProj) })
				editJSON(t, filepath.Join(d, safetensors.IndexFile), func(m map[string]any) { delete(m["weight_map"].(map[string]any), upProj) })
				return nil
			}},
		{name: "missing tensor in a dropped cross layer", on: "ckpt", codes: all(exitFailure, "strip inspect"), mentions: []string{"missing tensor " + crossW, "broken download"},
			prepare: func(t *testing.T, d, _ string) []string {
				p, _, _ := shardOf(t, d, crossW)
				rewriteShard(t, p, func(m map[string]safetensors.WriteTensor) { delete(m, crossW) })
				editJSON(t, filepath.Join(d, safetensors.IndexFile), func(m map[string]any) { delete(m["weight_map"].(map[string]any), crossW) })
				return nil
			}},
		{name: "indexed tensor missing from its shard (vision part)", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{"tensor " + visionW + " listed in " + safetensors.IndexFile + " is missing from"},
			prepare: func(t *testing.T, d, _ string) []string {
				p, _, _ := shardOf(t, d, visionW)
				rewriteShard(t, p, func(m map[string]safetensors.WriteTensor) { delete(m, visionW) })
				return []string{filepath.Base(p)}
			}},
		{name: "unexpected tensor", on: "ckpt", codes: all(exitFailure, "strip inspect"), mentions: []string{"unexpected tensor language_model.model.layers.0.self_attn.rotary.weight"},
			prepare: func(t *testing.T, d, _ string) []string {
				p, _, _ := shardOf(t, d, normW)
				const extra = "language_model.model.layers.0.self_attn.rotary.weight"
				rewriteShard(t, p, func(m map[string]safetensors.WriteTensor) {
					w := m[normW]
					w.Name = extra
					m[extra] = w
				})
				editJSON(t, filepath.Join(d, safetensors.IndexFile), func(m map[string]any) {
					m["weight_map"].(map[string]any)[extra] = filepath.Base(p)
				})
				return nil
			}},

		{name: "tensor name with control characters", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{`evil\n\x1b[2J`, "is not listed in"},
			prepare: func(t *testing.T, d, _ string) []string {
				p, _, _ := shardOf(t, d, normW)
				rewriteShard(t, p, func(m map[string]safetensors.WriteTensor) {
					w := m[normW]
					w.Name = "evil\n\x1b[2J"
					m[w.Name] = w
				})
				return nil
			}},

		// Hostile weight_map entries: refused before any file is opened. The
		// absolute path names a valid copy of the real shard, so opening it
		// would have "worked".
		{name: "weight_map ../", on: "ckpt", codes: all(exitFailure, "strip inspect"), mentions: []string{safetensors.IndexFile, "not a plain file name"},
			prepare: hostileShard(func(d, shard string) string { return "../" + filepath.Base(d) + "/" + shard })},
		{name: "weight_map subdirectory", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{safetensors.IndexFile, "not a plain file name"},
			prepare: hostileShard(func(d, shard string) string {
				os.MkdirAll(filepath.Join(d, "sub"), 0o755)
				b, _ := os.ReadFile(filepath.Join(d, shard))
				os.WriteFile(filepath.Join(d, "sub", shard), b, 0o644)
				return "sub/" + shard
			})},
		{name: "weight_map absolute path", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{safetensors.IndexFile, "not a plain file name"},
			prepare: hostileShard(func(d, shard string) string { return filepath.Join(d, shard) })},
		{name: "weight_map backslash", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{safetensors.IndexFile, "not a plain file name"},
			prepare: hostileShard(func(d, shard string) string { return `..\` + shard })},

		// Symlinks: the Hugging Face cache layout is followed; a link to
		// something that is not a safetensors file is an ordinary parse error.
		{name: "HF cache symlinks", on: "ckpt", codes: all(0, ckptCmds),
			prepare: func(t *testing.T, d, _ string) []string { hfCacheLayout(t, d, nil); return nil },
			after: func(t *testing.T, cmd string, r result, out string) {
				if cmd == "convert" {
					b, _ := os.ReadFile(filepath.Join(out, "model.bin"))
					if !bytes.Equal(b, tinyInputs.baseline) {
						t.Error("converting through symlinks gave a different model.bin")
					}
				}
			}},
		{name: "symlink to a non-safetensors file", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{"invalid safetensors file"},
			prepare: func(t *testing.T, d, _ string) []string {
				var shard string
				hfCacheLayout(t, d, func(name string) string {
					if shard == "" && strings.HasSuffix(name, ".safetensors") {
						shard = name
						return "config.json" // the blob of another file
					}
					return ""
				})
				return []string{shard}
			}},

		{name: "tokenizer ids with a gap", on: "ckpt", codes: all(exitFailure, "convert"), mentions: []string{"tokenizer.json", "no token has id 37"},
			prepare: func(t *testing.T, d, _ string) []string {
				editJSON(t, filepath.Join(d, "tokenizer.json"), func(m map[string]any) {
					added := m["added_tokens"].([]any)
					added[1].(map[string]any)["id"] = 99 // <|end_of_text|> leaves id 37 empty
				})
				return nil
			}},

		// Special files where regular ones belong: an error, never a hang or an endless read.
		{name: "shard is a FIFO", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{"not a regular file"},
			prepare: func(t *testing.T, d, _ string) []string {
				p, _, _ := shardOf(t, d, normW)
				os.Remove(p)
				if err := syscall.Mkfifo(p, 0o644); err != nil {
					t.Fatal(err)
				}
				return []string{filepath.Base(p)}
			}},
		{name: "config.json is /dev/zero", on: "ckpt", codes: all(exitFailure, ckptCmds), mentions: []string{"config.json", "not a regular file"},
			prepare: func(t *testing.T, d, _ string) []string {
				os.Remove(filepath.Join(d, "config.json"))
				if err := os.Symlink("/dev/zero", filepath.Join(d, "config.json")); err != nil {
					t.Fatal(err)
				}
				return nil
			}},
		{name: "tokenizer.json is a FIFO", on: "ckpt", codes: all(exitFailure, "convert"), mentions: []string{"tokenizer.json", "not a regular file"},
			prepare: func(t *testing.T, d, _ string) []string {
				os.Remove(filepath.Join(d, "tokenizer.json"))
				if err := syscall.Mkfifo(filepath.Join(d, "tokenizer.json"), 0o644); err != nil {
					t.Fatal(err)
				}
				return nil
			}},
		{name: "model.bin is a FIFO", on: "ct2", codes: map[string]int{"inspect": exitFailure, "verify": exitVerifyError, "run": exitFailure},
			mentions: []string{"model.bin", "not a regular file"},
			prepare: func(t *testing.T, d, _ string) []string {
				os.Remove(filepath.Join(d, "model.bin"))
				if err := syscall.Mkfifo(filepath.Join(d, "model.bin"), 0o644); err != nil {
					t.Fatal(err)
				}
				return nil
			}},
		{name: "vocabulary.json is a FIFO", on: "ct2", codes: map[string]int{"inspect": exitFailure}, mentions: []string{"vocabulary.json", "not a regular file"},
			prepare: func(t *testing.T, d, _ string) []string {
				os.Remove(filepath.Join(d, "vocabulary.json"))
				if err := syscall.Mkfifo(filepath.Join(d, "vocabulary.json"), 0o644); err != nil {
					t.Fatal(err)
				}
				return nil
			}},
		{name: "reference file truncated", on: "ct2", codes: map[string]int{"verify": exitVerifyError},
			mentions: []string{"ref.safetensors", "truncated"},
			extra:    map[string][]string{"verify": {"REFERENCE"}},
			prepare: func(t *testing.T, d, scratch string) []string {
				p := filepath.Join(scratch, "ref.safetensors")
				err := verify.WriteReference(p, []verify.WritePrompt{{Name: "p0", IDs: []int{1, 2}, Logits: make([]float32, 2*16)}}, 16, nil)
				if err != nil {
					t.Fatal(err)
				}
				fi, _ := os.Stat(p)
				os.Truncate(p, fi.Size()-8)
				return nil
			}},

		// Weight values.
		{name: "NaN and Inf in weights", on: "ckpt", codes: map[string]int{"convert": exitFailure, "strip": 0, "inspect": 0},
			mentions: []string{"decoder/layer_2/ffn/linear_0_noact/weight", upProj, "has 3 NaN/Inf values", "--allow-nonfinite"}, mentionsOn: "convert",
			prepare: func(t *testing.T, d, _ string) []string {
				patchBF16(t, d, upProj, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)))
				return nil
			}},
		{name: "NaN and Inf with --allow-nonfinite", on: "ckpt", codes: all(0, "convert"), mentions: []string{"warning: 3 NaN/Inf weights converted (--allow-nonfinite)"},
			extra: map[string][]string{"convert": {"--allow-nonfinite"}},
			prepare: func(t *testing.T, d, _ string) []string {
				patchBF16(t, d, upProj, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)))
				return nil
			}},
		{name: "bf16 beyond float16 range", on: "ckpt", codes: all(0, "convert"), extra: map[string][]string{"convert": {"--quantization", "float16", "--json"}},
			prepare: func(t *testing.T, d, _ string) []string {
				patchBF16(t, d, upProj, 1e5, -7e4, 65536, 3e-8) // three overflow; 3e-8 flushes below the subnormals
				return nil
			},
			after: func(t *testing.T, cmd string, r result, out string) {
				var s struct {
					Over  int64 `json:"f16_overflow"`
					Under int64 `json:"f16_underflow"`
				}
				if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
					t.Fatalf("--json: %v: %s", err, r.stdout)
				}
				if s.Over != 3 {
					t.Errorf("f16_overflow = %d, want 3", s.Over)
				}
			}},
		{name: "bf16 beyond float16 range, summary", on: "ckpt", codes: all(0, "convert"), mentions: []string{"float16 cast: 3 values overflowed to ±Inf"},
			extra: map[string][]string{"convert": {"--quantization", "int8_float16"}},
			prepare: func(t *testing.T, d, _ string) []string {
				patchBF16(t, d, upProj, 1e5, -7e4, 65536)
				return nil
			}},

		// Output already there.
		{name: "output exists without --force", on: "ckpt", codes: all(exitExists, "strip"), mentions: []string{"--force"},
			env: []string{"BADINPUT_PRECREATE_OUTPUT=1"}},

		{name: "output inside the input through a symlink", on: "ckpt", codes: all(exitFailure, "convert strip"), mentions: []string{"is inside the input checkpoint"},
			extra: map[string][]string{"convert": {"OUT_THROUGH_LINK"}, "strip": {"OUT_THROUGH_LINK"}}},
		{name: "output inside the input through a symlink, --force", on: "ckpt", codes: all(exitFailure, "convert strip"), mentions: []string{"is inside the input checkpoint"},
			extra: map[string][]string{"convert": {"OUT_THROUGH_LINK", "--force"}, "strip": {"OUT_THROUGH_LINK", "--force"}}},

		// A real write failure (EFBIG under ulimit -f, as a full disk gives
		// ENOSPC): the error names the file, the partial output is removed.
		{name: "write fails (file size limit)", on: "ckpt", codes: all(exitFailure, "convert strip"), fileLimitKB: 4,
			mentions: []string{"file too large"}},

		// Broken CTranslate2 models for inspect, verify and run.
		{name: "model.bin truncated", on: "ct2", codes: map[string]int{"inspect": exitFailure, "verify": exitVerifyError, "run": exitFailure},
			mentions: []string{"model.bin", "past the end of the file"},
			prepare: func(t *testing.T, d, _ string) []string {
				p := filepath.Join(d, "model.bin")
				fi, _ := os.Stat(p)
				os.Truncate(p, fi.Size()/2)
				return nil
			}},
		{name: "model.bin claims 2^32-1 variables", on: "ct2", codes: map[string]int{"inspect": exitFailure, "verify": exitVerifyError, "run": exitFailure},
			mentions: []string{"model.bin", "claims 4294967295 variables"},
			prepare: func(t *testing.T, d, _ string) []string {
				p := filepath.Join(d, "model.bin")
				h, err := ct2.ReadHeaderFile(p)
				if err != nil {
					t.Fatal(err)
				}
				f, _ := os.OpenFile(p, os.O_WRONLY, 0)
				f.WriteAt([]byte{255, 255, 255, 255}, int64(4+2+len(h.Spec)+1+4))
				f.Close()
				return nil
			}},
		{name: "model.bin unknown dtype id", on: "ct2", codes: map[string]int{"inspect": exitFailure, "verify": exitVerifyError, "run": exitFailure},
			mentions: []string{"model.bin", "unknown dtype id 9"},
			prepare: func(t *testing.T, d, _ string) []string {
				p := filepath.Join(d, "model.bin")
				h, err := ct2.ReadHeaderFile(p)
				if err != nil {
					t.Fatal(err)
				}
				v := h.Variables[0] // dtype byte sits before the u32 byte count
				f, _ := os.OpenFile(p, os.O_WRONLY, 0)
				f.WriteAt([]byte{9}, v.Offset-5)
				f.Close()
				return nil
			}},
		{name: "model.bin missing", on: "ct2", codes: map[string]int{"inspect": exitFailure, "verify": exitVerifyError, "run": exitFailure},
			mentions: []string{"model.bin"},
			prepare:  func(t *testing.T, d, _ string) []string { os.Remove(filepath.Join(d, "model.bin")); return nil }},
		{name: "vocabulary.json shorter than the embedding", on: "ct2", codes: map[string]int{"verify": exitVerifyError, "run": exitFailure},
			mentions: []string{"vocabulary.json", "15 tokens", "16 rows"},
			prepare: func(t *testing.T, d, _ string) []string {
				p := filepath.Join(d, "vocabulary.json")
				var toks []string
				b, _ := os.ReadFile(p)
				json.Unmarshal(b, &toks)
				b, _ = json.Marshal(toks[:len(toks)-1])
				os.WriteFile(p, b, 0o644)
				return nil
			}},
		{name: "reference ids beyond the vocabulary", on: "ct2", codes: map[string]int{"verify": exitVerifyError},
			mentions: []string{"ref.safetensors", "input id 16", "outside the model's vocabulary of 16 tokens"},
			extra:    map[string][]string{"verify": {"REFERENCE"}},
			prepare: func(t *testing.T, d, scratch string) []string {
				V := 16
				err := verify.WriteReference(filepath.Join(scratch, "ref.safetensors"), []verify.WritePrompt{
					{Name: "p0", IDs: []int{1, 2}, Logits: make([]float32, 2*V)},
					{Name: "p1", IDs: []int{3, 16, 4}, Logits: make([]float32, 3*V)},
				}, V, nil)
				if err != nil {
					t.Fatal(err)
				}
				return nil
			}},
		{name: "--ids beyond the vocabulary", on: "ct2", codes: map[string]int{"run": exitUsage}, mentions: []string{"16", "vocabulary"},
			extra: map[string][]string{"run": {"IDS=1,16"}}},
	}
}

// ct2goLimited is ct2go under bash's `ulimit -f kb`.
func ct2goLimited(t *testing.T, kb int, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"-c", fmt.Sprintf(`ulimit -f %d && exec "$0" "$@"`, kb), binPath}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

// hostileShard points one weight_map entry at the path bad returns.
func hostileShard(bad func(dir, shard string) string) func(t *testing.T, d, _ string) []string {
	return func(t *testing.T, d, _ string) []string {
		p, _, _ := shardOf(t, d, normW)
		target := bad(d, filepath.Base(p))
		editJSON(t, filepath.Join(d, safetensors.IndexFile), func(m map[string]any) {
			m["weight_map"].(map[string]any)[normW] = target
		})
		return nil
	}
}

// hfCacheLayout turns dir into a Hugging Face cache snapshot: each file
// moves to blobs/<name>.blob and snapshots/rev/<name> links to it. retarget
// may point a file's link at another file's blob instead.
func hfCacheLayout(t *testing.T, dir string, retarget func(name string) string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	tmp := dir + ".cache"
	os.MkdirAll(filepath.Join(tmp, "blobs"), 0o755)
	os.MkdirAll(filepath.Join(tmp, "snapshots", "rev"), 0o755)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.Rename(filepath.Join(dir, n), filepath.Join(tmp, "blobs", n+".blob")); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range names {
		target := n
		if retarget != nil {
			if r := retarget(n); r != "" {
				target = r
			}
		}
		if err := os.Symlink(filepath.Join("..", "..", "blobs", target+".blob"), filepath.Join(tmp, "snapshots", "rev", n)); err != nil {
			t.Fatal(err)
		}
	}
	// dir itself becomes the snapshot directory (a symlink into the cache).
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(filepath.Base(tmp), "snapshots", "rev"), dir); err != nil {
		t.Fatal(err)
	}
}

// snapshotAll is snapshot over the input that never follows or reads what
// is not a regular file (a FIFO would block, /dev/zero never ends): links
// are recorded by target, other special files by mode. For a cache layout
// the blobs the links lead to are included.
func snapshotAll(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	walk := func(root string) {
		filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			switch {
			case fi.IsDir():
				return nil
			case fi.Mode()&os.ModeSymlink != 0:
				target, _ := os.Readlink(p)
				lines = append(lines, fmt.Sprintf("%s -> %s", p, target))
			case fi.Mode().IsRegular():
				b, _ := os.ReadFile(p)
				sum := sha256.Sum256(b)
				lines = append(lines, fmt.Sprintf("%s %x %d", p, sum, fi.ModTime().UnixNano()))
			default:
				lines = append(lines, fmt.Sprintf("%s %s %d", p, fi.Mode(), fi.ModTime().UnixNano()))
			}
			return nil
		})
	}
	walk(dir)
	if fi, err := os.Lstat(dir); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		walk(dir + ".cache")
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestBadInput runs every case on every command it names: the exit code,
// a single "ct2go: ..." line naming the file and the problem, no output
// left behind, and the input byte-for-byte and mtime-for-mtime unchanged.
func TestBadInput(t *testing.T) {
	ckpt, model := tiny(t)
	for _, c := range badCases() {
		cmds := make([]string, 0, len(c.codes))
		for cmd := range c.codes {
			cmds = append(cmds, cmd)
		}
		sort.Strings(cmds)
		for _, cmd := range cmds {
			c, cmd := c, cmd
			t.Run(c.name+"/"+cmd, func(t *testing.T) {
				t.Parallel()
				root := t.TempDir()
				in := filepath.Join(root, "in", "model")
				src := ckpt
				if c.on == "ct2" {
					src = model
				}
				copyTree(t, src, in)
				scratch := filepath.Join(root, "scratch")
				os.MkdirAll(scratch, 0o755)
				mentions := append([]string(nil), c.mentions...)
				if c.prepare != nil {
					mentions = append(mentions, c.prepare(t, in, scratch)...)
				}
				parent := filepath.Join(root, "parent")
				os.MkdirAll(parent, 0o755)
				out := filepath.Join(parent, "out")
				precreated := false
				for _, e := range c.env {
					if e == "BADINPUT_PRECREATE_OUTPUT=1" {
						os.MkdirAll(out, 0o755)
						os.WriteFile(filepath.Join(out, "keep.txt"), []byte("mine"), 0o644)
						precreated = true
					}
				}
				args := cmdArgs(t, cmd, in, out, scratch)
				for _, x := range c.extra[cmd] {
					switch {
					case x == "REFERENCE":
						args = []string{"verify", "--model", in, "--reference", filepath.Join(scratch, "ref.safetensors"), "--threads", "1"}
					case x == "OUT_THROUGH_LINK":
						// --output_dir reaches into the input through a symlink.
						link := filepath.Join(scratch, "link")
						if err := os.Symlink(in, link); err != nil {
							t.Fatal(err)
						}
						for i := range args {
							if args[i] == "--output_dir" {
								args[i+1] = filepath.Join(link, "out")
							}
						}
					case strings.HasPrefix(x, "IDS="):
						for i := range args {
							if args[i] == "--ids" {
								args[i+1] = strings.TrimPrefix(x, "IDS=")
							}
						}
					default:
						args = append(args, x)
					}
				}
				before := snapshotAll(t, in)
				var r result
				if c.fileLimitKB > 0 {
					// bash's ulimit -f counts 1024-byte blocks; Go ignores SIGXFSZ, so the write returns EFBIG.
					r = ct2goLimited(t, c.fileLimitKB, c.env, args...)
				} else {
					r = ct2go(t, c.env, args...)
				}
				t.Logf("stderr: %s", r.stderr)
				want := c.codes[cmd]
				if r.code != want {
					t.Fatalf("exit %d, want %d\nstderr: %s", r.code, want, r.stderr)
				}
				if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
					t.Fatalf("panic: %s", r.stderr)
				}
				if strings.ContainsRune(r.stderr, 0x1b) {
					t.Errorf("raw escape character on stderr: %q", r.stderr)
				}
				if want != 0 {
					checkErrorLines(t, r.stderr)
				}
				if c.mentionsOn == "" || strings.Contains(" "+c.mentionsOn+" ", " "+cmd+" ") {
					for _, m := range mentions {
						if !strings.Contains(r.stderr, m) {
							t.Errorf("stderr does not mention %q:\n%s", m, r.stderr)
						}
					}
				}
				switch {
				case precreated:
					if b, _ := os.ReadFile(filepath.Join(out, "keep.txt")); string(b) != "mine" || len(leftovers(t, parent)) != 1 {
						t.Errorf("existing output touched: %v", leftovers(t, parent))
					}
				case want != 0 || (cmd != "convert" && cmd != "strip"):
					if l := leftovers(t, parent); len(l) != 0 {
						t.Errorf("output left behind: %v", l)
					}
				default:
					if l := leftovers(t, parent); len(l) != 1 || l[0] != "out" {
						t.Errorf("output directory: %v, want exactly out", l)
					}
				}
				if snapshotAll(t, in) != before {
					t.Error("input modified")
				}
				if want == 0 && c.after != nil {
					c.after(t, cmd, r, out)
				}
			})
		}
	}
}

// TestInterruptCleansUp: SIGINT and SIGTERM mid-way through convert and
// strip exit 130 and leave neither output nor temporary directory (SIGINT
// on convert is TestConvertInterrupted).
func TestInterruptCleansUp(t *testing.T) {
	ckpt, _ := tiny(t)
	for _, c := range []struct {
		cmd string
		sig syscall.Signal
	}{{"convert", syscall.SIGTERM}, {"strip", syscall.SIGINT}, {"strip", syscall.SIGTERM}} {
		t.Run(c.cmd+"/"+c.sig.String(), func(t *testing.T) {
			t.Parallel()
			in := filepath.Join(t.TempDir(), "model")
			copyTree(t, ckpt, in)
			before := snapshot(t, in)
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			cmd := exec.Command(binPath, c.cmd, "--model", in, "--output_dir", out)
			cmd.Env = append(os.Environ(), "CT2GO_FAULT=slow:40ms")
			var errb bytes.Buffer
			cmd.Stderr = &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for len(leftovers(t, parent)) == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if len(leftovers(t, parent)) == 0 {
				cmd.Process.Kill()
				t.Fatal("no temporary output appeared")
			}
			time.Sleep(80 * time.Millisecond)
			cmd.Process.Signal(c.sig)
			err := cmd.Wait()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitInterrupted {
				t.Fatalf("exit %v, want %d (stderr %q)", err, exitInterrupted, errb.String())
			}
			if l := leftovers(t, parent); len(l) != 0 {
				t.Errorf("left behind: %v", l)
			}
			if s := errb.String(); strings.Count(s, "\n") != 1 || !strings.Contains(s, "interrupted") {
				t.Errorf("stderr %q", s)
			}
			if snapshot(t, in) != before {
				t.Error("input modified")
			}
		})
	}
}

// TestEscapeControls: the one-line error never carries a raw control
// character or invalid UTF-8.
func TestEscapeControls(t *testing.T) {
	for in, want := range map[string]string{
		"plain ünïcode":     "plain ünïcode",
		"esc\x1b[31mred":    `esc\x1b[31mred`,
		"bad\xffbyte":       `bad\xffbyte`,
		"c1\u009bnext":      `c1\x9bnext`,
		"tab\tand\nnewline": "tab and; newline",
	} {
		if got := oneLine(fmt.Errorf("%s", in)); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
