//go:build amd64

package kernels

import "unsafe"

//go:noescape
func gemvBF16AVX2Asm(dst *float32, w *uint16, rows, cols, stride int, x *float32)

//go:noescape
func gemvF16AVX2Asm(dst *float32, w *uint16, rows, cols, stride int, x *float32)

// gemvHalfAVX2 runs the assembly on the first cols&^7 columns; the rest is added in Go.
// Decode GEMV is bound by DRAM bandwidth, so the AVX-512 level uses it too.
func gemvHalfAVX2(dst []float32, w []uint16, kind Half, rows, cols int, x []float32) {
	c8 := cols &^ 7
	if c8 > 0 {
		if kind == BF16 {
			gemvBF16AVX2Asm(&dst[0], &w[0], rows, c8, cols, &x[0])
		} else {
			gemvF16AVX2Asm(&dst[0], &w[0], rows, c8, cols, &x[0])
		}
	} else {
		clear(dst[:rows])
	}
	if c8 < cols {
		xt := x[c8:cols]
		for r := 0; r < rows; r++ {
			dst[r] += dotHalfGeneric(w[r*cols+c8:r*cols+cols], kind, xt)
		}
	}
}

// halfPanelRows and avx2PanelRows are how many weight rows the tile path widens at a time:
// one AVX-512 tile height, two AVX2 tile heights; 8 rows x 4096 columns of float32 (128
// KiB) stay in L2 next to the token superblock while every token block runs over them.
const (
	halfPanelRows = tileRows
	avx2PanelRows = 2 * avx2TileRows
)

// gemmHalfPackedArch runs the tiled product when p carries the packed layout: per token
// superblock (packBudget bytes) and column chunk (tileChunkCols), each panel of weight
// rows (8 at AVX-512, 12 at AVX2) is widened with the level's conversion kernel and
// multiplied with the float32 register tile (AVX-512: 8x32 with transposed stores; AVX2:
// avx2TileBlock; both continue the sums of earlier chunks) against every token block.
func gemmHalfPackedArch(dst []float32, ldDst int, w []uint16, kind Half, rows int, p *PackedF32) bool {
	if p.nTile == 0 {
		return false
	}
	n, cols := p.n, p.cols
	use512 := cur == AVX512 && scatterOK(ldDst)
	var idx [16]int32
	for t := range idx {
		idx[t] = int32(t * ldDst)
	}
	blk := tileToks * cols * 4
	kc, pr := tileChunkCols(cols), avx2PanelRows
	if use512 {
		pr = halfPanelRows
	}
	nbAll := (n + tileToks - 1) / tileToks
	superBlocks := min(max(1, packBudget/(tileToks*kc*4)), nbAll)
	sc := gemmPool.Get().(*gemmScratch)
	if cap(sc.wf) < pr*kc {
		sc.wf = make([]float32, pr*kc)
	}
	for s0 := 0; s0 < n; s0 += superBlocks * tileToks {
		ns := min(superBlocks*tileToks, n-s0)
		nb := (ns + tileToks - 1) / tileToks
		xp := p.buf[s0/tileToks*blk:]
		for c0 := 0; c0 < cols; c0 += kc {
			nk := min(kc, cols-c0)
			panel := sc.wf[:pr*nk]
			for r0 := 0; r0 < rows; r0 += pr {
				nr := min(pr, rows-r0)
				if nk == cols {
					widenHalf(panel[:nr*cols], w[r0*cols:(r0+nr)*cols], kind)
				} else {
					for r := 0; r < nr; r++ {
						o := (r0+r)*cols + c0
						widenHalf(panel[r*nk:(r+1)*nk], w[o:o+nk], kind)
					}
				}
				for b := 0; b < nb; b++ {
					t0 := s0 + b*tileToks
					nt := min(tileToks, n-t0)
					xo := b*blk + c0*tileToks*4
					if use512 {
						mask := uint64(1)<<nt - 1
						// Block 0 prefetches the next panel's half weights toward L2 (64
						// bytes per 4 columns = 8 rows x 2 bytes x cols), so the next widen
						// reads from L2: ~10% faster at 4096x4096. Otherwise the prefetch
						// re-touches the tile's own tokens.
						pf := uintptr(unsafe.Pointer(&xp[xo]))
						if b == 0 && nk == cols && r0+pr < rows {
							pf = uintptr(unsafe.Pointer(&w[(r0+pr)*cols+c0]))
						}
						gemmF32Tile8x32(&dst[t0*ldDst+r0], ldDst, &panel[0], nk, nk, &xp[xo], nr, mask, &idx[0], min(c0, 1), pf)
						continue
					}
					avx2TileBlock(dst[t0*ldDst+r0:], ldDst, panel, nk, nr, xp[xo:], nk, nt, min(c0, 1))
				}
			}
		}
	}
	gemmPool.Put(sc)
	return true
}
