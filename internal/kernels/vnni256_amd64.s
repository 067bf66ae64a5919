//go:build amd64

#include "textflag.h"
#include "hsum_amd64.h"

// AVX-VNNI (VEX-encoded vpdpbusd on ymm, e.g. Alder Lake and later client cores, Sierra
// Forest) int8 GEMM tile and GEMV for machines without AVX-512 VNNI. The Go assembler only
// knows the EVEX form of VPDPBUSD (which needs AVX512_VNNI+VL), so the VEX instructions below
// are spelled as bytes; each comment gives the instruction in Go operand order and its meaning
// (encodings checked with objdump: "{vex} vpdpbusd ymm0,ymm8,ymm10" etc.). Every register
// is fixed in the encodings.

// func gemmInt8VNNI256Tile6x16(out *[96]int32, w *int8, wstride int, xp *byte, kq, nrows int)
//
// Six weight rows x 16 tokens. xp points into a packed 32-token block ([kq][32][4] u8,
// x+128, see packTokens) at token 0 or 16; per 4-column step the 16 tokens' groups are the
// 64 bytes at xp, then xp advances 128. Lanes are tokens (8 per ymm): the two token vectors
// (Y12, Y13) are loaded once per step and each row's 4 weight bytes are broadcast
// (vpbroadcastd) into Y14 and Y15 in turn. Twelve accumulators (row r's tokens 0-7 and
// 8-15 in Y(2r), Y(2r+1)) cover vpdpbusd's latency at two per cycle; the 4-row tile it
// replaced had eight (Zen 5 with the level forced, BenchmarkPrefill8B on packed tokens:
// 188 -> 197 GMAC per CPU-second on one thread, 83% -> 87% of the ymm VNNI peak; 318 -> 402
// GMAC/s on two).
// out[r*16+t] = sum_k (x+128)*w over the kq*4 columns; the caller subtracts 128*sum w. Rows
// >= nrows (1..6) repeat the last valid row.
TEXT ·gemmInt8VNNI256Tile6x16(SB), NOSPLIT, $0-48
	MOVQ w+8(FP), R8
	MOVQ wstride+16(FP), AX
	MOVQ nrows+40(FP), DX
	MOVQ R8, R9
	CMPQ DX, $1
	JLE  s1
	ADDQ AX, R9
s1:
	MOVQ R9, R10
	CMPQ DX, $2
	JLE  s2
	ADDQ AX, R10
s2:
	MOVQ R10, R11
	CMPQ DX, $3
	JLE  s3
	ADDQ AX, R11
s3:
	MOVQ R11, R12
	CMPQ DX, $4
	JLE  s4
	ADDQ AX, R12
s4:
	MOVQ R12, R13
	CMPQ DX, $5
	JLE  s5
	ADDQ AX, R13
s5:
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
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11

sloop:
	VMOVDQU (SI), Y12
	VMOVDQU 32(SI), Y13
	VPBROADCASTD (R8)(BX*1), Y14
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xc6 // VPDPBUSD Y14, Y12, Y0 (VEX: Y0 += u8 Y12 * s8 Y14)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x15; BYTE $0x50; BYTE $0xce // VPDPBUSD Y14, Y13, Y1 (VEX: Y1 += u8 Y13 * s8 Y14)
	VPBROADCASTD (R9)(BX*1), Y15
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xd7 // VPDPBUSD Y15, Y12, Y2 (VEX: Y2 += u8 Y12 * s8 Y15)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x15; BYTE $0x50; BYTE $0xdf // VPDPBUSD Y15, Y13, Y3 (VEX: Y3 += u8 Y13 * s8 Y15)
	VPBROADCASTD (R10)(BX*1), Y14
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xe6 // VPDPBUSD Y14, Y12, Y4 (VEX: Y4 += u8 Y12 * s8 Y14)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x15; BYTE $0x50; BYTE $0xee // VPDPBUSD Y14, Y13, Y5 (VEX: Y5 += u8 Y13 * s8 Y14)
	VPBROADCASTD (R11)(BX*1), Y15
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xf7 // VPDPBUSD Y15, Y12, Y6 (VEX: Y6 += u8 Y12 * s8 Y15)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x15; BYTE $0x50; BYTE $0xff // VPDPBUSD Y15, Y13, Y7 (VEX: Y7 += u8 Y13 * s8 Y15)
	VPBROADCASTD (R12)(BX*1), Y14
	BYTE $0xc4; BYTE $0x42; BYTE $0x1d; BYTE $0x50; BYTE $0xc6 // VPDPBUSD Y14, Y12, Y8 (VEX: Y8 += u8 Y12 * s8 Y14)
	BYTE $0xc4; BYTE $0x42; BYTE $0x15; BYTE $0x50; BYTE $0xce // VPDPBUSD Y14, Y13, Y9 (VEX: Y9 += u8 Y13 * s8 Y14)
	VPBROADCASTD (R13)(BX*1), Y15
	BYTE $0xc4; BYTE $0x42; BYTE $0x1d; BYTE $0x50; BYTE $0xd7 // VPDPBUSD Y15, Y12, Y10 (VEX: Y10 += u8 Y12 * s8 Y15)
	BYTE $0xc4; BYTE $0x42; BYTE $0x15; BYTE $0x50; BYTE $0xdf // VPDPBUSD Y15, Y13, Y11 (VEX: Y11 += u8 Y13 * s8 Y15)
	ADDQ $128, SI
	ADDQ $4, BX
	CMPQ BX, CX
	JB   sloop

	MOVQ out+0(FP), DI
	VMOVDQU Y0, (DI)
	VMOVDQU Y1, 32(DI)
	VMOVDQU Y2, 64(DI)
	VMOVDQU Y3, 96(DI)
	VMOVDQU Y4, 128(DI)
	VMOVDQU Y5, 160(DI)
	VMOVDQU Y6, 192(DI)
	VMOVDQU Y7, 224(DI)
	VMOVDQU Y8, 256(DI)
	VMOVDQU Y9, 288(DI)
	VMOVDQU Y10, 320(DI)
	VMOVDQU Y11, 352(DI)
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
// accumulators (even/odd 32-byte steps) to hide the vpdpbusd latency. Like the AVX2 GEMV it
// prefetches the next 4-row block, four lines per 64 columns (8B decode with the level
// forced on Zen 5, 2 threads: 78-83% -> 88-90% of the DRAM bandwidth).
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
	MOVQ SI, R9                    // prefetch target: the next 4-row block if there is one
	CMPQ DX, $8
	JLT  g4pf
	LEAQ (R12)(CX*1), R9
g4pf:
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
	PREFETCHT1 (R9)(BX*4)
	PREFETCHT1 64(R9)(BX*4)
	PREFETCHT1 128(R9)(BX*4)
	PREFETCHT1 192(R9)(BX*4)
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
