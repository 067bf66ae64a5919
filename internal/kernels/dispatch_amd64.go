//go:build amd64

package kernels

import (
	"strings"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// hasAVX2 and hasAVX512 gate the assembly levels. The AVX-512 level also uses every AVX2
// kernel it does not override, so it requires the AVX2 set too.
var (
	hasAVX2    = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C
	hasAVXVNNI = hasAVX2 && cpu.X86.HasAVXVNNI
	hasAVX512  = hasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL &&
		cpu.X86.HasAVX512VNNI
)

func addArchSets() {
	if hasAVX2 {
		s := genericSet
		s.gemvInt8 = gemvInt8AVX2
		s.dotInt8 = dotInt8AVX2
		s.gemmInt8 = gemmInt8AVX2
		s.rowSums = rowSumsAVX2
		s.dotF32 = dotF32AVX2
		s.gemvF32 = gemvF32AVX2
		s.axpyF32 = axpyF32AVX2
		s.amaxF32 = amaxF32AVX2
		s.quantF32 = quantF32AVX2
		s.dequant = dequantAVX2
		s.gemmF32 = gemmF32AVX2
		s.f16ToF32 = f16ToF32AVX2
		s.bf16ToF32 = bf16ToF32AVX2
		s.gemvHalf = gemvHalfAVX2
		if hasExpFMA {
			s.siluF32 = siluF32AVX2
			s.expShiftedF32 = expShiftedF32AVX2
		}
		sets[AVX2] = &s
	}
	if hasAVXVNNI {
		s := *sets[AVX2]
		s.gemmInt8 = gemmInt8AVXVNNI
		s.gemvInt8 = gemvInt8AVXVNNI
		sets[AVXVNNI] = &s
	}
	if hasAVX512 {
		s := *sets[AVX2]
		s.gemvInt8 = gemvInt8AVX512
		s.dotInt8 = dotInt8AVX512
		s.gemmInt8 = gemmInt8AVX512
		s.rowSums = rowSumsAVX512
		s.gemmF32 = gemmF32AVX512
		s.bf16ToF32 = bf16ToF32AVX512
		s.f16ToF32 = f16ToF32AVX512
		if hasExpFMA {
			s.siluF32 = siluF32AVX512
			s.expShiftedF32 = expShiftedF32AVX512
		}
		sets[AVX512] = &s
	}
}

//go:noescape
func gemvInt8VNNI(dst *int32, w *int8, rows, cols int, x *int8, comp *int32)

func gemvInt8AVX512(dst []int32, w []int8, rows, cols int, x []int8, comp []int32) {
	var c *int32
	if comp != nil {
		c = &comp[0]
	}
	gemvInt8VNNI(&dst[0], &w[0], rows, cols, &x[0], c)
}

func dotInt8AVX512(a, b []int8) int32 {
	var d int32
	gemvInt8VNNI(&d, &a[0], 1, len(a), &b[0], nil)
	return d
}

func rowSumsAVX512(comp []int32, w []int8, rows, cols int) {
	rowSums128VNNI(&comp[0], &w[0], rows, cols)
}

// packArch builds the tile layout when the AVX-512 or AVX-VNNI kernels are active.
func packArch(p *PackedInt8) {
	switch cur {
	case AVX512:
		packInt8AVX512(p)
	case AVXVNNI:
		packInt8AVXVNNI(p)
	}
}

// gemmPackedArch runs the packed product if p carries a layout for the active level.
func gemmPackedArch(dst []int32, ldDst int, w []int8, rows int, p *PackedInt8, comp []int32) bool {
	switch cur {
	case AVX512:
		gemmInt8PackedAVX512(dst, ldDst, w, rows, p, comp)
	case AVXVNNI:
		gemmInt8PackedAVXVNNI(dst, ldDst, w, rows, p, comp)
	default:
		return false
	}
	return true
}

// packArchF32 packs p for the float32 tile paths (every assembly level has one) when n is
// large enough for them; p.nTile stays 0 otherwise.
func packArchF32(p *PackedF32) {
	if cur == Generic || p.n < tileMinToks {
		return
	}
	blk := tileToks * p.cols * 4
	nb := (p.n + tileToks - 1) / tileToks
	if cap(p.buf) < nb*blk {
		p.buf = make([]byte, nb*blk)
	}
	p.buf = p.buf[:nb*blk]
	xb := unsafe.Slice((*byte)(unsafe.Pointer(&p.x[0])), 4*len(p.x))
	for b := 0; b < nb; b++ {
		t0 := b * tileToks
		packTokens(p.buf[b*blk:], xb[4*t0*p.cols:], 4*p.cols, p.cols, min(tileToks, p.n-t0), 0)
	}
	p.nTile = p.n
}

// gemmPackedArchF32 runs the packed float32 product if p carries a layout.
func gemmPackedArchF32(dst []float32, ldDst int, w []float32, rows int, p *PackedF32) bool {
	if p.nTile == 0 {
		return false
	}
	if cur == AVX512 && scatterOK(ldDst) {
		gemmF32Tiled512(dst, ldDst, w, rows, p.cols, p.x, p.n, p.buf)
	} else {
		gemmF32AVX2Tiled(dst, ldDst, w, rows, p.cols, p.x, p.n, p.buf)
	}
	return true
}

// CPUFeatures lists the instruction-set extensions that matter to these kernels and are
// present (CPUID, and OS support where x/sys/cpu checks it), used or not: e.g. AMX, which no
// kernel uses, shows whether a matrix-unit kernel would have hardware to run on.
func CPUFeatures() string {
	var out []string
	for _, f := range []struct {
		name string
		has  bool
	}{
		{"avx2", cpu.X86.HasAVX2}, {"fma", cpu.X86.HasFMA}, {"f16c", cpu.X86.HasF16C},
		{"avx-vnni", cpu.X86.HasAVXVNNI}, {"avx512f", cpu.X86.HasAVX512F},
		{"avx512bw", cpu.X86.HasAVX512BW}, {"avx512vl", cpu.X86.HasAVX512VL},
		{"avx512-vnni", cpu.X86.HasAVX512VNNI}, {"avx512-bf16", cpu.X86.HasAVX512BF16},
		{"amx-tile", cpu.X86.HasAMXTile}, {"amx-int8", cpu.X86.HasAMXInt8}, {"amx-bf16", cpu.X86.HasAMXBF16},
	} {
		if f.has {
			out = append(out, f.name)
		}
	}
	return strings.Join(out, " ")
}
