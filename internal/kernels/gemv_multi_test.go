package kernels

import (
	"math"
	"math/rand"
	"testing"
)

// multiVals draws values whose products span many binades and both signs, so that sums
// cancel and any reassociation of the adds (or an unfused product) changes low bits.
func multiVals(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		v := float32(r.NormFloat64())
		switch r.Intn(4) {
		case 0:
			v *= 1e3
		case 1:
			v *= 1e-3
		}
		s[i] = v
	}
	return s
}

// TestGemvF32MultiBits checks GemvF32Multi against GemvF32Stride per vector bit for bit at
// every level, over row/column counts around the kernels' 4-row, 8- and 16-column steps and
// random leading dimensions.
func TestGemvF32MultiBits(t *testing.T) {
	forEachISA(t, func(t *testing.T, _ ISA) {
		r := rand.New(rand.NewSource(7))
		for n := 1; n <= 9; n++ {
			for _, rows := range []int{1, 3, 4, 5, 8, 9, 64, 129} {
				for _, cols := range []int{1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 100, 128, 129, 511} {
					ldW := cols + r.Intn(3)*r.Intn(40)
					ldX := cols + r.Intn(3)*r.Intn(40)
					ldDst := rows + r.Intn(3)*r.Intn(40)
					w := multiVals(r, (rows-1)*ldW+cols)
					x := multiVals(r, (n-1)*ldX+cols)
					got := make([]float32, (n-1)*ldDst+rows)
					want := make([]float32, len(got))
					for i := range got {
						got[i] = float32(i) + 0.5 // gaps between rows must survive
						want[i] = got[i]
					}
					GemvF32Multi(got, ldDst, w, ldW, rows, cols, x, ldX, n)
					for g := 0; g < n; g++ {
						GemvF32Stride(want[g*ldDst:], w, ldW, rows, cols, x[g*ldX:])
					}
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("n=%d rows=%d cols=%d ldW=%d ldX=%d ldDst=%d: dst[%d] = %v (%#08x), want %v (%#08x)",
								n, rows, cols, ldW, ldX, ldDst, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
						}
					}
				}
			}
		}
	})
}

// TestGemvF32MultiSpecials covers infinities and NaNs with distinct payloads in both
// operands, where only the same operand order in every add and FMA gives the same bits.
func TestGemvF32MultiSpecials(t *testing.T) {
	forEachISA(t, func(t *testing.T, _ ISA) {
		r := rand.New(rand.NewSource(11))
		specials := []float32{
			float32(math.Inf(1)), float32(math.Inf(-1)),
			math.Float32frombits(0x7fc00001), math.Float32frombits(0xffc12345),
			math.Float32frombits(0x7f800007), // signaling
			3e38, -3e38, 1e-40,
		}
		const rows = 9
		for _, cols := range []int{8, 15, 16, 23, 24, 40, 47, 130, 135} {
			for trial := 0; trial < 500; trial++ {
				n := 2 + trial%6
				w := multiVals(r, rows*cols)
				x := multiVals(r, n*cols)
				for k := 0; k < 1+r.Intn(6); k++ {
					if r.Intn(2) == 0 {
						w[r.Intn(len(w))] = specials[r.Intn(len(specials))]
					} else {
						x[r.Intn(len(x))] = specials[r.Intn(len(specials))]
					}
				}
				// Two NaNs with distinct payloads in one vector reach every row's sum in
				// lanes and blocks that meet in an FMA, the even+odd add or the reduction.
				g := r.Intn(n)
				for k := 0; k < 2; k++ {
					x[g*cols+r.Intn(cols)] = math.Float32frombits(0x7fc00100 | uint32(r.Intn(255)))
				}
				got := make([]float32, n*rows)
				want := make([]float32, n*rows)
				GemvF32Multi(got, rows, w, cols, rows, cols, x, cols, n)
				for g := 0; g < n; g++ {
					GemvF32Stride(want[g*rows:], w, cols, rows, cols, x[g*cols:])
				}
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("n=%d cols=%d trial %d: dst[%d] = %#08x, want %#08x", n, cols, trial, i,
							math.Float32bits(got[i]), math.Float32bits(want[i]))
					}
				}
			}
		}
	})
}

// TestGemvF32MultiAsGemm checks that GemvF32Multi gives GemmF32Stride's bits wherever
// GemmF32ByGemv says so (attention scores use it in place of the GEMM).
func TestGemvF32MultiAsGemm(t *testing.T) {
	forEachISA(t, func(t *testing.T, _ ISA) {
		r := rand.New(rand.NewSource(3))
		checked := 0
		for n := 1; n <= 20; n++ {
			if !GemmF32ByGemv(n) {
				continue
			}
			checked++
			for _, rows := range []int{1, 5, 16, 17, 64, 300} {
				for _, cols := range []int{7, 16, 24, 64, 128, 129} {
					ldDst := rows + r.Intn(5)
					w := multiVals(r, rows*cols)
					x := multiVals(r, n*cols)
					got := make([]float32, (n-1)*ldDst+rows)
					want := make([]float32, len(got))
					GemvF32Multi(got, ldDst, w, cols, rows, cols, x, cols, n)
					GemmF32Stride(want, ldDst, w, rows, cols, x, n)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("n=%d rows=%d cols=%d: dst[%d] = %#08x, GemmF32Stride %#08x",
								n, rows, cols, i, math.Float32bits(got[i]), math.Float32bits(want[i]))
						}
					}
				}
			}
		}
		if checked < 4 {
			t.Fatalf("GemmF32ByGemv true for only %d of n=1..20", checked)
		}
	})
}

func TestGemvF32MultiShapes(t *testing.T) {
	GemvF32Multi(nil, 0, nil, 0, 0, 0, nil, 0, 0)
	dst := []float32{1, 2, 3, 4}
	GemvF32Multi(dst, 2, nil, 0, 2, 0, nil, 0, 2)
	for i, v := range dst {
		if v != 0 {
			t.Fatalf("cols=0: dst[%d] = %v", i, v)
		}
	}
	for _, f := range []func(){
		func() { GemvF32Multi(make([]float32, 3), 2, make([]float32, 4), 2, 2, 2, make([]float32, 4), 2, 2) },
		func() { GemvF32Multi(make([]float32, 4), 1, make([]float32, 4), 2, 2, 2, make([]float32, 4), 2, 2) },
		func() { GemvF32Multi(make([]float32, 4), 2, make([]float32, 4), 2, 2, 2, make([]float32, 3), 2, 2) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic on a bad shape")
				}
			}()
			f()
		}()
	}
}

// BenchmarkGemvF32Multi compares GemvF32Multi with GemvF32Stride per vector on the two
// grouped-query attention shapes (n query heads per KV head, head dim 128): scores over
// the keys and P·V over a [128][1024] value cache, at 512 and 61 positions.
func BenchmarkGemvF32Multi(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	for _, c := range []struct {
		name                      string
		rows, cols, ldW, ldDst, n int
	}{
		{"scores-512x128", 512, 128, 128, 512, 4},
		{"pv-128x512", 128, 512, 1024, 128, 4},
		{"scores-61x128", 61, 128, 128, 61, 4},
		{"pv-128x61", 128, 61, 1024, 128, 4},
		{"scores-512x128-n3", 512, 128, 128, 512, 3},
		{"pv-128x512-n2", 128, 512, 1024, 128, 2},
	} {
		n := c.n
		w := multiVals(r, (c.rows-1)*c.ldW+c.cols)
		x := multiVals(r, n*c.cols)
		dst := make([]float32, n*c.ldDst)
		b.Run(c.name+"/multi", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				GemvF32Multi(dst, c.ldDst, w, c.ldW, c.rows, c.cols, x, c.cols, n)
			}
		})
		b.Run(c.name+"/per-vector", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				for g := 0; g < n; g++ {
					GemvF32Stride(dst[g*c.ldDst:], w, c.ldW, c.rows, c.cols, x[g*c.cols:])
				}
			}
		})
	}
}
