package kernels

import "math"

// Pure-Go kernels: always built, the oracle for the assembly versions and the fallback.
// They receive slices already checked and trimmed to their shapes by the exported API.

func dotF32Generic(a, b []float32) float32 {
	b = b[:len(a)]
	var s float32
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func dotInt8Generic(a, b []int8) int32 {
	b = b[:len(a)]
	var s int32
	for i, v := range a {
		s += int32(v) * int32(b[i])
	}
	return s
}

func rowSumsGeneric(comp []int32, w []int8, rows, cols int) {
	for r := 0; r < rows; r++ {
		var s int32
		for _, v := range w[r*cols : r*cols+cols] {
			s += int32(v)
		}
		comp[r] = s * 128
	}
}

// gemvInt8Generic ignores comp: it is only an optimisation hint for the VNNI kernels.
func gemvInt8Generic(dst []int32, w []int8, rows, cols int, x []int8, _ []int32) {
	x = x[:cols]
	for r := 0; r < rows; r++ {
		dst[r] = dotInt8Generic(w[r*cols:r*cols+cols], x)
	}
}

func gemmInt8Generic(dst []int32, ldDst int, w []int8, rows, cols int, x []int8, n int, _ []int32) {
	for r := 0; r < rows; r++ {
		wr := w[r*cols : r*cols+cols]
		for t := 0; t < n; t++ {
			dst[t*ldDst+r] = dotInt8Generic(wr, x[t*cols:t*cols+cols])
		}
	}
}

func gemvF32Generic(dst []float32, w []float32, rows, cols, ldW int, x []float32) {
	x = x[:cols]
	for r := 0; r < rows; r++ {
		dst[r] = dotF32Generic(w[r*ldW:r*ldW+cols], x)
	}
}

func gemmF32Generic(dst []float32, ldDst int, w []float32, rows, cols int, x []float32, n int) {
	for r := 0; r < rows; r++ {
		wr := w[r*cols : r*cols+cols]
		for t := 0; t < n; t++ {
			dst[t*ldDst+r] = dotF32Generic(wr, x[t*cols:t*cols+cols])
		}
	}
}

func axpyF32Generic(y []float32, a float32, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += a * v
	}
}

// axpyF32FMA is the fused form the SIMD versions use for their tails: math.FMA rounds once,
// exactly like vfmadd231ps, so a SIMD level gives the same bits on every element.
func axpyF32FMA(y []float32, a float32, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = float32(math.FMA(float64(a), float64(v), float64(y[i])))
	}
}

// f16ToF32Generic widens binary16 exactly. Subnormals are normalised by hand; NaNs get the
// quiet bit (bit 22) set, matching vcvtph2ps, so the SIMD path is bit-exact with this one.
func f16ToF32Generic(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = math.Float32frombits(f16Bits(h))
	}
}

func f16Bits(h uint16) uint32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN: payload moves to the top of the f32 mantissa
		if man == 0 {
			return sign | 0x7f800000
		}
		return sign | 0x7fc00000 | man<<13
	case exp != 0: // normal: rebias 15 -> 127
		return sign | (exp+112)<<23 | man<<13
	case man == 0:
		return sign
	default: // subnormal: value = man * 2^-24; normalise so the leading 1 is implicit
		e := uint32(113) // biased exponent of 2^-14
		for man&0x400 == 0 {
			man <<= 1
			e--
		}
		return sign | e<<23 | (man&0x3ff)<<13
	}
}

func bf16ToF32Generic(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = math.Float32frombits(uint32(h) << 16)
	}
}

// gemmRowBlock picks a row block of about 32 KiB of weights of colBytes per row (at least
// 4 rows, a multiple of 4 so the 4-row kernel paths are used). Portable: the half-weight
// GEMM's fallback uses it on every architecture.
func gemmRowBlock(colBytes int) int {
	rb := (32 << 10) / max(colBytes, 1)
	return max(4, rb&^3)
}
