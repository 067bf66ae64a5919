package half

import (
	"math"
	"testing"

	"github.com/x448/float16"
)

func TestF32ToBF16(t *testing.T) {
	for _, c := range []struct {
		in   uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1.0
		{0x3f808000, 0x3f80}, // tie, even stays
		{0x3f818000, 0x3f82}, // tie, odd rounds up
		{0x3f808001, 0x3f81}, // above tie
		{0x7f7fffff, 0x7f80}, // max float → inf
		{0x7fc00000, 0x7fc0}, // NaN
		{0x80000000, 0x8000}, // -0
		{0x00000001, 0x0000}, // tiny subnormal → 0
	} {
		if got := F32ToBF16(math.Float32frombits(c.in)); got != c.want {
			t.Errorf("F32ToBF16(%#x) = %#x, want %#x", c.in, got, c.want)
		}
	}
}

func TestRoundF16Counts(t *testing.T) {
	x := []float32{1, 65504, 65520, -70000, 1e-6, 2e-8, 0, float32(math.Inf(1)), 0.1}
	loss := RoundF16(x)
	if loss.Overflow != 2 || loss.Underflow != 2 {
		t.Errorf("loss = %+v, want 2 overflows, 2 underflows", loss)
	}
	if x[1] != 65504 || !math.IsInf(float64(x[2]), 1) || x[5] != 0 || x[8] != float32(0.0999755859375) {
		t.Errorf("rounded values %v", x)
	}
}

func TestWidenRoundTrip(t *testing.T) {
	src := []uint16{0x3f80, 0xc000, 0x0001, 0x7f80}
	dst := make([]float32, len(src))
	BF16ToF32(dst, src)
	for i := range src {
		if F32ToBF16(dst[i]) != src[i] {
			t.Errorf("bf16 %#x did not round-trip", src[i])
		}
	}
	F16ToF32(dst, []uint16{0x3c00, 0x0001, 0x7bff, 0xfc00})
	if dst[0] != 1 || dst[1] != 5.960464477539063e-08 || dst[2] != 65504 || !math.IsInf(float64(dst[3]), -1) {
		t.Errorf("f16 widen %v", dst)
	}
}

// TestF32ToF16Exhaustive checks the fast path against x448/float16 on every
// float16 value and on their float32 neighbours.
func TestF32ToF16Exhaustive(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := float16.Frombits(uint16(h)).Float32()
		if f != f {
			continue
		}
		for _, v := range []float32{f, math.Nextafter32(f, 1e9), math.Nextafter32(f, -1e9)} {
			if got, want := F32ToF16(v), uint16(float16.Fromfloat32(v)); got != want {
				t.Fatalf("F32ToF16(%v) = %#x, want %#x", v, got, want)
			}
		}
	}
}
