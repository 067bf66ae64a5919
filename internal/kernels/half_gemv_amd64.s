//go:build amd64

#include "textflag.h"
#include "hsum_amd64.h"

// Half-precision weight kernels (bfloat16 and IEEE float16 bit patterns as uint16). Weights
// are widened exactly to float32 in registers (bf16: zero-extend and shift to the high half;
// f16: vcvtph2ps) and multiplied-added in float32, so the products are the float32 path's.

// func gemvBF16AVX2Asm(dst *float32, w *uint16, rows, cols, stride int, x *float32)
// dst[r] = sum_{k<cols} bf16(w[r*stride+k])*x[k]; cols a positive multiple of 8. Four rows
// share each x load; each row keeps two accumulators (even/odd 8-column blocks).
TEXT ·gemvBF16AVX2Asm(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ rows+16(FP), DX
	MOVQ cols+24(FP), AX
	MOVQ stride+32(FP), CX
	MOVQ x+40(FP), R8
	SHLQ $1, CX                    // row stride in bytes
	MOVQ AX, R13
	ANDQ $-16, R13                 // 16-column part

	CMPQ DX, $4
	JLT  b1rows

b4rows:
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

b4loop2:
	CMPQ BX, R13
	JAE  b4loop1
	VMOVUPS (R8)(BX*4), Y8
	VMOVUPS 32(R8)(BX*4), Y9
	VPMOVZXWD 0(SI)(BX*2), Y10
	VPSLLD    $16, Y10, Y10
	VPMOVZXWD 0(R10)(BX*2), Y11
	VPSLLD    $16, Y11, Y11
	VPMOVZXWD 0(R11)(BX*2), Y12
	VPSLLD    $16, Y12, Y12
	VPMOVZXWD 0(R12)(BX*2), Y13
	VPSLLD    $16, Y13, Y13
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y11, Y8, Y1
	VFMADD231PS Y12, Y8, Y2
	VFMADD231PS Y13, Y8, Y3
	VPMOVZXWD 16(SI)(BX*2), Y10
	VPSLLD    $16, Y10, Y10
	VPMOVZXWD 16(R10)(BX*2), Y11
	VPSLLD    $16, Y11, Y11
	VPMOVZXWD 16(R11)(BX*2), Y12
	VPSLLD    $16, Y12, Y12
	VPMOVZXWD 16(R12)(BX*2), Y13
	VPSLLD    $16, Y13, Y13
	VFMADD231PS Y10, Y9, Y4
	VFMADD231PS Y11, Y9, Y5
	VFMADD231PS Y12, Y9, Y6
	VFMADD231PS Y13, Y9, Y7
	ADDQ $16, BX
	JMP  b4loop2

b4loop1:
	CMPQ BX, AX
	JAE  b4red
	VMOVUPS (R8)(BX*4), Y8
	VPMOVZXWD 0(SI)(BX*2), Y10
	VPSLLD    $16, Y10, Y10
	VPMOVZXWD 0(R10)(BX*2), Y11
	VPSLLD    $16, Y11, Y11
	VPMOVZXWD 0(R11)(BX*2), Y12
	VPSLLD    $16, Y12, Y12
	VPMOVZXWD 0(R12)(BX*2), Y13
	VPSLLD    $16, Y13, Y13
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y11, Y8, Y1
	VFMADD231PS Y12, Y8, Y2
	VFMADD231PS Y13, Y8, Y3

b4red:
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
	JGE  b4rows

b1rows:
	TESTQ DX, DX
	JZ   bdone
	VXORPS Y0, Y0, Y0
	VXORPS Y4, Y4, Y4
	XORQ BX, BX

b1loop2:
	CMPQ BX, R13
	JAE  b1loop1
	VPMOVZXWD 0(SI)(BX*2), Y10
	VPSLLD    $16, Y10, Y10
	VPMOVZXWD 16(SI)(BX*2), Y11
	VPSLLD    $16, Y11, Y11
	VFMADD231PS (R8)(BX*4), Y10, Y0
	VFMADD231PS 32(R8)(BX*4), Y11, Y4
	ADDQ $16, BX
	JMP  b1loop2

b1loop1:
	CMPQ BX, AX
	JAE  b1red
	VPMOVZXWD 0(SI)(BX*2), Y10
	VPSLLD    $16, Y10, Y10
	VFMADD231PS (R8)(BX*4), Y10, Y0

b1red:
	VADDPS Y4, Y0, Y0
	HSUM1PS
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ CX, SI
	DECQ DX
	JMP  b1rows

bdone:
	VZEROUPPER
	RET

// func gemvF16AVX2Asm(dst *float32, w *uint16, rows, cols, stride int, x *float32)
// dst[r] = sum_{k<cols} f16(w[r*stride+k])*x[k]; cols a positive multiple of 8. Four rows
// share each x load; each row keeps two accumulators (even/odd 8-column blocks).
TEXT ·gemvF16AVX2Asm(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ rows+16(FP), DX
	MOVQ cols+24(FP), AX
	MOVQ stride+32(FP), CX
	MOVQ x+40(FP), R8
	SHLQ $1, CX                    // row stride in bytes
	MOVQ AX, R13
	ANDQ $-16, R13                 // 16-column part

	CMPQ DX, $4
	JLT  h1rows

h4rows:
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

h4loop2:
	CMPQ BX, R13
	JAE  h4loop1
	VMOVUPS (R8)(BX*4), Y8
	VMOVUPS 32(R8)(BX*4), Y9
	VCVTPH2PS 0(SI)(BX*2), Y10
	VCVTPH2PS 0(R10)(BX*2), Y11
	VCVTPH2PS 0(R11)(BX*2), Y12
	VCVTPH2PS 0(R12)(BX*2), Y13
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y11, Y8, Y1
	VFMADD231PS Y12, Y8, Y2
	VFMADD231PS Y13, Y8, Y3
	VCVTPH2PS 16(SI)(BX*2), Y10
	VCVTPH2PS 16(R10)(BX*2), Y11
	VCVTPH2PS 16(R11)(BX*2), Y12
	VCVTPH2PS 16(R12)(BX*2), Y13
	VFMADD231PS Y10, Y9, Y4
	VFMADD231PS Y11, Y9, Y5
	VFMADD231PS Y12, Y9, Y6
	VFMADD231PS Y13, Y9, Y7
	ADDQ $16, BX
	JMP  h4loop2

h4loop1:
	CMPQ BX, AX
	JAE  h4red
	VMOVUPS (R8)(BX*4), Y8
	VCVTPH2PS 0(SI)(BX*2), Y10
	VCVTPH2PS 0(R10)(BX*2), Y11
	VCVTPH2PS 0(R11)(BX*2), Y12
	VCVTPH2PS 0(R12)(BX*2), Y13
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y11, Y8, Y1
	VFMADD231PS Y12, Y8, Y2
	VFMADD231PS Y13, Y8, Y3

h4red:
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
	JGE  h4rows

h1rows:
	TESTQ DX, DX
	JZ   hdone
	VXORPS Y0, Y0, Y0
	VXORPS Y4, Y4, Y4
	XORQ BX, BX

h1loop2:
	CMPQ BX, R13
	JAE  h1loop1
	VCVTPH2PS 0(SI)(BX*2), Y10
	VCVTPH2PS 16(SI)(BX*2), Y11
	VFMADD231PS (R8)(BX*4), Y10, Y0
	VFMADD231PS 32(R8)(BX*4), Y11, Y4
	ADDQ $16, BX
	JMP  h1loop2

h1loop1:
	CMPQ BX, AX
	JAE  h1red
	VCVTPH2PS 0(SI)(BX*2), Y10
	VFMADD231PS (R8)(BX*4), Y10, Y0

h1red:
	VADDPS Y4, Y0, Y0
	HSUM1PS
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ CX, SI
	DECQ DX
	JMP  h1rows

hdone:
	VZEROUPPER
	RET

