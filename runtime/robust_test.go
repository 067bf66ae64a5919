package runtime

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/internal/testfix"
	"github.com/ct2go/ct2go/runtime/internal/testmodel"
)

type editVar struct {
	name  string
	shape []int
	dtype ct2.DType
	data  []byte
}

// rewrite copies the golden int8 model into a temp dir, letting edit change,
// drop (return false) or add variables, and returns the directory.
func rewrite(t *testing.T, spec string, edit func(vs []editVar) []editVar) string {
	t.Helper()
	return rewriteAliased(t, spec, edit, nil)
}

func rewriteAliased(t *testing.T, spec string, edit func(vs []editVar) []editVar, aliases []ct2.Alias) string {
	t.Helper()
	src := testfix.Path(t, "golden", "ct2go", "int8_float16")
	mp, err := ct2.Map(filepath.Join(src, "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer mp.Close()
	var vs []editVar
	for i := range mp.Variables {
		v := &mp.Variables[i]
		vs = append(vs, editVar{v.Name, append([]int{}, v.Shape...), v.DType, append([]byte{}, mp.Bytes(v)...)})
	}
	vs = edit(vs)
	sort.Slice(vs, func(i, j int) bool { return vs[i].name < vs[j].name })
	var buf bytes.Buffer
	w, err := ct2.NewWriter(&buf, spec, 8, len(vs))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if err := w.WriteVariable(v.name, v.shape, v.dtype, v.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(aliases); err != nil {
		t.Fatal(err)
	}
	dst := scratchDir(t)
	testmodel.WriteFile(t, src, dst, buf.Bytes())
	return dst
}

func drop(names ...string) func([]editVar) []editVar {
	return func(vs []editVar) []editVar {
		out := vs[:0]
		for _, v := range vs {
			keep := true
			for _, n := range names {
				if v.name == n || (strings.HasSuffix(n, "/") && strings.HasPrefix(v.name, n)) {
					keep = false
				}
			}
			if keep {
				out = append(out, v)
			}
		}
		return out
	}
}

func set(name string, dt ct2.DType, data ...byte) func([]editVar) []editVar {
	return func(vs []editVar) []editVar {
		for i := range vs {
			if vs[i].name == name {
				vs[i].dtype, vs[i].data = dt, data
				return vs
			}
		}
		return append(vs, editVar{name: name, dtype: dt, data: data})
	}
}

// TestLoadRejects: inconsistent or non-Llama models give an error naming the
// variable, never a panic.
func TestLoadRejects(t *testing.T) {
	cases := []struct {
		name    string
		spec    string
		edit    func([]editVar) []editVar
		want    string
		unsuppo bool
	}{
		{"missing weight", "", drop("decoder/layer_3/ffn/linear_1/weight"), "decoder/layer_3/ffn/linear_1/weight", false},
		{"missing scale", "", drop("decoder/projection/weight_scale"), "decoder/projection/weight_scale", false},
		{"missing gamma", "", drop("decoder/layer_norm/gamma"), "decoder/layer_norm/gamma", false},
		{"missing embeddings", "", drop("decoder/embeddings/weight", "decoder/embeddings/weight_scale"), "decoder/embeddings/weight", false},
		{"missing layer", "", drop("decoder/layer_5/"), "decoder/layer_5", false},
		{"alibi", "", set("decoder/alibi", ct2.Int8, 1), "decoder/alibi", true},
		{"relu", "", set("decoder/activation", ct2.Int8, 0), "decoder/activation", true},
		{"post-norm", "", set("decoder/pre_norm", ct2.Int8, 0), "decoder/pre_norm", true},
		{"interleaved rotary", "", set("decoder/layer_4/self_attention/rotary_interleave", ct2.Int8, 1), "decoder/layer_4/self_attention/rotary_interleave", true},
		{"no rotary", "", drop("decoder/layer_0/self_attention/rotary_dim"), "decoder/layer_0/self_attention/rotary_dim", true},
		{"linear rope scaling", "", set("decoder/layer_0/self_attention/rotary_scaling_type", ct2.Int8, 0), "rotary_scaling_type", true},
		{"layers disagree", "", set("decoder/layer_6/self_attention/rotary_base", ct2.Float32, 0, 0, 0x80, 0x3f), "decoder/layer_6/self_attention", true},
		{"bad kv heads", "", set("decoder/layer_0/self_attention/num_heads_kv", ct2.Int32, 3, 0, 0, 0), "num_heads_kv", false},
		{"scalar with shape", "", func(vs []editVar) []editVar {
			for i := range vs {
				if vs[i].name == "decoder/num_heads" {
					vs[i].shape, vs[i].data = []int{2}, []byte{4, 0, 4, 0}
				}
			}
			return vs
		}, "decoder/num_heads", false},
		{"bias", "", set("decoder/layer_0/self_attention/linear_0/bias", ct2.Float32, 0, 0, 0, 0), "decoder/layer_0/self_attention/linear_0/bias", true},
		{"wrong spec", "TransformerSpec", func(vs []editVar) []editVar { return vs }, "TransformerSpec", true},
		{"transposed weight", "", func(vs []editVar) []editVar {
			for i := range vs {
				if vs[i].name == "decoder/layer_2/ffn/linear_1/weight" {
					vs[i].shape = []int{vs[i].shape[1], vs[i].shape[0]}
				}
			}
			return vs
		}, "decoder/layer_2/ffn/linear_1/weight", false},
		{"scale shape", "", func(vs []editVar) []editVar {
			for i := range vs {
				if vs[i].name == "decoder/layer_1/ffn/linear_0/weight_scale" {
					vs[i].shape, vs[i].data = []int{1}, vs[i].data[:4]
				}
			}
			return vs
		}, "decoder/layer_1/ffn/linear_0/weight_scale", false},
		{"zero scale", "", func(vs []editVar) []editVar {
			for i := range vs {
				if vs[i].name == "decoder/layer_1/ffn/linear_0/weight_scale" {
					copy(vs[i].data[8:12], []byte{0, 0, 0, 0})
				}
			}
			return vs
		}, "decoder/layer_1/ffn/linear_0/weight_scale", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := tc.spec
			if spec == "" {
				spec = "TransformerDecoderSpec"
			}
			dir := rewrite(t, spec, tc.edit)
			m, err := Load(dir, Options{Threads: 1})
			if err == nil {
				m.Close()
				t.Fatalf("Load succeeded, want an error mentioning %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if tc.unsuppo != errors.Is(err, ErrUnsupported) {
				t.Errorf("errors.Is(err, ErrUnsupported) = %v, want %v (%v)", !tc.unsuppo, tc.unsuppo, err)
			}
		})
	}
}

// TestLoadTruncated cuts model.bin at many points: always an error, never a panic.
func TestLoadTruncated(t *testing.T) {
	src := testfix.Path(t, "golden", "ct2go", "int8_float16")
	full, err := os.ReadFile(filepath.Join(src, "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	dst := scratchDir(t)
	testmodel.WriteFile(t, src, dst, nil)
	writeBin := func(b []byte) {
		if err := os.WriteFile(filepath.Join(dst, "model.bin"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cuts := []int{0, 1, 3, 4, 7, 20, 31, 32, 33, 100, 1000, 4096, len(full) / 3, len(full) / 2, len(full) - 5, len(full) - 4, len(full) - 1}
	for _, n := range cuts {
		writeBin(full[:n])
		m, err := Load(dst, Options{Threads: 1})
		if err == nil {
			m.Close()
			t.Errorf("model.bin cut to %d of %d bytes: Load succeeded", n, len(full))
		} else if !strings.Contains(err.Error(), "model.bin") {
			t.Errorf("cut %d: error %q does not name model.bin", n, err)
		}
	}
	// Trailing garbage is inconsistent too.
	writeBin(append(append([]byte{}, full...), 0))
	if m, err := Load(dst, Options{Threads: 1}); err == nil {
		m.Close()
		t.Errorf("model.bin with a trailing byte: Load succeeded")
	}
	// Corrupt header bytes one at a time: error or a model that runs, never a panic.
	b := append([]byte{}, full...)
	for i := 0; i < 600; i += 37 {
		b[i] ^= 0xff
		writeBin(b)
		b[i] ^= 0xff
		if m, err := Load(dst, Options{Threads: 1}); err == nil {
			s := m.NewSession(4)
			if _, err := s.Prefill([]int{128000, 9906}, false); err != nil {
				t.Errorf("byte %d flipped: Load ok but Prefill failed: %v", i, err)
			}
			m.Close()
		}
	}
}

func TestLoadSideFiles(t *testing.T) {
	src := testfix.Path(t, "golden", "ct2go", "int8_float16")
	full, err := os.ReadFile(filepath.Join(src, "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("missing config", func(t *testing.T) {
		dst := t.TempDir()
		testmodel.WriteFile(t, src, dst, full)
		os.Remove(filepath.Join(dst, "config.json"))
		if _, err := Load(dst, Options{}); err == nil || !strings.Contains(err.Error(), "config.json") {
			t.Errorf("err = %v, want one naming config.json", err)
		}
	})
	t.Run("short vocabulary", func(t *testing.T) {
		dst := t.TempDir()
		testmodel.WriteFile(t, src, dst, full)
		os.WriteFile(filepath.Join(dst, "vocabulary.json"), []byte(`["a","b"]`), 0o644)
		if _, err := Load(dst, Options{}); err == nil || !strings.Contains(err.Error(), "vocabulary.json") {
			t.Errorf("err = %v, want one naming vocabulary.json", err)
		}
	})
	t.Run("bad epsilon", func(t *testing.T) {
		dst := t.TempDir()
		testmodel.WriteFile(t, src, dst, full)
		os.WriteFile(filepath.Join(dst, "config.json"), []byte(`{"layer_norm_epsilon": "x"}`), 0o644)
		if _, err := Load(dst, Options{}); err == nil || !strings.Contains(err.Error(), "layer_norm_epsilon") {
			t.Errorf("err = %v, want one naming layer_norm_epsilon", err)
		}
	})
	t.Run("missing dir", func(t *testing.T) {
		if _, err := Load(filepath.Join(t.TempDir(), "nope"), Options{}); err == nil {
			t.Error("Load of a missing directory succeeded")
		}
	})
}

func TestSessionErrors(t *testing.T) {
	m := loadModel(t, testfix.Path(t, "golden", "ct2go", "int8_float16"), ComputeDefault)
	s := m.NewSession(4)
	for _, ids := range [][]int{nil, {-1}, {m.VocabSize()}, {1, 2, 3, 4, 5}} {
		if _, err := s.Prefill(ids, false); err == nil {
			t.Errorf("Prefill(%v) succeeded", ids)
		}
	}
	if s.Pos() != 0 {
		t.Errorf("failed calls moved the position to %d", s.Pos())
	}
	if _, err := s.Prefill([]int{1, 2, 3}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Step(4); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Step(5); err == nil {
		t.Error("Step past MaxLen succeeded")
	}
}

// TestTiedEmbeddings: a projection stored as an alias of the embeddings (the
// converter's dedup of tied weights, model_spec.py:169-189) loads through the
// alias, including the "_scale" companion, and runs like an explicit copy.
func TestTiedEmbeddings(t *testing.T) {
	copyEmb := func(vs []editVar) []editVar {
		var emb, scale editVar
		for _, v := range vs {
			switch v.name {
			case "decoder/embeddings/weight":
				emb = v
			case "decoder/embeddings/weight_scale":
				scale = v
			}
		}
		for i := range vs {
			switch vs[i].name {
			case "decoder/projection/weight":
				vs[i].data = emb.data
			case "decoder/projection/weight_scale":
				vs[i].data = scale.data
			}
		}
		return vs
	}
	explicit := rewrite(t, "TransformerDecoderSpec", copyEmb)
	tied := rewriteAliased(t, "TransformerDecoderSpec",
		drop("decoder/projection/weight", "decoder/projection/weight_scale"),
		[]ct2.Alias{{Name: "decoder/projection/weight", Target: "decoder/embeddings/weight"}})
	ids := []int{128000, 9906, 11, 1917, 0}
	want := prefillAll(t, loadModel(t, explicit, ComputeDefault), ids)
	got := prefillAll(t, loadModel(t, tied, ComputeDefault), ids)
	for i := range want {
		if d := maxAbs(got[i], want[i]); d != 0 {
			t.Errorf("position %d: tied projection differs by %.3g", i, d)
		}
	}
}
