package kernels

import (
	"fmt"
	"math"
)

// SiLU and the softmax exponential, bit-identical to the scalar float32 formulas built on
// math.Exp (the model's outputs must not change when the SIMD level changes).
//
// On amd64 with AVX and FMA, math.Exp is the assembly in Go's src/math/exp_amd64.s (BSD
// licence; the method is Naoki Shibata's, from SLEEF: "Efficient evaluation methods of
// elementary functions suitable for SIMD computation", ISC'10), taking its FMA branch. That
// routine is a fixed sequence of IEEE double operations (argument reduction by n*ln2 in two
// fused steps, a degree-7 Horner polynomial on x/16, four squaring-like steps undoing the
// /16, scaling by 2^n built from exponent bits), so the same sequence run lane-wise on
// float64 vectors with the same rounding gives the same bits. The SIMD kernels below
// (exp_amd64.s) do exactly that, and are installed only where math.Exp itself takes that
// FMA branch (AVX and FMA present: every AVX2/AVX-512 level here).
//
// Range: the float32 result of exp(a) is +Inf for every a > 88.8 and +0 for every a < -104,
// whatever happens in float64 beyond that, so the kernels clamp a to [-700, 700], where the
// float64 routine takes neither its overflow nor its denormal branch. NaN arguments are
// left to scalar math.Exp (the whole block), so even NaN payloads match.

// SiluF32 applies SiLU in place, exactly as the scalar float32 formula
// v[i] = v[i] / (1 + float32(math.Exp(float64(-v[i])))) (CTranslate2's swish_func).
func SiluF32(v []float32) {
	if len(v) == 0 {
		return
	}
	impl.siluF32(v)
}

// ExpShiftedF32 writes dst[i] = float32(math.Exp(float64(src[i] - mx))) with src[i]-mx a
// float32 subtraction, bit-identical to that scalar expression. dst may be src itself
// (fully aliased) but must not partially overlap it.
func ExpShiftedF32(dst, src []float32, mx float32) {
	if len(dst) < len(src) {
		panic(fmt.Sprintf("kernels.ExpShiftedF32: len(dst)=%d < len(src)=%d", len(dst), len(src)))
	}
	if len(src) == 0 {
		return
	}
	impl.expShiftedF32(dst[:len(src)], src, mx)
}

func siluF32Generic(v []float32) {
	for i, x := range v {
		e := float32(math.Exp(float64(-x)))
		v[i] = x / (1 + e)
	}
}

func expShiftedF32Generic(dst, src []float32, mx float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float32(math.Exp(float64(v - mx)))
	}
}
