package runtime

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRMSNormRows: the four-row interleaved norm gives every row the bits of rmsNorm.
func TestRMSNormRows(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	const H = 67
	gamma := make([]float32, H)
	for i := range gamma {
		gamma[i] = float32(r.NormFloat64())
	}
	for _, rg := range [][2]int{{0, 1}, {0, 4}, {0, 9}, {3, 11}, {5, 5}} {
		t0, t1 := rg[0], rg[1]
		x := make([]float32, 12*H)
		for i := range x {
			x[i] = float32(r.NormFloat64() * math.Exp(4*r.NormFloat64()))
		}
		got, want := make([]float32, len(x)), make([]float32, len(x))
		rmsNormRows(got, x, H, t0, t1, gamma, 1e-5)
		for row := t0; row < t1; row++ {
			rmsNorm(want[row*H:(row+1)*H], x[row*H:(row+1)*H], gamma, 1e-5)
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("rows [%d, %d): element %d (row %d) = %g, want %g", t0, t1, i, i/H, got[i], want[i])
			}
		}
	}
}
