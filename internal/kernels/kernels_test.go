package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/x448/float16"
)

// forEachISA runs f once per ISA level present on this machine, with the kernels switched
// to that level. Not parallel: SetISA mutates package state.
func forEachISA(t *testing.T, f func(t *testing.T, l ISA)) {
	t.Helper()
	for _, l := range ISAs() {
		t.Run(l.String(), func(t *testing.T) {
			prev, err := SetISA(l)
			if err != nil {
				t.Fatal(err)
			}
			defer SetISA(prev)
			f(t, l)
		})
	}
}

func randInt8(r *rand.Rand, n int, mode string) []int8 {
	s := make([]int8, n)
	for i := range s {
		switch mode {
		case "extreme": // the corners that break saturating u8*s8 pair sums
			s[i] = []int8{-128, -127, 127, -128}[r.IntN(4)]
		case "min":
			s[i] = -128
		case "max":
			s[i] = 127
		default:
			s[i] = int8(r.IntN(256) - 128)
		}
	}
	return s
}

func randF32(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

var int8Modes = []string{"random", "extreme", "min", "max"}

// Shapes exercising tails: cols around multiples of 16/32/64, rows not multiple of 4.
var int8Shapes = []struct{ rows, cols, n int }{
	{1, 1, 1}, {1, 3, 2}, {3, 17, 3}, {4, 64, 4}, {5, 63, 5}, {7, 65, 1}, {8, 127, 9},
	{9, 128, 16}, {13, 200, 7}, {16, 256, 17}, {17, 1000, 3}, {33, 129, 33}, {6, 4096, 2},
	{10, 96, 27}, {12, 130, 61}, {19, 68, 64}, {3, 7, 40}, {50, 68, 40}, {64, 132, 33}, {49, 256, 16},
}

func TestDotInt8(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	forEachISA(t, func(t *testing.T, l ISA) {
		for _, mode := range int8Modes {
			for _, n := range []int{1, 2, 15, 16, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 1000, 4096, 4097} {
				a, b := randInt8(r, n, mode), randInt8(r, n, mode)
				var want int64
				for i := range a {
					want += int64(a[i]) * int64(b[i])
				}
				if got := DotInt8(a, b); int64(got) != want {
					t.Fatalf("%s n=%d: DotInt8=%d want %d", mode, n, got, want)
				}
			}
		}
	})
}

// TestDotInt8Wrap checks that all levels wrap modulo 2^32 identically when the sum overflows.
func TestDotInt8Wrap(t *testing.T) {
	n := 1<<17 + 77 // 128*128*(2^17) = 2^31: overflows int32
	a, b := make([]int8, n), make([]int8, n)
	for i := range a {
		a[i], b[i] = -128, -128
	}
	want := dotInt8Generic(a, b)
	if int64(want) == int64(n)*16384 {
		t.Fatalf("test input does not overflow")
	}
	forEachISA(t, func(t *testing.T, l ISA) {
		if got := DotInt8(a, b); got != want {
			t.Fatalf("DotInt8 wrap = %d want %d", got, want)
		}
	})
}

func TestGemvGemmInt8(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	forEachISA(t, func(t *testing.T, l ISA) {
		for _, mode := range int8Modes {
			for _, s := range int8Shapes {
				name := fmt.Sprintf("%s/%dx%dxn%d", mode, s.rows, s.cols, s.n)
				w, x := randInt8(r, s.rows*s.cols, mode), randInt8(r, s.n*s.cols, mode)
				comp := make([]int32, s.rows)
				RowSumsInt8(comp, w, s.rows, s.cols)
				// Oracle: int64 sums, independent of every kernel.
				want := make([]int32, s.n*s.rows)
				for tk := 0; tk < s.n; tk++ {
					for row := 0; row < s.rows; row++ {
						var acc int64
						for k := 0; k < s.cols; k++ {
							acc += int64(w[row*s.cols+k]) * int64(x[tk*s.cols+k])
						}
						want[tk*s.rows+row] = int32(acc)
					}
				}
				got := make([]int32, s.rows+1)
				got[s.rows] = 12345 // canary: kernels must not write past rows
				GemvInt8(got, w, s.rows, s.cols, x)
				cmpInt32(t, name+"/GemvInt8", got[:s.rows], want[:s.rows])
				if got[s.rows] != 12345 {
					t.Fatalf("%s: GemvInt8 wrote past dst[rows]", name)
				}
				clear(got)
				GemvInt8Comp(got, w, s.rows, s.cols, x, comp)
				cmpInt32(t, name+"/GemvInt8Comp", got[:s.rows], want[:s.rows])

				gm := make([]int32, s.n*s.rows)
				GemmInt8(gm, w, s.rows, s.cols, x, s.n)
				cmpInt32(t, name+"/GemmInt8", gm, want)

				var pk PackedInt8
				pk.Pack(x, s.n, s.cols)
				for _, c := range [][]int32{nil, comp} {
					gp := make([]int32, s.n*s.rows)
					GemmInt8Packed(gp, s.rows, w, s.rows, &pk, c)
					cmpInt32(t, fmt.Sprintf("%s/GemmInt8Packed(comp=%v)", name, c != nil), gp, want)
				}

				// Strided output into a wider matrix with canaries in the gaps.
				ld := s.rows + 3
				gs := make([]int32, s.n*ld)
				for i := range gs {
					gs[i] = -7
				}
				GemmInt8Comp(gs, ld, w, s.rows, s.cols, x, s.n, comp)
				for tk := 0; tk < s.n; tk++ {
					cmpInt32(t, name+"/GemmInt8Comp", gs[tk*ld:tk*ld+s.rows], want[tk*s.rows:(tk+1)*s.rows])
					for _, v := range gs[tk*ld+s.rows : (tk+1)*ld] {
						if v != -7 {
							t.Fatalf("%s: GemmInt8Comp wrote outside its rows", name)
						}
					}
				}
			}
		}
	})
}

// TestGemmInt8RowSplit mimics the runtime: two row ranges computed separately into one output.
func TestGemmInt8RowSplit(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const R, C, N = 37, 300, 11
	w, x := randInt8(r, R*C, "random"), randInt8(r, N*C, "random")
	want := make([]int32, N*R)
	gemmInt8Generic(want, R, w, R, C, x, N, nil)
	forEachISA(t, func(t *testing.T, l ISA) {
		got := make([]int32, N*R)
		for _, rg := range [][2]int{{0, 13}, {13, 37}} {
			r0, r1 := rg[0], rg[1]
			GemmInt8Stride(got[r0:], R, w[r0*C:r1*C], r1-r0, C, x, N)
		}
		cmpInt32(t, "split", got, want)
		var pk PackedInt8
		pk.Pack(x, N, C)
		gotP := make([]int32, N*R)
		for _, rg := range [][2]int{{0, 16}, {16, 37}} {
			r0, r1 := rg[0], rg[1]
			GemmInt8Packed(gotP[r0:], R, w[r0*C:r1*C], r1-r0, &pk, nil)
		}
		cmpInt32(t, "packed split", gotP, want)
		gv := make([]int32, R)
		GemvInt8(gv[5:20], w[5*C:20*C], 15, C, x)
		cmpInt32(t, "gemv split", gv[5:20], want[5:20])
	})
}

func cmpInt32(t *testing.T, name string, got, want []int32) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: [%d] = %d want %d", name, i, got[i], want[i])
		}
	}
}

// dotBound is the worst-case |difference| between two float32 summation orders of a dot
// product: each order is within gamma(n)*sum|a_i b_i| of the exact value (Higham, Accuracy
// and Stability of Numerical Algorithms, eq. 3.5), so two orders differ by at most twice that.
func dotBound(a, b []float32) float64 {
	const u = 1.0 / (1 << 24)
	n := float64(len(a) + 1)
	var s float64
	for i := range a {
		s += math.Abs(float64(a[i]) * float64(b[i]))
	}
	return 2 * n * u / (1 - n*u) * s
}

func dotExact(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestFloatKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	forEachISA(t, func(t *testing.T, l ISA) {
		for _, n := range []int{1, 2, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000, 4096, 4099} {
			a, b := randF32(r, n), randF32(r, n)
			got, ref := DotF32(a, b), dotF32Generic(a, b)
			if d := math.Abs(float64(got) - float64(ref)); d > dotBound(a, b) {
				t.Fatalf("DotF32 n=%d: %g vs generic %g, |diff| %g > bound %g", n, got, ref, d, dotBound(a, b))
			}
			if d := math.Abs(float64(got) - dotExact(a, b)); d > dotBound(a, b)/2 {
				t.Fatalf("DotF32 n=%d: %g vs exact %g beyond gamma(n) bound", n, got, dotExact(a, b))
			}
		}
		for _, s := range int8Shapes {
			w, x := randF32(r, s.rows*s.cols), randF32(r, s.n*s.cols)
			// Strided GEMV over an interleaved buffer ending exactly at the last row's end.
			ldW := s.cols + 5
			ws := make([]float32, (s.rows-1)*ldW+s.cols)
			for row := 0; row < s.rows; row++ {
				copy(ws[row*ldW:], w[row*s.cols:(row+1)*s.cols])
			}
			gs := make([]float32, s.rows)
			GemvF32Stride(gs, ws, ldW, s.rows, s.cols, x)
			for row := 0; row < s.rows; row++ {
				wr := w[row*s.cols : (row+1)*s.cols]
				ref, bound := dotF32Generic(wr, x[:s.cols]), dotBound(wr, x[:s.cols])
				if d := math.Abs(float64(gs[row]) - float64(ref)); d > bound {
					t.Fatalf("GemvF32Stride %v r=%d: %g vs %g", s, row, gs[row], ref)
				}
			}
			gv := make([]float32, s.rows+1)
			gv[s.rows] = 42
			GemvF32(gv, w, s.rows, s.cols, x)
			if gv[s.rows] != 42 {
				t.Fatalf("GemvF32 wrote past rows")
			}
			ld := s.rows + 2
			gm := make([]float32, s.n*ld)
			for i := range gm {
				gm[i] = 42
			}
			GemmF32Stride(gm, ld, w, s.rows, s.cols, x, s.n)
			gm2 := make([]float32, s.n*s.rows)
			GemmF32(gm2, w, s.rows, s.cols, x, s.n)
			// Packed tokens, run on 3-row blocks the way the runtime walks widened rows.
			var pf PackedF32
			pf.Pack(x, s.n, s.cols)
			gp := make([]float32, s.n*s.rows)
			for r0 := 0; r0 < s.rows; r0 += 3 {
				r1 := min(r0+3, s.rows)
				GemmF32Packed(gp[r0:], s.rows, w[r0*s.cols:r1*s.cols], r1-r0, &pf)
			}
			for tk := 0; tk < s.n; tk++ {
				xt := x[tk*s.cols : (tk+1)*s.cols]
				for row := 0; row < s.rows; row++ {
					wr := w[row*s.cols : (row+1)*s.cols]
					ref, bound := dotF32Generic(wr, xt), dotBound(wr, xt)
					check := func(what string, v float32) {
						if d := math.Abs(float64(v) - float64(ref)); d > bound {
							t.Fatalf("%s %v t=%d r=%d: %g vs generic %g (bound %g)", what, s, tk, row, v, ref, bound)
						}
					}
					if tk == 0 {
						check("GemvF32", gv[row])
					}
					check("GemmF32Stride", gm[tk*ld+row])
					check("GemmF32", gm2[tk*s.rows+row])
					check("GemmF32Packed", gp[tk*s.rows+row])
				}
				for _, v := range gm[tk*ld+s.rows : (tk+1)*ld] {
					if v != 42 {
						t.Fatalf("GemmF32Stride wrote outside its rows")
					}
				}
			}
		}
	})
}

// TestF16ToF32 checks all 65536 bit patterns against x448/float16 (non-NaN) and the
// quiet-NaN rule, at every ISA level, with odd lengths for tails.
func TestF16ToF32(t *testing.T) {
	src := make([]uint16, 65536)
	for i := range src {
		src[i] = uint16(i)
	}
	forEachISA(t, func(t *testing.T, l ISA) {
		for _, n := range []int{65536, 1, 7, 8, 9, 15, 16, 17, 33, 1001} {
			dst := make([]float32, n+1)
			dst[n] = 99
			F16ToF32(dst, src[65536-n:])
			if dst[n] != 99 {
				t.Fatalf("F16ToF32 wrote past len(src)")
			}
			for i, h := range src[65536-n:] {
				got := math.Float32bits(dst[i])
				f := float16.Frombits(h)
				if f.IsNaN() {
					if !math.IsNaN(float64(dst[i])) || got&0x400000 == 0 || got>>31 != uint32(h>>15) {
						t.Fatalf("f16 %#04x: got %#08x, want quiet NaN with same sign", h, got)
					}
					if got&0x3fffff != (uint32(h)&0x1ff)<<13 {
						t.Fatalf("f16 %#04x: NaN payload %#08x not kept", h, got)
					}
					continue
				}
				if want := math.Float32bits(f.Float32()); got != want {
					t.Fatalf("f16 %#04x: got %#08x want %#08x", h, got, want)
				}
			}
		}
	})
}

func TestBF16ToF32(t *testing.T) {
	src := make([]uint16, 65536)
	for i := range src {
		src[i] = uint16(i)
	}
	forEachISA(t, func(t *testing.T, l ISA) {
		for _, n := range []int{65536, 1, 7, 8, 9, 15, 16, 17, 33, 1001} {
			dst := make([]float32, n+1)
			dst[n] = 99
			BF16ToF32(dst, src[65536-n:])
			if dst[n] != 99 {
				t.Fatalf("BF16ToF32 wrote past len(src)")
			}
			for i, h := range src[65536-n:] {
				if got := math.Float32bits(dst[i]); got != uint32(h)<<16 {
					t.Fatalf("bf16 %#04x: got %#08x", h, got)
				}
			}
		}
	})
}

func TestQuantizeRowInt8(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		src   []float32
		want  []int8
		scale float32
	}{
		// amax 2 -> scale 63.5: 1*63.5 = 63.5 ties to even 64; 0.5*63.5 = 31.75 -> 32.
		{"tie-even-up", []float32{1, -2, 0.5}, []int8{64, -127, 32}, 63.5},
		// amax 254 -> scale 0.5: 5*0.5 = 2.5 ties to even 2, -3*0.5 = -1.5 -> -2, 1*0.5 -> 0.
		{"tie-even-down", []float32{5, -3, 254, 1}, []int8{2, -2, 127, 0}, 0.5},
		{"zeros", []float32{0, 0, 0}, []int8{0, 0, 0}, 1},
		{"neg-zero", []float32{float32(math.Copysign(0, -1))}, []int8{0}, 1},
		{"amax-negative", []float32{-4, 2, 1}, []int8{-127, 64, 32}, 31.75}, // 63.5 -> 64, 31.75 -> 32
		{"empty", nil, []int8{}, 1},
		// 127/1e-45 overflows float32: the scale is clamped and the tiny row becomes zeros.
		{"subnormal-amax", []float32{1e-45, -1e-45, 0}, []int8{0, 0, 0}, math.MaxFloat32},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dst := make([]int8, len(tc.src))
			scale := QuantizeRowInt8(dst, tc.src)
			if scale != tc.scale {
				t.Fatalf("scale %g want %g", scale, tc.scale)
			}
			for i := range tc.want {
				if dst[i] != tc.want[i] {
					t.Fatalf("dst %v want %v", dst, tc.want)
				}
			}
		})
	}
	// Range property on random rows: the amax element maps to +-127 and nothing exceeds it.
	r := rand.New(rand.NewPCG(9, 10))
	for it := 0; it < 100; it++ {
		src := randF32(r, 1+r.IntN(300))
		dst := make([]int8, len(src))
		QuantizeRowInt8(dst, src)
		var m int8
		for _, q := range dst {
			if q == -128 {
				t.Fatalf("quantized to -128")
			}
			if q < 0 {
				q = -q
			}
			m = max(m, q)
		}
		if m != 127 {
			t.Fatalf("max |q| = %d want 127", m)
		}
	}
}

func TestDequantRowInt32(t *testing.T) {
	t.Parallel()
	acc := []int32{0, 127 * 127, -300, 1 << 30}
	sw := []float32{127, 127, 3, 0.5}
	dst := make([]float32, len(acc))
	DequantRowInt32(dst, acc, 127, sw)
	inv := float32(1) / 127
	for j := range acc {
		want := (float32(acc[j]) * inv) / sw[j]
		if dst[j] != want {
			t.Fatalf("[%d] %g want %g", j, dst[j], want)
		}
	}
	if dst[1] != float32(127*127)*inv/127 || dst[0] != 0 {
		t.Fatalf("unexpected %v", dst)
	}
}

func TestSetISA(t *testing.T) {
	if _, err := SetISA(ISA(99)); err == nil {
		t.Fatal("SetISA(99) succeeded")
	}
	if ISAs()[0] != Generic {
		t.Fatal("Generic not first")
	}
}

// TestShortSlicesPanic makes sure the length checks guard the assembly.
func TestShortSlicesPanic(t *testing.T) {
	cases := map[string]func(){
		"gemv short w":   func() { GemvInt8(make([]int32, 2), make([]int8, 7), 2, 4, make([]int8, 4)) },
		"gemv short x":   func() { GemvInt8(make([]int32, 2), make([]int8, 8), 2, 4, make([]int8, 3)) },
		"gemm short dst": func() { GemmInt8(make([]int32, 5), make([]int8, 8), 2, 4, make([]int8, 12), 3) },
		"gemm ld":        func() { GemmInt8Stride(make([]int32, 50), 1, make([]int8, 8), 2, 4, make([]int8, 12), 3) },
		"dot":            func() { DotF32(make([]float32, 3), make([]float32, 2)) },
		"comp":           func() { GemvInt8Comp(make([]int32, 2), make([]int8, 8), 2, 4, make([]int8, 4), nil) },
		"gemv half w":    func() { GemvHalf(make([]float32, 2), make([]uint16, 7), BF16, 2, 4, make([]float32, 4)) },
		"gemm half ld": func() {
			var p PackedF32
			p.Pack(make([]float32, 12), 3, 4)
			GemmHalfPacked(make([]float32, 50), 1, make([]uint16, 8), F16, 2, &p)
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

// TestNoAllocs: the runtime calls kernels per token from several goroutines; they must not
// allocate (GemmInt8's pooled scratch is reused after the warm-up run AllocsPerRun does).
func TestNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const rows, cols, n = 24, 200, 40
	w8, x8 := randInt8(r, rows*cols, "random"), randInt8(r, n*cols, "random")
	wf, xf := randF32(r, rows*cols), randF32(r, n*cols)
	d32, df := make([]int32, n*rows), make([]float32, n*rows)
	comp := make([]int32, rows)
	RowSumsInt8(comp, w8, rows, cols)
	h := make([]uint16, 100)
	hw := make([]uint16, rows*cols)
	q := make([]int8, cols)
	var pk PackedInt8
	var pf PackedF32
	forEachISA(t, func(t *testing.T, l ISA) {
		cases := map[string]func(){
			"DotInt8":         func() { DotInt8(w8[:cols], x8[:cols]) },
			"DotF32":          func() { DotF32(wf[:cols], xf[:cols]) },
			"GemvInt8":        func() { GemvInt8(d32, w8, rows, cols, x8) },
			"GemvInt8Comp":    func() { GemvInt8Comp(d32, w8, rows, cols, x8, comp) },
			"GemmInt8":        func() { GemmInt8(d32, w8, rows, cols, x8, n) },
			"GemmInt8Comp":    func() { GemmInt8Comp(d32, rows, w8, rows, cols, x8, n, comp) },
			"PackedInt8":      func() { pk.Pack(x8, n, cols); GemmInt8Packed(d32, rows, w8, rows, &pk, comp) },
			"GemvF32":         func() { GemvF32(df, wf, rows, cols, xf) },
			"GemvF32Stride":   func() { GemvF32Stride(df, wf, cols, rows/2, cols/2, xf) },
			"AxpyF32":         func() { AxpyF32(df, 0.5, xf[:cols]) },
			"GemmF32":         func() { GemmF32(df, wf, rows, cols, xf, n) },
			"PackedF32":       func() { pf.Pack(xf, n, cols); GemmF32Packed(df, rows, wf, rows, &pf) },
			"F16ToF32":        func() { F16ToF32(df, h) },
			"GemvHalf":        func() { GemvHalf(df, hw, F16, rows, cols, xf) },
			"GemmHalfPacked":  func() { pf.Pack(xf, n, cols); GemmHalfPacked(df, rows, hw, BF16, rows, &pf) },
			"BF16ToF32":       func() { BF16ToF32(df, h) },
			"QuantizeRowInt8": func() { QuantizeRowInt8(q, xf[:cols]) },
		}
		for name, f := range cases {
			if a := testing.AllocsPerRun(5, f); a != 0 {
				t.Errorf("%s allocates %.1f times per call", name, a)
			}
		}
	})
}

func TestRowSumsInt8(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	forEachISA(t, func(t *testing.T, l ISA) {
		for _, mode := range int8Modes {
			// 70 rows / 8213 cols cross the AVX2 path's 64-row and 4096-column chunks.
			for _, s := range [][2]int{{1, 1}, {3, 15}, {5, 64}, {9, 65}, {70, 8213}} {
				rows, cols := s[0], s[1]
				w := randInt8(r, rows*cols, mode)
				got := make([]int32, rows+1)
				got[rows] = 5
				RowSumsInt8(got, w, rows, cols)
				for row := 0; row < rows; row++ {
					var want int64
					for _, v := range w[row*cols : (row+1)*cols] {
						want += int64(v)
					}
					if int64(got[row]) != 128*want {
						t.Fatalf("%s %v row %d: %d want %d", mode, s, row, got[row], 128*want)
					}
				}
				if got[rows] != 5 {
					t.Fatal("RowSumsInt8 wrote past rows")
				}
			}
		}
	})
}

// TestConcurrentRowSplit runs GEMV and GEMM on row ranges from several goroutines at once,
// the way the runtime parallelises, and checks the assembled result.
func TestConcurrentRowSplit(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	const R, C, N, G = 203, 520, 45, 4
	w, x := randInt8(r, R*C, "random"), randInt8(r, N*C, "random")
	want := make([]int32, N*R)
	gemmInt8Generic(want, R, w, R, C, x, N, nil)
	forEachISA(t, func(t *testing.T, l ISA) {
		gm, gv := make([]int32, N*R), make([]int32, R)
		var shared PackedInt8 // one packing shared by all goroutines
		shared.Pack(x, N, C)
		done := make(chan struct{})
		for g := 0; g < G; g++ {
			r0, r1 := R*g/G, R*(g+1)/G
			go func() {
				defer func() { done <- struct{}{} }()
				for it := 0; it < 20; it++ {
					if it%2 == 0 {
						GemmInt8Stride(gm[r0:], R, w[r0*C:r1*C], r1-r0, C, x, N)
					} else {
						GemmInt8Packed(gm[r0:], R, w[r0*C:r1*C], r1-r0, &shared, nil)
					}
					GemvInt8(gv[r0:r1], w[r0*C:r1*C], r1-r0, C, x[:C])
				}
			}()
		}
		for g := 0; g < G; g++ {
			<-done
		}
		cmpInt32(t, "gemm", gm, want)
		cmpInt32(t, "gemv", gv, want[:R])
	})
}

// TestNoSIMDEnv re-runs this test binary with CT2GO_NOSIMD=1 and checks that init chose
// the pure-Go kernels there.
func TestNoSIMDEnv(t *testing.T) {
	if os.Getenv(NoSIMDEnv) == "1" {
		if CurrentISA() != Generic {
			t.Fatalf("%s=1 but CurrentISA() = %v", NoSIMDEnv, CurrentISA())
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoSIMDEnv$", "-test.v")
	cmd.Env = append(os.Environ(), NoSIMDEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestNoSIMDEnv") {
		t.Fatalf("child with %s=1 failed: %v\n%s", NoSIMDEnv, err, out)
	}
	t.Logf("levels here: %v, current %v", ISAs(), CurrentISA())
}

// TestISAEnv re-runs this test binary with CT2GO_ISA set: a level the machine has is applied,
// an unknown or missing one leaves the best level and is reported by EnvError.
func TestISAEnv(t *testing.T) {
	if want := os.Getenv("CT2GO_TEST_WANT_ISA"); want != "" {
		if got := CurrentISA().String(); got != want {
			t.Fatalf("%s=%s: CurrentISA() = %s, want %s", ISAEnv, os.Getenv(ISAEnv), got, want)
		}
		wantErr := os.Getenv("CT2GO_TEST_WANT_ERR")
		if err := EnvError(); (err != nil) != (wantErr != "") || err != nil && !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("%s=%s: EnvError() = %v, want one containing %q", ISAEnv, os.Getenv(ISAEnv), err, wantErr)
		}
		return
	}
	levels := ISAs()
	best := levels[len(levels)-1]
	type tc struct{ env, want, err string }
	cases := []tc{{"bogus", best.String(), "unknown kernel level"}, {"AVX2", best.String(), "unknown kernel level"}}
	for _, l := range levels {
		cases = append(cases, tc{l.String(), l.String(), ""})
	}
	if best != AVX512 {
		cases = append(cases, tc{"avx512", best.String(), "this CPU lacks that level"})
	}
	for _, c := range cases {
		cmd := exec.Command(os.Args[0], "-test.run=^TestISAEnv$", "-test.v")
		cmd.Env = append(os.Environ(), ISAEnv+"="+c.env, "CT2GO_TEST_WANT_ISA="+c.want, "CT2GO_TEST_WANT_ERR="+c.err)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestISAEnv") {
			t.Fatalf("child with %s=%s failed: %v\n%s", ISAEnv, c.env, err, out)
		}
	}
	for _, l := range []ISA{Generic, AVX2, AVXVNNI, AVX512} {
		if got, err := ParseISA(l.String()); got != l || err != nil {
			t.Fatalf("ParseISA(%q) = %v, %v", l.String(), got, err)
		}
	}
}

func TestAxpyF32(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	forEachISA(t, func(t *testing.T, l ISA) {
		for _, n := range []int{1, 7, 8, 9, 31, 32, 33, 100, 1027} {
			x, y0 := randF32(r, n+1), randF32(r, n+1)
			a := float32(r.NormFloat64())
			y := append([]float32(nil), y0...)
			AxpyF32(y, a, x[:n])
			if y[n] != y0[n] {
				t.Fatalf("n=%d: AxpyF32 wrote past len(x)", n)
			}
			for i := 0; i < n; i++ {
				// Generic: round(a*x) then round(+y); fused: one rounding. Either is within one
				// ulp of the fused value plus one rounding of the product, bounded here by
				// 2^-23 * (|a*x| + |y|).
				fused := float32(math.FMA(float64(a), float64(x[i]), float64(y0[i])))
				bound := math.Ldexp(math.Abs(float64(a)*float64(x[i]))+math.Abs(float64(y0[i])), -23)
				if d := math.Abs(float64(y[i]) - float64(fused)); d > bound {
					t.Fatalf("n=%d i=%d: %g vs fused %g", n, i, y[i], fused)
				}
				if l != Generic && y[i] != fused {
					t.Fatalf("%v n=%d i=%d: %g, want the fused %g bit for bit", l, n, i, y[i], fused)
				}
			}
		}
	})
}

// TestPackedF32ISASwitch: packed at one level, multiplied at another, within the float bound.
func TestPackedF32ISASwitch(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	const R, C, N = 19, 72, 40
	w, x := randF32(r, R*C), randF32(r, N*C)
	prev := CurrentISA()
	defer SetISA(prev)
	for _, a := range ISAs() {
		for _, b := range ISAs() {
			SetISA(a)
			var pf PackedF32
			pf.Pack(x, N, C)
			SetISA(b)
			got := make([]float32, N*R)
			GemmF32Packed(got, R, w, R, &pf)
			for tk := 0; tk < N; tk++ {
				for row := 0; row < R; row++ {
					wr, xt := w[row*C:(row+1)*C], x[tk*C:(tk+1)*C]
					ref := dotF32Generic(wr, xt)
					if d := math.Abs(float64(got[tk*R+row]) - float64(ref)); d > dotBound(wr, xt) {
						t.Fatalf("pack@%v gemm@%v t=%d r=%d: %g vs %g", a, b, tk, row, got[tk*R+row], ref)
					}
				}
			}
		}
	}
}

// TestPackedInt8ISASwitch packs at one level and multiplies at another: the product must
// notice and fall back to the unpacked kernels.
func TestPackedInt8ISASwitch(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	const R, C, N = 19, 132, 50
	w, x := randInt8(r, R*C, "random"), randInt8(r, N*C, "extreme")
	want := make([]int32, N*R)
	gemmInt8Generic(want, R, w, R, C, x, N, nil)
	levels := ISAs()
	prev := CurrentISA()
	defer SetISA(prev)
	for _, a := range levels {
		for _, b := range levels {
			SetISA(a)
			var pk PackedInt8
			pk.Pack(x, N, C)
			SetISA(b)
			got := make([]int32, N*R)
			GemmInt8Packed(got, R, w, R, &pk, nil)
			cmpInt32(t, fmt.Sprintf("pack@%v gemm@%v", a, b), got, want)
		}
	}
}

// TestQuantDequantISAs checks QuantizeRowInt8 and DequantRowInt32 are bit-exact with the
// pure-Go recipe at every level, on lengths around the 32/8-element SIMD blocks and on rows
// built to hit exact .5 ties after scaling (amax 254 gives scale 0.5, so odd integers tie).
func TestQuantDequantISAs(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	type row struct {
		name string
		src  []float32
	}
	var rows []row
	for _, n := range []int{1, 7, 31, 32, 33, 63, 64, 65, 100, 4096, 4099} {
		rows = append(rows, row{fmt.Sprintf("normal/%d", n), randF32(r, n)})
		ties := make([]float32, n)
		for i := range ties {
			ties[i] = float32(r.IntN(509) - 254) // odd values * 0.5 are exact ties
		}
		ties[r.IntN(n)] = 254
		rows = append(rows, row{fmt.Sprintf("ties/%d", n), ties})
		// amax last, at the tail, negative: the SIMD max must see the tail too.
		tail := randF32(r, n)
		tail[n-1] = -1000
		rows = append(rows, row{fmt.Sprintf("amax-in-tail/%d", n), tail})
		rows = append(rows, row{fmt.Sprintf("zeros/%d", n), make([]float32, n)})
		tiny := make([]float32, n)
		for i := range tiny {
			tiny[i] = float32(r.IntN(5)-2) * 1e-45 // subnormal amax: clamped scale
		}
		rows = append(rows, row{fmt.Sprintf("tiny/%d", n), tiny})
	}
	forEachISA(t, func(t *testing.T, l ISA) {
		for _, rw := range rows {
			n := len(rw.src)
			want := make([]int8, n)
			wantScale := float32(1)
			if a := amaxF32Generic(rw.src); a != 0 {
				wantScale = min(127/a, math.MaxFloat32)
			}
			quantF32Generic(want, rw.src, wantScale)
			got := make([]int8, n+1)
			got[n] = 99
			scale := QuantizeRowInt8(got, rw.src)
			if scale != wantScale || got[n] != 99 {
				t.Fatalf("%s: scale %g want %g (canary %d)", rw.name, scale, wantScale, got[n])
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s: [%d] = %d want %d (x=%g)", rw.name, i, got[i], want[i], rw.src[i])
				}
			}

			acc := make([]int32, n)
			sw := make([]float32, n)
			for i := range acc {
				acc[i] = int32(r.Uint32())
				sw[i] = float32(r.ExpFloat64()) + 1e-3
			}
			wantF := make([]float32, n)
			dequantGeneric(wantF, acc, 1/scale, sw)
			gotF := make([]float32, n)
			DequantRowInt32(gotF, acc, scale, sw)
			for i := range wantF {
				if math.Float32bits(gotF[i]) != math.Float32bits(wantF[i]) {
					t.Fatalf("%s dequant [%d]: %g want %g", rw.name, i, gotF[i], wantF[i])
				}
			}
		}
	})
}

func TestParseCacheSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{"2048K": 2 << 20, "1M": 1 << 20, "512": 512, "": 0, "xK": 0, "-1K": 0} {
		if got := parseCacheSize(in); got != want {
			t.Errorf("parseCacheSize(%q) = %d want %d", in, got, want)
		}
	}
}

// TestGemvF32StrideRowsAreDots: every row of GemvF32Stride is bit-identical to DotF32 of
// that row at the same ISA level, whatever the row count (the assembly handles rows in
// fours and singly) and column tail. The runtime's attention relies on it: its P·V is one
// strided GEMV per head where it used to be one DotF32 per value row.
func TestGemvF32StrideRowsAreDots(t *testing.T) {
	forEachISA(t, func(t *testing.T, _ ISA) {
		r := rand.New(rand.NewPCG(21, 21))
		for _, rows := range []int{1, 3, 4, 5, 8, 9, 128} {
			for _, cols := range []int{1, 7, 8, 15, 16, 17, 33, 64, 100, 129} {
				ld := cols + r.IntN(9)
				w := randF32(r, (rows-1)*ld+cols)
				x := randF32(r, cols)
				dst := make([]float32, rows)
				GemvF32Stride(dst, w, ld, rows, cols, x)
				for i := range dst {
					want := DotF32(x, w[i*ld:i*ld+cols])
					if math.Float32bits(dst[i]) != math.Float32bits(want) {
						t.Fatalf("rows=%d cols=%d ld=%d: row %d = %v, DotF32 %v", rows, cols, ld, i, dst[i], want)
					}
				}
			}
		}
	})
}
