package runtime

import (
	"math"
	"testing"

	"github.com/ct2go/ct2go/internal/kernels"
	"github.com/ct2go/ct2go/internal/testfix"
	"github.com/ct2go/ct2go/runtime/internal/testmodel"
)

// TestEveryISA reruns the headline parity checks on every other kernel level
// this machine has (generic, AVX2, AVX-512): dispatch must never change the verdict.
func TestEveryISA(t *testing.T) {
	prev := kernels.CurrentISA()
	defer kernels.SetISA(prev)
	ref := refLogits(t, "transformers")
	ct2 := refLogits(t, "ct2-cpu")
	f32 := loadModel(t, testmodel.Build(t, "ct2go", "float32"), ComputeFloat32)
	i8 := loadModel(t, testfix.Path(t, "golden", "ct2go", "int8_float16"), ComputeInt8)
	for _, isa := range kernels.ISAs() {
		if isa == prev {
			continue // the other parity tests already ran on the default level
		}
		if _, err := kernels.SetISA(isa); err != nil {
			t.Fatal(err)
		}
		var worst, klRef, klCT2 float64
		n := 0
		for k, p := range ref {
			for i, row := range prefillAll(t, f32, p.ids) {
				worst = math.Max(worst, maxAbs(row, p.logits[i]))
			}
			for i, row := range prefillAll(t, i8, p.ids) {
				klRef += kl(p.logits[i], row)
				klCT2 += kl(ct2[k].logits[i], row)
				n++
			}
		}
		klRef /= float64(n)
		klCT2 /= float64(n)
		t.Logf("%v: float32 max|Δ| vs transformers %.3g; int8 mean KL vs transformers %.3g, vs CT2 %.3g", isa, worst, klRef, klCT2)
		if worst > 1e-4 || klRef > 5e-4 || klCT2 > 1e-4 {
			t.Errorf("%v: thresholds missed", isa)
		}
	}
}
