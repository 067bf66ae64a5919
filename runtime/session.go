package runtime

import (
	"context"
	"fmt"
	"math"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/internal/kernels"
)

// Session is one sequence being decoded: it owns the KV cache and scratch
// buffers. Not safe for concurrent use; use one Session per goroutine.
type Session struct {
	m      *Model
	maxLen int
	pos    int
	// Per layer, head-major so every attention product is a contiguous kernel
	// call: keys after rotary as [nKV][maxLen][hd] (scores = one GEMV/GEMM per
	// KV head), values transposed as [nKV*hd][maxLen] (context = dot products).
	kc, vc [][]float32

	// scratch, grown on demand by the token count of a call
	x, xn, qkv, ctx, tmp, gate, up []float32
	part                           []float32 // checkpoint q/k/v output before placement
	xq                             []int8
	xs                             []float32
	acc                            []int32
	wbuf                           [][]float32        // per worker: dequantized weight rows (float32 path)
	packed                         kernels.PackedF32  // a linear call's tokens, packed for the float32 GEMM
	packedI8                       kernels.PackedInt8 // the int8 linears' quantized tokens, packed for the GEMM
	scores                         [][]float32        // per worker: attention scores [group][maxLen]
	embQ                           []int8

	prof *stepProfile // non-nil while bench --profile records (profile.go)
}

// NewSession allocates a KV cache for up to maxLen positions
// (2 x layers x maxLen x nKV x hd float32).
func (m *Model) NewSession(maxLen int) *Session {
	if maxLen < 1 {
		maxLen = 1
	}
	c := &m.cfg
	s := &Session{m: m, maxLen: maxLen}
	kvw := c.KVHeads * c.HeadDim
	s.kc = make([][]float32, c.Layers)
	s.vc = make([][]float32, c.Layers)
	for i := range s.kc {
		s.kc[i] = make([]float32, maxLen*kvw)
		s.vc[i] = make([]float32, maxLen*kvw)
	}
	s.wbuf = make([][]float32, m.threads)
	s.scores = make([][]float32, m.threads)
	for i := range s.scores {
		s.scores[i] = make([]float32, (c.Heads/c.KVHeads)*maxLen)
	}
	s.embQ = make([]int8, c.Hidden)
	m.rope.ensure(maxLen)
	return s
}

// Pos is the number of positions already in the cache.
func (s *Session) Pos() int { return s.pos }

// MaxLen is the cache capacity given to NewSession.
func (s *Session) MaxLen() int { return s.maxLen }

// Reset empties the cache (the buffers are kept).
func (s *Session) Reset() { s.pos = 0 }

// Truncate drops every position from n on, so decoding continues at n
// (e.g. to regenerate a reply or to edit a conversation's tail).
func (s *Session) Truncate(n int) error {
	if n < 0 || n > s.pos {
		return fmt.Errorf("cannot truncate a session of %d positions to %d", s.pos, n)
	}
	s.pos = n
	return nil
}

// Prefill runs ids through the model at the current position (normally 0)
// in one batched pass: each matrix is one GEMM over all tokens. It returns
// the logits of every new position ([T][V]) when allPositions, else only of
// the last one ([1][V]).
func (s *Session) Prefill(ids []int, allPositions bool) ([][]float32, error) {
	return s.forward(context.Background(), ids, allPositions)
}

// PrefillContext is Prefill that gives up between layers once ctx is done;
// the session then keeps its previous positions (nothing is committed).
func (s *Session) PrefillContext(ctx context.Context, ids []int, allPositions bool) ([][]float32, error) {
	return s.forward(ctx, ids, allPositions)
}

// Step feeds one token and returns the logits of its position.
func (s *Session) Step(id int) ([]float32, error) {
	out, err := s.forward(context.Background(), []int{id}, false)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

func (s *Session) forward(ctx context.Context, ids []int, all bool) ([][]float32, error) {
	m := s.m
	c := &m.cfg
	T := len(ids)
	if T == 0 {
		return nil, fmt.Errorf("no tokens to run")
	}
	if s.pos+T > s.maxLen {
		return nil, fmt.Errorf("sequence of %d positions exceeds the session's maximum length %d", s.pos+T, s.maxLen)
	}
	for _, id := range ids {
		if id < 0 || id >= c.Vocab {
			return nil, fmt.Errorf("token id %d out of range [0, %d)", id, c.Vocab)
		}
	}
	H := c.Hidden
	nQ := c.Heads * c.HeadDim
	nQKV := nQ + 2*c.KVHeads*c.HeadDim
	s.x = grow(s.x, T*H)
	s.xn = grow(s.xn, T*H)
	s.tmp = grow(s.tmp, T*H)
	s.qkv = grow(s.qkv, T*nQKV)
	s.ctx = grow(s.ctx, T*nQ)
	s.gate = grow(s.gate, T*c.Inter)
	s.up = grow(s.up, T*c.Inter)

	// Embeddings (CT2 Embeddings::operator(): gather, then dequantize for int8).
	t0 := s.tick()
	for t, id := range ids {
		row := s.x[t*H : (t+1)*H]
		if c.Compute == ComputeInt8 {
			m.embed.rowInt8Dequant(row, id, s.embQ)
		} else {
			m.embed.rowF32(row, id)
		}
	}
	s.tock(opEmbed, t0)

	for li := range m.layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l := &m.layers[li]
		// Self-attention block: x += linear_1(attn(linear_0(rmsnorm(x)))).
		t0 = s.tick()
		s.perToken(T, func(t0, t1 int) { rmsNormRows(s.xn, s.x, H, t0, t1, l.attnNorm, c.Epsilon) })
		s.tock(opNorm, t0)
		t0 = s.tick()
		if l.qkv != nil {
			s.linear(l.qkv, s.xn, T, s.qkv, false)
		} else {
			s.linearQKV(l, T, nQKV)
		}
		s.tock(opQKV, t0)
		t0 = s.tick()
		s.attention(li, T)
		s.tock(opAttn, t0)
		t0 = s.tick()
		s.linear(l.out, s.ctx, T, s.tmp, false)
		s.tock(opOut, t0)
		t0 = s.tick()
		s.addResidual(T, H)
		s.tock(opResidual, t0)

		// FFN block: x += linear_1(silu(linear_0(h)) * linear_0_noact(h)), h = rmsnorm(x).
		t0 = s.tick()
		s.perToken(T, func(t0, t1 int) { rmsNormRows(s.xn, s.x, H, t0, t1, l.ffnNorm, c.Epsilon) })
		s.tock(opNorm, t0)
		if T == 1 && c.Compute == ComputeInt8 && fuseGateUp {
			t0 = s.tick()
			s.gateUpInt8(l.gate, l.up, s.xn, s.gate, s.up)
			s.tock(opGateUp, t0)
		} else if c.Compute == ComputeInt8 {
			// gate and up read the same input: quantize and pack it once.
			t0 = s.tick()
			s.quantize(s.xn, T, l.gate.cols)
			s.linearInt8(l.gate, T, s.gate, true)
			s.tock(opGate, t0)
			t0 = s.tick()
			s.linearInt8(l.up, T, s.up, false)
			s.tock(opUp, t0)
		} else {
			t0 = s.tick()
			s.linear(l.gate, s.xn, T, s.gate, true)
			s.tock(opGate, t0)
			t0 = s.tick()
			s.linear(l.up, s.xn, T, s.up, false)
			s.tock(opUp, t0)
		}
		t0 = s.tick()
		I := c.Inter
		s.perToken(T, func(t0, t1 int) {
			g, u := s.gate[t0*I:t1*I], s.up[t0*I:t1*I]
			for i := range g {
				g[i] *= u[i]
			}
		})
		s.tock(opResidual, t0)
		t0 = s.tick()
		s.linear(l.down, s.gate, T, s.tmp, false)
		s.tock(opDown, t0)
		t0 = s.tick()
		s.addResidual(T, H)
		s.tock(opResidual, t0)
	}
	s.pos += T

	// Final norm and lm_head, only for the positions asked for.
	first := 0
	if !all {
		first = T - 1
	}
	n := T - first
	t0 = s.tick()
	for t := first; t < T; t++ {
		rmsNorm(s.xn[(t-first)*H:(t-first+1)*H], s.x[t*H:(t+1)*H], m.norm, c.Epsilon)
	}
	s.tock(opNorm, t0)
	V := c.Vocab
	flat := make([]float32, n*V)
	t0 = s.tick()
	s.linear(m.proj, s.xn[:n*H], n, flat, false)
	s.tock(opLMHead, t0)
	if s.prof != nil && T == 1 {
		s.prof.steps++
	}
	out := make([][]float32, n)
	for i := range out {
		out[i] = flat[i*V : (i+1)*V : (i+1)*V]
	}
	return out, nil
}

// linearQKV computes a checkpoint layer's separate q, k and v projections
// into their column ranges [0, nQ), [nQ, nQ+kv), [nQ+kv, nQKV) of the qkv
// rows: each linear writes its own [T, rows] block, copied into place (T*nQKV
// floats, negligible next to the products).
func (s *Session) linearQKV(l *layer, T, nQKV int) {
	col := 0
	for _, w := range []*matrix{l.q, l.k, l.v} {
		s.part = grow(s.part, T*w.rows)
		s.linear(w, s.xn, T, s.part, false)
		for t := 0; t < T; t++ {
			copy(s.qkv[t*nQKV+col:t*nQKV+col+w.rows], s.part[t*w.rows:(t+1)*w.rows])
		}
		col += w.rows
	}
}

// perToken runs fn on token ranges of [0, T): split across the workers for a
// prompt (every token's row is computed on its own, so the split cannot change
// a bit), inline for a single token.
func (s *Session) perToken(T int, fn func(t0, t1 int)) {
	if T > 1 {
		s.m.pool.run(T, func(_, t0, t1 int) { fn(t0, t1) })
		return
	}
	fn(0, T)
}

// addResidual is x += tmp over T rows of width H.
func (s *Session) addResidual(T, H int) {
	s.perToken(T, func(t0, t1 int) { addInto(s.x[t0*H:t1*H], s.tmp[t0*H:t1*H]) })
}

func addInto(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// rmsNorm is CTranslate2's rms_norm kernel (kernels.cc:544-573):
// inv = 1/sqrt(sum(x^2)/n + eps) in float32; y = x*inv*gamma.
// The float32 conversions keep every product rounded on its own (no fused multiply-add,
// whatever GOAMD64 allows), which is what the results have always been.
func rmsNorm(dst, x, gamma []float32, eps float32) {
	var ss float32
	for _, v := range x {
		ss += float32(v * v)
	}
	rmsScale(dst, x, gamma, rmsInv(ss, len(x), eps))
}

func rmsInv(ss float32, n int, eps float32) float32 {
	return 1 / float32(math.Sqrt(float64(ss/float32(n)+eps)))
}

func rmsScale(dst, x, gamma []float32, inv float32) {
	gamma = gamma[:len(x)]
	dst = dst[:len(x)]
	for j, v := range x {
		dst[j] = float32(v*inv) * gamma[j]
	}
}

// rmsNormRows is rmsNorm of rows [t0, t1) of x (width H) into dst. The sum of squares is
// one sequential float32 chain per row, bound by the add latency, so four rows' chains run
// interleaved (each keeps its own order: the same bits as rmsNorm row by row).
func rmsNormRows(dst, x []float32, H, t0, t1 int, gamma []float32, eps float32) {
	t := t0
	for ; t+4 <= t1; t += 4 {
		x0, x1, x2, x3 := x[t*H:(t+1)*H], x[(t+1)*H:(t+2)*H], x[(t+2)*H:(t+3)*H], x[(t+3)*H:(t+4)*H]
		var s0, s1, s2, s3 float32
		for j, a := range x0 {
			b, c, d := x1[j], x2[j], x3[j]
			s0 += float32(a * a)
			s1 += float32(b * b)
			s2 += float32(c * c)
			s3 += float32(d * d)
		}
		for i, ss := range [4]float32{s0, s1, s2, s3} {
			r := t + i
			rmsScale(dst[r*H:(r+1)*H], x[r*H:(r+1)*H], gamma, rmsInv(ss, H, eps))
		}
	}
	for ; t < t1; t++ {
		rmsNorm(dst[t*H:(t+1)*H], x[t*H:(t+1)*H], gamma, eps)
	}
}

// silu is CTranslate2's swish_func: x / (1 + exp(-x)) in float32, i.e.
// v[i] = x / (1 + float32(math.Exp(float64(-x)))); kernels.SiluF32 computes exactly
// that, bit for bit, at every ISA level.
func silu(v []float32) { kernels.SiluF32(v) }

// rowBlock is the number of weight rows the float32 path dequantizes at once
// for int8/int16 storage: about 256 KB of float32 per worker, so a prefill GEMM
// reuses the token block across many rows while the block stays in L2.
func rowBlock(cols int) int { return max(4, (256<<10)/(4*max(cols, 1))) }

// linear computes out[t*rows+r] = (x[t] · w[r]) for t < n, with SiLU fused
// into the epilogue when act (ffn/linear_0). Rows are split across workers;
// each weight row is read once per call and used for all n tokens.
func (s *Session) linear(w *matrix, x []float32, n int, out []float32, act bool) {
	m := s.m
	rows, cols := w.rows, w.cols
	if m.cfg.Compute == ComputeInt8 {
		s.quantize(x, n, cols)
		s.linearInt8(w, n, out, act)
		return
	}
	// Float32 compute. Prefill packs the tokens once (kernels.PackedF32) and every
	// worker's row range runs the register-tiled GEMM on them; float32 and f16/bf16
	// weights are used where they are stored (half weights are widened exactly
	// inside the kernels), int8/int16 weights are dequantized block by block.
	if n > 1 {
		s.packed.Pack(x, n, cols)
	}
	kind := halfKind(w.dtype)
	m.pool.runAligned(rows, 16, func(wk, lo, hi int) {
		switch {
		case w.dtype == ct2.Float32:
			mulF32(out, rows, w.f32[lo*cols:hi*cols], lo, hi-lo, cols, x, n, &s.packed)
		case kind != 0 && n == 1:
			kernels.GemvHalf(out[lo:hi], w.u16[lo*cols:hi*cols], kind, hi-lo, cols, x)
		case kind != 0:
			kernels.GemmHalfPacked(out[lo:], rows, w.u16[lo*cols:hi*cols], kind, hi-lo, &s.packed)
		default:
			b := rowBlock(cols)
			buf := grow(s.wbuf[wk], b*cols)
			s.wbuf[wk] = buf
			for r0 := lo; r0 < hi; r0 += b {
				nb := min(b, hi-r0)
				for r := 0; r < nb; r++ {
					w.rowF32(buf[r*cols:(r+1)*cols], r0+r)
				}
				mulF32(out, rows, buf[:nb*cols], r0, nb, cols, x, n, &s.packed)
			}
		}
		if act {
			for t := 0; t < n; t++ {
				silu(out[t*rows+lo : t*rows+hi])
			}
		}
	})
}

// quantize prepares the int8 input of the linears that read x [n, cols]:
// dynamic per-token quantization (common.cc:339-400) into s.xq with the
// scales in s.xs and, for n > 1, the tokens packed once for every worker's
// GEMM (kernels.PackedInt8) instead of once per row chunk.
func (s *Session) quantize(x []float32, n, cols int) {
	tq := s.tick()
	s.xq = grow(s.xq, n*cols)
	s.xs = grow(s.xs, n)
	xq, xs := s.xq, s.xs
	quant := func(_, lo, hi int) {
		for t := lo; t < hi; t++ {
			xs[t] = kernels.QuantizeRowInt8(xq[t*cols:(t+1)*cols], x[t*cols:(t+1)*cols])
		}
	}
	if n*cols >= 1<<16 {
		s.m.pool.run(n, quant)
	} else {
		quant(0, 0, n)
	}
	if n > 1 {
		s.packedI8.Pack(xq[:n*cols], n, cols)
	}
	s.addQuant(tq)
}

// linearInt8 is linear's int8 compute on the input quantize prepared (the
// same input serves several matrices, e.g. the FFN gate and up). The int32
// products are exact, so how they are split and packed cannot change a bit.
func (s *Session) linearInt8(w *matrix, n int, out []float32, act bool) {
	m := s.m
	rows, cols := w.rows, w.cols
	xq, xs := s.xq, s.xs
	s.acc = grow(s.acc, n*rows)
	acc := s.acc
	m.pool.runChunks(rows, 16, gemvChunks(m.pool, rows, cols, n), func(_, lo, hi int) {
		wr := w.i8[lo*cols : hi*cols]
		if n == 1 {
			kernels.GemvInt8Comp(acc[lo:hi], wr, hi-lo, cols, xq, w.comp[lo:hi])
		} else {
			kernels.GemmInt8Packed(acc[lo:], rows, wr, hi-lo, &s.packedI8, w.comp[lo:hi])
		}
		for t := 0; t < n; t++ {
			o := out[t*rows+lo : t*rows+hi]
			kernels.DequantRowInt32(o, acc[t*rows+lo:t*rows+hi], xs[t], w.scale[lo:hi])
			if act {
				silu(o)
			}
		}
	})
}

// gemvChunkBytes is the int8 weight bytes per chunk of a decode GEMV: small
// enough that the worker finishing last idles briefly (~40 us at 25 GB/s),
// large enough to stream.
const gemvChunkBytes = 1 << 20

// gemvChunks is the chunk count of an int8 linear over rows x cols for n
// tokens: the pool's default for prefill GEMMs, ~1 MiB of weights per chunk
// for decode.
func gemvChunks(p *pool, rows, cols, n int) int {
	if n != 1 {
		return p.n * chunksPerWorker
	}
	return max(p.n*chunksPerWorker, rows*cols/gemvChunkBytes)
}

// fuseGateUp selects gateUpInt8 for int8 decode steps (a variable so a test
// can compare it with two linear calls).
var fuseGateUp = true

// gateUpInt8 is linear(gate, act) and linear(up) of one token in one pool
// call: the shared input is quantized once and the workers stream both
// matrices as one row range, so an FFN costs one fan-out/join fewer. Each
// output row is computed by the same kernels as linear, so the results are
// bit-identical to the two calls.
func (s *Session) gateUpInt8(gate, up *matrix, x, outGate, outUp []float32) {
	m := s.m
	cols := gate.cols
	s.quantize(x, 1, cols)
	xq, xs := s.xq, s.xs[0]
	s.acc = grow(s.acc, gate.rows+up.rows)
	acc := s.acc
	m.pool.runChunks(gate.rows+up.rows, 16, gemvChunks(m.pool, gate.rows+up.rows, cols, 1), func(_, lo, hi int) {
		for lo < hi {
			w, out, act, base := gate, outGate, true, 0
			if lo >= gate.rows {
				w, out, act, base = up, outUp, false, gate.rows
			}
			end := min(hi, base+w.rows)
			r0, r1 := lo-base, end-base
			kernels.GemvInt8Comp(acc[lo:end], w.i8[r0*cols:r1*cols], r1-r0, cols, xq, w.comp[r0:r1])
			o := out[r0:r1]
			kernels.DequantRowInt32(o, acc[lo:end], xs, w.scale[r0:r1])
			if act {
				silu(o)
			}
			lo = end
		}
	})
}

// halfKind is the kernels' name for a 16-bit float storage dtype, 0 for others.
func halfKind(d ct2.DType) kernels.Half {
	switch d {
	case ct2.BFloat16:
		return kernels.BF16
	case ct2.Float16:
		return kernels.F16
	}
	return 0
}

// mulF32 writes rows [r0, r0+nr) of out ([n, ld]) from the float32 weight
// block wb; for n > 1, p holds the n tokens of x packed.
func mulF32(out []float32, ld int, wb []float32, r0, nr, cols int, x []float32, n int, p *kernels.PackedF32) {
	if n == 1 {
		kernels.GemvF32(out[r0:r0+nr], wb, nr, cols, x)
		return
	}
	kernels.GemmF32Packed(out[r0:], ld, wb, nr, p)
}

// attention applies rotary to the new queries/keys, appends keys/values to
// the cache and computes causal grouped-query attention into s.ctx
// (attention.cc dot_product_attention: scores = (q·k)*queries_scale, softmax
// in float32 over the visible positions, context = P·V).
func (s *Session) attention(li, T int) {
	m := s.m
	c := &m.cfg
	hd, nH, nKV := c.HeadDim, c.Heads, c.KVHeads
	nQ := nH * hd
	kvw := nKV * hd
	nQKV := nQ + 2*kvw
	p0 := s.pos
	kc, vc := s.kc[li], s.vc[li]
	// Rotary and the cache writes touch only token t's row and cache slots, so a
	// prompt's tokens are split across the workers.
	prep := func(_, lo, hi int) {
		for t := lo; t < hi; t++ {
			row := s.qkv[t*nQKV : (t+1)*nQKV]
			cos, sin := m.rope.at(p0 + t)
			for h := 0; h < nH; h++ {
				ropeApply(row[h*hd:(h+1)*hd], cos, sin)
			}
			for h := 0; h < nKV; h++ {
				ropeApply(row[nQ+h*hd:nQ+(h+1)*hd], cos, sin)
			}
			for h := 0; h < nKV; h++ {
				copy(kc[(h*s.maxLen+p0+t)*hd:(h*s.maxLen+p0+t+1)*hd], row[nQ+h*hd:nQ+(h+1)*hd])
			}
			for i, v := range row[nQ+kvw : nQKV] {
				vc[i*s.maxLen+p0+t] = v
			}
		}
	}
	if T > 1 {
		m.pool.run(T, prep)
	} else {
		prep(0, 0, T)
	}
	// One item per (token, KV head): its group of query heads is contiguous in
	// the qkv row ([group][hd]) and shares one read of the KV head's keys
	// (replicate_heads: query head h reads KV head h/group).
	group := nH / nKV
	qs := c.QueriesScale
	// Items grow with the position (causal), so a prompt is cut into many small
	// chunks that the workers take in turn, instead of a few equal-count ones
	// whose last is the most expensive.
	m.pool.runChunks(T*nKV, 1, max(m.pool.n*chunksPerWorker, T*nKV/8), func(wk, lo, hi int) {
		sc := s.scores[wk]
		for it := lo; it < hi; it++ {
			t, kvh := it/nKV, it%nKV
			q := s.qkv[t*nQKV+kvh*group*hd : t*nQKV+(kvh+1)*group*hd]
			L := p0 + t + 1
			keys := kc[kvh*s.maxLen*hd : (kvh*s.maxLen+L)*hd]
			// sc[g*L+j] = q_g · k_j, then * queries_scale (CT2 scales inside the matmul: alpha*(q·k)).
			// GemvF32Multi gives each query the bits of its own GEMV (what
			// GemmF32Stride computes for a group this small) and on AVX-512 reads
			// each key once per four queries.
			switch {
			case group == 1:
				kernels.GemvF32(sc[:L], keys, L, hd, q)
			case kernels.GemmF32ByGemv(group):
				kernels.GemvF32Multi(sc, L, keys, hd, L, hd, q, hd, group)
			default:
				kernels.GemmF32Stride(sc, L, keys, L, hd, q, group)
			}
			softmaxRows(sc[:group*L], L, qs)
			// ctx[h][d] = p_g · v[d] for the group's heads h = kvh*group+g
			// (contiguous, hd apart) and the KV head's hd value rows (stride
			// maxLen): each output is the strided GEMV GemvF32Stride computes per
			// head (kernels doc), with each value row read once per four heads.
			kernels.GemvF32Multi(s.ctx[t*nQ+kvh*group*hd:], hd, vc[kvh*hd*s.maxLen:], s.maxLen, hd, L, sc, L, group)
		}
	})
}

// softmaxRows scales each row of L scores in sc by qs and applies softmax to it, with
// softmax's operations in its order per row. The row sums are sequential float32 chains
// bound by the add latency, so four rows run interleaved (the four query heads of a
// grouped-query KV head), like the scaling and the maximum, which share their loop.
func softmaxRows(sc []float32, L int, qs float32) {
	rows := len(sc) / L
	g := 0
	for ; g+4 <= rows; g += 4 {
		r0, r1, r2, r3 := sc[g*L:(g+1)*L], sc[(g+1)*L:(g+2)*L], sc[(g+2)*L:(g+3)*L], sc[(g+3)*L:(g+4)*L]
		r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
		r0[0] *= qs
		r1[0] *= qs
		r2[0] *= qs
		r3[0] *= qs
		m0, m1, m2, m3 := r0[0], r1[0], r2[0], r3[0]
		for j := 1; j < len(r0); j++ {
			a, b, c, d := r0[j]*qs, r1[j]*qs, r2[j]*qs, r3[j]*qs
			r0[j], r1[j], r2[j], r3[j] = a, b, c, d
			if a > m0 {
				m0 = a
			}
			if b > m1 {
				m1 = b
			}
			if c > m2 {
				m2 = c
			}
			if d > m3 {
				m3 = d
			}
		}
		kernels.ExpShiftedF32(r0, r0, m0)
		kernels.ExpShiftedF32(r1, r1, m1)
		kernels.ExpShiftedF32(r2, r2, m2)
		kernels.ExpShiftedF32(r3, r3, m3)
		var s0, s1, s2, s3 float32
		for j, a := range r0 {
			s0 += a
			s1 += r1[j]
			s2 += r2[j]
			s3 += r3[j]
		}
		scaleRow(r0, 1/s0)
		scaleRow(r1, 1/s1)
		scaleRow(r2, 1/s2)
		scaleRow(r3, 1/s3)
	}
	for ; g < rows; g++ {
		row := sc[g*L : (g+1)*L]
		for j := range row {
			row[j] *= qs
		}
		softmax(row)
	}
}

func scaleRow(x []float32, a float32) {
	for i := range x {
		x[i] *= a
	}
}

// softmax is CTranslate2's float32 softmax (kernels.cc:403-452):
// y = exp(x - max); y *= 1/sum(y).
func softmax(x []float32) {
	mx := x[0]
	for _, v := range x[1:] {
		if v > mx {
			mx = v
		}
	}
	// x[i] = float32(math.Exp(float64(x[i] - mx))), bit-identical at every ISA level;
	// the sum stays sequential float32 in index order.
	kernels.ExpShiftedF32(x, x, mx)
	var sum float32
	for _, e := range x {
		sum += e
	}
	inv := 1 / sum
	for i := range x {
		x[i] *= inv
	}
}
