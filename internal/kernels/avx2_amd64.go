//go:build amd64

package kernels

import "unsafe"

//go:noescape
func gemvInt8AVX2Asm(dst *int32, w *int8, rows, cols, stride int, x *int8)

//go:noescape
func gemvF32AVX2Asm(dst *float32, w *float32, rows, cols, stride int, x *float32)

//go:noescape
func axpyF32AVX2Asm(y *float32, a float32, x *float32, n int)

//go:noescape
func amaxF32AVX2Asm(src *float32, n int) float32

//go:noescape
func quantF32AVX2Asm(dst *int8, src *float32, n int, scale float32)

//go:noescape
func dequantAVX2Asm(dst *float32, acc *int32, inv float32, scaleW *float32, n int)

//go:noescape
func cvtInt8Int16AVX2Asm(dst *int16, src *int8, n int)

//go:noescape
func gemmInt8AVX2Tile2x4(out *[8]int32, w *int8, wstride int, x16 *int16, xstride int, cols int, nrows, ntok int)

//go:noescape
func gemmF32AVX2Tile6x16(out *[96]float32, w *float32, wstride int, xp *byte, kq, nrows, acc int)

//go:noescape
func f16ToF32AVX2Asm(dst *float32, src *uint16, n int)

//go:noescape
func bf16ToF32AVX2Asm(dst *float32, src *uint16, n int)

// gemvInt8AVX2 runs the assembly on the first cols&^15 columns and adds the rest in Go.
// comp is not needed: sign extension makes the products exact without a shift.
func gemvInt8AVX2(dst []int32, w []int8, rows, cols int, x []int8, _ []int32) {
	c16 := cols &^ 15
	if c16 > 0 {
		gemvInt8AVX2Asm(&dst[0], &w[0], rows, c16, cols, &x[0])
	} else {
		clear(dst[:rows])
	}
	if c16 < cols {
		xt := x[c16:cols]
		for r := 0; r < rows; r++ {
			dst[r] += dotInt8Generic(w[r*cols+c16:r*cols+cols], xt)
		}
	}
}

func dotInt8AVX2(a, b []int8) int32 {
	var d int32
	gemvInt8AVX2(unsafeOne(&d), a, 1, len(a), b, nil)
	return d
}

func unsafeOne(p *int32) []int32 { return unsafe.Slice(p, 1) }

// avx2RowBlockBytes is the int8 weight block the AVX2 GEMM keeps in L2 while it walks all
// token tiles of a superblock (a variable so tests can force several blocks).
var avx2RowBlockBytes = 512 << 10

// avx2TileMinToks is the token count from which the 2x4 register tile beats row-blocked
// GEMVs (BenchmarkGemmInt8AVX2Paths).
const avx2TileMinToks = 3

// gemmInt8AVX2 is the AVX2 int8 GEMM: tokens are sign-extended to int16 once per superblock
// (packBudget bytes), weights are walked in row blocks of ~512 KiB (L2) and, inside a block,
// in 4-token x 2-row register tiles, so each weight byte comes from DRAM once per superblock
// and each int16 token vector from L1. Columns past the last multiple of 16 are added in Go.
func gemmInt8AVX2(dst []int32, ldDst int, w []int8, rows, cols int, x []int8, n int, comp []int32) {
	if n < avx2TileMinToks || cols < 16 {
		gemmInt8AVX2RowBlocked(dst, ldDst, w, rows, cols, x, n, comp)
		return
	}
	gemmInt8AVX2Tiled(dst, ldDst, w, rows, cols, x, n)
}

func gemmInt8AVX2Tiled(dst []int32, ldDst int, w []int8, rows, cols int, x []int8, n int) {
	c16 := cols &^ 15
	superToks := max(4, min(n, packBudget/(2*cols))&^3)
	rb := max(2, avx2RowBlockBytes/cols&^1)
	sc := gemmPool.Get().(*gemmScratch)
	if cap(sc.x16) < superToks*cols {
		sc.x16 = make([]int16, superToks*cols)
	}
	var out [8]int32
	for s0 := 0; s0 < n; s0 += superToks {
		ns := min(superToks, n-s0)
		x16 := sc.x16[:ns*cols]
		cvtInt8Int16(x16, x[s0*cols:(s0+ns)*cols])
		for rb0 := 0; rb0 < rows; rb0 += rb {
			rEnd := min(rb0+rb, rows)
			for t0 := 0; t0 < ns; t0 += 4 {
				nt := min(4, ns-t0)
				for r0 := rb0; r0 < rEnd; r0 += 2 {
					nr := min(2, rEnd-r0)
					gemmInt8AVX2Tile2x4(&out, &w[r0*cols], cols, &x16[t0*cols], cols, c16, nr, nt)
					for r := 0; r < nr; r++ {
						for t := 0; t < nt; t++ {
							dst[(s0+t0+t)*ldDst+r0+r] = out[r*4+t]
						}
					}
				}
			}
		}
	}
	gemmPool.Put(sc)
	if c16 < cols {
		for r := 0; r < rows; r++ {
			wr := w[r*cols+c16 : r*cols+cols]
			for t := 0; t < n; t++ {
				dst[t*ldDst+r] += dotInt8Generic(wr, x[t*cols+c16:t*cols+cols])
			}
		}
	}
}

// cvtInt8Int16 sign-extends src into dst (len(dst) >= len(src)).
func cvtInt8Int16(dst []int16, src []int8) {
	n16 := len(src) &^ 15
	if n16 > 0 {
		cvtInt8Int16AVX2Asm(&dst[0], &src[0], n16)
	}
	for i := n16; i < len(src); i++ {
		dst[i] = int16(src[i])
	}
}

// gemmInt8AVX2RowBlocked walks blocks of gemmRowBlock weight rows (kept in L1/L2) and runs
// the GEMV kernel once per token on each block, so each weight byte comes from DRAM once per
// call. Used for small n.
func gemmInt8AVX2RowBlocked(dst []int32, ldDst int, w []int8, rows, cols int, x []int8, n int, comp []int32) {
	rb := gemmRowBlock(cols)
	for r0 := 0; r0 < rows; r0 += rb {
		nr := min(rb, rows-r0)
		wb := w[r0*cols : (r0+nr)*cols]
		for t := 0; t < n; t++ {
			gemvInt8AVX2(dst[t*ldDst+r0:t*ldDst+r0+nr], wb, nr, cols, x[t*cols:t*cols+cols], nil)
		}
	}
}

func dotF32AVX2(a, b []float32) float32 {
	var d float32
	gemvF32AVX2(unsafeOneF(&d), a, 1, len(a), len(a), b)
	return d
}

func unsafeOneF(p *float32) []float32 { return unsafe.Slice(p, 1) }

// gemvF32AVX2 runs the assembly on the first cols&^7 columns; the rest is added in Go.
func gemvF32AVX2(dst []float32, w []float32, rows, cols, ldW int, x []float32) {
	c8 := cols &^ 7
	if c8 > 0 {
		gemvF32AVX2Asm(&dst[0], &w[0], rows, c8, ldW, &x[0])
	} else {
		clear(dst[:rows])
	}
	if c8 < cols {
		xt := x[c8:cols]
		for r := 0; r < rows; r++ {
			dst[r] += dotF32Generic(w[r*ldW+c8:r*ldW+cols], xt)
		}
	}
}

func gemmF32AVX2(dst []float32, ldDst int, w []float32, rows, cols int, x []float32, n int) {
	if n >= tileMinToks && rows >= tileMinRowsF32 {
		gemmF32AVX2Tiled(dst, ldDst, w, rows, cols, x, n, nil)
		return
	}
	rb := gemmRowBlock(cols * 4)
	for r0 := 0; r0 < rows; r0 += rb {
		nr := min(rb, rows-r0)
		wb := w[r0*cols : (r0+nr)*cols]
		for t := 0; t < n; t++ {
			gemvF32AVX2(dst[t*ldDst+r0:t*ldDst+r0+nr], wb, nr, cols, cols, x[t*cols:t*cols+cols])
		}
	}
}

// gemmF32AVX2Tiled runs the 6-row x 16-token FMA tile (avx2TileBlock) with the AVX-512
// path's blocking: packed 32-token superblocks and column chunks (gemmF32Blocked).
func gemmF32AVX2Tiled(dst []float32, ldDst int, w []float32, rows, cols int, x []float32, n int, pre []byte) {
	gemmF32Blocked(rows, cols, x, n, pre, avx2TileRows, func(r0, nr, c0, nk, t0 int, xb []byte) {
		avx2TileBlock(dst[t0*ldDst+r0:], ldDst, w[r0*cols+c0:], cols, nr, xb, nk, min(tileToks, n-t0), min(c0, 1))
	})
}

// avx2TileRows is the row height of the AVX2 float32 tile (gemmF32AVX2Tile6x16).
const avx2TileRows = 6

// avx2TileBlock computes rows [0, nr) of the weight rows w (row stride ws floats, kq
// columns) against one packed 32-token block xp with nt valid tokens, with the 6x16 tile
// on each 16-token half, and stores dst[t*ld+r]. AVX2 has no scatter: results go through
// a small buffer, which with acc != 0 is first loaded from dst so the sums continue those
// of an earlier column chunk (in the same order as one pass).
func avx2TileBlock(dst []float32, ld int, w []float32, ws, nr int, xp []byte, kq, nt, acc int) {
	var out [96]float32
	for r0 := 0; r0 < nr; r0 += avx2TileRows {
		n6 := min(avx2TileRows, nr-r0)
		for h := 0; h < nt; h += 16 {
			nh := min(16, nt-h)
			if acc != 0 {
				for r := 0; r < n6; r++ {
					for t := 0; t < nh; t++ {
						out[r*16+t] = dst[(h+t)*ld+r0+r]
					}
				}
			}
			gemmF32AVX2Tile6x16(&out, &w[r0*ws], ws, &xp[h*4], kq, n6, acc)
			for r := 0; r < n6; r++ {
				for t := 0; t < nh; t++ {
					dst[(h+t)*ld+r0+r] = out[r*16+t]
				}
			}
		}
	}
}

func f16ToF32AVX2(dst []float32, src []uint16) {
	n8 := len(src) &^ 7
	if n8 > 0 {
		f16ToF32AVX2Asm(&dst[0], &src[0], n8)
	}
	f16ToF32Generic(dst[n8:], src[n8:])
}

func bf16ToF32AVX2(dst []float32, src []uint16) {
	n8 := len(src) &^ 7
	if n8 > 0 {
		bf16ToF32AVX2Asm(&dst[0], &src[0], n8)
	}
	bf16ToF32Generic(dst[n8:], src[n8:])
}

// onesInt8 is the all-ones vector rowSumsAVX2 multiplies weights by (column chunks of 4096).
var onesInt8 = func() (o [4096]int8) {
	for i := range o {
		o[i] = 1
	}
	return
}()

// rowSumsAVX2 computes 128*sum_k w[r,k] as the exact dot with a ones vector, in blocks of
// 64 rows x 4096 columns (the GEMV kernel's stride argument walks the column chunks).
func rowSumsAVX2(comp []int32, w []int8, rows, cols int) {
	var part [64]int32
	for r0 := 0; r0 < rows; r0 += len(part) {
		nr := min(len(part), rows-r0)
		acc := comp[r0 : r0+nr]
		clear(acc)
		for c0 := 0; c0 < cols; c0 += len(onesInt8) {
			nc := min(len(onesInt8), cols-c0)
			c16 := nc &^ 15
			if c16 > 0 {
				gemvInt8AVX2Asm(&part[0], &w[r0*cols+c0], nr, c16, cols, &onesInt8[0])
				for i := range acc {
					acc[i] += part[i]
				}
			}
			for r := 0; r < nr; r++ {
				for _, v := range w[(r0+r)*cols+c0+c16 : (r0+r)*cols+c0+nc] {
					acc[r] += int32(v)
				}
			}
		}
		for i := range acc {
			acc[i] *= 128
		}
	}
}

func axpyF32AVX2(y []float32, a float32, x []float32) {
	n8 := len(x) &^ 7
	if n8 > 0 {
		axpyF32AVX2Asm(&y[0], a, &x[0], n8)
	}
	axpyF32FMA(y[n8:], a, x[n8:])
}

func amaxF32AVX2(src []float32) float32 {
	n32 := len(src) &^ 31
	var m float32
	if n32 > 0 {
		m = amaxF32AVX2Asm(&src[0], n32)
	}
	return max(m, amaxF32Generic(src[n32:]))
}

func quantF32AVX2(dst []int8, src []float32, scale float32) {
	n32 := len(src) &^ 31
	if n32 > 0 {
		quantF32AVX2Asm(&dst[0], &src[0], n32, scale)
	}
	quantF32Generic(dst[n32:], src[n32:], scale)
}

func dequantAVX2(dst []float32, acc []int32, inv float32, scaleW []float32) {
	n8 := len(acc) &^ 7
	if n8 > 0 {
		dequantAVX2Asm(&dst[0], &acc[0], inv, &scaleW[0], n8)
	}
	dequantGeneric(dst[n8:], acc[n8:], inv, scaleW[n8:])
}
