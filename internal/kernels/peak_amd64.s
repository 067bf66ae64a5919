//go:build amd64

#include "textflag.h"

// Register-only loops for PeakFMA (float32 vfmadd231ps) and PeakInt8 (int8 vpdpbusd, or
// vpmaddwd + vpaddd): every iteration issues independent operations into separate
// accumulators (no loads, no dependency shorter than one iteration), so throughput is bounded
// by the execution ports only. Operands are zero: the results stay 0, no denormals or
// infinities slow anything down.

// ZERO18Z clears the two zmm operands Z16, Z17 and the accumulators Z0-Z15.
#define ZERO18Z \
	VPXORD Z16, Z16, Z16 \
	VPXORD Z17, Z17, Z17 \
	VPXORD Z0, Z0, Z0 \
	VPXORD Z1, Z1, Z1 \
	VPXORD Z2, Z2, Z2 \
	VPXORD Z3, Z3, Z3 \
	VPXORD Z4, Z4, Z4 \
	VPXORD Z5, Z5, Z5 \
	VPXORD Z6, Z6, Z6 \
	VPXORD Z7, Z7, Z7 \
	VPXORD Z8, Z8, Z8 \
	VPXORD Z9, Z9, Z9 \
	VPXORD Z10, Z10, Z10 \
	VPXORD Z11, Z11, Z11 \
	VPXORD Z12, Z12, Z12 \
	VPXORD Z13, Z13, Z13 \
	VPXORD Z14, Z14, Z14 \
	VPXORD Z15, Z15, Z15

// ZERO14Y clears the two ymm operands Y12, Y13 and Y0-Y11 (accumulators, temporaries).
#define ZERO14Y \
	VPXOR Y12, Y12, Y12 \
	VPXOR Y13, Y13, Y13 \
	VPXOR Y0, Y0, Y0 \
	VPXOR Y1, Y1, Y1 \
	VPXOR Y2, Y2, Y2 \
	VPXOR Y3, Y3, Y3 \
	VPXOR Y4, Y4, Y4 \
	VPXOR Y5, Y5, Y5 \
	VPXOR Y6, Y6, Y6 \
	VPXOR Y7, Y7, Y7 \
	VPXOR Y8, Y8, Y8 \
	VPXOR Y9, Y9, Y9 \
	VPXOR Y10, Y10, Y10 \
	VPXOR Y11, Y11, Y11

// OP16Z issues op Z16, Z17 into each of Z0-Z15.
#define OP16Z(op) \
	op Z16, Z17, Z0 \
	op Z16, Z17, Z1 \
	op Z16, Z17, Z2 \
	op Z16, Z17, Z3 \
	op Z16, Z17, Z4 \
	op Z16, Z17, Z5 \
	op Z16, Z17, Z6 \
	op Z16, Z17, Z7 \
	op Z16, Z17, Z8 \
	op Z16, Z17, Z9 \
	op Z16, Z17, Z10 \
	op Z16, Z17, Z11 \
	op Z16, Z17, Z12 \
	op Z16, Z17, Z13 \
	op Z16, Z17, Z14 \
	op Z16, Z17, Z15

// func peakFMA512(n int)
// 16 zmm accumulators x 16 lanes per iteration.
TEXT ·peakFMA512(SB), NOSPLIT, $0-8
	MOVQ  n+0(FP), CX
	ZERO18Z
	TESTQ CX, CX
	JLE   z512

l512:
	OP16Z(VFMADD231PS)
	DECQ  CX
	JNZ   l512

z512:
	VZEROUPPER
	RET

// func peakFMA256(n int)
// 12 ymm accumulators x 8 lanes per iteration (the AVX2 register file has 16).
TEXT ·peakFMA256(SB), NOSPLIT, $0-8
	MOVQ  n+0(FP), CX
	ZERO14Y
	TESTQ CX, CX
	JLE   z256

l256:
	VFMADD231PS Y12, Y13, Y0
	VFMADD231PS Y12, Y13, Y1
	VFMADD231PS Y12, Y13, Y2
	VFMADD231PS Y12, Y13, Y3
	VFMADD231PS Y12, Y13, Y4
	VFMADD231PS Y12, Y13, Y5
	VFMADD231PS Y12, Y13, Y6
	VFMADD231PS Y12, Y13, Y7
	VFMADD231PS Y12, Y13, Y8
	VFMADD231PS Y12, Y13, Y9
	VFMADD231PS Y12, Y13, Y10
	VFMADD231PS Y12, Y13, Y11
	DECQ  CX
	JNZ   l256

z256:
	VZEROUPPER
	RET

// func peakVNNI512(n int)
// 16 zmm accumulators x 64 MACs (vpdpbusd) per iteration.
TEXT ·peakVNNI512(SB), NOSPLIT, $0-8
	MOVQ  n+0(FP), CX
	ZERO18Z
	TESTQ CX, CX
	JLE   zv512

lv512:
	OP16Z(VPDPBUSD)
	DECQ  CX
	JNZ   lv512

zv512:
	VZEROUPPER
	RET

// func peakVNNI256(n int)
// 12 ymm accumulators x 32 MACs per iteration: the VEX (AVX-VNNI) vpdpbusd, spelled as bytes
// like in vnni256_amd64.s since the Go assembler knows only the EVEX form. Each line is
// "{vex} vpdpbusd ymmD, ymm12, ymm13" (Go order: VPDPBUSD Y13, Y12, YD).
TEXT ·peakVNNI256(SB), NOSPLIT, $0-8
	MOVQ  n+0(FP), CX
	ZERO14Y
	TESTQ CX, CX
	JLE   zv256

lv256:
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xc5 // {vex} vpdpbusd ymm0, ymm12, ymm13
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xcd // {vex} vpdpbusd ymm1, ymm12, ymm13
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xd5 // {vex} vpdpbusd ymm2, ymm12, ymm13
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xdd // {vex} vpdpbusd ymm3, ymm12, ymm13
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xe5 // {vex} vpdpbusd ymm4, ymm12, ymm13
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xed // {vex} vpdpbusd ymm5, ymm12, ymm13
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xf5 // {vex} vpdpbusd ymm6, ymm12, ymm13
	BYTE $0xc4; BYTE $0xc2; BYTE $0x1d; BYTE $0x50; BYTE $0xfd // {vex} vpdpbusd ymm7, ymm12, ymm13
	BYTE $0xc4; BYTE $0x42; BYTE $0x1d; BYTE $0x50; BYTE $0xc5 // {vex} vpdpbusd ymm8, ymm12, ymm13
	BYTE $0xc4; BYTE $0x42; BYTE $0x1d; BYTE $0x50; BYTE $0xcd // {vex} vpdpbusd ymm9, ymm12, ymm13
	BYTE $0xc4; BYTE $0x42; BYTE $0x1d; BYTE $0x50; BYTE $0xd5 // {vex} vpdpbusd ymm10, ymm12, ymm13
	BYTE $0xc4; BYTE $0x42; BYTE $0x1d; BYTE $0x50; BYTE $0xdd // {vex} vpdpbusd ymm11, ymm12, ymm13
	DECQ  CX
	JNZ   lv256

zv256:
	VZEROUPPER
	RET

// func peakMaddwd256(n int)
// 6 chains x 16 MACs per iteration: vpmaddwd (int16 pairs to int32) into a temporary
// (Y6-Y11), then vpaddd into the accumulator (Y0-Y5), as the AVX2 int8 kernels do.
TEXT ·peakMaddwd256(SB), NOSPLIT, $0-8
	MOVQ  n+0(FP), CX
	ZERO14Y
	TESTQ CX, CX
	JLE   zmw

lmw:
	VPMADDWD Y13, Y12, Y6
	VPMADDWD Y13, Y12, Y7
	VPMADDWD Y13, Y12, Y8
	VPMADDWD Y13, Y12, Y9
	VPMADDWD Y13, Y12, Y10
	VPMADDWD Y13, Y12, Y11
	VPADDD   Y6, Y0, Y0
	VPADDD   Y7, Y1, Y1
	VPADDD   Y8, Y2, Y2
	VPADDD   Y9, Y3, Y3
	VPADDD   Y10, Y4, Y4
	VPADDD   Y11, Y5, Y5
	DECQ  CX
	JNZ   lmw

zmw:
	VZEROUPPER
	RET
