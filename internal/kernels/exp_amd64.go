//go:build amd64

package kernels

import "golang.org/x/sys/cpu"

// hasExpFMA mirrors math's own test (useFMA in src/math/exp_amd64.go): with AVX and FMA,
// math.Exp runs its FMA branch, which the vector kernels reproduce lane by lane.
var hasExpFMA = hasAVX2 && cpu.X86.HasAVX && cpu.X86.HasFMA

// The assembly processes whole blocks (8 float32 for AVX-512, 4 for AVX2) of a length that
// is a multiple of the block, and stops before the first block holding a NaN argument,
// returning how many elements it wrote. The wrappers run that block and the tail with the
// scalar code, then resume.

//go:noescape
func siluF32AVX512Asm(v *float32, n int) int

//go:noescape
func expShiftedF32AVX512Asm(dst, src *float32, n int, mx float32) int

//go:noescape
func siluF32AVX2Asm(v *float32, n int) int

//go:noescape
func expShiftedF32AVX2Asm(dst, src *float32, n int, mx float32) int

func siluF32AVX512(v []float32) { siluBlocks(v, 8, siluF32AVX512Asm) }
func siluF32AVX2(v []float32)   { siluBlocks(v, 4, siluF32AVX2Asm) }

func expShiftedF32AVX512(dst, src []float32, mx float32) {
	expBlocks(dst, src, mx, 8, expShiftedF32AVX512Asm)
}

func expShiftedF32AVX2(dst, src []float32, mx float32) {
	expBlocks(dst, src, mx, 4, expShiftedF32AVX2Asm)
}

func siluBlocks(v []float32, blk int, asm func(v *float32, n int) int) {
	nb := len(v) - len(v)%blk
	for i := 0; i < nb; {
		i += asm(&v[i], nb-i)
		if i < nb { // a block with a NaN argument
			siluF32Generic(v[i : i+blk])
			i += blk
		}
	}
	siluF32Generic(v[nb:])
}

func expBlocks(dst, src []float32, mx float32, blk int, asm func(dst, src *float32, n int, mx float32) int) {
	dst = dst[:len(src)]
	nb := len(src) - len(src)%blk
	for i := 0; i < nb; {
		i += asm(&dst[i], &src[i], nb-i, mx)
		if i < nb {
			expShiftedF32Generic(dst[i:i+blk], src[i:i+blk], mx)
			i += blk
		}
	}
	expShiftedF32Generic(dst[nb:], src[nb:], mx)
}

// Test hooks: the float64 core alone (see exp_amd64_test.go).

//go:noescape
func expF64AVX512Asm(dst, src *float64, n int)

//go:noescape
func expF64AVX2Asm(dst, src *float64, n int)
