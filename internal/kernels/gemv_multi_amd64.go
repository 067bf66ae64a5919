//go:build amd64

package kernels

import "sync"

//go:noescape
func gemvF32x4AVX512Asm(dst *float32, ldDst int, w *float32, ldW, rows, c8, cols int, xp *float32)

// multiScratch holds gemvF32MultiArch's packed vectors and the padded group's outputs.
type multiScratch struct{ xp, d []float32 }

var multiPool = sync.Pool{New: func() any { return new(multiScratch) }}

// gemvF32MultiArch runs GemvF32Multi on the AVX-512 level: vectors in groups of four
// through gemvF32x4AVX512Asm (each weight row read once per group, two vectors per zmm
// FMA); a last group of two or three is padded with copies of its last vector and written
// to scratch, a single last vector goes through gemvF32AVX2. Every output gets the
// arithmetic of gemvF32AVX2, which the AVX-512 set uses for GemvF32Stride: the assembly
// reproduces gemvF32AVX2Asm lane for lane on the first cols&^7 columns and gemvF32AVX2's
// Go tail (dotF32Generic, unfused, in column order) on the rest, and no lane's sum reads
// another lane's values. Returns false on other levels.
func gemvF32MultiArch(dst []float32, ldDst int, w []float32, ldW, rows, cols int, x []float32, ldX, n int) bool {
	if cur != AVX512 {
		return false
	}
	c8 := cols &^ 7
	g := 0
	if c8 > 0 && n >= 2 {
		ms := multiPool.Get().(*multiScratch)
		if cap(ms.xp) < 4*cols {
			ms.xp = make([]float32, 4*cols)
		}
		xp := ms.xp[:4*cols]
		for ; g+2 <= n; g += 4 {
			m := min(4, n-g)
			for q := 0; q < 4; q++ {
				xq := x[(g+min(q, m-1))*ldX:]
				for b := 0; b < c8; b += 8 {
					*(*[8]float32)(xp[4*b+8*q:]) = *(*[8]float32)(xq[b:])
				}
				for k := c8; k < cols; k++ {
					xp[4*k+q] = xq[k]
				}
			}
			if m == 4 {
				d := dst[g*ldDst:]
				gemvF32x4AVX512Asm(&d[0], ldDst, &w[0], ldW, rows, c8, cols, &xp[0])
				continue
			}
			if cap(ms.d) < 4*rows {
				ms.d = make([]float32, 4*rows)
			}
			d := ms.d[:4*rows]
			gemvF32x4AVX512Asm(&d[0], rows, &w[0], ldW, rows, c8, cols, &xp[0])
			for q := 0; q < m; q++ {
				copy(dst[(g+q)*ldDst:(g+q)*ldDst+rows], d[q*rows:(q+1)*rows])
			}
		}
		g = min(g, n)
		multiPool.Put(ms)
	}
	for ; g < n; g++ {
		gemvF32AVX2(dst[g*ldDst:g*ldDst+rows], w, rows, cols, ldW, x[g*ldX:g*ldX+cols])
	}
	return true
}

// gemmF32ByGemvArch: gemmF32AVX2 and gemmF32AVX512 take the tiled path only for
// n >= tileMinToks; below it they run gemvF32AVX2 per token on row blocks (each row's sum
// does not depend on the blocking). The generic GEMM is a dot product per (row, token).
func gemmF32ByGemvArch(n int) bool { return cur == Generic || n < tileMinToks }
