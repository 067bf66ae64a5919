//go:build amd64

#include "textflag.h"

// AVX-512 widening of 16-bit floats to float32, 16 per zmm. Widening is exact, so these
// give the same bits as the AVX2 and Go versions; they halve the instructions of the
// half-weight GEMM's panel widening, which re-runs once per token superblock.

// func bf16ToF32AVX512Asm(dst *float32, src *uint16, n int)
// n a positive multiple of 16: zero-extend each 16-bit pattern and shift it to the high half.
TEXT ·bf16ToF32AVX512Asm(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ BX, BX
	MOVQ CX, AX
	ANDQ $-64, AX

zb4:
	CMPQ BX, AX
	JAE  zb1
	VPMOVZXWD (SI)(BX*2), Z0
	VPMOVZXWD 32(SI)(BX*2), Z1
	VPMOVZXWD 64(SI)(BX*2), Z2
	VPMOVZXWD 96(SI)(BX*2), Z3
	VPSLLD    $16, Z0, Z0
	VPSLLD    $16, Z1, Z1
	VPSLLD    $16, Z2, Z2
	VPSLLD    $16, Z3, Z3
	VMOVDQU32 Z0, (DI)(BX*4)
	VMOVDQU32 Z1, 64(DI)(BX*4)
	VMOVDQU32 Z2, 128(DI)(BX*4)
	VMOVDQU32 Z3, 192(DI)(BX*4)
	ADDQ $64, BX
	JMP  zb4

zb1:
	CMPQ BX, CX
	JAE  zbdone
	VPMOVZXWD (SI)(BX*2), Z0
	VPSLLD    $16, Z0, Z0
	VMOVDQU32 Z0, (DI)(BX*4)
	ADDQ $16, BX
	JMP  zb1

zbdone:
	VZEROUPPER
	RET

// func f16ToF32AVX512Asm(dst *float32, src *uint16, n int)
// n a positive multiple of 16. vcvtph2ps is exact for every input (NaNs are quieted, as
// in the AVX2 version).
TEXT ·f16ToF32AVX512Asm(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ BX, BX
	MOVQ CX, AX
	ANDQ $-64, AX

zh4:
	CMPQ BX, AX
	JAE  zh1
	VCVTPH2PS (SI)(BX*2), Z0
	VCVTPH2PS 32(SI)(BX*2), Z1
	VCVTPH2PS 64(SI)(BX*2), Z2
	VCVTPH2PS 96(SI)(BX*2), Z3
	VMOVUPS   Z0, (DI)(BX*4)
	VMOVUPS   Z1, 64(DI)(BX*4)
	VMOVUPS   Z2, 128(DI)(BX*4)
	VMOVUPS   Z3, 192(DI)(BX*4)
	ADDQ $64, BX
	JMP  zh4

zh1:
	CMPQ BX, CX
	JAE  zhdone
	VCVTPH2PS (SI)(BX*2), Z0
	VMOVUPS   Z0, (DI)(BX*4)
	ADDQ $16, BX
	JMP  zh1

zhdone:
	VZEROUPPER
	RET
