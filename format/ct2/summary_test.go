package ct2

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

func TestF16ToFloat64(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		h    uint16
		want float64
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504},
		{0x0001, math.Ldexp(1, -24)}, {0x03ff, math.Ldexp(1023, -24)}, {0x0400, math.Ldexp(1, -14)},
		{0x3555, 0.333251953125}, {0x7c00, math.Inf(1)}, {0xfc00, math.Inf(-1)},
	} {
		if got := f16ToFloat64(c.h); got != c.want {
			t.Errorf("f16ToFloat64(%#04x) = %v, want %v", c.h, got, c.want)
		}
	}
	if got := f16ToFloat64(0x7e00); !math.IsNaN(got) {
		t.Errorf("f16ToFloat64(0x7e00) = %v, want NaN", got)
	}
}

func TestLayerOf(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		n    int
		rest string
		ok   bool
	}{
		{LayerPrefix(12) + AttnNorm, 12, AttnNorm, true},
		{"decoder/layer_0/x", 0, "x", true},
		{"decoder/layer_01/x", 0, "", false},
		{"decoder/layer_-1/x", 0, "", false},
		{"decoder/layer_3", 0, "", false},
		{VarEmbeddings, 0, "", false},
	} {
		n, rest, ok := LayerOf(c.name)
		if n != c.n || rest != c.rest || ok != c.ok {
			t.Errorf("LayerOf(%q) = %d, %q, %v; want %d, %q, %v", c.name, n, rest, ok, c.n, c.rest, c.ok)
		}
	}
}

// TestDescribe writes a small model.bin: layer 0 llama3 with both scalars,
// layer 1 llama3 without them (stock CTranslate2), layer 2 llama3 with only
// the factor, layer 3 linear scaling without them (not llama3: fine).
func TestDescribe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	type sv struct {
		name string
		s    Scalar
		v    float64
	}
	// A float16 vector [1, -2] named like the final norm, not a scalar.
	norm := Scalar{VarFinalNorm, Float16, 0}
	vars := []sv{{NumHeads.Name, NumHeads, 4}, {Activation.Name, Activation, ActivationSwish}}
	for i, types := range []int{RotaryScalingLlama3, RotaryScalingLlama3, RotaryScalingLlama3, RotaryScalingLinear} {
		p := LayerPrefix(i)
		vars = append(vars, sv{p + RotaryScalingType.Name, RotaryScalingType, float64(types)})
		if i == 0 || i == 2 {
			vars = append(vars, sv{p + RotaryScalingFactor.Name, RotaryScalingFactor, 8})
		}
		if i == 0 {
			vars = append(vars, sv{p + OriginalMaxPositionEmbeddings.Name, OriginalMaxPositionEmbeddings, 8192})
		}
	}
	vars = append(vars, sv{VarFinalNorm, norm, 0})
	sort.Slice(vars, func(i, j int) bool { return vars[i].name < vars[j].name })
	f, err := os.Create(filepath.Join(dir, "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(f, DecoderSpecName, DecoderSpecRevision, len(vars))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vars {
		shape, payload := []int(nil), []byte(nil)
		if v.s == norm {
			shape, payload = []int{2}, []byte{0x00, 0x3c, 0x00, 0xc0}
		} else {
			payload = v.s.Encode(v.v)
		}
		if err := w.WriteVariable(v.name, shape, v.s.DType, payload); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "vocabulary.json"), []byte(`["a", "b", "c"]`), 0o644)

	s, err := Describe(filepath.Join(dir, "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 2}; !reflect.DeepEqual(s.Llama3Unscaled, want) {
		t.Errorf("Llama3Unscaled = %v, want %v", s.Llama3Unscaled, want)
	}
	if s.VocabularySize != 3 || s.Config != nil || s.Spec != DecoderSpecName || s.Revision != DecoderSpecRevision {
		t.Errorf("summary %+v", s)
	}
	if len(s.Variables) != len(vars) || s.PayloadBytes != 2+1+4*1+2*4+4+2*2 {
		t.Errorf("%d variables, %d payload bytes", len(s.Variables), s.PayloadBytes)
	}
	got := map[string]any{}
	for _, v := range s.Variables {
		got[v.Name] = v.Value
	}
	for name, want := range map[string]any{
		NumHeads.Name:   int16(4),
		Activation.Name: int8(ActivationSwish),
		LayerPrefix(0) + OriginalMaxPositionEmbeddings.Name: int32(8192),
		LayerPrefix(2) + RotaryScalingFactor.Name:           float64(8),
		VarFinalNorm: nil,
	} {
		if got[name] != want {
			t.Errorf("%s = %#v, want %#v", name, got[name], want)
		}
	}
}
