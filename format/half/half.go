// Package half converts between float32, IEEE float16 and bfloat16 with the
// rounding PyTorch uses (round to nearest, ties to even), so that casts done
// here match the bytes CTranslate2's converter writes. It also counts what a
// cast to float16 loses (overflow to infinity, underflow to subnormal/zero).
package half

import (
	"math"

	"github.com/x448/float16"
)

// BF16ToF32 widens bfloat16 bits: exact (bf16 is the top half of an f32).
func BF16ToF32(dst []float32, src []uint16) {
	for i, h := range src[:len(dst)] {
		dst[i] = math.Float32frombits(uint32(h) << 16)
	}
}

// F16ToF32 widens float16 bits: exact.
func F16ToF32(dst []float32, src []uint16) {
	for i, h := range src[:len(dst)] {
		dst[i] = f16ToF32(h)
	}
}

func f16ToF32(h uint16) float32 { return float16.Frombits(h).Float32() }

// F32ToBF16 rounds to bfloat16, nearest-even; NaN stays a quiet NaN
// (c10::round_to_nearest_even in PyTorch).
func F32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if f != f {
		return uint16(b>>16) | 0x40
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

// F32ToF16 rounds to float16, nearest-even, overflowing to ±Inf as torch's
// .half() does.
func F32ToF16(f float32) uint16 {
	// Fast path: a value float16 holds exactly in its normal range is a
	// re-biased exponent and a truncated mantissa.
	b := math.Float32bits(f)
	if e := b >> 23 & 0xff; e-113 <= 142-113 && b&0x1fff == 0 {
		return uint16(b>>16&0x8000 | (e-112)<<10 | b>>13&0x3ff)
	}
	return uint16(float16.Fromfloat32(f))
}

// F16Loss counts what casting to float16 did to finite values.
type F16Loss struct {
	Overflow  int64 // finite → ±Inf (|x| ≥ 65520)
	Underflow int64 // nonzero → zero or a subnormal (|x| < 2^-14 loses precision)
}

// Add accumulates another count.
func (l *F16Loss) Add(o F16Loss) { l.Overflow += o.Overflow; l.Underflow += o.Underflow }

// minNormalF16 is the smallest normal float16, 2^-14.
const minNormalF16 = 6.103515625e-05

// RoundF16 replaces each value by its float16 rounding (still as float32),
// which emulates loading a checkpoint with torch_dtype=float16, and counts
// the losses.
func RoundF16(x []float32) (loss F16Loss) {
	for i, v := range x {
		// Fast path: a normal f16 magnitude (2^-14 ≤ |v| < 2^16, biased f32
		// exponent 113..142) with no mantissa bits below f16's 10 is exact —
		// which every bf16 value in that range is. Zero is exact too.
		b := math.Float32bits(v)
		if e := b >> 23 & 0xff; (e-113 <= 142-113 && b&0x1fff == 0) || b&0x7fffffff == 0 {
			continue
		}
		r := f16ToF32(F32ToF16(v))
		if r != v {
			a := math.Abs(float64(v))
			switch {
			case math.IsInf(float64(r), 0) && !math.IsInf(float64(v), 0) && v == v:
				loss.Overflow++
			case a < minNormalF16:
				loss.Underflow++
			}
		}
		x[i] = r
	}
	return loss
}

// RoundBF16 replaces each value by its bfloat16 rounding.
func RoundBF16(x []float32) {
	for i, v := range x {
		x[i] = math.Float32frombits(uint32(F32ToBF16(v)) << 16)
	}
}
