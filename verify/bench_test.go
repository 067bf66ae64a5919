package verify

import (
	"math"
	"testing"
)

// BenchmarkComparePosition measures the metrics of one position at the Llama 3
// vocabulary size (KL, |Δ|, top-5, NLL): the per-position overhead of verify.
func BenchmarkComparePosition(b *testing.B) {
	const V = 128256
	ref := make([]float32, V)
	model := make([]float32, V)
	for i := range ref {
		ref[i] = float32(math.Sin(float64(i)*0.37)) * 4
		model[i] = ref[i] + float32(math.Cos(float64(i)))*0.01
	}
	buf := make([]float64, V)
	b.SetBytes(int64(8 * V))
	for b.Loop() {
		comparePosition(ref, model, 17, buf)
	}
}
