package runtime

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/x448/float16"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/format/safetensors"
	"github.com/ct2go/ct2go/internal/testfix"
)

// maxAbsDiff is the largest |a-b| over one position's logits.
func maxAbsDiff(a, b []float32) float64 {
	var m float64
	for i := range a {
		if d := math.Abs(float64(a[i]) - float64(b[i])); d > m || d != d {
			m = d
			if d != d {
				return math.Inf(1)
			}
		}
	}
	return m
}

// TestCheckpointParity runs the tiny Mllama checkpoint directly (bf16
// shards, text-only) and compares every position of every prompt with
// transformers' float32 logits: max |Δ| ≤ 1e-4, the float32 threshold of
// verify (CTranslate2 float32 reaches 3e-6 on the same prompts).
func TestCheckpointParity(t *testing.T) {
	m, err := LoadCheckpoint(testfix.Path(t, "tiny-mllama"), Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := m.Config()
	if c.Checkpoint != "mllama" || c.Layers != 8 || c.Vocab != 128256 || c.WeightDType != ct2.BFloat16 || c.Compute != ComputeFloat32 ||
		c.RotaryScalingType != RotaryScalingLlama3 || c.RotaryScalingFactor != 8 || c.OriginalMaxPositionEmbeddings != 8192 || c.Epsilon != 1e-5 {
		t.Fatalf("config %+v", c)
	}
	for _, p := range refLogits(t, "transformers") {
		t.Run(p.name, func(t *testing.T) {
			got, err := m.Logits(p.ids)
			if err != nil {
				t.Fatal(err)
			}
			var worst float64
			for i := range got {
				worst = max(worst, maxAbsDiff(got[i], p.logits[i]))
			}
			t.Logf("%s: %d positions, max |Δ| %.3g vs transformers", p.name, len(got), worst)
			if worst > 1e-4 {
				t.Fatalf("max |Δ| %.3g > 1e-4", worst)
			}
		})
	}
}

// ckTensor is one tensor of a rewritten checkpoint.
type ckTensor struct {
	name  string
	dtype string
	shape []int
	data  []byte
}

// writeCheckpoint writes tensors as one model.safetensors beside a
// config.json (edited copy of the fixture's) and links the tokenizer files.
func writeCheckpoint(t *testing.T, tensors []ckTensor, config map[string]any) string {
	t.Helper()
	in := testfix.Path(t, "tiny-mllama")
	dir := t.TempDir()
	var wts []safetensors.WriteTensor
	for _, x := range tensors {
		wts = append(wts, safetensors.WriteTensor{Name: x.name, DType: x.dtype, Shape: x.shape, NBytes: int64(len(x.data)),
			Write: func(w io.Writer) error { _, err := w.Write(x.data); return err }})
	}
	if err := safetensors.WriteFile(filepath.Join(dir, "model.safetensors"), wts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(config, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"} {
		if err := os.Symlink(filepath.Join(in, n), filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fixtureTensors reads the fixture's tensors and config.
func fixtureTensors(t *testing.T) ([]ckTensor, map[string]any) {
	t.Helper()
	in := testfix.Path(t, "tiny-mllama")
	ck, err := safetensors.OpenCheckpoint(in)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	var out []ckTensor
	for _, n := range ck.Names() {
		x := ck.Tensors[n]
		out = append(out, ckTensor{n, x.DType, x.Shape, append([]byte(nil), x.Bytes()...)})
	}
	raw, err := os.ReadFile(filepath.Join(in, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	return out, cfg
}

// recode converts BF16 tensor bytes to dtype (F32 exactly; F16 rounded to
// nearest even, which changes values: such variants are compared with a
// tolerance, not for equality).
func recode(x ckTensor, dtype string) ckTensor {
	n := len(x.data) / 2
	var out []byte
	switch dtype {
	case "F32":
		out = make([]byte, 4*n)
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint32(out[4*i:], uint32(binary.LittleEndian.Uint16(x.data[2*i:]))<<16)
		}
	case "F16":
		out = make([]byte, 2*n)
		for i := 0; i < n; i++ {
			f := math.Float32frombits(uint32(binary.LittleEndian.Uint16(x.data[2*i:])) << 16)
			binary.LittleEndian.PutUint16(out[2*i:], float16.Fromfloat32(f).Bits())
		}
	default:
		return x
	}
	return ckTensor{x.name, dtype, x.shape, out}
}

var (
	fixtureLogitsOnce sync.Once
	fixtureLogits     map[string][][]float32
)

// baseLogits are the hub-layout bf16 fixture's logits per prompt.
func baseLogits(t *testing.T) map[string][][]float32 {
	fixtureLogitsOnce.Do(func() {
		m, err := LoadCheckpoint(testfix.Path(t, "tiny-mllama"), Options{Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		fixtureLogits = map[string][][]float32{}
		for _, p := range refLogits(t, "transformers") {
			lg, err := m.Logits(p.ids)
			if err != nil {
				t.Fatal(err)
			}
			fixtureLogits[p.name] = lg
		}
	})
	if fixtureLogits == nil {
		t.Fatal("base logits unavailable")
	}
	return fixtureLogits
}

// TestCheckpointLayouts rewrites the fixture into every supported key layout
// and dtype and checks the logits: layouts and F32 (exact widening of the
// same values) must equal the bf16 hub layout bit for bit; F16 (rounded
// values) must stay within transformers' tolerance.
func TestCheckpointLayouts(t *testing.T) {
	tensors, cfg := fixtureTensors(t)
	text := cfg["text_config"].(map[string]any)
	crossSet := map[string]bool{}
	for _, l := range text["cross_attention_layers"].([]any) {
		crossSet["layers."+jsonInt(l)+"."] = true
	}
	rename := func(pairs ...[2]string) func(string) string {
		return func(n string) string {
			for _, r := range pairs {
				if strings.HasPrefix(n, r[0]) {
					return r[1] + strings.TrimPrefix(n, r[0])
				}
			}
			return n
		}
	}
	// stripped: the plain Llama text model (what `ct2go strip` writes), self
	// layers renumbered, embedding trimmed, Llama config.
	stripped := func(tied bool) ([]ckTensor, map[string]any) {
		var out []ckTensor
		renum := map[string]string{}
		k := 0
		for i := 0; i < int(text["num_hidden_layers"].(float64)); i++ {
			key := "layers." + jsonInt(float64(i)) + "."
			if !crossSet[key] {
				renum[key] = "layers." + jsonInt(float64(k)) + "."
				k++
			}
		}
		V := int(text["vocab_size"].(float64))
		var embed ckTensor
		for _, x := range tensors {
			n, ok := strings.CutPrefix(x.name, "language_model.")
			if !ok {
				continue
			}
			if n == "lm_head.weight" {
				if !tied {
					out = append(out, ckTensor{n, x.dtype, x.shape, x.data})
				}
				continue
			}
			rest, _ := strings.CutPrefix(n, "model.")
			if strings.HasPrefix(rest, "layers.") {
				parts := strings.SplitN(rest, ".", 3)
				key := "layers." + parts[1] + "."
				nk, ok := renum[key]
				if !ok {
					continue // cross-attention layer
				}
				out = append(out, ckTensor{"model." + nk + parts[2], x.dtype, x.shape, x.data})
				continue
			}
			if rest == "embed_tokens.weight" {
				H := x.shape[1]
				embed = ckTensor{"model.embed_tokens.weight", x.dtype, []int{V, H}, x.data[:V*H*2]}
				out = append(out, embed)
				continue
			}
			out = append(out, ckTensor{"model." + rest, x.dtype, x.shape, x.data})
		}
		lc := map[string]any{}
		for k, v := range text {
			lc[k] = v
		}
		delete(lc, "cross_attention_layers")
		lc["model_type"], lc["architectures"] = "llama", []any{"LlamaForCausalLM"}
		lc["num_hidden_layers"] = float64(k)
		lc["tie_word_embeddings"] = tied
		lc["torch_dtype"] = "bfloat16"
		return out, lc
	}
	mapNames := func(f func(string) string) []ckTensor {
		var out []ckTensor
		for _, x := range tensors {
			out = append(out, ckTensor{f(x.name), x.dtype, x.shape, x.data})
		}
		return out
	}
	recodeAll := func(ts []ckTensor, dtype string) []ckTensor {
		var out []ckTensor
		for _, x := range ts {
			out = append(out, recode(x, dtype))
		}
		return out
	}
	causalCfg := map[string]any{}
	for k, v := range text {
		causalCfg[k] = v
	}
	causalCfg["model_type"], causalCfg["architectures"] = "mllama_text_model", []any{"MllamaForCausalLM"}
	var causal []ckTensor
	for _, x := range tensors {
		// language_model.{model.*, lm_head.weight} -> {model.*, lm_head.weight}; vision parts dropped.
		if n, ok := strings.CutPrefix(x.name, "language_model."); ok {
			causal = append(causal, ckTensor{n, x.dtype, x.shape, x.data})
		}
	}
	plain, plainCfg := stripped(false)
	plainF32Cfg := map[string]any{}
	for k, v := range plainCfg {
		plainF32Cfg[k] = v
	}
	plainF32Cfg["torch_dtype"] = "float32"

	cases := []struct {
		name    string
		tensors []ckTensor
		cfg     map[string]any
		family  string
		dtype   ct2.DType
		tol     float64 // 0: bit-identical to the bf16 hub layout
	}{
		{"transformers-5", mapNames(rename([2]string{"language_model.model.", "model.language_model."}, [2]string{"language_model.lm_head.", "lm_head."},
			[2]string{"vision_model.", "model.vision_model."}, [2]string{"multi_modal_projector.", "model.multi_modal_projector."})), cfg, "mllama", ct2.BFloat16, 0},
		{"MllamaForCausalLM", causal, causalCfg, "mllama", ct2.BFloat16, 0},
		{"llama stripped", plain, plainCfg, "llama", ct2.BFloat16, 0},
		{"mllama F32", recodeAll(tensors, "F32"), cfg, "mllama", ct2.Float32, 0},
		{"llama F32", recodeAll(plain, "F32"), plainF32Cfg, "llama", ct2.Float32, 0},
		{"mllama F16", recodeAll(tensors, "F16"), cfg, "mllama", ct2.Float16, 1e-4},
	}
	base := baseLogits(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeCheckpoint(t, c.tensors, c.cfg)
			m, err := LoadCheckpoint(dir, Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if got := m.Config(); got.Checkpoint != c.family || got.WeightDType != c.dtype {
				t.Fatalf("family %s dtype %s, want %s %s", got.Checkpoint, got.WeightDType, c.family, c.dtype)
			}
			for _, p := range refLogits(t, "transformers") {
				lg, err := m.Logits(p.ids)
				if err != nil {
					t.Fatal(err)
				}
				var worst float64
				for i := range lg {
					worst = max(worst, maxAbsDiff(lg[i], base[p.name][i]))
				}
				if c.tol > 0 {
					t.Logf("%s: max |Δ| %.3g vs the bf16 hub layout", p.name, worst)
				}
				if worst > c.tol {
					t.Fatalf("%s: max |Δ| %.3g vs the bf16 hub layout, want ≤ %g", p.name, worst, c.tol)
				}
			}
		})
	}

	// Tied embeddings: a different model (lm_head = embedding), so check it
	// against a checkpoint whose untied lm_head is the embedding's rows.
	t.Run("tied", func(t *testing.T) {
		tiedTs, tiedCfg := stripped(true)
		var untied []ckTensor
		for _, x := range tiedTs {
			untied = append(untied, x)
			if x.name == "model.embed_tokens.weight" {
				untied = append(untied, ckTensor{"lm_head.weight", x.dtype, x.shape, x.data})
			}
		}
		untiedCfg := map[string]any{}
		for k, v := range tiedCfg {
			untiedCfg[k] = v
		}
		untiedCfg["tie_word_embeddings"] = false
		a, err := LoadCheckpoint(writeCheckpoint(t, tiedTs, tiedCfg), Options{Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		b, err := LoadCheckpoint(writeCheckpoint(t, untied, untiedCfg), Options{Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		ids := refLogits(t, "transformers")[3].ids
		la, err := a.Logits(ids)
		if err != nil {
			t.Fatal(err)
		}
		lb, err := b.Logits(ids)
		if err != nil {
			t.Fatal(err)
		}
		for i := range la {
			if d := maxAbsDiff(la[i], lb[i]); d != 0 {
				t.Fatalf("position %d: tied vs explicit lm_head differ by %g", i, d)
			}
			if d := maxAbsDiff(la[i], base["prompt3"][i]); d == 0 {
				t.Fatalf("position %d: tied model gives the untied logits (lm_head not tied?)", i)
			}
		}
	})
}

func jsonInt(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestCheckpointBadInput: broken checkpoints fail at load with one line
// naming the file and the tensor.
func TestCheckpointBadInput(t *testing.T) {
	tensors, cfg := fixtureTensors(t)
	poison := func(name string, elem int, bits uint16) []ckTensor {
		var out []ckTensor
		for _, x := range tensors {
			if x.name == name {
				d := append([]byte(nil), x.data...)
				binary.LittleEndian.PutUint16(d[2*elem:], bits)
				x = ckTensor{x.name, x.dtype, x.shape, d}
			}
			out = append(out, x)
		}
		return out
	}
	drop := func(name string) []ckTensor {
		var out []ckTensor
		for _, x := range tensors {
			if x.name != name {
				out = append(out, x)
			}
		}
		return out
	}
	for _, c := range []struct {
		name    string
		tensors []ckTensor
		want    []string
		is      error
	}{
		{"NaN in a layer", poison("language_model.model.layers.5.mlp.down_proj.weight", 1000, 0x7fc0), []string{"model.safetensors", "language_model.model.layers.5.mlp.down_proj.weight", "NaN", "non-finite"}, ErrNonFinite},
		{"+Inf in lm_head", poison("language_model.lm_head.weight", 64*128000+3, 0x7f80), []string{"language_model.lm_head.weight", "+Inf", "[128000, 3]"}, ErrNonFinite},
		{"-Inf in a gamma", poison("language_model.model.norm.weight", 7, 0xff80), []string{"language_model.model.norm.weight", "-Inf"}, ErrNonFinite},
		{"missing tensor", drop("language_model.model.layers.2.self_attn.k_proj.weight"), []string{"missing tensor for model.layers.2.self_attn.k_proj.weight"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := writeCheckpoint(t, c.tensors, cfg)
			m, err := LoadCheckpoint(dir, Options{Threads: 2})
			if err == nil {
				m.Close()
				t.Fatal("loaded a broken checkpoint")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Fatalf("multi-line error %q", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Fatalf("error %q does not mention %q", msg, w)
				}
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Fatalf("error %v is not %v", err, c.is)
			}
		})
	}
	t.Run("NaN in an unused embedding row", func(t *testing.T) {
		// Row 128260 of the Mllama embedding is beyond vocab_size: never read, not an error.
		m, err := LoadCheckpoint(writeCheckpoint(t, poison("language_model.model.embed_tokens.weight", 64*128260, 0x7fc0), cfg), Options{Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		m.Close()
	})
	t.Run("int8 compute", func(t *testing.T) {
		_, err := LoadCheckpoint(testfix.Path(t, "tiny-mllama"), Options{Compute: ComputeInt8})
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("err %v, want ErrUnsupported", err)
		}
	})
}

// TestCheckpointLinearRope: rope_scaling linear divides every inverse
// frequency by the factor (transformers' linear scaling).
func TestCheckpointLinearRope(t *testing.T) {
	tensors, cfg := fixtureTensors(t)
	text := cfg["text_config"].(map[string]any)
	text["rope_scaling"] = map[string]any{"rope_type": "linear", "factor": 4.0}
	plain, err := LoadCheckpoint(testfix.Path(t, "tiny-mllama"), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	m, err := LoadCheckpoint(writeCheckpoint(t, tensors, cfg), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if c := m.Config(); c.RotaryScalingType != RotaryScalingLinear || c.RotaryScalingFactor != 4 {
		t.Fatalf("config %+v", c)
	}
	base := newRopeTable(rotaryParams{base: 500000, scalingType: RotaryScalingNone}, 16)
	for i, f := range m.rope.invFreq {
		if want := base.invFreq[i] / 4; f != want {
			t.Fatalf("inv_freq[%d] = %g, want %g", i, f, want)
		}
	}
	// The fixture itself is llama3-scaled: its table differs.
	if plain.rope.invFreq[7] == m.rope.invFreq[7] {
		t.Fatal("linear and llama3 tables agree")
	}
}

func TestAnyExpOnes16(t *testing.T) {
	for n := 0; n < 13; n++ {
		for pos := 0; pos < n; pos++ {
			for _, c := range []struct {
				mask, bits uint16
				want       bool
			}{{0x7f80, 0x7f80, true}, {0x7f80, 0xffc1, true}, {0x7f80, 0x7f7f, false}, {0x7f80, 0xff00, false},
				{0x7c00, 0x7c00, true}, {0x7c00, 0xfe00, true}, {0x7c00, 0x7bff, false}} {
				v := make([]uint16, n)
				for i := range v {
					v[i] = 0x3f80 // 1.0 in bf16; a normal number in f16 too
				}
				v[pos] = c.bits
				if got := anyExpOnes16(v, c.mask); got != c.want {
					t.Fatalf("n=%d pos=%d mask %#x bits %#x: got %v", n, pos, c.mask, c.bits, got)
				}
			}
		}
	}
}
