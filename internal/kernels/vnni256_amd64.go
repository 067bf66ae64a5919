//go:build amd64

package kernels

//go:noescape
func gemmInt8VNNI256Tile6x16(out *[96]int32, w *int8, wstride int, xp *byte, kq, nrows int)

// vnni256MinToks is the token count from which the AVX-VNNI tile beats the AVX2 path.
const vnni256MinToks = 8

// vnni256TileRows is the row count of the AVX-VNNI tile kernel.
const vnni256TileRows = 6

// gemmInt8AVXVNNI is the int8 GEMM for the AVXVNNI level: the AVX-512 path's structure
// (tokens packed as u8 in 32-token blocks, superblocks of packBudget bytes, each weight
// panel run over every block of a superblock) with a 6-row x 16-token ymm tile whose results
// go through a small buffer (AVX2 has no scatter). Exact like every int8 kernel: the tile
// sums (x+128)*w and 128*sum w is subtracted here.
func gemmInt8AVXVNNI(dst []int32, ldDst int, w []int8, rows, cols int, x []int8, n int, comp []int32) {
	if n < vnni256MinToks || cols < 4 || rows < tileMinRowsInt8 {
		gemmInt8AVX2(dst, ldDst, w, rows, cols, x, n, comp)
		return
	}
	gemmInt8VNNI256Tiled(dst, ldDst, w, rows, cols, x, n, comp, nil)
}

// packInt8AVXVNNI prepares p for the AVXVNNI level's packed product: all n tokens in the
// tile layout (the AVX-VNNI tile takes any token count from vnni256MinToks on).
func packInt8AVXVNNI(p *PackedInt8) {
	if p.n >= vnni256MinToks && p.cols >= 4 {
		packTileBlocks(p, p.n)
	}
}

// gemmInt8PackedAVXVNNI is GemmInt8Packed at the AVXVNNI level.
func gemmInt8PackedAVXVNNI(dst []int32, ldDst int, w []int8, rows int, p *PackedInt8, comp []int32) {
	if p.nTile == 0 {
		gemmInt8AVX2(dst, ldDst, w, rows, p.cols, p.x, p.n, comp)
		return
	}
	gemmInt8VNNI256Tiled(dst, ldDst, w, rows, p.cols, p.x, p.n, comp, p.buf)
}

// gemmInt8VNNI256Tiled runs the AVX-VNNI tile over tokens [0, n). pre, if not nil, holds
// them packed (packInt8AVXVNNI); otherwise each superblock is packed into pooled scratch.
func gemmInt8VNNI256Tiled(dst []int32, ldDst int, w []int8, rows, cols int, x []int8, n int, comp []int32, pre []byte) {
	kq := cols / 4
	sc := gemmPool.Get().(*gemmScratch)
	tb := newTokenBlocks(sc, x, n, cols, pre)
	if comp == nil {
		if cap(sc.comp) < rows {
			sc.comp = make([]int32, rows)
		}
		comp = sc.comp[:rows]
		rowSumsAVX2(comp, w, rows, cols)
	}
	var out [vnni256TileRows * 16]int32
	for s0 := 0; s0 < n; s0 += tb.step {
		xp, nb := tb.at(s0)
		for r0 := 0; r0 < rows; r0 += vnni256TileRows {
			nr := min(vnni256TileRows, rows-r0)
			for b := 0; b < nb; b++ {
				for h := 0; h < 2; h++ {
					t0 := s0 + b*tileToks + 16*h
					nt := min(16, n-t0)
					if nt <= 0 {
						break
					}
					gemmInt8VNNI256Tile6x16(&out, &w[r0*cols], cols, &xp[b*tb.blk+64*h], kq, nr)
					for r := 0; r < nr; r++ {
						c := comp[r0+r]
						o := out[r*16 : r*16+nt]
						for t, v := range o {
							dst[(t0+t)*ldDst+r0+r] = v - c
						}
					}
				}
			}
		}
	}
	gemmPool.Put(sc)
	addShiftedTail(dst, ldDst, w, rows, cols, x, n)
}

//go:noescape
func gemvInt8VNNI256Raw(dst *int32, w *int8, rows, cols, stride int, x *int8)

// gemvInt8AVXVNNI is the AVX-VNNI level's GEMV: the assembly sums (x+128)*w over the first
// cols&^31 columns, Go adds the rest the same way, and 128*sum w (comp) is subtracted, which
// leaves sum x*w exactly. Without comp it is the AVX2 GEMV (computing the row sums would read
// the weights twice).
func gemvInt8AVXVNNI(dst []int32, w []int8, rows, cols int, x []int8, comp []int32) {
	c32 := cols &^ 31
	if comp == nil || c32 == 0 {
		gemvInt8AVX2(dst, w, rows, cols, x, comp)
		return
	}
	gemvInt8VNNI256Raw(&dst[0], &w[0], rows, c32, cols, &x[0])
	xt := x[c32:cols]
	for r := 0; r < rows; r++ {
		s := dst[r]
		for k, wv := range w[r*cols+c32 : r*cols+cols] {
			s += (int32(xt[k]) + 128) * int32(wv)
		}
		dst[r] = s - comp[r]
	}
}
