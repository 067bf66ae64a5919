//go:build amd64

#include "textflag.h"

// AVX2 (+FMA, F16C) kernels. The int8 ones sign-extend bytes to int16 (vpmovsxbw) and use
// vpmaddwd, whose pair sums (at most 2*128*128 = 32768) always fit the int32 lane: exact.
// (vpmaddubsw is avoided on purpose: its int16 pair sums saturate at -128*-128*2.)
// Column counts handed to these kernels are multiples of 16 (int8) or 8 (f32, f16);
// the Go wrappers add the remaining columns.

#include "hsum_amd64.h"

// func gemvInt8AVX2Asm(dst *int32, w *int8, rows, cols, stride int, x *int8)
// dst[r] = sum_{k<cols} w[r*stride+k]*x[k]; cols a positive multiple of 16.
// Each iteration also prefetches one line of the next 4-row block (contiguous when stride ==
// cols, as in decode), so the whole block is in flight while this one is computed: the
// instructions per weight byte here leave too few demand loads in the reorder window to
// stream from DRAM (Zen 5 with the level forced, 8B model decode on 2 threads: 62-68% ->
// 86% of the DRAM bandwidth, 1 thread's GEMV 18 -> 25-30 GB/s).
TEXT ·gemvInt8AVX2Asm(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ rows+16(FP), DX
	MOVQ cols+24(FP), AX
	MOVQ stride+32(FP), CX
	MOVQ x+40(FP), R8

	CMPQ DX, $4
	JLT  i1rows

i4rows:
	LEAQ (SI)(CX*1), R10
	LEAQ (R10)(CX*1), R11
	LEAQ (R11)(CX*1), R12
	MOVQ SI, R13                   // prefetch target: the next 4-row block if there is one
	CMPQ DX, $8
	JLT  i4pf
	LEAQ (R12)(CX*1), R13
i4pf:
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	XORQ BX, BX

i4loop:
	PREFETCHT1 (R13)(BX*4)         // 64 B of the next block per 16 columns of this one
	VPMOVSXBW (R8)(BX*1), Y8
	VPMOVSXBW (SI)(BX*1), Y9
	VPMOVSXBW (R10)(BX*1), Y10
	VPMOVSXBW (R11)(BX*1), Y11
	VPMOVSXBW (R12)(BX*1), Y12
	VPMADDWD  Y9, Y8, Y9
	VPMADDWD  Y10, Y8, Y10
	VPMADDWD  Y11, Y8, Y11
	VPMADDWD  Y12, Y8, Y12
	VPADDD    Y9, Y0, Y0
	VPADDD    Y10, Y1, Y1
	VPADDD    Y11, Y2, Y2
	VPADDD    Y12, Y3, Y3
	ADDQ $16, BX
	CMPQ BX, AX
	JB   i4loop

	HSUM4D
	VMOVDQU X0, (DI)
	ADDQ $16, DI
	LEAQ (R12)(CX*1), SI
	SUBQ $4, DX
	CMPQ DX, $4
	JGE  i4rows

i1rows:
	TESTQ DX, DX
	JZ   idone
	VPXOR Y0, Y0, Y0
	XORQ BX, BX

i1loop:
	VPMOVSXBW (R8)(BX*1), Y8
	VPMOVSXBW (SI)(BX*1), Y9
	VPMADDWD  Y9, Y8, Y9
	VPADDD    Y9, Y0, Y0
	ADDQ $16, BX
	CMPQ BX, AX
	JB   i1loop

	HSUM1D
	VMOVD X0, (DI)
	ADDQ $4, DI
	ADDQ CX, SI
	DECQ DX
	JMP  i1rows

idone:
	VZEROUPPER
	RET

// func gemvF32AVX2Asm(dst *float32, w *float32, rows, cols, stride int, x *float32)
// dst[r] = sum_{k<cols} w[r*stride+k]*x[k]; cols a positive multiple of 8. Four rows share
// each x load; each row keeps two accumulators (even/odd 8-blocks) to hide FMA latency.
TEXT ·gemvF32AVX2Asm(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ rows+16(FP), DX
	MOVQ cols+24(FP), AX
	MOVQ stride+32(FP), CX
	MOVQ x+40(FP), R8
	SHLQ $2, AX                    // byte counts
	SHLQ $2, CX
	MOVQ AX, R13
	ANDQ $-64, R13                 // 16-float part

	CMPQ DX, $4
	JLT  f1rows

f4rows:
	LEAQ (SI)(CX*1), R10
	LEAQ (R10)(CX*1), R11
	LEAQ (R11)(CX*1), R12
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ BX, BX

f4loop2:
	CMPQ BX, R13
	JAE  f4loop1
	VMOVUPS (R8)(BX*1), Y8
	VMOVUPS 32(R8)(BX*1), Y9
	VFMADD231PS (SI)(BX*1), Y8, Y0
	VFMADD231PS (R10)(BX*1), Y8, Y1
	VFMADD231PS (R11)(BX*1), Y8, Y2
	VFMADD231PS (R12)(BX*1), Y8, Y3
	VFMADD231PS 32(SI)(BX*1), Y9, Y4
	VFMADD231PS 32(R10)(BX*1), Y9, Y5
	VFMADD231PS 32(R11)(BX*1), Y9, Y6
	VFMADD231PS 32(R12)(BX*1), Y9, Y7
	ADDQ $64, BX
	JMP  f4loop2

f4loop1:
	CMPQ BX, AX
	JAE  f4red
	VMOVUPS (R8)(BX*1), Y8
	VFMADD231PS (SI)(BX*1), Y8, Y0
	VFMADD231PS (R10)(BX*1), Y8, Y1
	VFMADD231PS (R11)(BX*1), Y8, Y2
	VFMADD231PS (R12)(BX*1), Y8, Y3

f4red:
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3
	HSUM4PS
	VMOVUPS X0, (DI)
	ADDQ $16, DI
	LEAQ (R12)(CX*1), SI
	SUBQ $4, DX
	CMPQ DX, $4
	JGE  f4rows

f1rows:
	TESTQ DX, DX
	JZ   fdone
	VXORPS Y0, Y0, Y0
	VXORPS Y4, Y4, Y4
	XORQ BX, BX

f1loop2:
	CMPQ BX, R13
	JAE  f1loop1
	VMOVUPS (R8)(BX*1), Y8
	VMOVUPS 32(R8)(BX*1), Y9
	VFMADD231PS (SI)(BX*1), Y8, Y0
	VFMADD231PS 32(SI)(BX*1), Y9, Y4
	ADDQ $64, BX
	JMP  f1loop2

f1loop1:
	CMPQ BX, AX
	JAE  f1red
	VMOVUPS (R8)(BX*1), Y8
	VFMADD231PS (SI)(BX*1), Y8, Y0

f1red:
	VADDPS Y4, Y0, Y0
	HSUM1PS
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ CX, SI
	DECQ DX
	JMP  f1rows

fdone:
	VZEROUPPER
	RET

// func f16ToF32AVX2Asm(dst *float32, src *uint16, n int)
// n a positive multiple of 8. vcvtph2ps is exact for every input (NaNs are quieted).
TEXT ·f16ToF32AVX2Asm(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ BX, BX
	MOVQ CX, AX
	ANDQ $-32, AX

h4:
	CMPQ BX, AX
	JAE  h1
	VCVTPH2PS (SI)(BX*2), Y0
	VCVTPH2PS 16(SI)(BX*2), Y1
	VCVTPH2PS 32(SI)(BX*2), Y2
	VCVTPH2PS 48(SI)(BX*2), Y3
	VMOVUPS Y0, (DI)(BX*4)
	VMOVUPS Y1, 32(DI)(BX*4)
	VMOVUPS Y2, 64(DI)(BX*4)
	VMOVUPS Y3, 96(DI)(BX*4)
	ADDQ $32, BX
	JMP  h4

h1:
	CMPQ BX, CX
	JAE  hdone
	VCVTPH2PS (SI)(BX*2), Y0
	VMOVUPS Y0, (DI)(BX*4)
	ADDQ $8, BX
	JMP  h1

hdone:
	VZEROUPPER
	RET

// func bf16ToF32AVX2Asm(dst *float32, src *uint16, n int)
// n a positive multiple of 8: zero-extend each 16-bit pattern and shift it to the high half.
TEXT ·bf16ToF32AVX2Asm(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ BX, BX
	MOVQ CX, AX
	ANDQ $-32, AX

b4:
	CMPQ BX, AX
	JAE  b1
	VPMOVZXWD (SI)(BX*2), Y0
	VPMOVZXWD 16(SI)(BX*2), Y1
	VPMOVZXWD 32(SI)(BX*2), Y2
	VPMOVZXWD 48(SI)(BX*2), Y3
	VPSLLD $16, Y0, Y0
	VPSLLD $16, Y1, Y1
	VPSLLD $16, Y2, Y2
	VPSLLD $16, Y3, Y3
	VMOVDQU Y0, (DI)(BX*4)
	VMOVDQU Y1, 32(DI)(BX*4)
	VMOVDQU Y2, 64(DI)(BX*4)
	VMOVDQU Y3, 96(DI)(BX*4)
	ADDQ $32, BX
	JMP  b4

b1:
	CMPQ BX, CX
	JAE  bdone
	VPMOVZXWD (SI)(BX*2), Y0
	VPSLLD $16, Y0, Y0
	VMOVDQU Y0, (DI)(BX*4)
	ADDQ $8, BX
	JMP  b1

bdone:
	VZEROUPPER
	RET

// func axpyF32AVX2Asm(y *float32, a float32, x *float32, n int)
// y[i] += a*x[i] for i < n, n a positive multiple of 8; one fused multiply-add per element.
TEXT ·axpyF32AVX2Asm(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	VBROADCASTSS a+8(FP), Y15
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	XORQ BX, BX
	MOVQ CX, AX
	ANDQ $-32, AX

ax4:
	CMPQ BX, AX
	JAE  ax1
	VMOVUPS (DI)(BX*4), Y0
	VMOVUPS 32(DI)(BX*4), Y1
	VMOVUPS 64(DI)(BX*4), Y2
	VMOVUPS 96(DI)(BX*4), Y3
	VFMADD231PS (SI)(BX*4), Y15, Y0
	VFMADD231PS 32(SI)(BX*4), Y15, Y1
	VFMADD231PS 64(SI)(BX*4), Y15, Y2
	VFMADD231PS 96(SI)(BX*4), Y15, Y3
	VMOVUPS Y0, (DI)(BX*4)
	VMOVUPS Y1, 32(DI)(BX*4)
	VMOVUPS Y2, 64(DI)(BX*4)
	VMOVUPS Y3, 96(DI)(BX*4)
	ADDQ $32, BX
	JMP  ax4

ax1:
	CMPQ BX, CX
	JAE  axdone
	VMOVUPS (DI)(BX*4), Y0
	VFMADD231PS (SI)(BX*4), Y15, Y0
	VMOVUPS Y0, (DI)(BX*4)
	ADDQ $8, BX
	JMP  ax1

axdone:
	VZEROUPPER
	RET

// func amaxF32AVX2Asm(src *float32, n int) float32
// max_i |src[i]| for n a positive multiple of 32 (sign bit cleared, then vmaxps).
TEXT ·amaxF32AVX2Asm(SB), NOSPLIT, $0-20
	MOVQ src+0(FP), SI
	MOVQ n+8(FP), CX
	MOVL $0x7fffffff, AX
	MOVL AX, X15
	VPBROADCASTD X15, Y15
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ BX, BX

am4:
	VANDPS (SI)(BX*4), Y15, Y4
	VANDPS 32(SI)(BX*4), Y15, Y5
	VANDPS 64(SI)(BX*4), Y15, Y6
	VANDPS 96(SI)(BX*4), Y15, Y7
	VMAXPS Y4, Y0, Y0
	VMAXPS Y5, Y1, Y1
	VMAXPS Y6, Y2, Y2
	VMAXPS Y7, Y3, Y3
	ADDQ $32, BX
	CMPQ BX, CX
	JB   am4

	VMAXPS Y1, Y0, Y0
	VMAXPS Y3, Y2, Y2
	VMAXPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VMAXPS X1, X0, X0
	VPSHUFD $0xb1, X0, X1
	VMAXPS X1, X0, X0
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// Dword order that undoes the in-lane interleave of vpackssdw + vpacksswb on ymm.
DATA packPerm<>+0(SB)/4, $0
DATA packPerm<>+4(SB)/4, $4
DATA packPerm<>+8(SB)/4, $1
DATA packPerm<>+12(SB)/4, $5
DATA packPerm<>+16(SB)/4, $2
DATA packPerm<>+20(SB)/4, $6
DATA packPerm<>+24(SB)/4, $3
DATA packPerm<>+28(SB)/4, $7
GLOBL packPerm<>(SB), RODATA|NOPTR, $32

// func quantF32AVX2Asm(dst *int8, src *float32, n int, scale float32)
// dst[i] = int8(round-half-even(src[i]*scale)) for n a positive multiple of 32: vmulps
// rounds the product to float32 like the Go code, vcvtps2dq rounds it to nearest-even
// (the MXCSR default, which Go never changes), the packs saturate (values are within
// [-127, 127] for finite input).
TEXT ·quantF32AVX2Asm(SB), NOSPLIT, $0-28
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS scale+24(FP), Y15
	VMOVDQU packPerm<>(SB), Y14
	XORQ BX, BX

qloop:
	VMULPS (SI)(BX*4), Y15, Y0
	VMULPS 32(SI)(BX*4), Y15, Y1
	VMULPS 64(SI)(BX*4), Y15, Y2
	VMULPS 96(SI)(BX*4), Y15, Y3
	VCVTPS2DQ Y0, Y0
	VCVTPS2DQ Y1, Y1
	VCVTPS2DQ Y2, Y2
	VCVTPS2DQ Y3, Y3
	VPACKSSDW Y1, Y0, Y0
	VPACKSSDW Y3, Y2, Y2
	VPACKSSWB Y2, Y0, Y0
	VPERMD Y0, Y14, Y0
	VMOVDQU Y0, (DI)(BX*1)
	ADDQ $32, BX
	CMPQ BX, CX
	JB   qloop
	VZEROUPPER
	RET

// func dequantAVX2Asm(dst *float32, acc *int32, inv float32, scaleW *float32, n int)
// dst[j] = (float32(acc[j]) * inv) / scaleW[j] for n a positive multiple of 8; the same
// three IEEE operations in the same order as the Go code, so the bits match.
TEXT ·dequantAVX2Asm(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ acc+8(FP), SI
	VBROADCASTSS inv+16(FP), Y15
	MOVQ scaleW+24(FP), DX
	MOVQ n+32(FP), CX
	XORQ BX, BX

dqloop:
	VCVTDQ2PS (SI)(BX*4), Y0
	VMULPS Y15, Y0, Y0
	VDIVPS (DX)(BX*4), Y0, Y0
	VMOVUPS Y0, (DI)(BX*4)
	ADDQ $8, BX
	CMPQ BX, CX
	JB   dqloop
	VZEROUPPER
	RET

// func cvtInt8Int16AVX2Asm(dst *int16, src *int8, n int)
// Sign-extends n int8 to int16, n a positive multiple of 16.
TEXT ·cvtInt8Int16AVX2Asm(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ BX, BX

cvloop:
	VPMOVSXBW (SI)(BX*1), Y0
	VMOVDQU Y0, (DI)(BX*2)
	ADDQ $16, BX
	CMPQ BX, CX
	JB   cvloop
	VZEROUPPER
	RET

// ROWTOK accumulates w-row register wr times the four token registers into accs a0..a3,
// through two alternating temporaries so consecutive products do not share one.
#define ROWTOK(wr, a0, a1, a2, a3) \
	VPMADDWD Y10, wr, Y14 \
	VPMADDWD Y11, wr, Y15 \
	VPADDD   Y14, a0, a0 \
	VPADDD   Y15, a1, a1 \
	VPMADDWD Y12, wr, Y14 \
	VPMADDWD Y13, wr, Y15 \
	VPADDD   Y14, a2, a2 \
	VPADDD   Y15, a3, a3

// func gemmInt8AVX2Tile2x4(out *[8]int32, w *int8, wstride int, x16 *int16, xstride int, cols int, nrows, ntok int)
//
// Two weight rows x four tokens, exact: weights are sign-extended to int16 in registers
// (once per 16 columns, shared by the four tokens), tokens come pre-extended to int16, and
// vpmaddwd's int32 pair sums cannot overflow. out[r*4+t] = sum_k w[r*wstride+k] *
// x16[t*xstride+k] for k < cols (a positive multiple of 16); rows >= nrows (1 or 2) and
// tokens >= ntok (1..4) repeat the last valid one (no out-of-bounds reads) and are to be
// ignored by the caller.
TEXT ·gemmInt8AVX2Tile2x4(SB), NOSPLIT, $0-64
	MOVQ w+8(FP), R8
	MOVQ R8, R9
	CMPQ nrows+48(FP), $1
	JLE  one
	ADDQ wstride+16(FP), R9
one:
	MOVQ x16+24(FP), SI
	MOVQ xstride+32(FP), R12
	SHLQ $1, R12                   // bytes between tokens
	MOVQ ntok+56(FP), R13
	MOVQ SI, DI
	CMPQ R13, $1
	JLE  t1
	ADDQ R12, DI
t1:
	MOVQ DI, DX
	CMPQ R13, $2
	JLE  t2
	ADDQ R12, DX
t2:
	MOVQ DX, R10
	CMPQ R13, $3
	JLE  t3
	ADDQ R12, R10
t3:
	MOVQ cols+40(FP), CX
	XORQ BX, BX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7

tloop:
	VPMOVSXBW (R8)(BX*1), Y8
	VPMOVSXBW (R9)(BX*1), Y9
	VMOVDQU   (SI)(BX*2), Y10
	VMOVDQU   (DI)(BX*2), Y11
	VMOVDQU   (DX)(BX*2), Y12
	VMOVDQU   (R10)(BX*2), Y13
	ROWTOK(Y8, Y0, Y1, Y2, Y3)
	ROWTOK(Y9, Y4, Y5, Y6, Y7)
	ADDQ $16, BX
	CMPQ BX, CX
	JB   tloop

	MOVQ out+0(FP), AX
	HSUM4D                         // row 0: [t0, t1, t2, t3]
	VMOVDQU X0, (AX)
	VMOVDQA Y4, Y0
	VMOVDQA Y5, Y1
	VMOVDQA Y6, Y2
	VMOVDQA Y7, Y3
	HSUM4D                         // row 1
	VMOVDQU X0, 16(AX)
	VZEROUPPER
	RET

// func gemmF32AVX2Tile6x16(out *[96]float32, w *float32, wstride int, xp *byte, kq, nrows, acc int)
//
// Six weight rows x 16 packed tokens: xp points at token 0 or 16 of a packed 32-token
// block ([kq][32] float32, 128 bytes per column). Per column k, the 16 tokens are loaded
// once and w[r][k] is broadcast for each row, so each output sums its k terms in order with
// one fused multiply-add each (the numerics of the other float32 tiles). out[r*16+t]; rows
// past nrows repeat the last valid row (the caller ignores them). 12 accumulators + 2 token
// vectors + 2 broadcasts use all 16 ymm registers; per column it issues 2 vector loads and
// 6 broadcasts for 12 FMAs (a 2-row x 32-token tile needs 6 for 8, and its token loads,
// one per 2 rows, came from L2). With acc != 0 the sums start from out's contents instead
// of zero (the caller loads an earlier column chunk's results there).
TEXT ·gemmF32AVX2Tile6x16(SB), NOSPLIT, $0-56
	MOVQ w+8(FP), R8
	MOVQ wstride+16(FP), AX
	SHLQ $2, AX
	MOVQ nrows+40(FP), DX
	MOVQ R8, R9
	CMPQ DX, $1
	JLE  t6p1
	ADDQ AX, R9
t6p1:
	MOVQ R9, R10
	CMPQ DX, $2
	JLE  t6p2
	ADDQ AX, R10
t6p2:
	MOVQ R10, R11
	CMPQ DX, $3
	JLE  t6p3
	ADDQ AX, R11
t6p3:
	MOVQ R11, R12
	CMPQ DX, $4
	JLE  t6p4
	ADDQ AX, R12
t6p4:
	MOVQ R12, R13
	CMPQ DX, $5
	JLE  t6p5
	ADDQ AX, R13
t6p5:
	MOVQ xp+24(FP), SI
	MOVQ kq+32(FP), CX
	XORQ BX, BX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	CMPQ acc+48(FP), $0
	JEQ  t6loop
	MOVQ out+0(FP), DI
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	VMOVUPS 256(DI), Y8
	VMOVUPS 288(DI), Y9
	VMOVUPS 320(DI), Y10
	VMOVUPS 352(DI), Y11

t6loop:
	VMOVUPS (SI), Y12
	VMOVUPS 32(SI), Y13
	VBROADCASTSS (R8)(BX*4), Y14
	VBROADCASTSS (R9)(BX*4), Y15
	VFMADD231PS Y12, Y14, Y0
	VFMADD231PS Y13, Y14, Y1
	VFMADD231PS Y12, Y15, Y2
	VFMADD231PS Y13, Y15, Y3
	VBROADCASTSS (R10)(BX*4), Y14
	VBROADCASTSS (R11)(BX*4), Y15
	VFMADD231PS Y12, Y14, Y4
	VFMADD231PS Y13, Y14, Y5
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7
	VBROADCASTSS (R12)(BX*4), Y14
	VBROADCASTSS (R13)(BX*4), Y15
	VFMADD231PS Y12, Y14, Y8
	VFMADD231PS Y13, Y14, Y9
	VFMADD231PS Y12, Y15, Y10
	VFMADD231PS Y13, Y15, Y11
	ADDQ $128, SI
	INCQ BX
	CMPQ BX, CX
	JB   t6loop

	MOVQ out+0(FP), DI
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VMOVUPS Y8, 256(DI)
	VMOVUPS Y9, 288(DI)
	VMOVUPS Y10, 320(DI)
	VMOVUPS Y11, 352(DI)
	VZEROUPPER
	RET
