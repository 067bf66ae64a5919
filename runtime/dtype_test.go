package runtime

import (
	"math"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
	"github.com/ct2go/ct2go/runtime/internal/testmodel"
)

// allLogits runs every reference prompt and returns the logits per prompt.
func allLogits(t *testing.T, m *Model) [][][]float32 {
	t.Helper()
	var out [][][]float32
	for _, p := range refLogits(t, "transformers") {
		out = append(out, prefillAll(t, m, p.ids))
	}
	return out
}

func maxAbsAll(a, b [][][]float32) float64 {
	var w float64
	for i := range a {
		for j := range a[i] {
			w = math.Max(w, maxAbs(a[i][j], b[i][j]))
		}
	}
	return w
}

// TestStoredTypes loads every stored weight type (models built from the bf16
// fixture and checked against the golden MANIFESTs) and checks the relations
// CTranslate2 shows on the same models (ctranslate2-runtime.md §6).
func TestStoredTypes(t *testing.T) {
	ref := refLogits(t, "transformers")
	f32 := allLogits(t, loadModel(t, testmodel.Build(t, "ct2go", "float32"), ComputeDefault))

	t.Run("bfloat16 equals float32", func(t *testing.T) {
		m := loadModel(t, testmodel.Build(t, "ct2go", "bfloat16"), ComputeDefault)
		if m.Config().Compute != ComputeFloat32 {
			t.Fatalf("default compute %v, want float32", m.Config().Compute)
		}
		// bf16 -> f32 is exact, so only the order of summation may differ.
		if d := maxAbsAll(allLogits(t, m), f32); d > 1e-6 {
			t.Errorf("max|Δ| vs float32 model %.3g > 1e-6", d)
		} else {
			t.Logf("max|Δ| vs float32 model %.3g", d)
		}
	})
	t.Run("float16 vs transformers", func(t *testing.T) {
		m := loadModel(t, testmodel.Build(t, "ct2go", "float16"), ComputeDefault)
		got := allLogits(t, m)
		var w float64
		for i, p := range ref {
			for j := range p.logits {
				w = math.Max(w, maxAbs(got[i][j], p.logits[j]))
			}
		}
		t.Logf("max|Δ| vs transformers %.3g, vs float32 model %.3g", w, maxAbsAll(got, f32))
		if w > 1e-4 {
			t.Errorf("max|Δ| vs transformers %.3g > 1e-4", w)
		}
	})

	golden := allLogits(t, loadModel(t, testfix.Path(t, "golden", "ct2go", "int8_float16"), ComputeDefault))
	t.Run("int8 equals int8_float16", func(t *testing.T) {
		// All int8* types share weights and scales on the fixture; the gammas
		// (bf16 vs f16) widen to the same float32, so logits are identical (as in CT2).
		m := loadModel(t, testmodel.Build(t, "ct2go", "int8"), ComputeDefault)
		if d := maxAbsAll(allLogits(t, m), golden); d != 0 {
			t.Errorf("max|Δ| vs golden int8_float16 %.3g, want 0", d)
		}
	})
	t.Run("float32 model quantized at load", func(t *testing.T) {
		// CT2 quantizes float weights at load with the converter's recipe.
		m := loadModel(t, testmodel.Build(t, "ct2go", "float32"), ComputeInt8)
		if d := maxAbsAll(allLogits(t, m), golden); d != 0 {
			t.Errorf("max|Δ| vs golden int8_float16 %.3g, want 0", d)
		}
	})
	t.Run("int16 requantized to int8", func(t *testing.T) {
		m := loadModel(t, testmodel.Build(t, "ct2go", "int16"), ComputeDefault)
		if m.Config().Compute != ComputeInt8 {
			t.Fatalf("default compute %v, want int8", m.Config().Compute)
		}
		st := int8Compare(t, m)
		t.Logf("int16 model: mean KL vs transformers %.3g, top-1 %d/%d (CT2: max abs 0.201, 60/63)", st.klRef, st.top1, st.n)
		if st.klRef > 1e-3 || st.top1 < 60 {
			t.Errorf("int16 model: mean KL %.3g (max 1e-3), top-1 %d/%d (min 60)", st.klRef, st.top1, st.n)
		}
	})
	t.Run("int8 model on the float32 path", func(t *testing.T) {
		m := loadModel(t, testfix.Path(t, "golden", "ct2go", "int8_float16"), ComputeFloat32)
		st := int8Compare(t, m)
		t.Logf("dequantized int8 weights, float32 activations: mean KL vs transformers %.3g, top-1 %d/%d", st.klRef, st.top1, st.n)
		if st.klRef > 5e-4 || st.top1 < 61 {
			t.Errorf("mean KL %.3g (max 5e-4), top-1 %d/%d (min 61)", st.klRef, st.top1, st.n)
		}
	})
}
