package kernels

import (
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"testing"
)

// The oracles: the scalar formulas the kernels must reproduce bit for bit.
func siluRef(x float32) float32 {
	e := float32(math.Exp(float64(-x)))
	return x / (1 + e)
}

func expShiftedRef(v, mx float32) float32 { return float32(math.Exp(float64(v - mx))) }

// sameF32 is bit equality, except that any NaN matches any NaN.
func sameF32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// checkExpKernels runs SiluF32 and ExpShiftedF32 (out of place and in place) on in at the
// current ISA and reports the first few mismatches against the oracles.
func checkExpKernels(t *testing.T, name string, in []float32, mx float32) {
	t.Helper()
	got := append([]float32(nil), in...)
	SiluF32(got)
	bad := 0
	for i, x := range in {
		if want := siluRef(x); !sameF32(got[i], want) {
			if bad++; bad <= 5 {
				t.Errorf("%s: SiluF32(%g [%#08x]) = %g [%#08x], want %g [%#08x]", name, x,
					math.Float32bits(x), got[i], math.Float32bits(got[i]), want, math.Float32bits(want))
			}
		}
	}
	dst := make([]float32, len(in)+1)
	dst[len(in)] = 42
	ExpShiftedF32(dst, in, mx)
	if dst[len(in)] != 42 {
		t.Errorf("%s: ExpShiftedF32 wrote past len(src)", name)
	}
	copy(got, in)
	ExpShiftedF32(got, got, mx)
	for i, x := range in {
		want := expShiftedRef(x, mx)
		if !sameF32(dst[i], want) || !sameF32(got[i], want) {
			if bad++; bad <= 5 {
				t.Errorf("%s: ExpShiftedF32(%g - %g) = %g / in place %g, want %g [%#08x]", name, x, mx,
					dst[i], got[i], want, math.Float32bits(want))
			}
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d mismatches in all", name, bad)
	}
}

var expSpecials = []float32{
	0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
	float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32,
	-math.SmallestNonzeroFloat32, 0x1p-126, -0x1p-126, 88.72284, 88.72283, -88.72284,
	-103.97208, -103.27893, 103.97208, 700, -700, 709.7827, -709.7827, 745.1332, -745.1332,
	math.Float32frombits(0x7fc00001), math.Float32frombits(0xffa00000), // quiet/signalling NaNs
}

func TestExpKernelsSpecials(t *testing.T) {
	forEachISA(t, func(t *testing.T, l ISA) {
		mxs := []float32{0, 1, -1, 88, -88, 100, 700, -700, float32(math.Inf(1)), math.MaxFloat32}
		for _, mx := range mxs {
			checkExpKernels(t, "specials", expSpecials, mx)
		}
		// Every special in every lane of a full block, the other lanes ordinary.
		r := rand.New(rand.NewPCG(3, 3))
		for _, s := range expSpecials {
			for lane := 0; lane < 16; lane++ {
				in := make([]float32, 16)
				for i := range in {
					in[i] = float32(r.NormFloat64() * 4)
				}
				in[lane] = s
				checkExpKernels(t, "special-in-block", in, 0.5)
			}
		}
	})
}

// TestExpKernelsLengths covers every length 0..40 (blocks plus scalar tail), at offsets into
// a larger slice, with a NaN block in the middle to exercise the resume path.
func TestExpKernelsLengths(t *testing.T) {
	forEachISA(t, func(t *testing.T, l ISA) {
		r := rand.New(rand.NewPCG(4, 4))
		buf := make([]float32, 64)
		for i := range buf {
			buf[i] = float32(r.NormFloat64() * 30)
		}
		for n := 0; n <= 40; n++ {
			for off := 0; off < 3; off++ {
				in := buf[off : off+n]
				checkExpKernels(t, "len", in, in0(in))
				if n > 0 {
					nan := append([]float32(nil), in...)
					nan[n/2] = float32(math.NaN())
					checkExpKernels(t, "len-nan", nan, 1)
				}
			}
		}
	})
}

func in0(s []float32) float32 {
	if len(s) == 0 {
		return 0
	}
	return s[0]
}

// TestExpKernelsRandom: millions of arguments, uniform over [-120, 120] (past both float32
// exp limits), log-uniform magnitudes over 2^-30..2^10 of either sign, and random bit
// patterns (every exponent, NaNs and infinities included).
func TestExpKernelsRandom(t *testing.T) {
	n := 1 << 21
	if testing.Short() {
		n = 1 << 16
	}
	r := rand.New(rand.NewPCG(5, 5))
	gens := map[string]func() float32{
		"uniform": func() float32 { return float32(r.Float64()*240 - 120) },
		"loguniform": func() float32 {
			v := float32(math.Exp2(r.Float64()*40 - 30))
			if r.IntN(2) == 0 {
				v = -v
			}
			return v
		},
		"bits": func() float32 { return math.Float32frombits(r.Uint32()) },
	}
	inputs := map[string][]float32{}
	for name, g := range gens {
		in := make([]float32, n)
		for i := range in {
			in[i] = g()
		}
		inputs[name] = in
	}
	forEachISA(t, func(t *testing.T, l ISA) {
		for name, in := range inputs {
			checkExpKernels(t, name, in, 0)
			checkExpKernels(t, name+"-shift", in, 3.25)
		}
	})
}

// TestExpKernelsWindows: every float32 in dense windows: [-1, 1] with a stride of 127 ulp-steps
// (bit patterns), and every value around the float32 overflow/underflow points of exp
// (±88.72, ±103.97) and the float64 ones (±700, ±709.78, ±745.13).
func TestExpKernelsWindows(t *testing.T) {
	var in []float32
	for b := uint32(0); b <= math.Float32bits(1); b += 127 {
		in = append(in, math.Float32frombits(b), math.Float32frombits(b|1<<31))
	}
	for _, c := range []float32{88.72284, 103.97208, 103.27893, 700, 709.7827, 745.1332} {
		b := math.Float32bits(c)
		for d := uint32(0); d < 1<<16; d++ {
			v := math.Float32frombits(b - 1<<15 + d)
			in = append(in, v, -v)
		}
	}
	forEachISA(t, func(t *testing.T, l ISA) {
		checkExpKernels(t, "windows", in, 0)
	})
}

// TestSiluExhaustive checks SiluF32 and ExpShiftedF32 (mx = 0) on all 2^32 float32 bit
// patterns at every SIMD level (about a minute of CPU per level). Opt in with
// CT2GO_EXP_EXHAUSTIVE=1; pick a level with -run TestSiluExhaustive/avx512.
func TestSiluExhaustive(t *testing.T) {
	if os.Getenv("CT2GO_EXP_EXHAUSTIVE") != "1" {
		t.Skip("set CT2GO_EXP_EXHAUSTIVE=1 to run")
	}
	forEachISA(t, func(t *testing.T, l ISA) {
		if l == Generic {
			t.Skip("the oracle itself")
		}
		exhaustive(t)
	})
}

func exhaustive(t *testing.T) {
	const chunk = 1 << 20
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			in := make([]float32, chunk)
			s := make([]float32, chunk)
			e := make([]float32, chunk)
			for c := w; c < 1<<32/chunk; c += workers {
				for i := range in {
					in[i] = math.Float32frombits(uint32(c*chunk + i))
				}
				copy(s, in)
				SiluF32(s)
				ExpShiftedF32(e, in, 0)
				for i, x := range in {
					if !sameF32(s[i], siluRef(x)) || !sameF32(e[i], expShiftedRef(x, 0)) {
						mu.Lock()
						if bad++; bad <= 10 {
							t.Errorf("mismatch at %#08x", math.Float32bits(x))
						}
						mu.Unlock()
					}
				}
			}
		}(w)
	}
	wg.Wait()
	t.Logf("ISA %v: %d mismatches over 2^32 inputs", CurrentISA(), bad)
}
