package kernels

import (
	"fmt"
	"math"
)

// QuantizeRowInt8 quantizes one activation row (one token) the way CTranslate2 does before an
// int8 GEMM (src/layers/common.cc:339-400, src/cpu/kernels.cc:576-652):
//
//	amax  = max_i |src[i]|
//	scale = 127/amax in float32, or 1 when amax == 0
//	dst[i] = int8(round-half-even(src[i]*scale))   (the product is rounded to float32 first)
//
// and returns scale. dst must hold len(src) values. |src[i]*scale| <= 127 up to one float32
// rounding, which still rounds to 127, so the result never leaves [-127, 127] for finite
// input. The one deviation from CT2: a row whose amax is below 127/MaxFloat32 (~3.7e-37)
// gets scale = MaxFloat32 instead of +Inf (and quantizes to zeros instead of garbage).
// NaN or Inf input gives unspecified values, which may differ between ISA levels (CT2 does
// not define them either).
// Dequantize with DequantRowInt32.
func QuantizeRowInt8(dst []int8, src []float32) float32 {
	if len(dst) < len(src) {
		panic(fmt.Sprintf("kernels.QuantizeRowInt8: len(dst)=%d < len(src)=%d", len(dst), len(src)))
	}
	amax := impl.amaxF32(src)
	scale := float32(1)
	if amax != 0 {
		scale = 127 / amax
		if scale > math.MaxFloat32 {
			// amax below 127/MaxFloat32 (~3.7e-37): 127/amax overflows to +Inf and CT2 would
			// turn the row into Inf/NaN garbage; the largest finite scale maps it to zeros.
			scale = math.MaxFloat32
		}
	}
	impl.quantF32(dst[:len(src)], src, scale)
	return scale
}

func amaxF32Generic(src []float32) float32 {
	var amax float32
	for _, v := range src {
		// Clearing the sign bit is an exact |v|.
		a := math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
		if a > amax {
			amax = a
		}
	}
	return amax
}

func quantF32Generic(dst []int8, src []float32, scale float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		p := v * scale // float32 product, as _mm256_mul_ps / the scalar C++ loop
		dst[i] = int8(math.RoundToEven(float64(p)))
	}
}

// DequantRowInt32 turns one row of int32 GEMM output back into float32 with CTranslate2's
// operation order (src/cpu/kernels.cc:654-720):
//
//	dst[j] = (float32(acc[j]) * (1/scaleA)) / scaleW[j]
//
// scaleA is the activation row's scale from QuantizeRowInt8 and scaleW[j] the weight scale of
// output row j (CT2 "weight_scale"). The reciprocal 1/scaleA is rounded to float32 once, as
// CT2 does; dividing by scaleW (not multiplying by its reciprocal) matches CT2 bit for bit.
func DequantRowInt32(dst []float32, acc []int32, scaleA float32, scaleW []float32) {
	if len(dst) < len(acc) || len(scaleW) < len(acc) {
		panic(fmt.Sprintf("kernels.DequantRowInt32: len(acc)=%d but len(dst)=%d len(scaleW)=%d",
			len(acc), len(dst), len(scaleW)))
	}
	if len(acc) == 0 {
		return
	}
	impl.dequant(dst[:len(acc)], acc, 1/scaleA, scaleW[:len(acc)])
}

func dequantGeneric(dst []float32, acc []int32, inv float32, scaleW []float32) {
	dst, scaleW = dst[:len(acc)], scaleW[:len(acc)]
	for j, c := range acc {
		dst[j] = (float32(c) * inv) / scaleW[j]
	}
}
