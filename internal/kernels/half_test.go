package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// randHalf returns n finite weights of the given format as bit patterns: mostly normal
// values, plus random bit patterns (f16 subnormals, tiny and subnormal bf16) so every exponent
// path of the widening is exercised. The slice is an unaligned view (odd byte offset), as
// model.bin and safetensors views may be.
func randHalf(r *rand.Rand, n int, kind Half) []uint16 {
	buf := make([]byte, 2*n+1)
	w := unsafe.Slice((*uint16)(unsafe.Pointer(&buf[1])), n)
	for i := range w {
		if r.IntN(4) == 0 {
			for {
				h := uint16(r.Uint32())
				// bf16: exponents up to 2^30, so sums of products stay far from overflow.
				if kind == BF16 && h>>7&0xff < 127+30 || kind == F16 && h&0x7c00 != 0x7c00 {
					w[i] = h
					break
				}
			}
			continue
		}
		v := float32(r.NormFloat64())
		if kind == BF16 {
			w[i] = uint16(math.Float32bits(v) >> 16)
		} else {
			w[i] = uint16(f16FromF32(v))
		}
	}
	return w
}

// f16FromF32 rounds a normal-range float32 to binary16 (truncating: the tests only need
// some f16 values, not a correctly rounded conversion).
func f16FromF32(v float32) uint16 {
	b := math.Float32bits(v)
	sign := uint16(b>>16) & 0x8000
	e := int(b>>23&0xff) - 127 + 15
	if e <= 0 {
		return sign
	}
	if e >= 31 {
		return sign | 0x7bff
	}
	return sign | uint16(e)<<10 | uint16(b>>13&0x3ff)
}

func widenAll(w []uint16, kind Half) []float32 {
	out := make([]float32, len(w))
	for i, h := range w {
		out[i] = halfToF32(h, kind)
	}
	return out
}

var halfShapes = append([]struct{ rows, cols, n int }{
	{1, 8, 16}, {2, 16, 32}, {8, 4, 17}, {9, 33, 31}, {16, 64, 64}, {23, 40, 65}, {5, 1, 20},
}, int8Shapes...)

// TestHalfKernels compares GemvHalf and GemmHalfPacked at every level with the pure-Go loop
// on the widened weights (dotF32Generic) within the two-orders bound of dotBound, for odd
// shapes, row blocks of 3 (how the runtime splits rows), a destination stride with guard
// values, and unaligned weight views.
func TestHalfKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	forEachISA(t, func(t *testing.T, l ISA) {
		for _, kind := range []Half{BF16, F16} {
			for _, s := range halfShapes {
				name := fmt.Sprintf("%v/%v", kind, s)
				w, x := randHalf(r, s.rows*s.cols, kind), randF32(r, s.n*s.cols)
				wf := widenAll(w, kind)
				check := func(what string, tk, row int, v float32) {
					wr, xt := wf[row*s.cols:(row+1)*s.cols], x[tk*s.cols:(tk+1)*s.cols]
					ref, bound := dotF32Generic(wr, xt), dotBound(wr, xt)
					if d := math.Abs(float64(v) - float64(ref)); !(d <= bound) {
						t.Fatalf("%s %s t=%d r=%d: %g vs %g (bound %g)", what, name, tk, row, v, ref, bound)
					}
				}
				gv := make([]float32, s.rows+1)
				gv[s.rows] = 42
				GemvHalf(gv, w, kind, s.rows, s.cols, x)
				if gv[s.rows] != 42 {
					t.Fatalf("GemvHalf %s wrote past rows", name)
				}
				for row := 0; row < s.rows; row++ {
					check("GemvHalf", 0, row, gv[row])
				}

				var pf PackedF32
				pf.Pack(x, s.n, s.cols)
				ld := s.rows + 3
				gm := make([]float32, s.n*ld)
				for i := range gm {
					gm[i] = 42
				}
				for r0 := 0; r0 < s.rows; r0 += 3 {
					r1 := min(r0+3, s.rows)
					GemmHalfPacked(gm[r0:], ld, w[r0*s.cols:r1*s.cols], kind, r1-r0, &pf)
				}
				whole := make([]float32, s.n*s.rows)
				GemmHalfPacked(whole, s.rows, w, kind, s.rows, &pf)
				for tk := 0; tk < s.n; tk++ {
					for row := 0; row < s.rows; row++ {
						check("GemmHalfPacked/3-row blocks", tk, row, gm[tk*ld+row])
						check("GemmHalfPacked", tk, row, whole[tk*s.rows+row])
					}
					for _, v := range gm[tk*ld+s.rows : (tk+1)*ld] {
						if v != 42 {
							t.Fatalf("GemmHalfPacked %s wrote outside its rows", name)
						}
					}
				}
			}
		}
	})
}

// TestHalfGenericExact: the pure-Go twin is exactly dotF32Generic on the widened weights
// (same order, same roundings), for every f16 and bf16 bit pattern that is finite.
func TestHalfGenericExact(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for _, kind := range []Half{BF16, F16} {
		w := make([]uint16, 0, 1<<16)
		for h := 0; h < 1<<16; h++ {
			if kind == BF16 && h&0x7f80 == 0x7f80 || kind == F16 && h&0x7c00 == 0x7c00 {
				continue
			}
			w = append(w, uint16(h))
		}
		x := randF32(r, len(w))
		wf := widenAll(w, kind)
		for _, n := range []int{1, 7, 100, len(w)} {
			if got, want := dotHalfGeneric(w[:n], kind, x), dotF32Generic(wf[:n], x); math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("%v n=%d: %g vs %g", kind, n, got, want)
			}
		}
		// The widening itself: f16 through F16ToF32's reference, bf16 bits<<16.
		for i, h := range w {
			var want uint32
			if kind == BF16 {
				want = uint32(h) << 16
			} else {
				want = f16Bits(h)
			}
			if math.Float32bits(wf[i]) != want {
				t.Fatalf("%v %#04x widened to %#08x", kind, h, math.Float32bits(wf[i]))
			}
		}
	}
}

// TestHalfPackedISASwitch: tokens packed at one level, product at another.
func TestHalfPackedISASwitch(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	const R, C, N = 19, 72, 40
	w, x := randHalf(r, R*C, BF16), randF32(r, N*C)
	wf := widenAll(w, BF16)
	prev := CurrentISA()
	defer SetISA(prev)
	for _, a := range ISAs() {
		for _, b := range ISAs() {
			SetISA(a)
			var pf PackedF32
			pf.Pack(x, N, C)
			SetISA(b)
			got := make([]float32, N*R)
			GemmHalfPacked(got, R, w, BF16, R, &pf)
			for tk := 0; tk < N; tk++ {
				for row := 0; row < R; row++ {
					wr, xt := wf[row*C:(row+1)*C], x[tk*C:(tk+1)*C]
					ref := dotF32Generic(wr, xt)
					if d := math.Abs(float64(got[tk*R+row]) - float64(ref)); d > dotBound(wr, xt) {
						t.Fatalf("pack@%v gemm@%v t=%d r=%d: %g vs %g", a, b, tk, row, got[tk*R+row], ref)
					}
				}
			}
		}
	}
}

func TestHalfBadKindPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	GemvHalf(make([]float32, 1), make([]uint16, 1), Half(9), 1, 1, make([]float32, 1))
}
