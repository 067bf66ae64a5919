package convert

import (
	"math"
	"testing"

	"github.com/ct2go/ct2go/format/half"
)

func TestDecodeBF16(t *testing.T) {
	for _, c := range []struct {
		vals      []float32
		bad       int64
		over, sub int64
	}{
		{[]float32{1, -0.02, 65280, 6.103515625e-05, 0}, 0, 0, 0},
		{[]float32{1, 1e-6, -3e-5}, 0, 0, 1},  // both below float16 normals; -3e-5 as bf16 is still exact in float16 subnormals
		{[]float32{1, 70000, -1e30}, 0, 2, 0}, // overflow to ±Inf
		{[]float32{float32(math.Inf(1)), float32(math.NaN()), 2}, 2, 0, 0},
	} {
		src := make([]uint16, len(c.vals))
		for i, v := range c.vals {
			src[i] = half.F32ToBF16(v)
		}
		dst := make([]float32, len(src))
		bad, _ := decodeBF16(dst, src, false)
		if bad != c.bad {
			t.Errorf("%v: bad=%d, want %d", c.vals, bad, c.bad)
		}
		for i := range dst {
			if math.Float32bits(dst[i]) != uint32(src[i])<<16 {
				t.Errorf("%v: element %d decoded to %v", c.vals, i, dst[i])
			}
		}
		// The fused float16 load cast equals decoding then rounding every element.
		want := append([]float32(nil), dst...)
		wantLoss := half.RoundF16(want)
		bad, loss := decodeBF16(dst, src, true)
		if bad != c.bad || loss != wantLoss || loss.Overflow != c.over || loss.Underflow != c.sub {
			t.Errorf("%v: toF16 loss %+v (bad %d), want %+v with %d/%d", c.vals, loss, bad, wantLoss, c.over, c.sub)
		}
		for i := range dst {
			if math.Float32bits(dst[i]) != math.Float32bits(want[i]) && dst[i] == dst[i] {
				t.Errorf("%v: element %d = %v, want %v", c.vals, i, dst[i], want[i])
			}
		}
	}
}
