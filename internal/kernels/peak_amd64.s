//go:build amd64

#include "textflag.h"

// Register-only float32 FMA loops for PeakFMA: every iteration issues independent
// vfmadd231ps into separate accumulators (no loads, no dependency shorter than one
// iteration), so throughput is bounded by the FMA ports only. Operands are zero: the
// result stays 0, no denormals or infinities slow anything down.

// func peakFMA512(n int)
// 16 zmm accumulators x 16 lanes per iteration.
TEXT ·peakFMA512(SB), NOSPLIT, $0-8
	MOVQ   n+0(FP), CX
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	TESTQ  CX, CX
	JLE    z512

l512:
	VFMADD231PS Z16, Z17, Z0
	VFMADD231PS Z16, Z17, Z1
	VFMADD231PS Z16, Z17, Z2
	VFMADD231PS Z16, Z17, Z3
	VFMADD231PS Z16, Z17, Z4
	VFMADD231PS Z16, Z17, Z5
	VFMADD231PS Z16, Z17, Z6
	VFMADD231PS Z16, Z17, Z7
	VFMADD231PS Z16, Z17, Z8
	VFMADD231PS Z16, Z17, Z9
	VFMADD231PS Z16, Z17, Z10
	VFMADD231PS Z16, Z17, Z11
	VFMADD231PS Z16, Z17, Z12
	VFMADD231PS Z16, Z17, Z13
	VFMADD231PS Z16, Z17, Z14
	VFMADD231PS Z16, Z17, Z15
	DECQ        CX
	JNZ         l512

z512:
	VZEROUPPER
	RET

// func peakFMA256(n int)
// 12 ymm accumulators x 8 lanes per iteration (the AVX2 register file has 16).
TEXT ·peakFMA256(SB), NOSPLIT, $0-8
	MOVQ   n+0(FP), CX
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
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
	TESTQ  CX, CX
	JLE    z256

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
	DECQ        CX
	JNZ         l256

z256:
	VZEROUPPER
	RET

// Int8 multiply loops for PeakInt8, register operands only, zero inputs.

// func peakVNNI512(n int)
// 16 zmm accumulators x 64 MACs (vpdpbusd) per iteration.
TEXT ·peakVNNI512(SB), NOSPLIT, $0-8
	MOVQ   n+0(FP), CX
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	TESTQ  CX, CX
	JLE    zv512

lv512:
	VPDPBUSD Z16, Z17, Z0
	VPDPBUSD Z16, Z17, Z1
	VPDPBUSD Z16, Z17, Z2
	VPDPBUSD Z16, Z17, Z3
	VPDPBUSD Z16, Z17, Z4
	VPDPBUSD Z16, Z17, Z5
	VPDPBUSD Z16, Z17, Z6
	VPDPBUSD Z16, Z17, Z7
	VPDPBUSD Z16, Z17, Z8
	VPDPBUSD Z16, Z17, Z9
	VPDPBUSD Z16, Z17, Z10
	VPDPBUSD Z16, Z17, Z11
	VPDPBUSD Z16, Z17, Z12
	VPDPBUSD Z16, Z17, Z13
	VPDPBUSD Z16, Z17, Z14
	VPDPBUSD Z16, Z17, Z15
	DECQ     CX
	JNZ      lv512

zv512:
	VZEROUPPER
	RET

// func peakVNNI256(n int)
// 12 ymm accumulators x 32 MACs per iteration: the VEX (AVX-VNNI) vpdpbusd, spelled as bytes
// like in vnni256_amd64.s since the Go assembler knows only the EVEX form. Each line is
// "{vex} vpdpbusd ymmD, ymm12, ymm13" (Go order: VPDPBUSD Y13, Y12, YD).
TEXT ·peakVNNI256(SB), NOSPLIT, $0-8
	MOVQ   n+0(FP), CX
	VPXOR  Y12, Y12, Y12
	VPXOR  Y13, Y13, Y13
	VPXOR  Y0, Y0, Y0
	VPXOR  Y1, Y1, Y1
	VPXOR  Y2, Y2, Y2
	VPXOR  Y3, Y3, Y3
	VPXOR  Y4, Y4, Y4
	VPXOR  Y5, Y5, Y5
	VPXOR  Y6, Y6, Y6
	VPXOR  Y7, Y7, Y7
	VPXOR  Y8, Y8, Y8
	VPXOR  Y9, Y9, Y9
	VPXOR  Y10, Y10, Y10
	VPXOR  Y11, Y11, Y11
	TESTQ  CX, CX
	JLE    zv256

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
	DECQ   CX
	JNZ    lv256

zv256:
	VZEROUPPER
	RET

// func peakMaddwd256(n int)
// 6 chains x 16 MACs per iteration: vpmaddwd (int16 pairs to int32) into a temporary, then
// vpaddd into the accumulator, as the AVX2 int8 kernels do.
TEXT ·peakMaddwd256(SB), NOSPLIT, $0-8
	MOVQ   n+0(FP), CX
	VPXOR  Y12, Y12, Y12
	VPXOR  Y13, Y13, Y13
	VPXOR  Y0, Y0, Y0
	VPXOR  Y1, Y1, Y1
	VPXOR  Y2, Y2, Y2
	VPXOR  Y3, Y3, Y3
	VPXOR  Y4, Y4, Y4
	VPXOR  Y5, Y5, Y5
	TESTQ  CX, CX
	JLE    zmw

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
	DECQ     CX
	JNZ      lmw

zmw:
	VZEROUPPER
	RET
