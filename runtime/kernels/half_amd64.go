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

// halfPanelRows is how many weight rows the tile path widens at a time: one AVX-512 tile
// height (four AVX2 tiles); 8 rows x cols float32 (128 KiB at cols 4096) stay in L2 next to
// the token superblock while every token block of the superblock runs over them.
const halfPanelRows = tileRows

// gemmHalfPackedArch runs the tiled product when p carries the packed layout: per token
// superblock (packBudget bytes), each panel of halfPanelRows weight rows is widened with
// the level's conversion kernel and multiplied with the float32 register tile (AVX-512:
// 8x32 with scatter stores; AVX2: 2x32 through a small buffer) against every token block.
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
	nbAll := (n + tileToks - 1) / tileToks
	superBlocks := min(max(1, packBudget/blk), nbAll)
	sc := gemmPool.Get().(*gemmScratch)
	if cap(sc.wf) < halfPanelRows*cols {
		sc.wf = make([]float32, halfPanelRows*cols)
	}
	panel := sc.wf[:halfPanelRows*cols]
	var out [64]float32
	for s0 := 0; s0 < n; s0 += superBlocks * tileToks {
		ns := min(superBlocks*tileToks, n-s0)
		nb := (ns + tileToks - 1) / tileToks
		xp := p.buf[s0/tileToks*blk:]
		for r0 := 0; r0 < rows; r0 += halfPanelRows {
			nr := min(halfPanelRows, rows-r0)
			widenHalf(panel[:nr*cols], w[r0*cols:(r0+nr)*cols], kind)
			for b := 0; b < nb; b++ {
				t0 := s0 + b*tileToks
				nt := min(tileToks, n-t0)
				if use512 {
					mask := uint64(1)<<nt - 1
					pf := uintptr(unsafe.Pointer(&xp[b*blk]))
					if b == 0 && r0+halfPanelRows < rows {
						pf = uintptr(unsafe.Pointer(&w[(r0+halfPanelRows)*cols]))
					}
					gemmF32Tile8x32(&dst[t0*ldDst+r0], ldDst, &panel[0], cols, cols, &xp[b*blk], nr, mask, &idx[0], pf)
					continue
				}
				for rr := 0; rr < nr; rr += 2 {
					nr2 := min(2, nr-rr)
					gemmF32AVX2Tile2x32(&out, &panel[rr*cols], cols, &xp[b*blk], cols, nr2)
					for r := 0; r < nr2; r++ {
						for t := 0; t < nt; t++ {
							dst[(t0+t)*ldDst+r0+rr+r] = out[r*tileToks+t]
						}
					}
				}
			}
		}
	}
	gemmPool.Put(sc)
	return true
}
