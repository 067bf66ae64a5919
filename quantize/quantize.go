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
	var m float32
	for _, v := range x {
		if v != v {
			return v
		}
		if v < 0 {
			v = -v
		}
		if v > m {
			m = v
		}
	}
	return m
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
		for i, v := range row {
			out[i] = int8(rint(v * s))
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

// rint rounds half to even like np.rint. NaN (only reachable from non-finite
// weights) maps to 0, what NumPy's cast produces on x86.
func rint(x float32) float64 {
	if x != x {
		return 0
	}
	return math.RoundToEven(float64(x))
}
