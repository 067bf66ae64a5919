package quantize

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkInt8Rows measures the per-row int8 quantization inner loop on a
// 4096-wide weight matrix chunk (MB/s of float32 input, one core).
func BenchmarkInt8Rows(b *testing.B) {
	const rows, cols = 256, 4096
	src := make([]float32, rows*cols)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range src {
		src[i] = float32(r.NormFloat64() * 0.02)
	}
	dst := make([]int8, len(src))
	scales := make([]float32, rows)
	b.SetBytes(int64(4 * len(src)))
	for b.Loop() {
		Int8Rows(dst, scales, src, cols)
	}
}
