package convert

import (
	"math"
	"testing"

	"github.com/ct2go/ct2go/format/half"
)

func TestDecodeBF16Flags(t *testing.T) {
	for _, c := range []struct {
		vals    []float32
		bad     int64
		exact16 bool
	}{
		{[]float32{1, -0.02, 65280, 6.103515625e-05}, 0, true},
		{[]float32{1, 1e-6}, 0, false},  // below float16's normal range
		{[]float32{1, 70000}, 0, false}, // overflows float16
		{[]float32{1, 0}, 0, false},     // zero takes the careful path (exact anyway)
		{[]float32{float32(math.Inf(1)), float32(math.NaN()), 2}, 2, false},
	} {
		src := make([]uint16, len(c.vals))
		for i, v := range c.vals {
			src[i] = half.F32ToBF16(v)
		}
		dst := make([]float32, len(src))
		bad, exact := decodeBF16(dst, src)
		if bad != c.bad || exact != c.exact16 {
			t.Errorf("%v: bad=%d exactF16=%v, want %d %v", c.vals, bad, exact, c.bad, c.exact16)
		}
		for i := range dst {
			if math.Float32bits(dst[i]) != uint32(src[i])<<16 {
				t.Errorf("%v: element %d decoded to %v", c.vals, i, dst[i])
			}
		}
	}
}
