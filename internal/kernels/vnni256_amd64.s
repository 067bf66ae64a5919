//go:build amd64

#include "textflag.h"
#include "hsum_amd64.h"

// AVX-VNNI (VEX-encoded vpdpbusd on ymm, e.g. Alder Lake and later client cores, Sierra
// Forest) int8 GEMM tile and GEMV for machines without AVX-512 VNNI. The Go assembler only
// knows the EVEX form of VPDPBUSD (which needs AVX512_VNNI+VL), so the VEX instructions below
// are spelled as bytes; each comment gives the instruction in Go operand order and its meaning
// (encodings checked with objdump: "{vex} vpdpbusd ymm0,ymm8,ymm10" etc.). Only registers
// Y0-Y13 are involved, so every encoding is fixed.

// func gemmInt8VNNI256Tile4x16(out *[64]int32, w *int8, wstride int, xp *byte, kq, nrows int)
//
// Four weight rows x 16 tokens. xp points into a packed 32-token block ([kq][32][4] u8,
// x+128, see packTokens) at token 0 or 16; per 4-column step the 16 tokens' groups are the
// 64 bytes at xp, then xp advances 128. Lanes are tokens (8 per ymm), each step broadcasts
// the 4 weight bytes of a row (vpbroadcastd). out[r*16+t] = sum_k (x+128)*w over the kq*4
// columns; the caller subtracts 128*sum w. Rows >= nrows repeat the last valid row.
TEXT ·gemmInt8VNNI256Tile4x16(SB), NOSPLIT, $0-48
	MOVQ w+8(FP), R8
	MOVQ wstride+16(FP), AX
	MOVQ nrows+40(FP), DX
	MOVQ R8, R9
	CMPQ DX, $1
	JLE  v1
	ADDQ AX, R9
v1:
	MOVQ R9, R10
	CMPQ DX, $2
	JLE  v2
	ADDQ AX, R10
v2:
	MOVQ R10, R11
	CMPQ DX, $3
	JLE  v3
	ADDQ AX, R11
v3:
	MOVQ xp+24(FP), SI
	MOVQ kq+32(FP), CX
	SHLQ $2, CX                    // end byte offset in the weight rows
	XORQ BX, BX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7

vloop:
	VMOVDQU (SI), Y8
	VMOVDQU 32(SI), Y9
	VPBROADCASTD (R8)(BX*1), Y10
	VPBROADCASTD (R9)(BX*1), Y11
	VPBROADCASTD (R10)(BX*1), Y12
	VPBROADCASTD (R11)(BX*1), Y13
	BYTE $0xc4; BYTE $0xc2; BYTE $0x3d; BYTE $0x50; BYTE $0xc2 // VPDPBUSD Y10, Y8, Y0 (VEX: Y0 += u8 Y8 * s8 Y10)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x35; BYTE $0x50; BYTE $0xca // VPDPBUSD Y10, Y9, Y1 (VEX: Y1 += u8 Y9 * s8 Y10)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x3d; BYTE $0x50; BYTE $0xd3 // VPDPBUSD Y11, Y8, Y2 (VEX: Y2 += u8 Y8 * s8 Y11)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x35; BYTE $0x50; BYTE $0xdb // VPDPBUSD Y11, Y9, Y3 (VEX: Y3 += u8 Y9 * s8 Y11)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x3d; BYTE $0x50; BYTE $0xe4 // VPDPBUSD Y12, Y8, Y4 (VEX: Y4 += u8 Y8 * s8 Y12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x35; BYTE $0x50; BYTE $0xec // VPDPBUSD Y12, Y9, Y5 (VEX: Y5 += u8 Y9 * s8 Y12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x3d; BYTE $0x50; BYTE $0xf5 // VPDPBUSD Y13, Y8, Y6 (VEX: Y6 += u8 Y8 * s8 Y13)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x35; BYTE $0x50; BYTE $0xfd // VPDPBUSD Y13, Y9, Y7 (VEX: Y7 += u8 Y9 * s8 Y13)
	ADDQ $128, SI
	ADDQ $4, BX
	CMPQ BX, CX
	JB   vloop

	MOVQ out+0(FP), DI
	VMOVDQU Y0, (DI)
	VMOVDQU Y1, 32(DI)
	VMOVDQU Y2, 64(DI)
	VMOVDQU Y3, 96(DI)
	VMOVDQU Y4, 128(DI)
	VMOVDQU Y5, 160(DI)
	VMOVDQU Y6, 192(DI)
	VMOVDQU Y7, 224(DI)
	VZEROUPPER
	RET


// The four rows' steps of gemvInt8VNNI256Raw (rows at SI, R10, R11, R12; x at R8, column BX;
// Y13 = 0x80 bytes). The BYTE lines are, in order for GSTEPA and GSTEPB:
//   VPDPBUSD Y8, Y12, Y0 (VEX: Y0 += u8 Y12 * s8 Y8)
//   VPDPBUSD Y9, Y12, Y1 (VEX: Y1 += u8 Y12 * s8 Y9)
//   VPDPBUSD Y10, Y12, Y2 (VEX: Y2 += u8 Y12 * s8 Y10)
//   VPDPBUSD Y11, Y12, Y3 (VEX: Y3 += u8 Y12 * s8 Y11)
//   VPDPBUSD Y8, Y12, Y4 (VEX: Y4 += u8 Y12 * s8 Y8)
//   VPDPBUSD Y9, Y12, Y5 (VEX: Y5 += u8 Y12 * s8 Y9)
//   VPDPBUSD Y10, Y12, Y6 (VEX: Y6 += u8 Y12 * s8 Y10)
//   VPDPBUSD Y11, Y12, Y7 (VEX: Y7 += u8 Y12 * s8 Y11)

// GSTEPA(off) adds (x+128)*w over the 32 columns at byte off of the step to Y0-Y3.
#define GSTEPA(off) \
	VPXOR   off(R8)(BX*1), Y13, Y12 \
	VMOVDQU off(SI)(BX*1), Y8 \
	VMOVDQU off(R10)(BX*1), Y9 \
	VMOVDQU off(R11)(BX*1), Y10 \
	VMOVDQU off(R12)(BX*1), Y11 \
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xc0 \
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xc9 \
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xd2 \
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xdb

// GSTEPB(off) is GSTEPA into Y4-Y7, the second accumulator of each row.
#define GSTEPB(off) \
	VPXOR   off(R8)(BX*1), Y13, Y12 \
	VMOVDQU off(SI)(BX*1), Y8 \
	VMOVDQU off(R10)(BX*1), Y9 \
	VMOVDQU off(R11)(BX*1), Y10 \
	VMOVDQU off(R12)(BX*1), Y11 \
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xe0 \
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xe9 \
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xf2 \
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xfb

// func gemvInt8VNNI256Raw(dst *int32, w *int8, rows, cols, stride int, x *int8)
//
// The AVX-VNNI decode GEMV: dst[r] = sum_{k<cols} (x[k]+128) * w[r*stride+k] for cols a
// positive multiple of 32 (the caller subtracts 128*sum w and adds the column tail). One
// vpdpbusd per 32 weight bytes, where the AVX2 GEMV needs a sign extension, a vpmaddwd and an
// add per 16: with fewer instructions per byte more of the weight stream is in flight, which
// is what a memory-bound GEMV needs. Four rows share each x load; each row has two
// accumulators (even/odd 32-byte steps) to hide the vpdpbusd latency.
TEXT ·gemvInt8VNNI256Raw(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ rows+16(FP), DX
	MOVQ cols+24(FP), AX
	MOVQ stride+32(FP), CX
	MOVQ x+40(FP), R8
	MOVL $0x80808080, R9
	MOVL R9, X13
	VPBROADCASTD X13, Y13          // 0x80 in every byte
	MOVQ AX, R13
	ANDQ $-64, R13                 // columns done two steps at a time

	CMPQ DX, $4
	JLT  g1rows

g4rows:
	LEAQ (SI)(CX*1), R10
	LEAQ (R10)(CX*1), R11
	LEAQ (R11)(CX*1), R12
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	XORQ BX, BX

g4loop2:
	CMPQ BX, R13
	JAE  g4loop1
	GSTEPA(0)
	GSTEPB(32)
	ADDQ $64, BX
	JMP  g4loop2

g4loop1:
	CMPQ BX, AX
	JAE  g4red
	GSTEPA(0)

g4red:
	VPADDD Y4, Y0, Y0
	VPADDD Y5, Y1, Y1
	VPADDD Y6, Y2, Y2
	VPADDD Y7, Y3, Y3
	HSUM4D
	VMOVDQU X0, (DI)
	ADDQ $16, DI
	LEAQ (R12)(CX*1), SI
	SUBQ $4, DX
	CMPQ DX, $4
	JGE  g4rows

g1rows:
	TESTQ DX, DX
	JZ   gdone
	VPXOR Y0, Y0, Y0
	XORQ BX, BX

g1loop:
	VPXOR   (R8)(BX*1), Y13, Y12
	VMOVDQU (SI)(BX*1), Y8
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xc0 // VPDPBUSD Y8, Y12, Y0 (VEX: Y0 += u8 Y12 * s8 Y8)
	ADDQ $32, BX
	CMPQ BX, AX
	JB   g1loop
	HSUM1D
	VMOVD X0, (DI)
	ADDQ $4, DI
	ADDQ CX, SI
	DECQ DX
	JMP  g1rows

gdone:
	VZEROUPPER
	RET
