// Package kernels holds the compute kernels of ct2go's pure-Go CTranslate2 runtime:
// int8 and float32 dot products, matrix-vector (decode) and matrix-matrix (prefill)
// products, CTranslate2's dynamic per-row activation quantization, f16/bf16 -> f32
// widening, and SiLU and softmax's exponential.
//
// Every kernel has a pure-Go version that is always built; it is the test oracle and the
// fallback. On amd64, assembly versions are selected at init from golang.org/x/sys/cpu, in
// levels: AVX2 (+FMA+F16C) has every kernel; AVXVNNI adds a ymm vpdpbusd int8 GEMM and GEMV for
// cores with AVX-VNNI but no AVX-512; AVX512 (F/BW/VL/VNNI) has its own int8 GEMV/GEMM (zmm
// vpdpbusd) and float32 GEMM (8x32 register tile; the AVX2 one is 6x16) and uses the AVX2
// kernels for the rest. Setting CT2GO_NOSIMD=1 in the environment before the
// process starts forces the pure-Go versions, CT2GO_ISA=<level> any level the CPU has;
// tests switch levels with SetISA.
//
// Layout conventions (row-major everywhere, as CTranslate2 stores weights):
//
//	w   [rows, cols]  weight matrix, w[r*cols+k]  (CT2 Dense weight is [out, in])
//	x   [n, cols]     activations, one row per token
//	dst [n, rows]     dst[t*rows+r] = sum_k w[r*cols+k] * x[t*cols+k]
//
// Integer kernels accumulate in int32 with two's-complement wrap-around, exactly like the
// pure-Go loop `s += int32(a)*int32(b)`; since integer addition is associative modulo 2^32
// every SIMD version is bit-exact with the pure-Go one. Float kernels sum in a different
// order than the pure-Go loop; the tests bound the difference by 2*gamma(n)*sum|a_i*b_i|
// (gamma(n) = n*u/(1-n*u), u = 2^-24), the textbook worst case for two summation orders.
//
// How the runtime drives an int8 linear layer (CTranslate2 int8_float32 semantics: weights
// int8 with one float32 scale per output row, activations quantized per token):
//
//	// once per weight matrix w [R, C], at load:
//	comp := make([]int32, R)
//	kernels.RowSumsInt8(comp, w, R, C)
//
//	// decode, one token x [C] float32; each goroutine takes rows [r0, r1):
//	sa := kernels.QuantizeRowInt8(xq, x)
//	kernels.GemvInt8Comp(acc[r0:r1], w[r0*C:r1*C], r1-r0, C, xq, comp[r0:r1])
//	kernels.DequantRowInt32(y[r0:r1], acc[r0:r1], sa, wScale[r0:r1])
//
//	// prefill, n tokens x [n, C]: quantize each token row (scale sa[t]), then per goroutine
//	kernels.GemmInt8Comp(acc[r0:], R, w[r0*C:r1*C], r1-r0, C, xq, n, comp[r0:r1])
//	// and dequantize row t's slice acc[t*R+r0 : t*R+r1] with sa[t] and wScale[r0:r1].
//
// When several goroutines (or several matrices) consume the same quantized tokens, pack them
// once and share: var p PackedInt8; p.Pack(xq, n, C); then GemmInt8Packed(acc[r0:], R,
// w[r0*C:r1*C], r1-r0, &p, comp[r0:r1]) per row range (saves the per-call packing, ~4%).
//
// The Comp variants and the plain ones give identical results; the plain ones compute the
// compensation themselves (a little slower on VNNI hardware). Splitting rows at multiples of
// 8 keeps every goroutine on the full-width tiles. GemmInt8 picks its strategy by shape: a
// 32-token x 8-row VNNI tile for n >= 16 and rows >= 48 (it packs the tokens on every call,
// which a PackedInt8 avoids, and then has no row minimum), otherwise row-blocked GEMVs.
// GemmF32 likewise tiles from n >= 16 and rows >= 16; to run it on a few rows at a time
// (e.g. float16 weights widened block by block) pack the tokens once with PackedF32 and
// call GemmF32Packed per block, which has no row minimum.
//
// Half-precision weights (bfloat16 or float16 bit patterns, e.g. a model.bin or safetensors
// tensor viewed in place as []uint16, unaligned is fine) multiply float32 activations
// without a float32 copy of the matrix: GemvHalf(dst, w, kernels.BF16, rows, cols, x) for
// decode (widened in registers: bf16 bits<<16, f16 vcvtph2ps), and for prefill
//
//	var p kernels.PackedF32
//	p.Pack(x, n, cols)                                       // once per linear call
//	kernels.GemmHalfPacked(dst[r0:], R, w[r0*cols:r1*cols], kernels.BF16, r1-r0, &p)
//
// per goroutine row range. GemmHalfPacked widens 8 rows at a time (12 at AVX2) into an
// L2-resident panel and runs the float32 register tile on it for every token block of a
// superblock, so it runs near the float32 GEMM's speed (the widening is a few percent of
// the FMAs at 64 tokens) while reading half the weight bytes.
// Widening is exact, so every half kernel equals the float32 kernel on the widened matrix
// up to summation order (the bound above).
//
// SiluF32 and ExpShiftedF32 (the SiLU activation and softmax's exp(x - max)) are
// bit-identical to the scalar float32 formulas on math.Exp at every level: the AVX2 and
// AVX-512 versions run the FMA branch of Go's amd64 math.Exp lane-wise in float64 (see
// exp.go), so unlike the float sums above they change no output bit.
//
// PeakFMA measures the float32 FMA throughput of the current level (register-only loop on
// threads locked OS threads, ~200 ms); benchmarks report GEMM GFLOPS as a fraction of it.
// PeakInt8 does the same for the int8 GEMM's multiply instruction (vpdpbusd, or vpmaddwd
// on AVX2) in GMAC/s; `ct2go bench` reports prefill as a fraction of it.
//
// Concurrency: kernels keep no state and allocate nothing, so callers may run them from
// many goroutines on disjoint destination slices (e.g. splitting rows). Only SetISA mutates
// package state and must not run concurrently with kernel calls.
//
// Length errors (a slice shorter than its stated shape) are programming errors and panic
// with a message naming the kernel, like an out-of-range index would; the checks also
// protect the assembly from reading out of bounds.
package kernels
