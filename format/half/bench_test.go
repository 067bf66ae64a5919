package half

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkRoundF16 emulates the bf16 → float16 load cast on bf16-exact values.
func BenchmarkRoundF16(b *testing.B) {
	x := make([]float32, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	src := make([]uint16, len(x))
	for i := range src {
		src[i] = F32ToBF16(float32(r.NormFloat64() * 0.02))
	}
	BF16ToF32(x, src)
	y := make([]float32, len(x))
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		copy(y, x)
		RoundF16(y)
	}
}
