//go:build amd64

#include "textflag.h"
#include "hsum_amd64.h"

// Four-query float32 GEMV for AVX-512 (GemvF32Multi): each zmm accumulator holds the two
// ymm accumulators gemvF32AVX2Asm would keep for one weight row and two queries, low half
// query 2p, high half query 2p+1. The row's 8-float block is broadcast to both halves
// (vbroadcastf64x4) and multiplied against the packed pair [x_2p block | x_2p+1 block], so
// every lane sees exactly the fused multiply-adds of the ymm kernel, in the same order:
// blocks 0,2,4,... into the even accumulator, 1,3,5,... into the odd one, the last 8-block
// of a cols%16 == 8 row into the even one; then even+odd and, per query, the HSUM4PS /
// HSUM1PS reduction of avx2_amd64.s on the extracted ymm halves (same VEX instructions and
// operand order, so the same bits, NaN payloads included). Columns [c8, cols) are summed
// as gemvF32AVX2's Go tail compiles (dst[r] += dotF32Generic: s = 0; s = s + w*x per
// column, the product rounded first; then tail + simd), with the four queries in the
// lanes of an xmm and the operand order of that code (MULSS: w*x, ADDSS: s+p, tail+dst).

// ROW4 does one 16-column step of one row (pointer p) into even accumulators e0 (pair 0),
// e1 (pair 1) and odd ones o0, o1, with weight temps ta, tb.
#define ROW4(p, e0, e1, o0, o1, ta, tb) \
	VBROADCASTF64X4 (p)(BX*1), ta \
	VBROADCASTF64X4 32(p)(BX*1), tb \
	VFMADD231PS     ta, Z24, e0 \
	VFMADD231PS     ta, Z25, e1 \
	VFMADD231PS     tb, Z26, o0 \
	VFMADD231PS     tb, Z27, o1

// ROW1 does the one 8-column block past the last multiple of 16 into the even accumulators.
#define ROW1(p, e0, e1, ta) \
	VBROADCASTF64X4 (p)(BX*1), ta \
	VFMADD231PS     ta, Z24, e0 \
	VFMADD231PS     ta, Z25, e1

// TAIL sums the tail columns of row p into lanes [q0 q1 q2 q3] of s (weight temp t, x in X8).
#define TAIL(p, s, t) \
	VBROADCASTSS (p)(BX*1), t \
	VMULPS       X8, t, t \
	VADDPS       t, s, s

// func gemvF32x4AVX512Asm(dst *float32, ldDst int, w *float32, ldW, rows, c8, cols int, xp *float32)
// dst[q*ldDst+r] = sum_{k<cols} w[r*ldW+k]*x_q[k] for q < 4, as gemvF32AVX2 computes each;
// c8 = cols&^7 > 0, xp the 4 queries packed per 8-float block b < c8/8 as
// [x_0 | x_1 | x_2 | x_3] (32 floats at xp[32b]), then per tail column k in [c8, cols)
// [x_0[k] x_1[k] x_2[k] x_3[k]] at xp[4k].
TEXT ·gemvF32x4AVX512Asm(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ ldDst+8(FP), R9
	MOVQ w+16(FP), SI
	MOVQ ldW+24(FP), CX
	MOVQ rows+32(FP), DX
	MOVQ c8+40(FP), AX
	MOVQ cols+48(FP), R14
	MOVQ xp+56(FP), R8
	SHLQ $2, R9                    // byte counts
	SHLQ $2, CX
	SHLQ $2, AX
	SHLQ $2, R14
	MOVQ AX, R13
	ANDQ $-64, R13                 // 16-float part

	CMPQ DX, $4
	JLT  m1rows

m4rows:
	LEAQ (SI)(CX*1), R10
	LEAQ (R10)(CX*1), R11
	LEAQ (R11)(CX*1), R12
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	XORQ BX, BX

m4loop2:
	CMPQ BX, R13
	JAE  m4loop1
	VMOVUPS (R8)(BX*4), Z24
	VMOVUPS 64(R8)(BX*4), Z25
	VMOVUPS 128(R8)(BX*4), Z26
	VMOVUPS 192(R8)(BX*4), Z27
	ROW4(SI, Z0, Z1, Z16, Z17, Z28, Z29)
	ROW4(R10, Z2, Z3, Z18, Z19, Z30, Z31)
	ROW4(R11, Z4, Z5, Z20, Z21, Z28, Z29)
	ROW4(R12, Z6, Z7, Z22, Z23, Z30, Z31)
	ADDQ $64, BX
	JMP  m4loop2

m4loop1:
	CMPQ BX, AX
	JAE  m4tail
	VMOVUPS (R8)(BX*4), Z24
	VMOVUPS 64(R8)(BX*4), Z25
	ROW1(SI, Z0, Z1, Z28)
	ROW1(R10, Z2, Z3, Z29)
	ROW1(R11, Z4, Z5, Z30)
	ROW1(R12, Z6, Z7, Z31)

m4tail:
	CMPQ AX, R14
	JAE  m4red
	VXORPS X12, X12, X12
	VXORPS X13, X13, X13
	VXORPS X14, X14, X14
	VXORPS X15, X15, X15
	MOVQ AX, BX

m4tloop:
	VMOVUPS (R8)(BX*4), X8
	TAIL(SI, X12, X9)
	TAIL(R10, X13, X10)
	TAIL(R11, X14, X11)
	TAIL(R12, X15, X9)
	ADDQ $4, BX
	CMPQ BX, R14
	JB   m4tloop
	// Rows' tails [q0..q3] in X12..X15 -> queries' tails [r0..r3] in X12..X15.
	VUNPCKLPS X13, X12, X8
	VUNPCKHPS X13, X12, X9
	VUNPCKLPS X15, X14, X10
	VUNPCKHPS X15, X14, X11
	VMOVLHPS  X10, X8, X12
	VMOVHLPS  X8, X10, X13
	VMOVLHPS  X11, X9, X14
	VMOVHLPS  X9, X11, X15

m4red:
	VADDPS Z16, Z0, Z0
	VADDPS Z17, Z1, Z1
	VADDPS Z18, Z2, Z2
	VADDPS Z19, Z3, Z3
	VADDPS Z20, Z4, Z4
	VADDPS Z21, Z5, Z5
	VADDPS Z22, Z6, Z6
	VADDPS Z23, Z7, Z7
	// Queries 1 and 3 (high halves) before the VEX reductions clear the upper bits.
	VEXTRACTF64X4 $1, Z0, Y16
	VEXTRACTF64X4 $1, Z2, Y18
	VEXTRACTF64X4 $1, Z4, Y20
	VEXTRACTF64X4 $1, Z6, Y22
	VEXTRACTF64X4 $1, Z1, Y17
	VEXTRACTF64X4 $1, Z3, Y19
	VEXTRACTF64X4 $1, Z5, Y21
	VEXTRACTF64X4 $1, Z7, Y23
	CMPQ AX, R14                   // flags survive the vector code below
	HSUM4(Y0, X0, Y2, X2, Y4, X4, Y6, X6)
	JAE  m4q0
	VADDPS X0, X12, X0
m4q0:
	VMOVUPS X0, (DI)               // query 0, rows r..r+3
	HSUM4(Y1, X1, Y3, X3, Y5, X5, Y7, X7)
	JAE  m4q2
	VADDPS X1, X14, X1
m4q2:
	VMOVUPS X1, (DI)(R9*2)         // query 2
	VMOVUPS Y16, Y0
	VMOVUPS Y18, Y2
	VMOVUPS Y20, Y4
	VMOVUPS Y22, Y6
	HSUM4(Y0, X0, Y2, X2, Y4, X4, Y6, X6)
	JAE  m4q1
	VADDPS X0, X13, X0
m4q1:
	VMOVUPS X0, (DI)(R9*1)         // query 1
	VMOVUPS Y17, Y1
	VMOVUPS Y19, Y3
	VMOVUPS Y21, Y5
	VMOVUPS Y23, Y7
	HSUM4(Y1, X1, Y3, X3, Y5, X5, Y7, X7)
	JAE  m4q3
	VADDPS X1, X15, X1
m4q3:
	LEAQ (DI)(R9*2), BX
	VMOVUPS X1, (BX)(R9*1)         // query 3
	ADDQ $16, DI
	LEAQ (R12)(CX*1), SI
	SUBQ $4, DX
	CMPQ DX, $4
	JGE  m4rows

m1rows:
	TESTQ DX, DX
	JZ   mdone
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	XORQ BX, BX

m1loop2:
	CMPQ BX, R13
	JAE  m1loop1
	VMOVUPS (R8)(BX*4), Z24
	VMOVUPS 64(R8)(BX*4), Z25
	VMOVUPS 128(R8)(BX*4), Z26
	VMOVUPS 192(R8)(BX*4), Z27
	ROW4(SI, Z0, Z1, Z16, Z17, Z28, Z29)
	ADDQ $64, BX
	JMP  m1loop2

m1loop1:
	CMPQ BX, AX
	JAE  m1tail
	VMOVUPS (R8)(BX*4), Z24
	VMOVUPS 64(R8)(BX*4), Z25
	ROW1(SI, Z0, Z1, Z28)

m1tail:
	CMPQ AX, R14
	JAE  m1red
	VXORPS X12, X12, X12
	MOVQ AX, BX

m1tloop:
	VMOVUPS (R8)(BX*4), X8
	TAIL(SI, X12, X9)
	ADDQ $4, BX
	CMPQ BX, R14
	JB   m1tloop

m1red:
	VADDPS Z16, Z0, Z0
	VADDPS Z17, Z1, Z1
	VEXTRACTF64X4 $1, Z0, Y2
	VEXTRACTF64X4 $1, Z1, Y3
	HSUM1(Y0, X0, X8)
	HSUM1(Y2, X2, X8)
	HSUM1(Y1, X1, X8)
	HSUM1(Y3, X3, X8)
	CMPQ AX, R14
	JAE  m1store
	VPERMILPS $1, X12, X9          // tails of queries 1, 2, 3 in lane 0
	VPERMILPS $2, X12, X10
	VPERMILPS $3, X12, X11
	VADDSS X0, X12, X0
	VADDSS X2, X9, X2
	VADDSS X1, X10, X1
	VADDSS X3, X11, X3

m1store:
	VMOVSS X0, (DI)                // query 0
	VMOVSS X2, (DI)(R9*1)          // query 1
	VMOVSS X1, (DI)(R9*2)          // query 2
	LEAQ (DI)(R9*2), BX
	VMOVSS X3, (BX)(R9*1)          // query 3
	ADDQ $4, DI
	ADDQ CX, SI
	DECQ DX
	JMP  m1rows

mdone:
	VZEROUPPER
	RET
