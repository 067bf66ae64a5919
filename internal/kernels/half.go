package kernels

import (
	"fmt"
	"math"
)

// Half names the 16-bit float format of a uint16 weight matrix.
type Half uint8

const (
	// BF16 is bfloat16: the high 16 bits of a float32 (widening is bits<<16).
	BF16 Half = iota + 1
	// F16 is IEEE 754 binary16 (widening as F16ToF32, subnormals included).
	F16
)

func (h Half) String() string {
	switch h {
	case BF16:
		return "bf16"
	case F16:
		return "f16"
	}
	return fmt.Sprintf("Half(%d)", int(h))
}

// GemvHalf is GemvF32 with a bf16 or f16 weight matrix: dst[r] = sum_k float32(w[r*cols+k])
// * x[k] (w [rows, cols], x [cols]). Every weight is widened exactly to float32 in registers
// and multiplied-added in float32, so the result is GemvF32 on the widened matrix up to the
// summation order (the bound of the package doc); nothing is widened to memory. To
// parallelise, call it on row ranges like GemvInt8.
func GemvHalf(dst []float32, w []uint16, kind Half, rows, cols int, x []float32) {
	checkHalf("GemvHalf", kind)
	checkMat("GemvHalf", len(dst), len(w), rows, cols, len(x), 1)
	if rows == 0 {
		return
	}
	if cols == 0 {
		clear(dst[:rows])
		return
	}
	impl.gemvHalf(dst[:rows], w[:rows*cols], kind, rows, cols, x[:cols])
}

// GemmHalfPacked is GemmF32Packed with a bf16 or f16 weight matrix w [rows, p.cols]:
//
//	dst[t*ldDst+r] = sum_k float32(w[r*cols+k]) * x[t*cols+k]   for the n tokens of p
//
// The tile levels widen 8 weight rows at a time (exactly, with SIMD) into a per-call panel
// that stays in L2 and run the float32 register tile over the packed tokens, so each weight
// row is widened once per token superblock instead of the caller widening large row blocks;
// below the tile's token minimum it runs GemvHalf per token on L1-sized row blocks. Results
// are within the package's float bound of the pure-Go loop on the widened weights. Rows may
// be split across goroutines sharing one PackedF32, like GemmF32Packed.
func GemmHalfPacked(dst []float32, ldDst int, w []uint16, kind Half, rows int, p *PackedF32) {
	checkHalf("GemmHalfPacked", kind)
	n, cols := p.n, p.cols
	checkGemm("GemmHalfPacked", len(dst), ldDst, len(w), rows, cols, len(p.x), n)
	if rows == 0 || n == 0 {
		return
	}
	if cols == 0 {
		for t := 0; t < n; t++ {
			clear(dst[t*ldDst : t*ldDst+rows])
		}
		return
	}
	w = w[:rows*cols]
	if p.isa == cur && gemmHalfPackedArch(dst, ldDst, w, kind, rows, p) {
		return
	}
	gemmHalfRowBlocked(dst, ldDst, w, kind, rows, cols, p.x, n)
}

// gemmHalfRowBlocked runs the GEMV once per token over blocks of about 32 KiB of weights,
// so a block comes from DRAM once and from L1 for the other tokens.
func gemmHalfRowBlocked(dst []float32, ldDst int, w []uint16, kind Half, rows, cols int, x []float32, n int) {
	rb := gemmRowBlock(cols * 2)
	for r0 := 0; r0 < rows; r0 += rb {
		nr := min(rb, rows-r0)
		wb := w[r0*cols : (r0+nr)*cols]
		for t := 0; t < n; t++ {
			impl.gemvHalf(dst[t*ldDst+r0:t*ldDst+r0+nr], wb, kind, nr, cols, x[t*cols:t*cols+cols])
		}
	}
}

func checkHalf(name string, kind Half) {
	if kind != BF16 && kind != F16 {
		panic(fmt.Sprintf("kernels.%s: unknown half format %v", name, kind))
	}
}

// halfToF32 widens one weight (the pure-Go reference of every half kernel).
func halfToF32(h uint16, kind Half) float32 {
	if kind == BF16 {
		return math.Float32frombits(uint32(h) << 16)
	}
	return math.Float32frombits(f16Bits(h))
}

// widenHalf widens src into dst with the current level's conversion kernel.
func widenHalf(dst []float32, src []uint16, kind Half) {
	if kind == BF16 {
		impl.bf16ToF32(dst, src)
	} else {
		impl.f16ToF32(dst, src)
	}
}

// dotHalfGeneric is dotF32Generic with the weight widened on the fly: same order, same
// roundings (one product rounding, one sum rounding per term).
func dotHalfGeneric(w []uint16, kind Half, x []float32) float32 {
	x = x[:len(w)]
	var s float32
	if kind == BF16 {
		for i, h := range w {
			s += math.Float32frombits(uint32(h)<<16) * x[i]
		}
		return s
	}
	for i, h := range w {
		s += math.Float32frombits(f16Bits(h)) * x[i]
	}
	return s
}

func gemvHalfGeneric(dst []float32, w []uint16, kind Half, rows, cols int, x []float32) {
	for r := 0; r < rows; r++ {
		dst[r] = dotHalfGeneric(w[r*cols:r*cols+cols], kind, x)
	}
}
