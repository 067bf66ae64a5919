// Package testmodel builds CTranslate2 model directories for runtime tests from
// the tiny bf16 Mllama fixture, independently of package convert, and proves
// each one right by checking every variable (and the whole model.bin) against
// the sha256 values of the golden MANIFEST.json of the same type.
//
// Mapping (ctranslate2-format.md §2, fixtures README): Mllama text layers
// 0,1,2,4,5,6,7,9 -> 0..7 (3 and 8 are cross-attention layers, dropped);
// q/k/v concatenated on dim 0 -> self_attention/linear_0; o_proj -> linear_1;
// gate/up/down -> ffn/linear_0, linear_0_noact, linear_1; input_layernorm ->
// self_attention/layer_norm/gamma; post_attention_layernorm ->
// ffn/layer_norm/gamma; embed_tokens first vocab_size rows -> embeddings;
// lm_head -> projection; norm -> decoder/layer_norm/gamma.
package testmodel

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/internal/testfix"
	"github.com/x448/float16"
)

// Tensor is one safetensors entry with its raw little-endian bytes.
type Tensor struct {
	DType string
	Shape []int
	Data  []byte
}

// ReadSafetensors parses a .safetensors file: u64 LE header length, JSON
// header {name: {dtype, shape, data_offsets}}, then the data block.
func ReadSafetensors(path string) (map[string]Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 8 {
		return nil, fmt.Errorf("%s: too short for a safetensors header", path)
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("%s: header length %d exceeds file", path, n)
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &hdr); err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	data := b[8+n:]
	out := map[string]Tensor{}
	for name, raw := range hdr {
		if name == "__metadata__" {
			continue
		}
		var e struct {
			DType   string   `json:"dtype"`
			Shape   []int    `json:"shape"`
			Offsets [2]int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("%s: tensor %s: %w", path, name, err)
		}
		if e.Offsets[0] < 0 || e.Offsets[1] < e.Offsets[0] || e.Offsets[1] > int64(len(data)) {
			return nil, fmt.Errorf("%s: tensor %s: offsets %v out of range", path, name, e.Offsets)
		}
		out[name] = Tensor{DType: e.DType, Shape: e.Shape, Data: data[e.Offsets[0]:e.Offsets[1]]}
	}
	return out, nil
}

// F32 decodes an F32 tensor.
func (t Tensor) F32() []float32 {
	out := make([]float32, len(t.Data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out
}

// I64 decodes an I64 tensor as ints.
func (t Tensor) I64() []int {
	out := make([]int, len(t.Data)/8)
	for i := range out {
		out[i] = int(int64(binary.LittleEndian.Uint64(t.Data[8*i:])))
	}
	return out
}

// Manifest is golden/<variant>/<type>/MANIFEST.json.
type Manifest = testfix.Manifest

var (
	mu    sync.Mutex
	built = map[string]string{}
	root  string
)

// Cleanup removes every directory Build made; call it from TestMain.
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	if root != "" {
		os.RemoveAll(root)
		root = ""
		built = map[string]string{}
	}
}

// Build returns a model directory of the given variant ("ct2go" or
// "ct2-compat") and quantization ("float32", "float16", "bfloat16", "int16",
// "int8"), built once per process. model.bin is checked variable by variable
// and as a whole against the golden MANIFEST; config.json and
// vocabulary.json are copied from golden/ct2go/int8_float16 after checking
// their sha256 against the same MANIFEST.
func Build(t testing.TB, variant, quant string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	key := variant + "/" + quant
	if d, ok := built[key]; ok {
		return d
	}
	if root == "" {
		var err error
		// tmpfs when available: the models are rebuilt on every test run.
		if root, err = os.MkdirTemp("/dev/shm", "ct2go-testmodel-"); err != nil {
			root, err = os.MkdirTemp("", "ct2go-testmodel-")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(root, variant+"-"+quant)
	if err := build(t, dir, variant, quant); err != nil {
		t.Fatalf("testmodel %s: %v", key, err)
	}
	built[key] = dir
	return dir
}

type variable struct {
	name  string
	shape []int
	dtype ct2.DType
	data  []byte
}

func build(t testing.TB, dir, variant, quant string) error {
	fx := testfix.Dir(t)
	var man Manifest
	mb, err := os.ReadFile(filepath.Join(fx, "golden", variant, quant, "MANIFEST.json"))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(mb, &man); err != nil {
		return fmt.Errorf("MANIFEST.json: %w", err)
	}
	src := map[string]Tensor{}
	for i := 1; i <= 3; i++ {
		p := filepath.Join(fx, "tiny-mllama", fmt.Sprintf("model-%05d-of-00003.safetensors", i))
		ts, err := ReadSafetensors(p)
		if err != nil {
			return err
		}
		for k, v := range ts {
			src[k] = v
		}
	}
	var cfg struct {
		TextConfig struct {
			Hidden      int     `json:"hidden_size"`
			Heads       int     `json:"num_attention_heads"`
			KVHeads     int     `json:"num_key_value_heads"`
			Vocab       int     `json:"vocab_size"`
			Layers      int     `json:"num_hidden_layers"`
			Cross       []int   `json:"cross_attention_layers"`
			RopeTheta   float64 `json:"rope_theta"`
			RopeScaling struct {
				Factor   float64 `json:"factor"`
				High     float64 `json:"high_freq_factor"`
				Low      float64 `json:"low_freq_factor"`
				Original int     `json:"original_max_position_embeddings"`
				Type     string  `json:"rope_type"`
			} `json:"rope_scaling"`
		} `json:"text_config"`
	}
	cb, err := os.ReadFile(filepath.Join(fx, "tiny-mllama", "config.json"))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(cb, &cfg); err != nil {
		return fmt.Errorf("tiny-mllama/config.json: %w", err)
	}
	tc := cfg.TextConfig
	if tc.RopeScaling.Type != "llama3" {
		return fmt.Errorf("fixture rope_type %q, want llama3", tc.RopeScaling.Type)
	}
	cross := map[int]bool{}
	for _, c := range tc.Cross {
		cross[c] = true
	}

	get := func(name string) (Tensor, error) {
		ts, ok := src["language_model."+name]
		if !ok {
			return Tensor{}, fmt.Errorf("fixture lacks tensor language_model.%s", name)
		}
		if ts.DType != "BF16" {
			return Tensor{}, fmt.Errorf("tensor %s is %s, want BF16", name, ts.DType)
		}
		return ts, nil
	}
	// bf16 tensors as float32 values (exact widening).
	f32 := func(ts Tensor, rows int) []float32 {
		n := len(ts.Data) / 2
		if rows >= 0 {
			n = rows * ts.Shape[1]
		}
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(ts.Data[2*i:])) << 16)
		}
		return out
	}

	var vars []variable
	addWeight := func(name string, vals []float32, shape []int) {
		vars = append(vars, weightVars(name, vals, shape, quant)...)
	}
	addGamma := func(name string, vals []float32) {
		vars = append(vars, gammaVar(name, vals, quant))
	}
	scalar := func(name string, dt ct2.DType, v float64) {
		b := make([]byte, dt.Size())
		switch dt {
		case ct2.Int8:
			b[0] = byte(int8(v))
		case ct2.Int16:
			binary.LittleEndian.PutUint16(b, uint16(int16(v)))
		case ct2.Int32:
			binary.LittleEndian.PutUint32(b, uint32(int32(v)))
		case ct2.Float32:
			binary.LittleEndian.PutUint32(b, math.Float32bits(float32(v)))
		}
		vars = append(vars, variable{name: name, dtype: dt, data: b})
	}

	// Decoder scalars (ctranslate2-format.md §2).
	scalar("decoder/activation", ct2.Int8, 2)
	scalar("decoder/alibi", ct2.Int8, 0)
	scalar("decoder/alibi_use_positive_positions", ct2.Int8, 0)
	scalar("decoder/alignment_heads", ct2.Int16, 1)
	scalar("decoder/alignment_layer", ct2.Int16, -1)
	scalar("decoder/num_heads", ct2.Int16, float64(tc.Heads))
	scalar("decoder/pre_norm", ct2.Int8, 1)
	scalar("decoder/scale_alibi", ct2.Int8, 0)
	scalar("decoder/scale_embeddings", ct2.Int8, 0)
	scalar("decoder/start_from_zero_embedding", ct2.Int8, 0)

	emb, err := get("model.embed_tokens.weight")
	if err != nil {
		return err
	}
	H := tc.Hidden
	addWeight("decoder/embeddings/weight", f32(emb, tc.Vocab), []int{tc.Vocab, H})
	head, err := get("lm_head.weight")
	if err != nil {
		return err
	}
	addWeight("decoder/projection/weight", f32(head, -1), head.Shape)
	norm, err := get("model.norm.weight")
	if err != nil {
		return err
	}
	addGamma("decoder/layer_norm/gamma", f32(norm, -1))

	out := 0
	for src := 0; src < tc.Layers; src++ {
		if cross[src] {
			continue
		}
		p := fmt.Sprintf("model.layers.%d.", src)
		d := fmt.Sprintf("decoder/layer_%d/", out)
		out++
		var qkv []float32
		rows := 0
		for _, n := range []string{"q_proj", "k_proj", "v_proj"} {
			ts, err := get(p + "self_attn." + n + ".weight")
			if err != nil {
				return err
			}
			qkv = append(qkv, f32(ts, -1)...)
			rows += ts.Shape[0]
		}
		addWeight(d+"self_attention/linear_0/weight", qkv, []int{rows, H})
		for _, m := range []struct{ from, to string }{
			{"self_attn.o_proj.weight", "self_attention/linear_1/weight"},
			{"mlp.gate_proj.weight", "ffn/linear_0/weight"},
			{"mlp.up_proj.weight", "ffn/linear_0_noact/weight"},
			{"mlp.down_proj.weight", "ffn/linear_1/weight"},
		} {
			ts, err := get(p + m.from)
			if err != nil {
				return err
			}
			addWeight(d+m.to, f32(ts, -1), ts.Shape)
		}
		for _, m := range []struct{ from, to string }{
			{"input_layernorm.weight", "self_attention/layer_norm/gamma"},
			{"post_attention_layernorm.weight", "ffn/layer_norm/gamma"},
		} {
			ts, err := get(p + m.from)
			if err != nil {
				return err
			}
			addGamma(d+m.to, f32(ts, -1))
		}
		a := d + "self_attention/"
		if tc.KVHeads != tc.Heads {
			scalar(a+"num_heads_kv", ct2.Int32, float64(tc.KVHeads))
		}
		scalar(a+"rotary_base", ct2.Float32, tc.RopeTheta)
		scalar(a+"rotary_dim", ct2.Int32, 0)
		scalar(a+"rotary_interleave", ct2.Int8, 0)
		scalar(a+"rotary_scaling_type", ct2.Int8, 2)
		scalar(a+"rotary_low_freq_factor", ct2.Float32, tc.RopeScaling.Low)
		scalar(a+"rotary_high_freq_factor", ct2.Float32, tc.RopeScaling.High)
		if variant == "ct2go" {
			scalar(a+"rotary_scaling_factor", ct2.Float32, tc.RopeScaling.Factor)
			scalar(a+"original_max_position_embeddings", ct2.Int32, float64(tc.RopeScaling.Original))
		}
	}
	sort.Slice(vars, func(i, j int) bool { return vars[i].name < vars[j].name })

	// Check against the manifest before writing anything.
	mv := man.ModelBin.Variables
	if len(mv) != len(vars) {
		return fmt.Errorf("built %d variables, MANIFEST has %d", len(vars), len(mv))
	}
	for i, v := range vars {
		e := mv[i]
		sum := sha256.Sum256(v.data)
		if e.Name != v.name || e.DType != v.dtype.String() || fmt.Sprint(e.Shape) != fmt.Sprint(shapeOf(v)) ||
			e.NBytes != int64(len(v.data)) || e.SHA256 != hex.EncodeToString(sum[:]) {
			return fmt.Errorf("variable %d: built %s %s %v (%d B, sha %x), MANIFEST has %s %s %v (%d B, sha %s)",
				i, v.name, v.dtype, shapeOf(v), len(v.data), sum[:4], e.Name, e.DType, e.Shape, e.NBytes, e.SHA256[:8])
		}
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var buf bytes.Buffer
	w, err := ct2.NewWriter(&buf, man.ModelBin.Spec, man.ModelBin.Revision, len(vars))
	if err != nil {
		return err
	}
	for _, v := range vars {
		if err := w.WriteVariable(v.name, shapeOf(v), v.dtype, v.data); err != nil {
			return err
		}
	}
	if err := w.Close(nil); err != nil {
		return err
	}
	sum := sha256.Sum256(buf.Bytes())
	if got := hex.EncodeToString(sum[:]); got != man.FilesSHA256["model.bin"] {
		return fmt.Errorf("model.bin sha256 %s, MANIFEST has %s", got, man.FilesSHA256["model.bin"])
	}
	if err := os.WriteFile(filepath.Join(dir, "model.bin"), buf.Bytes(), 0o644); err != nil {
		return err
	}
	for _, f := range []string{"config.json", "vocabulary.json"} {
		if err := copyChecked(filepath.Join(fx, "golden", "ct2go", "int8_float16", f), filepath.Join(dir, f), man.FilesSHA256[f]); err != nil {
			return err
		}
	}
	return nil
}

func shapeOf(v variable) []int {
	if v.shape == nil {
		return []int{}
	}
	return v.shape
}

func copyChecked(from, to, want string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("%s: sha256 %s, MANIFEST wants %s", from, got, want)
	}
	return os.WriteFile(to, b, 0o644)
}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// u16Bytes stores bfloat16 (truncation is exact here: the values came from
// bf16) or float16 (round-half-even, as torch .half()).
func u16Bytes(v []float32, dt ct2.DType) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		var h uint16
		if dt == ct2.BFloat16 {
			h = uint16(math.Float32bits(x) >> 16)
		} else {
			h = float16.Fromfloat32(x).Bits()
		}
		binary.LittleEndian.PutUint16(b[2*i:], h)
	}
	return b
}

// weightVars applies the converter's quantization recipe (model_spec.py:191-273).
func weightVars(name string, vals []float32, shape []int, quant string) []variable {
	switch quant {
	case "float32":
		return []variable{{name: name, shape: shape, dtype: ct2.Float32, data: f32Bytes(vals)}}
	case "float16":
		return []variable{{name: name, shape: shape, dtype: ct2.Float16, data: u16Bytes(vals, ct2.Float16)}}
	case "bfloat16":
		return []variable{{name: name, shape: shape, dtype: ct2.BFloat16, data: u16Bytes(vals, ct2.BFloat16)}}
	case "int16":
		// scale = f32(2^10 / amax(tensor)); q = clip(rint(w*scale)).
		var amax float32
		for _, x := range vals {
			amax = max(amax, float32(math.Abs(float64(x))))
		}
		scale := float32(1024) / amax
		q := make([]byte, 2*len(vals))
		for i, x := range vals {
			r := math.RoundToEven(float64(x * scale))
			r = math.Max(-32768, math.Min(32767, r))
			binary.LittleEndian.PutUint16(q[2*i:], uint16(int16(r)))
		}
		return []variable{
			{name: name, shape: shape, dtype: ct2.Int16, data: q},
			{name: name + "_scale", dtype: ct2.Float32, data: f32Bytes([]float32{scale})},
		}
	case "int8":
		// Per row: amax==0 -> 127; scale = f32(127/amax); q = rint(w*scale).
		rows, cols := shape[0], shape[1]
		q := make([]byte, rows*cols)
		scales := make([]float32, rows)
		for r := 0; r < rows; r++ {
			row := vals[r*cols : (r+1)*cols]
			var amax float32
			for _, x := range row {
				amax = max(amax, float32(math.Abs(float64(x))))
			}
			if amax == 0 {
				amax = 127
			}
			s := float32(127) / amax
			scales[r] = s
			for k, x := range row {
				q[r*cols+k] = byte(int8(math.RoundToEven(float64(x * s))))
			}
		}
		return []variable{
			{name: name, shape: shape, dtype: ct2.Int8, data: q},
			{name: name + "_scale", shape: []int{rows}, dtype: ct2.Float32, data: f32Bytes(scales)},
		}
	}
	panic("testmodel: unknown quantization " + quant)
}

// gammaVar: float types keep their dtype, int16 stores float32, plain int8
// keeps the checkpoint dtype (bf16) (ctranslate2-format.md §4).
func gammaVar(name string, vals []float32, quant string) variable {
	switch quant {
	case "float16":
		return variable{name: name, shape: []int{len(vals)}, dtype: ct2.Float16, data: u16Bytes(vals, ct2.Float16)}
	case "bfloat16", "int8":
		return variable{name: name, shape: []int{len(vals)}, dtype: ct2.BFloat16, data: u16Bytes(vals, ct2.BFloat16)}
	}
	return variable{name: name, shape: []int{len(vals)}, dtype: ct2.Float32, data: f32Bytes(vals)}
}

// WriteFile is a helper for tests that corrupt a model: it copies dir's
// config.json and vocabulary.json into dst and writes model.bin from b.
func WriteFile(t testing.TB, dir, dst string, modelBin []byte) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.json", "vocabulary.json"} {
		in, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		out.Close()
	}
	if err := os.WriteFile(filepath.Join(dst, "model.bin"), modelBin, 0o644); err != nil {
		t.Fatal(err)
	}
}
