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

// TestSoftmaxRows: the interleaved softmax gives every row the bits of scaling it and
// running softmax on it alone, for row counts around the interleave width and rows with
// ties, ±Inf and NaN.
func TestSoftmaxRows(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for _, rows := range []int{1, 3, 4, 5, 8} {
		for _, L := range []int{1, 2, 7, 16, 37} {
			sc := make([]float32, rows*L)
			for i := range sc {
				sc[i] = float32(r.NormFloat64() * 20)
			}
			if L > 2 {
				sc[1], sc[2] = sc[0], sc[0]            // ties at the maximum
				sc[(rows-1)*L] = float32(math.Inf(-1)) // last row starts at -Inf
			}
			if rows > 2 && L > 1 {
				sc[L+1] = float32(math.NaN())
				sc[2*L] = float32(math.Inf(1))
			}
			want := append([]float32(nil), sc...)
			for g := 0; g < rows; g++ {
				row := want[g*L : (g+1)*L]
				for j := range row {
					row[j] *= 0.125
				}
				softmax(row)
			}
			softmaxRows(sc, L, 0.125)
			for i := range want {
				if math.Float32bits(sc[i]) != math.Float32bits(want[i]) {
					t.Fatalf("rows=%d L=%d: element %d = %g, want %g", rows, L, i, sc[i], want[i])
				}
			}
		}
	}
}
