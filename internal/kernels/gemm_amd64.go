//go:build amd64

package kernels

import (
	"math"
	"sync"
	"unsafe"
)

//go:noescape
func gemmInt8Tile8x32(dst *int32, ld int, w *int8, cols, kq int, xp *byte, comp *int32, nrows int, tokmask uint64, idx *int32)

//go:noescape
func gemmF32Tile8x32(dst *float32, ld int, w *float32, cols, kq int, xp *byte, nrows int, tokmask uint64, idx *int32, acc int, pf uintptr)

//go:noescape
func packTokensAVX512(xp *byte, x *byte, rowStride, kq, nt int, xor uint32)

//go:noescape
func packTokens32AVX512(xp *byte, x *byte, rowStride, kq int, xor uint32)

//go:noescape
func rowSums128VNNI(dst *int32, w *int8, rows, cols int)

// Tile shape of gemmInt8Tile8x32.
const (
	tileRows = 8
	tileToks = 32
)

// gemmScratch is per-call scratch: the packed token blocks and, when the caller passes no
// compensation, the row sums computed on the first superblock. Pooled so
// GemmInt8 allocates nothing in steady state and stays goroutine-safe.
type gemmScratch struct {
	xp   []byte
	comp []int32
	x16  []int16   // AVX2 path: tokens sign-extended to int16
	wf   []float32 // half-precision GEMM: one widened weight panel
}

var gemmPool = sync.Pool{New: func() any { return new(gemmScratch) }}

// tileMinToks is the smallest final token block worth the 32-token tile kernel (measured
// with BenchmarkGemmInt8Paths: the two paths break even near 14-16 tokens on a Xeon, ~18 on
// Zen 5, where a partial tile costs what a full one does and the row-blocked GEMV runs at
// ~57% of the full tile's rate); smaller remainders (and small n) go through the row-blocked
// GEMV, which wastes no lanes.
const tileMinToks = 16

// Below these row counts a call's token packing costs more than the tile saves over the
// GEMV paths (int8: row-blocked VNNI GEMV; float32: AVX2 GEMV per token). The break-even
// follows from the measured rates: pack n*cols elements vs rows*n*cols MACs. They were set
// when packing gathered (~10 GB/s); full blocks now pack at ~40 GB/s (Zen 5), which would put
// the int8 break-even near 16 rows. Left as is: the runtime's prefill uses PackedInt8, whose
// products have no row minimum, so only direct GemmInt8 callers with few rows would gain.
const (
	tileMinRowsInt8 = 48
	tileMinRowsF32  = 16
)

// gemmInt8AVX512 tiles dst into 8-row x 32-token blocks. Token blocks are packed once
// (shifted to u8, 4-byte groups interleaved across tokens) and reused by every row panel;
// each weight panel is streamed once per superblock of tokens (see packBudget). Columns
// past the last multiple of 4 (never the case for real models) are added by a scalar fix-up
// that uses the same shifted arithmetic, so the compensation stays the full-row one. A last
// partial block of fewer than tileMinToks tokens is done by gemmInt8RowBlocked.
func gemmInt8AVX512(dst []int32, ldDst int, w []int8, rows, cols int, x []int8, n int, comp []int32) {
	nTile := tileTokens(n, cols)
	if !scatterOK(ldDst) || rows < tileMinRowsInt8 {
		nTile = 0
	}
	if nTile > 0 {
		gemmInt8Tiled(dst, ldDst, w, rows, cols, x, nTile, comp, nil)
	}
	if nTile < n {
		gemmInt8RowBlocked(dst[nTile*ldDst:], ldDst, w, rows, cols, x[nTile*cols:], n-nTile, comp)
	}
}

// tileTokens is how many of the n tokens (a prefix) the tile path takes: whole 32-token
// blocks, plus the last partial block if it has at least tileMinToks tokens.
func tileTokens(n, cols int) int {
	if cols < 4 {
		return 0
	}
	nTile := n / tileToks * tileToks
	if n-nTile >= tileMinToks {
		nTile = n
	}
	return nTile
}

// scatterOK: the scatter index t*ld (t < 32) of a partial tile must fit int32 after the *4
// byte scaling (full tiles store with plain moves but share the check).
func scatterOK(ldDst int) bool { return int64(tileToks)*int64(ldDst) <= math.MaxInt32/4 }

// packInt8AVX512 prepares p for gemmInt8PackedAVX512: the tile path's token prefix packed
// block after block (the layout gemmInt8Tiled would build per call).
func packInt8AVX512(p *PackedInt8) { packTileBlocks(p, tileTokens(p.n, p.cols)) }

// packTileBlocks packs tokens [0, nTile) of p block after block into p.buf (u8 x+128, the
// layout of packTokens) and records nTile.
func packTileBlocks(p *PackedInt8, nTile int) {
	p.nTile = nTile
	kq := p.cols / 4
	blk := tileToks * kq * 4
	nb := (nTile + tileToks - 1) / tileToks
	if cap(p.buf) < nb*blk {
		p.buf = make([]byte, nb*blk)
	}
	p.buf = p.buf[:nb*blk]
	if nb == 0 {
		return
	}
	xb := unsafe.Slice((*byte)(unsafe.Pointer(&p.x[0])), len(p.x))
	for b := 0; b < nb; b++ {
		t0 := b * tileToks
		packTokens(p.buf[b*blk:], xb[t0*p.cols:], p.cols, kq, min(tileToks, nTile-t0), 0x80808080)
	}
}

func gemmInt8PackedAVX512(dst []int32, ldDst int, w []int8, rows int, p *PackedInt8, comp []int32) {
	n, cols := p.n, p.cols
	nTile := p.nTile
	if nTile > 0 && scatterOK(ldDst) {
		gemmInt8Tiled(dst, ldDst, w, rows, cols, p.x, nTile, comp, p.buf)
	} else {
		nTile = 0
	}
	if nTile < n {
		gemmInt8RowBlocked(dst[nTile*ldDst:], ldDst, w, rows, cols, p.x[nTile*cols:], n-nTile, comp)
	}
}

// packBudget bounds the packed token bytes kept hot in L2: the tile path packs up to
// packBudget/cols tokens (a multiple of 32) at a time and runs every weight panel over all
// of them, so weights are streamed from DRAM ceil(n / superblock) times per call instead of
// once per 32 tokens. Half the L2 (the weight panel and the token block share it), 1 MiB if
// the size is unknown; tuned on a 2 MiB-L2 Xeon. A variable so tests can force several
// superblocks.
var packBudget = func() int {
	l2 := l2CacheBytes()
	if l2 == 0 {
		return 1 << 20
	}
	return min(max(l2/2, 128<<10), 4<<20)
}()

// gemmInt8Tiled runs the tile kernel over tokens [0, n). pre, if not nil, holds those tokens
// already packed (packInt8AVX512); otherwise each superblock is packed into pooled scratch.
func gemmInt8Tiled(dst []int32, ldDst int, w []int8, rows, cols int, x []int8, n int, comp []int32, pre []byte) {
	kq := cols / 4
	var idx [16]int32
	for t := range idx {
		idx[t] = int32(t * ldDst)
	}
	sc := gemmPool.Get().(*gemmScratch)
	tb := newTokenBlocks(sc, x, n, cols, pre)
	if comp == nil {
		// Row sums are computed during the first superblock, right before the kernel reads
		// the same panel (so it comes from cache), and reused by later superblocks.
		if cap(sc.comp) < rows {
			sc.comp = make([]int32, rows)
		}
	}

	for s0 := 0; s0 < n; s0 += tb.step {
		xp, nb := tb.at(s0)
		for r0 := 0; r0 < rows; r0 += tileRows {
			nr := min(tileRows, rows-r0)
			var pc []int32
			if comp != nil {
				pc = comp[r0 : r0+nr]
			} else {
				pc = sc.comp[r0 : r0+nr]
				if s0 == 0 {
					rowSums128VNNI(&pc[0], &w[r0*cols], nr, cols)
				}
			}
			for b := 0; b < nb; b++ {
				t0 := s0 + b*tileToks
				mask := uint64(1)<<min(tileToks, n-t0) - 1
				gemmInt8Tile8x32(&dst[t0*ldDst+r0], ldDst, &w[r0*cols], cols, kq, &xp[b*tb.blk], &pc[0], nr, mask, &idx[0])
			}
		}
	}
	gemmPool.Put(sc)
	addShiftedTail(dst, ldDst, w, rows, cols, x, n)
}

// tokenBlocks hands the u8 tile kernels (AVX-512 and AVX-VNNI) their packed 32-token blocks
// superblock by superblock: step tokens (packBudget bytes of whole blocks) at a time, from a
// PackedInt8's buffer (pre) or packed into pooled scratch.
type tokenBlocks struct {
	pre, xp, xb []byte
	blk         int // bytes of one packed block
	step        int // tokens per superblock
	cols, kq, n int
}

func newTokenBlocks(sc *gemmScratch, x []int8, n, cols int, pre []byte) tokenBlocks {
	kq := cols / 4
	blk := tileToks * kq * 4
	superBlocks := min(max(1, packBudget/blk), (n+tileToks-1)/tileToks)
	tb := tokenBlocks{pre: pre, blk: blk, step: superBlocks * tileToks, cols: cols, kq: kq, n: n}
	if pre == nil {
		if cap(sc.xp) < superBlocks*blk {
			sc.xp = make([]byte, superBlocks*blk)
		}
		tb.xp = sc.xp[:superBlocks*blk]
		tb.xb = unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), len(x))
	}
	return tb
}

// at returns the packed blocks of the superblock that starts at token s0, and their count.
func (tb *tokenBlocks) at(s0 int) ([]byte, int) {
	nb := (min(tb.step, tb.n-s0) + tileToks - 1) / tileToks
	if tb.pre != nil {
		return tb.pre[s0/tileToks*tb.blk:], nb
	}
	for b := 0; b < nb; b++ {
		t0 := s0 + b*tileToks
		packTokens(tb.xp[b*tb.blk:], tb.xb[t0*tb.cols:], tb.cols, tb.kq, min(tileToks, tb.n-t0), 0x80808080)
	}
	return tb.xp, nb
}

// addShiftedTail adds the columns past the last multiple of 4 (never the case for real
// models) to the u8 tiles' results with their shifted arithmetic, (x+128)*w, since the
// compensation subtracted from them covers every column.
func addShiftedTail(dst []int32, ldDst int, w []int8, rows, cols int, x []int8, n int) {
	tail := cols &^ 3
	if tail == cols {
		return
	}
	for r := 0; r < rows; r++ {
		wr := w[r*cols+tail : r*cols+cols]
		for t := 0; t < n; t++ {
			xt := x[t*cols+tail : t*cols+cols]
			var s int32
			for k, wv := range wr {
				s += (int32(xt[k]) + 128) * int32(wv)
			}
			dst[t*ldDst+r] += s
		}
	}
}

// gemmInt8RowBlocked runs the VNNI GEMV once per token on blocks of about 32 KiB of weight
// rows, so the block is read from DRAM once and from L1 for the other tokens. Used for
// small n, where the 32-token tile would leave most lanes idle.
func gemmInt8RowBlocked(dst []int32, ldDst int, w []int8, rows, cols int, x []int8, n int, comp []int32) {
	var pc [256]int32
	rb := min(gemmRowBlock(cols), len(pc))
	for r0 := 0; r0 < rows; r0 += rb {
		nr := min(rb, rows-r0)
		wb := w[r0*cols : (r0+nr)*cols]
		c := pc[:nr]
		if comp != nil {
			c = comp[r0 : r0+nr]
		} else {
			rowSums128VNNI(&c[0], &wb[0], nr, cols)
		}
		for t := 0; t < n; t++ {
			gemvInt8VNNI(&dst[t*ldDst+r0], &wb[0], nr, cols, &x[t*cols], &c[0])
		}
	}
}

// packTokens writes nt token rows of x (row stride rowStride bytes) as [kq][32 tokens][4
// bytes], each 4-byte group XOR xor. Token slots past nt hold filler (zero or xor) that no
// kernel stores. For int8 tokens the groups are 4 columns and xor = 0x80808080 (x+128 as
// u8); for float32 a group is one column and xor = 0. With AVX-512 a full block's groups go
// through an in-register transpose 16 at a time (packTokens32AVX512, ~8x the gathers' rate on
// Zen 5); partial blocks and the last kq%16 groups gather one group of 16 tokens per
// instruction. The Go version walks the output in order.
func packTokens(xp []byte, x []byte, rowStride, kq, nt int, xor uint32) {
	if hasAVX512 && int64(rowStride)*(tileToks-1) <= math.MaxInt32 {
		_ = xp[kq*tileToks*4-1]        // the assembly writes kq*128 bytes
		_ = x[(nt-1)*rowStride+kq*4-1] // and reads this far
		k16 := 0
		if nt == tileToks {
			k16 = kq &^ 15
		}
		if k16 > 0 {
			packTokens32AVX512(&xp[0], &x[0], rowStride, k16, xor)
		}
		if k16 < kq {
			packTokensAVX512(&xp[k16*tileToks*4], &x[k16*4], rowStride, kq-k16, nt, xor)
		}
		return
	}
	packTokensGo(xp, x, rowStride, kq, nt, xor)
}

// packTokensGo is the pure-Go packTokens (the oracle of the gather version, and the path
// for row strides beyond the gather's int32 offsets).
func packTokensGo(xp []byte, x []byte, rowStride, kq, nt int, xor uint32) {
	dst := unsafe.Slice((*uint32)(unsafe.Pointer(&xp[0])), kq*tileToks)
	var rows [tileToks][]uint32
	for t := 0; t < nt; t++ {
		// Unaligned uint32 loads are fine on amd64 (this file is amd64-only).
		rows[t] = unsafe.Slice((*uint32)(unsafe.Pointer(&x[t*rowStride])), kq)
	}
	for g := 0; g < kq; g++ {
		out := dst[g*tileToks : g*tileToks+tileToks]
		for t := 0; t < nt; t++ {
			out[t] = rows[t][g] ^ xor
		}
		clear(out[nt:])
	}
}

// gemmF32AVX512 is the float32 GEMM for n >= tileMinToks: the int8 tile's loop structure
// (8 rows x 32 tokens in registers, token superblocks of packBudget bytes, transposed stores)
// with vfmadd231ps; smaller n, and ld too large for the 32-bit scatter indices of partial
// tiles, use the AVX2 GEMV path.
func gemmF32AVX512(dst []float32, ldDst int, w []float32, rows, cols int, x []float32, n int) {
	if n < tileMinToks || rows < tileMinRowsF32 || !scatterOK(ldDst) {
		gemmF32AVX2(dst, ldDst, w, rows, cols, x, n)
		return
	}
	gemmF32Tiled512(dst, ldDst, w, rows, cols, x, n, nil)
}

// tileChunkCols is the column chunk of the AVX-512 float32 tile: all columns when two
// packed 32-token blocks of them fit packBudget (with the weight panel they then stay in
// L2), else the largest multiple of 16 columns for which they do. Later chunks continue the
// sums from dst (the tile's acc mode), in the same order as a single pass.
func tileChunkCols(cols int) int {
	kc := max(16, packBudget/(2*tileToks*4)&^15)
	return min(kc, cols)
}

// gemmF32Blocked is the loop structure both float32 register tiles share: tokens in
// 32-token blocks packed once per superblock of packBudget bytes (pre, if not nil, holds
// them already packed: PackedF32), columns in L2-sized chunks (tileChunkCols), rows in
// steps of tileRows. tile computes rows [r0, r0+nr) over columns [c0, c0+nk) of the block
// of tokens starting at t0, whose packed columns start at xb; it continues the sums in
// dst when c0 > 0.
func gemmF32Blocked(rows, cols int, x []float32, n int, pre []byte, tileRows int, tile func(r0, nr, c0, nk, t0 int, xb []byte)) {
	blk := tileToks * cols * 4 // bytes of one packed 32-token block
	kc := tileChunkCols(cols)
	nbAll := (n + tileToks - 1) / tileToks
	superBlocks := min(max(1, packBudget/(tileToks*kc*4)), nbAll)
	sc := gemmPool.Get().(*gemmScratch)
	var xp, xb []byte
	if pre == nil {
		if cap(sc.xp) < superBlocks*blk {
			sc.xp = make([]byte, superBlocks*blk)
		}
		xp = sc.xp[:superBlocks*blk]
		xb = unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), 4*len(x))
	}
	for s0 := 0; s0 < n; s0 += superBlocks * tileToks {
		ns := min(superBlocks*tileToks, n-s0)
		nb := (ns + tileToks - 1) / tileToks
		if pre != nil {
			xp = pre[s0/tileToks*blk:]
		} else {
			for b := 0; b < nb; b++ {
				t0 := s0 + b*tileToks
				packTokens(xp[b*blk:], xb[4*t0*cols:], 4*cols, cols, min(tileToks, n-t0), 0)
			}
		}
		for c0 := 0; c0 < cols; c0 += kc {
			nk := min(kc, cols-c0)
			for r0 := 0; r0 < rows; r0 += tileRows {
				nr := min(tileRows, rows-r0)
				for b := 0; b < nb; b++ {
					tile(r0, nr, c0, nk, s0+b*tileToks, xp[b*blk+c0*tileToks*4:]) // column c0 of block b
				}
			}
		}
	}
	gemmPool.Put(sc)
}

// gemmF32Tiled512 runs the 8x32 tile over tokens [0, n) (gemmF32Blocked).
func gemmF32Tiled512(dst []float32, ldDst int, w []float32, rows, cols int, x []float32, n int, pre []byte) {
	var idx [16]int32
	for t := range idx {
		idx[t] = int32(t * ldDst)
	}
	gemmF32Blocked(rows, cols, x, n, pre, tileRows, func(r0, nr, c0, nk, t0 int, xb []byte) {
		mask := uint64(1)<<min(tileToks, n-t0) - 1
		gemmF32Tile8x32(&dst[t0*ldDst+r0], ldDst, &w[r0*cols+c0], cols, nk, &xb[0], nr, mask, &idx[0], min(c0, 1), uintptr(unsafe.Pointer(&xb[0])))
	})
}
