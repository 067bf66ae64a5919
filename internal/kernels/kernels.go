package kernels

import "fmt"

// DotF32 returns sum_i a[i]*b[i] over len(a) elements (b must be at least as long).
// The SIMD versions reassociate the sum (see package doc for the error bound).
func DotF32(a, b []float32) float32 {
	if len(b) < len(a) {
		panic(fmt.Sprintf("kernels.DotF32: len(b)=%d < len(a)=%d", len(b), len(a)))
	}
	if len(a) == 0 {
		return 0
	}
	return impl.dotF32(a, b[:len(a)])
}

// DotInt8 returns the exact int32 sum_i a[i]*b[i] over len(a) elements (wrapping modulo
// 2^32 like Go int32 arithmetic; it cannot wrap for len(a) < 2^17).
func DotInt8(a, b []int8) int32 {
	if len(b) < len(a) {
		panic(fmt.Sprintf("kernels.DotInt8: len(b)=%d < len(a)=%d", len(b), len(a)))
	}
	if len(a) == 0 {
		return 0
	}
	return impl.dotInt8(a, b[:len(a)])
}

// GemvInt8 computes the decode matrix-vector product, exact in int32:
//
//	dst[r] = sum_k w[r*cols+k] * x[k]   for r in [0, rows)
//
// w is [rows, cols] int8 (CT2 Dense weight layout [out, in]), x is [cols] int8 (the token's
// quantized activations, see QuantizeRowInt8). To parallelise, call it on row ranges:
// GemvInt8(dst[r0:r1], w[r0*cols:r1*cols], r1-r0, cols, x).
//
// The AVX-512 VNNI version multiplies u8 x s8; it feeds x+128 and subtracts 128*sum_k w[r,k],
// computed on the fly (GemvInt8Comp takes it precomputed). Both give the exact result.
func GemvInt8(dst []int32, w []int8, rows, cols int, x []int8) {
	checkMat("GemvInt8", len(dst), len(w), rows, cols, len(x), 1)
	if rows == 0 {
		return
	}
	if cols == 0 {
		clear(dst[:rows])
		return
	}
	impl.gemvInt8(dst[:rows], w[:rows*cols], rows, cols, x[:cols], nil)
}

// RowSumsInt8 writes the per-row compensation used by GemvInt8Comp and GemmInt8Comp:
//
//	comp[r] = 128 * sum_k w[r*cols+k]   (int32)
//
// Compute it once per weight matrix (it is a property of the weights only). The name and the
// factor follow CTranslate2's u8s8 "compensation" (src/models/model.cc:405-415), stored with
// the opposite sign: kernels subtract it.
func RowSumsInt8(comp []int32, w []int8, rows, cols int) {
	checkMat("RowSumsInt8", len(comp), len(w), rows, cols, cols, 1)
	if rows == 0 {
		return
	}
	if cols == 0 {
		clear(comp[:rows])
		return
	}
	impl.rowSums(comp[:rows], w[:rows*cols], rows, cols)
}

// GemvInt8Comp is GemvInt8 with the per-row compensation from RowSumsInt8 supplied by the
// caller (comp[r] for the same rows as w; sub-slice it together with w). It saves the VNNI
// kernel the on-the-fly row sum. The result is identical to GemvInt8 whatever the ISA;
// comp must be exactly RowSumsInt8's output or the result is wrong on VNNI machines.
func GemvInt8Comp(dst []int32, w []int8, rows, cols int, x []int8, comp []int32) {
	checkMat("GemvInt8Comp", len(dst), len(w), rows, cols, len(x), 1)
	if len(comp) < rows {
		panic(fmt.Sprintf("kernels.GemvInt8Comp: len(comp)=%d < rows=%d", len(comp), rows))
	}
	if rows == 0 {
		return
	}
	if cols == 0 {
		clear(dst[:rows])
		return
	}
	impl.gemvInt8(dst[:rows], w[:rows*cols], rows, cols, x[:cols], comp[:rows])
}

// GemmInt8 computes the prefill matrix-matrix product, exact in int32:
//
//	dst[t*rows+r] = sum_k w[r*cols+k] * x[t*cols+k]   for t in [0, n), r in [0, rows)
//
// w is [rows, cols], x is [n, cols] (one quantized row per token), dst is [n, rows].
// To split tokens across goroutines, sub-slice x and dst by token. To split rows, use
// GemmInt8Stride (dst rows of a row range are not contiguous).
func GemmInt8(dst []int32, w []int8, rows, cols int, x []int8, n int) {
	GemmInt8Stride(dst, rows, w, rows, cols, x, n)
}

// GemmInt8Stride is GemmInt8 writing dst[t*ldDst+r] (ldDst >= rows), so a goroutine can
// compute the row range [r0, r1) of a full [n, R] output:
//
//	GemmInt8Stride(dst[r0:], R, w[r0*cols:r1*cols], r1-r0, cols, x, n)
func GemmInt8Stride(dst []int32, ldDst int, w []int8, rows, cols int, x []int8, n int) {
	gemmInt8Checked("GemmInt8", dst, ldDst, w, rows, cols, x, n, nil)
}

// GemmInt8Comp is GemmInt8Stride with the compensation from RowSumsInt8 (see GemvInt8Comp).
func GemmInt8Comp(dst []int32, ldDst int, w []int8, rows, cols int, x []int8, n int, comp []int32) {
	if len(comp) < rows {
		panic(fmt.Sprintf("kernels.GemmInt8Comp: len(comp)=%d < rows=%d", len(comp), rows))
	}
	gemmInt8Checked("GemmInt8Comp", dst, ldDst, w, rows, cols, x, n, comp[:rows])
}

// PackedInt8 is a batch of quantized token rows x [n, cols] prepared once for
// GemmInt8Packed. Goroutines that split the rows of one product (and every matrix that
// consumes the same activations, e.g. the fused QKV or the two gate/up FFN inputs) can share
// it instead of each GemmInt8 call repacking the tokens. The zero value is ready to use;
// Pack reuses its buffer, so it stops allocating once grown.
//
// It keeps a reference to x: x must not change while the PackedInt8 is in use. Pack is not
// safe concurrently with other uses of the same PackedInt8; GemmInt8Packed calls are.
type PackedInt8 struct {
	x       []int8
	n, cols int
	isa     ISA    // level the layout was built for
	nTile   int    // tokens [0, nTile) are in buf (the AVX-512 and AVX-VNNI tiles' layout)
	buf     []byte // packed token blocks, empty below AVX-VNNI
}

// Pack prepares x [n, cols] (row-major int8, e.g. from QuantizeRowInt8) for the current ISA.
func (p *PackedInt8) Pack(x []int8, n, cols int) {
	if n < 0 || cols < 0 || len(x) < n*cols {
		panic(fmt.Sprintf("kernels.PackedInt8.Pack: len(x)=%d for n=%d cols=%d", len(x), n, cols))
	}
	p.x, p.n, p.cols, p.isa, p.nTile = x[:n*cols], n, cols, cur, 0
	p.buf = p.buf[:0]
	if n > 0 && cols > 0 {
		packArch(p)
	}
}

// GemmInt8Packed is GemmInt8Comp on packed activations: dst[t*ldDst+r] = sum_k
// w[r*cols+k]*x[t*cols+k] for the n tokens and cols of p. comp may be nil (then it is
// computed on the fly) or RowSumsInt8 of w. Exact like every int8 kernel; if the ISA was
// switched after Pack, it falls back to the unpacked kernels.
func GemmInt8Packed(dst []int32, ldDst int, w []int8, rows int, p *PackedInt8, comp []int32) {
	if comp != nil && len(comp) < rows {
		panic(fmt.Sprintf("kernels.GemmInt8Packed: len(comp)=%d < rows=%d", len(comp), rows))
	}
	n, cols := p.n, p.cols
	checkGemm("GemmInt8Packed", len(dst), ldDst, len(w), rows, cols, len(p.x), n)
	if rows == 0 || n == 0 {
		return
	}
	if cols == 0 {
		for t := 0; t < n; t++ {
			clear(dst[t*ldDst : t*ldDst+rows])
		}
		return
	}
	if comp != nil {
		comp = comp[:rows]
	}
	if p.isa == cur && gemmPackedArch(dst, ldDst, w[:rows*cols], rows, p, comp) {
		return
	}
	impl.gemmInt8(dst, ldDst, w[:rows*cols], rows, cols, p.x, n, comp)
}

func gemmInt8Checked(name string, dst []int32, ldDst int, w []int8, rows, cols int, x []int8, n int, comp []int32) {
	checkGemm(name, len(dst), ldDst, len(w), rows, cols, len(x), n)
	if rows == 0 || n == 0 {
		return
	}
	if cols == 0 {
		for t := 0; t < n; t++ {
			clear(dst[t*ldDst : t*ldDst+rows])
		}
		return
	}
	impl.gemmInt8(dst, ldDst, w[:rows*cols], rows, cols, x[:n*cols], n, comp)
}

// PackedF32 is PackedInt8 for float32 tokens x [n, cols]: pack once per linear call, then
// run GemmF32Packed on any number of row blocks (e.g. the few rows the runtime widens from
// float16/bfloat16 at a time) without repacking the tokens per block, which is what lets
// small row blocks use the register-tiled GEMM. Same rules: it references x, Pack is not
// concurrent-safe with other uses, GemmF32Packed calls are.
type PackedF32 struct {
	x       []float32
	n, cols int
	isa     ISA
	nTile   int    // n if buf holds the tile layout, else 0
	buf     []byte // packed 32-token blocks
}

// Pack prepares x [n, cols] (row-major float32) for the current ISA.
func (p *PackedF32) Pack(x []float32, n, cols int) {
	if n < 0 || cols < 0 || len(x) < n*cols {
		panic(fmt.Sprintf("kernels.PackedF32.Pack: len(x)=%d for n=%d cols=%d", len(x), n, cols))
	}
	p.x, p.n, p.cols, p.isa, p.nTile = x[:n*cols], n, cols, cur, 0
	p.buf = p.buf[:0]
	if n > 0 && cols > 0 {
		packArchF32(p)
	}
}

// GemmF32Packed is GemmF32Stride on packed tokens: dst[t*ldDst+r] = sum_k w[r*cols+k] *
// x[t*cols+k] for the n tokens and cols of p (w [rows, cols]). Same numerics as GemmF32; if
// the ISA changed after Pack it falls back to the unpacked kernels.
func GemmF32Packed(dst []float32, ldDst int, w []float32, rows int, p *PackedF32) {
	n, cols := p.n, p.cols
	checkGemm("GemmF32Packed", len(dst), ldDst, len(w), rows, cols, len(p.x), n)
	if rows == 0 || n == 0 {
		return
	}
	if cols == 0 {
		for t := 0; t < n; t++ {
			clear(dst[t*ldDst : t*ldDst+rows])
		}
		return
	}
	if p.isa == cur && gemmPackedArchF32(dst, ldDst, w[:rows*cols], rows, p) {
		return
	}
	impl.gemmF32(dst, ldDst, w[:rows*cols], rows, cols, p.x, n)
}

// GemvF32 computes dst[r] = sum_k w[r*cols+k] * x[k] in float32 (w [rows, cols], x [cols]).
func GemvF32(dst []float32, w []float32, rows, cols int, x []float32) {
	checkMat("GemvF32", len(dst), len(w), rows, cols, len(x), 1)
	if rows == 0 {
		return
	}
	if cols == 0 {
		clear(dst[:rows])
		return
	}
	impl.gemvF32(dst[:rows], w[:rows*cols], rows, cols, cols, x[:cols])
}

// GemvF32Stride is GemvF32 over rows that are ldW >= cols floats apart in w:
//
//	dst[r] = sum_{k<cols} w[r*ldW+k] * x[k]
//
// It reads one head's slice out of an interleaved cache without copying, e.g. attention
// scores over a K cache stored [pos][kvHeads*headDim]:
// GemvF32Stride(scores[:L], kc[h*hd:], kvHeads*hd, L, hd, q). len(w) must be at least
// (rows-1)*ldW + cols.
func GemvF32Stride(dst []float32, w []float32, ldW, rows, cols int, x []float32) {
	if rows < 0 || cols < 0 || ldW < cols {
		panic(fmt.Sprintf("kernels.GemvF32Stride: bad shape rows=%d cols=%d ldW=%d", rows, cols, ldW))
	}
	if rows == 0 {
		return
	}
	if len(dst) < rows || len(x) < cols || len(w) < (rows-1)*ldW+cols {
		panic(fmt.Sprintf("kernels.GemvF32Stride: short slice for [%d,%d] ldW=%d: len(dst)=%d len(w)=%d len(x)=%d",
			rows, cols, ldW, len(dst), len(w), len(x)))
	}
	if cols == 0 {
		clear(dst[:rows])
		return
	}
	impl.gemvF32(dst[:rows], w[:(rows-1)*ldW+cols], rows, cols, ldW, x[:cols])
}

// GemvF32Multi runs GemvF32Stride for n vectors against the same weight rows:
//
//	dst[g*ldDst+r] = sum_{k<cols} w[r*ldW+k] * x[g*ldX+k]   (g < n, r < rows)
//
// bit-identical to GemvF32Stride(dst[g*ldDst:], w, ldW, rows, cols, x[g*ldX:]) for each g
// at every ISA level (the AVX-512 level reads each weight row once per four vectors and
// fuses two of them per FMA; others call GemvF32Stride per vector). dst must not overlap
// w or x. E.g. grouped-query attention: the scores of a KV head's query heads, or their
// P·V over a value cache stored [hd][maxLen].
func GemvF32Multi(dst []float32, ldDst int, w []float32, ldW, rows, cols int, x []float32, ldX, n int) {
	if rows < 0 || cols < 0 || n < 0 || ldW < cols || ldX < cols || ldDst < rows {
		panic(fmt.Sprintf("kernels.GemvF32Multi: bad shape rows=%d cols=%d n=%d ldW=%d ldX=%d ldDst=%d",
			rows, cols, n, ldW, ldX, ldDst))
	}
	if rows == 0 || n == 0 {
		return
	}
	if len(dst) < (n-1)*ldDst+rows || len(x) < (n-1)*ldX+cols || len(w) < (rows-1)*ldW+cols {
		panic(fmt.Sprintf("kernels.GemvF32Multi: short slice for [%d,%d] x %d: len(dst)=%d len(w)=%d len(x)=%d",
			rows, cols, n, len(dst), len(w), len(x)))
	}
	if cols == 0 {
		for g := 0; g < n; g++ {
			clear(dst[g*ldDst : g*ldDst+rows])
		}
		return
	}
	w = w[:(rows-1)*ldW+cols]
	if gemvF32MultiArch(dst, ldDst, w, ldW, rows, cols, x, ldX, n) {
		return
	}
	for g := 0; g < n; g++ {
		impl.gemvF32(dst[g*ldDst:g*ldDst+rows], w, rows, cols, ldW, x[g*ldX:g*ldX+cols])
	}
}

// GemmF32ByGemv reports whether GemmF32Stride computes n tokens at the current level as
// one GEMV per token (GemvF32Stride's bits), so GemvF32Multi can stand in for it. True for
// n below the float32 register tile's token threshold and at the Generic level.
func GemmF32ByGemv(n int) bool { return gemmF32ByGemvArch(n) }

// AxpyF32 computes y[i] += a*x[i] for i < len(x) (y at least as long), e.g. for attention
// output = sum_s p[s] * V[s, :] with V stored [S, head_dim]. The SIMD versions fuse the
// multiply-add (one rounding, like math.FMA); the pure-Go one rounds the product first, so
// levels can differ by one rounding of a*x[i] per element.
func AxpyF32(y []float32, a float32, x []float32) {
	if len(y) < len(x) {
		panic(fmt.Sprintf("kernels.AxpyF32: len(y)=%d < len(x)=%d", len(y), len(x)))
	}
	if len(x) == 0 {
		return
	}
	impl.axpyF32(y[:len(x)], a, x)
}

// GemmF32 computes dst[t*rows+r] = sum_k w[r*cols+k] * x[t*cols+k] in float32
// (w [rows, cols], x [n, cols], dst [n, rows]).
func GemmF32(dst []float32, w []float32, rows, cols int, x []float32, n int) {
	GemmF32Stride(dst, rows, w, rows, cols, x, n)
}

// GemmF32Stride is GemmF32 writing dst[t*ldDst+r] (ldDst >= rows); see GemmInt8Stride.
func GemmF32Stride(dst []float32, ldDst int, w []float32, rows, cols int, x []float32, n int) {
	checkGemm("GemmF32", len(dst), ldDst, len(w), rows, cols, len(x), n)
	if rows == 0 || n == 0 {
		return
	}
	if cols == 0 {
		for t := 0; t < n; t++ {
			clear(dst[t*ldDst : t*ldDst+rows])
		}
		return
	}
	impl.gemmF32(dst, ldDst, w[:rows*cols], rows, cols, x[:n*cols], n)
}

// F16ToF32 widens IEEE binary16 bit patterns to float32: dst[i] = float32(src[i]) for
// i < len(src). Exact (every f16 is an f32), subnormals included; NaNs keep their payload
// with the quiet bit set, as the F16C instruction vcvtph2ps does.
func F16ToF32(dst []float32, src []uint16) {
	if len(dst) < len(src) {
		panic(fmt.Sprintf("kernels.F16ToF32: len(dst)=%d < len(src)=%d", len(dst), len(src)))
	}
	if len(src) == 0 {
		return
	}
	impl.f16ToF32(dst[:len(src)], src)
}

// BF16ToF32 widens bfloat16 bit patterns to float32: the 16 bits become the high half of the
// float32 (exact, NaN payloads kept bit for bit).
func BF16ToF32(dst []float32, src []uint16) {
	if len(dst) < len(src) {
		panic(fmt.Sprintf("kernels.BF16ToF32: len(dst)=%d < len(src)=%d", len(dst), len(src)))
	}
	if len(src) == 0 {
		return
	}
	impl.bf16ToF32(dst[:len(src)], src)
}

func checkMat(name string, ndst, nw, rows, cols, nx, n int) {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("kernels.%s: negative shape rows=%d cols=%d", name, rows, cols))
	}
	if ndst < rows || nw < rows*cols || nx < cols*n {
		panic(fmt.Sprintf("kernels.%s: short slice for [%d,%d]: len(dst)=%d len(w)=%d len(x)=%d",
			name, rows, cols, ndst, nw, nx))
	}
}

func checkGemm(name string, ndst, ldDst, nw, rows, cols, nx, n int) {
	if rows < 0 || cols < 0 || n < 0 {
		panic(fmt.Sprintf("kernels.%s: negative shape rows=%d cols=%d n=%d", name, rows, cols, n))
	}
	if ldDst < rows {
		panic(fmt.Sprintf("kernels.%s: ldDst=%d < rows=%d", name, ldDst, rows))
	}
	need := 0
	if n > 0 {
		need = (n-1)*ldDst + rows
	}
	if ndst < need || nw < rows*cols || nx < n*cols {
		panic(fmt.Sprintf("kernels.%s: short slice for w[%d,%d] x[%d,%d] ldDst=%d: len(dst)=%d len(w)=%d len(x)=%d",
			name, rows, cols, n, cols, ldDst, ndst, nw, nx))
	}
}
