// Package synth writes full-size synthetic checkpoints with the real
// structure of Llama-3.2-11B-Vision and Llama-3.1-8B (config.json, key names,
// shapes, hub sharding, real tokenizer files) and random bf16 weights, so
// conversion speed and memory can be measured without the real weights.
//
// Structure sources: transformers v4.45.2 modeling_mllama.py /
// convert_mllama_weights_to_hf.py and shared/docs/mllama-checkpoint.md
// (906 tensors, 10,670,220,835 parameters, total_size 21,340,441,670 bytes).
package synth

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/format/safetensors"
	"golang.org/x/sys/unix"
)

// Preset describes a model family instance to synthesize.
type Preset struct {
	Name string
	// Text model.
	Hidden, Intermediate, Layers, Heads, KVHeads, Vocab int
	CrossLayers                                         []int // Mllama only
	// Vision tower (Mllama only; VisionLayers == 0 means a plain Llama).
	VisionHidden, VisionIntermediate, VisionLayers, VisionGlobalLayers int
	VisionHeads, ImageSize, PatchSize, MaxTiles, VisionOutputDim       int
	MaxShardBytes                                                      int64
}

// Mllama reports whether the preset is a Llama-3.2-Vision checkpoint.
func (p Preset) Mllama() bool { return p.VisionLayers > 0 }

// Presets are the full-size models of the benchmarks.
var Presets = map[string]Preset{
	"llama-3.2-11b-vision": {
		Name: "llama-3.2-11b-vision", Hidden: 4096, Intermediate: 14336, Layers: 40, Heads: 32, KVHeads: 8, Vocab: 128256,
		CrossLayers:  []int{3, 8, 13, 18, 23, 28, 33, 38},
		VisionHidden: 1280, VisionIntermediate: 5120, VisionLayers: 32, VisionGlobalLayers: 8, VisionHeads: 16,
		ImageSize: 560, PatchSize: 14, MaxTiles: 4, VisionOutputDim: 7680, MaxShardBytes: 5_000_000_000,
	},
	"llama-3.1-8b": {
		Name: "llama-3.1-8b", Hidden: 4096, Intermediate: 14336, Layers: 32, Heads: 32, KVHeads: 8, Vocab: 128256,
		MaxShardBytes: 5_000_000_000,
	},
}

// dist describes how a tensor's values are drawn.
type dist struct {
	std  float32 // normal(0, std) …
	mean float32 // … plus mean (gammas ≈ 1)
}

// Tensor is one tensor of the synthetic checkpoint.
type Tensor struct {
	Name  string
	Shape []int
	draw  dist
}

// Bytes is the bf16 payload size.
func (t Tensor) Bytes() int64 {
	n := int64(2)
	for _, d := range t.Shape {
		n *= int64(d)
	}
	return n
}

var (
	weight = dist{std: 0.02}
	gamma  = dist{std: 0.05, mean: 1}
	bias   = dist{std: 0.01}
	gate   = dist{std: 0.2, mean: 0.5}
)

// Tensors lists every tensor in state_dict order (the order the hub
// sharding algorithm walks).
func (p Preset) Tensors() []Tensor {
	var ts []Tensor
	add := func(name string, in dist, shape ...int) { ts = append(ts, Tensor{name, shape, in}) }
	hd := p.Hidden / p.Heads
	q, kv := p.Heads*hd, p.KVHeads*hd
	text := "model."
	head := "lm_head.weight"
	if p.Mllama() {
		p.visionTensors(add)
		text, head = "language_model.model.", "language_model.lm_head.weight"
	}
	embedRows := p.Vocab
	if p.Mllama() {
		embedRows += 8 // MllamaTextModel: nn.Embedding(vocab_size + 8, hidden)
	}
	add(text+"embed_tokens.weight", weight, embedRows, p.Hidden)
	cross := map[int]bool{}
	for _, l := range p.CrossLayers {
		cross[l] = true
	}
	for i := 0; i < p.Layers; i++ {
		l := fmt.Sprintf("%slayers.%d.", text, i)
		if cross[i] {
			add(l+"cross_attn_attn_gate", gate, 1)
			add(l+"cross_attn_mlp_gate", gate, 1)
			add(l+"cross_attn.q_proj.weight", weight, q, p.Hidden)
			add(l+"cross_attn.k_proj.weight", weight, kv, p.Hidden)
			add(l+"cross_attn.v_proj.weight", weight, kv, p.Hidden)
			add(l+"cross_attn.o_proj.weight", weight, p.Hidden, q)
			add(l+"cross_attn.q_norm.weight", gamma, hd)
			add(l+"cross_attn.k_norm.weight", gamma, hd)
			add(l+"input_layernorm.weight", gamma, p.Hidden)
		} else {
			add(l+"self_attn.q_proj.weight", weight, q, p.Hidden)
			add(l+"self_attn.k_proj.weight", weight, kv, p.Hidden)
			add(l+"self_attn.v_proj.weight", weight, kv, p.Hidden)
			add(l+"self_attn.o_proj.weight", weight, p.Hidden, q)
		}
		add(l+"mlp.gate_proj.weight", weight, p.Intermediate, p.Hidden)
		add(l+"mlp.up_proj.weight", weight, p.Intermediate, p.Hidden)
		add(l+"mlp.down_proj.weight", weight, p.Hidden, p.Intermediate)
		if !cross[i] {
			add(l+"input_layernorm.weight", gamma, p.Hidden)
		}
		add(l+"post_attention_layernorm.weight", gamma, p.Hidden)
	}
	add(text+"norm.weight", gamma, p.Hidden)
	add(head, weight, p.Vocab, p.Hidden)
	if p.Mllama() {
		add("multi_modal_projector.weight", weight, p.Hidden, p.VisionOutputDim)
		add("multi_modal_projector.bias", bias, p.Hidden)
	}
	return ts
}

// visionTensors lists MllamaVisionModel's parameters.
func (p Preset) visionTensors(add func(string, dist, ...int)) {
	h, inter := p.VisionHidden, p.VisionIntermediate
	patches := (p.ImageSize/p.PatchSize)*(p.ImageSize/p.PatchSize) + 1
	aspectIDs := 9 // len(supported_aspect_ratios) + 1
	v := "vision_model."
	add(v+"class_embedding", weight, h)
	add(v+"patch_embedding.weight", weight, h, 3, p.PatchSize, p.PatchSize)
	add(v+"gated_positional_embedding.gate", gate, 1)
	add(v+"gated_positional_embedding.embedding", weight, patches, h)
	add(v+"gated_positional_embedding.tile_embedding.weight", weight, aspectIDs, p.MaxTiles*patches*h)
	add(v+"pre_tile_positional_embedding.gate", gate, 1)
	add(v+"pre_tile_positional_embedding.embedding.weight", weight, aspectIDs, p.MaxTiles*h)
	add(v+"post_tile_positional_embedding.gate", gate, 1)
	add(v+"post_tile_positional_embedding.embedding.weight", weight, aspectIDs, p.MaxTiles*h)
	add(v+"layernorm_pre.weight", gamma, h)
	add(v+"layernorm_pre.bias", bias, h)
	add(v+"layernorm_post.weight", gamma, h)
	add(v+"layernorm_post.bias", bias, h)
	layer := func(prefix string, gated bool) {
		if gated {
			add(prefix+"gate_attn", gate, 1)
			add(prefix+"gate_ffn", gate, 1)
		}
		for _, m := range []string{"q_proj", "k_proj", "v_proj", "o_proj"} {
			add(prefix+"self_attn."+m+".weight", weight, h, h)
		}
		add(prefix+"mlp.fc1.weight", weight, inter, h)
		add(prefix+"mlp.fc1.bias", bias, inter)
		add(prefix+"mlp.fc2.weight", weight, h, inter)
		add(prefix+"mlp.fc2.bias", bias, h)
		add(prefix+"input_layernorm.weight", gamma, h)
		add(prefix+"input_layernorm.bias", bias, h)
		add(prefix+"post_attention_layernorm.weight", gamma, h)
		add(prefix+"post_attention_layernorm.bias", bias, h)
	}
	for i := 0; i < p.VisionLayers; i++ {
		layer(fmt.Sprintf("%stransformer.layers.%d.", v, i), false)
	}
	for i := 0; i < p.VisionGlobalLayers; i++ {
		layer(fmt.Sprintf("%sglobal_transformer.layers.%d.", v, i), true)
	}
}

// Shards splits tensors like huggingface_hub's split_torch_state_dict_into_shards.
func (p Preset) Shards() [][]Tensor {
	var shards [][]Tensor
	var cur []Tensor
	var size int64
	for _, t := range p.Tensors() {
		b := t.Bytes()
		if b > p.MaxShardBytes {
			shards = append(shards, []Tensor{t})
			continue
		}
		if size+b > p.MaxShardBytes && len(cur) > 0 {
			shards = append(shards, cur)
			cur, size = nil, 0
		}
		cur = append(cur, t)
		size += b
	}
	if len(cur) > 0 {
		shards = append(shards, cur)
	}
	return shards
}

// TotalBytes is the index's total_size.
func (p Preset) TotalBytes() int64 {
	var n int64
	for _, t := range p.Tensors() {
		n += t.Bytes()
	}
	return n
}

// Options for Write.
type Options struct {
	Seed      uint64
	Tokenizer string // directory whose tokenizer/license files are copied (the tiny fixture)
	Threads   int
	Progress  func(int64)
}

// TokenizerFiles are copied from Options.Tokenizer into a synthetic
// checkpoint, so it converts and runs like a real one (they are Llama
// Materials: LICENSE and NOTICE travel with them).
var TokenizerFiles = []string{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.json", "LICENSE", "NOTICE"}

// CheckTokenizer reports the first of TokenizerFiles missing from dir.
func CheckTokenizer(dir string) error {
	for _, f := range TokenizerFiles {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			return fmt.Errorf("tokenizer directory %s: no %s", dir, f)
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("tokenizer directory %s: %s is not a regular file", dir, f)
		}
	}
	return nil
}

// NoSpaceError: the file system of Dir has Free bytes, the checkpoint needs Need.
type NoSpaceError struct {
	Dir        string
	Need, Free int64
}

func (e *NoSpaceError) Error() string {
	return fmt.Sprintf("%s: %.1f GB free, the checkpoint needs %.1f GB", e.Dir, float64(e.Free)/1e9, float64(e.Need)/1e9)
}

// CheckFreeSpace checks that the file system that will hold dir (its
// nearest existing ancestor) has room for need bytes plus 1% and 64 MiB.
func CheckFreeSpace(dir string, need int64) error {
	at, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for {
		if _, err := os.Stat(at); err == nil || filepath.Dir(at) == at {
			break
		}
		at = filepath.Dir(at)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(at, &st); err != nil {
		return fmt.Errorf("free space of %s: %w", at, err)
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	if want := need + need/100 + 64<<20; free < want {
		return &NoSpaceError{Dir: at, Need: want, Free: free}
	}
	return nil
}

// Write creates the checkpoint in dir (which must not exist), after
// checking the tokenizer files (when asked for) and the free space.
func Write(ctx context.Context, p Preset, dir string, opt Options) error {
	if opt.Tokenizer != "" {
		if err := CheckTokenizer(opt.Tokenizer); err != nil {
			return err
		}
	}
	if err := CheckFreeSpace(dir, p.TotalBytes()); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	if opt.Threads <= 0 {
		opt.Threads = runtime.NumCPU()
	}
	shards := p.Shards()
	weightMap := map[string]any{}
	for i, shard := range shards {
		file := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(shards))
		wts := make([]safetensors.WriteTensor, len(shard))
		for j, t := range shard {
			t := t
			weightMap[t.Name] = file
			seed := opt.Seed ^ hashName(t.Name)
			wts[j] = safetensors.WriteTensor{Name: t.Name, DType: "BF16", Shape: t.Shape, NBytes: t.Bytes(),
				Write: func(w io.Writer) error { return fill(ctx, w, t, seed, opt) }}
		}
		if err := safetensors.WriteFile(filepath.Join(dir, file), wts, map[string]string{"format": "pt"}); err != nil {
			return err
		}
	}
	idx, err := ct2.PyJSON(map[string]any{"metadata": map[string]any{"total_size": p.TotalBytes()}, "weight_map": weightMap})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, safetensors.IndexFile), append(idx, '\n'), 0o644); err != nil {
		return err
	}
	cfg, gen := p.configs()
	for name, v := range map[string]map[string]any{"config.json": cfg, "generation_config.json": gen} {
		b, err := ct2.ConfigJSON(v)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	if opt.Tokenizer != "" {
		for _, f := range TokenizerFiles {
			b, err := os.ReadFile(filepath.Join(opt.Tokenizer, f))
			if err != nil {
				return fmt.Errorf("tokenizer files: %w", err)
			}
			if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

func hashName(s string) uint64 {
	h := uint64(14695981039346656037) // FNV-1a
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

const fillChunk = 1 << 21 // elements per generated chunk (4 MiB of bf16)

// fill streams the tensor's bf16 values, generated in parallel chunks whose
// seeds depend only on (seed, chunk index), so output is deterministic
// whatever the thread count.
func fill(ctx context.Context, w io.Writer, t Tensor, seed uint64, opt Options) error {
	n := t.Bytes() / 2
	chunks := int((n + fillChunk - 1) / fillChunk)
	type result struct {
		buf  []byte
		done chan struct{}
	}
	pool := sync.Pool{New: func() any { return make([]byte, 2*fillChunk) }}
	results := make(chan *result, opt.Threads*2)
	sem := make(chan struct{}, opt.Threads)
	go func() {
		defer close(results)
		for c := 0; c < chunks; c++ {
			r := &result{done: make(chan struct{})}
			results <- r
			sem <- struct{}{}
			go func(c int, r *result) {
				defer func() { <-sem; close(r.done) }()
				m := min(int64(fillChunk), n-int64(c)*fillChunk)
				buf := pool.Get().([]byte)[:2*m]
				gen(buf, t.draw, seed+uint64(c)*0x9E3779B97F4A7C15)
				r.buf = buf
			}(c, r)
		}
	}()
	var err error
	for r := range results {
		<-r.done
		if err == nil {
			err = ctx.Err()
		}
		if err == nil {
			_, err = w.Write(r.buf)
			if opt.Progress != nil {
				opt.Progress(int64(len(r.buf)))
			}
		}
		pool.Put(r.buf[:cap(r.buf)])
	}
	return err
}

// gen fills buf with bf16 values ≈ normal(mean, std): the sum of four
// uniform 16-bit draws (Irwin–Hall) from one wyrand output, which is cheap
// enough to keep the generator faster than the disk.
func gen(buf []byte, in dist, state uint64) {
	// Irwin–Hall(4) on [0, 65535]: mean 2·65535, variance 4·65536²/12.
	const mean = 2 * 65535.0
	scale := in.std / float32(65536*math.Sqrt(4.0/12.0))
	for i := 0; i+1 < len(buf); i += 2 {
		state += 0xa0761d6478bd642f
		hi, lo := bits.Mul64(state, state^0xe7037ed1a0b428db)
		r := hi ^ lo
		s := float32(r&0xffff) + float32(r>>16&0xffff) + float32(r>>32&0xffff) + float32(r>>48)
		v := (s-mean)*scale + in.mean
		binary.LittleEndian.PutUint16(buf[i:], uint16(math.Float32bits(v)>>16))
	}
}

// configs returns config.json and generation_config.json for the preset.
func (p Preset) configs() (map[string]any, map[string]any) {
	rope := map[string]any{"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"}
	if !p.Mllama() {
		return map[string]any{
				"architectures": []any{"LlamaForCausalLM"}, "attention_bias": false, "attention_dropout": 0.0,
				"bos_token_id": 128000, "eos_token_id": 128001, "hidden_act": "silu", "hidden_size": p.Hidden,
				"initializer_range": 0.02, "intermediate_size": p.Intermediate, "max_position_embeddings": 131072,
				"mlp_bias": false, "model_type": "llama", "num_attention_heads": p.Heads, "num_hidden_layers": p.Layers,
				"num_key_value_heads": p.KVHeads, "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": rope,
				"rope_theta": 500000.0, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
				"transformers_version": "4.43.0.dev0", "use_cache": true, "vocab_size": p.Vocab,
			}, map[string]any{"bos_token_id": 128000, "do_sample": true, "eos_token_id": 128001, "temperature": 0.6,
				"top_p": 0.9, "transformers_version": "4.43.0.dev0"}
	}
	cross := make([]any, len(p.CrossLayers))
	for i, l := range p.CrossLayers {
		cross[i] = l
	}
	text := map[string]any{
		"model_type": "mllama_text_model", "hidden_size": p.Hidden, "intermediate_size": p.Intermediate,
		"num_hidden_layers": p.Layers, "num_attention_heads": p.Heads, "num_key_value_heads": p.KVHeads,
		"vocab_size": p.Vocab, "cross_attention_layers": cross, "rope_theta": 500000.0, "rope_scaling": rope,
		"max_position_embeddings": 131072, "rms_norm_eps": 1e-05, "hidden_act": "silu", "tie_word_embeddings": false,
		"bos_token_id": 128000, "eos_token_id": []any{128001, 128008, 128009}, "pad_token_id": 128004,
		"dropout": 0, "initializer_range": 0.02, "torch_dtype": "bfloat16", "use_cache": true,
	}
	vision := map[string]any{
		"model_type": "mllama_vision_model", "hidden_size": p.VisionHidden, "intermediate_size": p.VisionIntermediate,
		"num_hidden_layers": p.VisionLayers, "num_global_layers": p.VisionGlobalLayers, "attention_heads": p.VisionHeads,
		"image_size": p.ImageSize, "patch_size": p.PatchSize, "max_num_tiles": p.MaxTiles, "num_channels": 3,
		"vision_output_dim": p.VisionOutputDim, "intermediate_layers_indices": []any{3, 7, 15, 23, 30},
		"norm_eps": 1e-05, "hidden_act": "gelu", "initializer_range": 0.02, "torch_dtype": "bfloat16",
		"supported_aspect_ratios": []any{[]any{1, 1}, []any{1, 2}, []any{1, 3}, []any{1, 4}, []any{2, 1}, []any{2, 2}, []any{3, 1}, []any{4, 1}},
	}
	return map[string]any{
			"architectures": []any{"MllamaForConditionalGeneration"}, "image_token_index": 128256, "model_type": "mllama",
			"text_config": text, "vision_config": vision, "torch_dtype": "bfloat16", "transformers_version": "4.45.0.dev0",
		}, map[string]any{"bos_token_id": 128000, "do_sample": true, "eos_token_id": []any{128001, 128008, 128009},
			"pad_token_id": 128004, "temperature": 0.6, "top_p": 0.9, "transformers_version": "4.45.0.dev0"}
}
