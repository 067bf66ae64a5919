// Package quantize implements CTranslate2's weight quantization on float32
// slices, bit for bit as its converter computes it with NumPy
// (python/ctranslate2/specs/model_spec.py, LayerSpec._quantize):
//
//	int8 (all int8_* types), per output row:
//	    amax  = max |w| over the row (float32); amax == 0 → 127
//	    scale = float32(127 / amax)                 (float32 division)
//	    q     = int8(rint(w * scale))               (float32 multiply, ties to even)
//	int16, one scale per tensor:
//	    scale = float32(2^10 / amax(|w|))
//	    q     = int16(clip(rint(w * scale), -32768, 32767))
//
// The package does no I/O and allocates nothing.
package quantize

import "math"

// AbsMax returns max |x| (0 for an empty slice). A NaN makes the result NaN,
// as np.amax does.
func AbsMax(x []float32) float32 {
	// On the IEEE bit patterns with the sign cleared, float order is integer
	// order (and every NaN is above +Inf), so this is a branch-light integer max.
	var m0, m1, m2, m3 uint32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		m0 = max(m0, math.Float32bits(x[i])&0x7fffffff)
		m1 = max(m1, math.Float32bits(x[i+1])&0x7fffffff)
		m2 = max(m2, math.Float32bits(x[i+2])&0x7fffffff)
		m3 = max(m3, math.Float32bits(x[i+3])&0x7fffffff)
	}
	for ; i < len(x); i++ {
		m0 = max(m0, math.Float32bits(x[i])&0x7fffffff)
	}
	m := max(m0, m1, m2, m3)
	if m > 0x7f800000 {
		return float32(math.NaN())
	}
	return math.Float32frombits(m)
}

// Int8Scale is the per-row scale for a row whose max |w| is amax.
func Int8Scale(amax float32) float32 {
	if amax == 0 {
		amax = 127
	}
	return float32(127) / amax
}

// Int8Rows quantizes a row-major [len(scales), cols] matrix.
func Int8Rows(dst []int8, scales []float32, src []float32, cols int) {
	for r := range scales {
		row := src[r*cols : (r+1)*cols]
		s := Int8Scale(AbsMax(row))
		scales[r] = s
		out := dst[r*cols : (r+1)*cols]
		out = out[:len(row)]
		for i, v := range row {
			out[i] = int8(rint32(v * s))
		}
	}
}

// Int16Scale is the tensor scale for max |w| = amax. NumPy 1.x evaluates
// 2**10 / np.float32 in float64 before the float32 cast; for a division of
// 24-bit operands, rounding through 53 bits then 24 equals one rounding
// (innocuous double rounding, q ≥ 2p+2), so this also equals NumPy 2's
// float32 division.
func Int16Scale(amax float32) float32 {
	return float32(1024 / float64(amax))
}

// Int16 quantizes src with one scale.
func Int16(dst []int16, src []float32, scale float32) {
	for i, v := range src {
		q := rint(v * scale)
		switch {
		case q > math.MaxInt16:
			q = math.MaxInt16
		case q < math.MinInt16:
			q = math.MinInt16
		}
		dst[i] = int16(q)
	}
}

// roundMagic is 1.5·2^23: adding and subtracting it in float32 rounds to an
// integer with the FPU's round-half-even, exactly, for |x| < 2^22.
const roundMagic = 12582912

// rint32 rounds |x| ≤ 127.5 (the range of w·scale for int8) half to even.
// NaN maps to 0 as in rint.
func rint32(x float32) int32 {
	if x != x {
		return 0
	}
	return int32((x + roundMagic) - roundMagic)
}

// rint rounds half to even like np.rint. NaN (only reachable from non-finite
// weights) maps to 0, what NumPy's cast produces on x86.
func rint(x float32) float64 {
	if x != x {
		return 0
	}
	return math.RoundToEven(float64(x))
}
