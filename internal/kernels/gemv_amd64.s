//go:build amd64

#include "textflag.h"

// Int8 matrix-vector kernels. Shapes: w [rows, cols] row-major int8, x [cols] int8,
// dst [rows] int32. All sums wrap modulo 2^32 like the pure-Go loop, so results are exact.

// REDUCE4 sums the 16 int32 lanes of each of Z0..Z3 and leaves [sum0, sum1, sum2, sum3] in X0.
// Clobbers Z8..Z11.
#define REDUCE4 \
	VEXTRACTI64X4 $1, Z0, Y8 \
	VEXTRACTI64X4 $1, Z1, Y9 \
	VEXTRACTI64X4 $1, Z2, Y10 \
	VEXTRACTI64X4 $1, Z3, Y11 \
	VPADDD        Y8, Y0, Y0 \
	VPADDD        Y9, Y1, Y1 \
	VPADDD        Y10, Y2, Y2 \
	VPADDD        Y11, Y3, Y3 \
	VPHADDD       Y1, Y0, Y0 \
	VPHADDD       Y3, Y2, Y2 \
	VPHADDD       Y2, Y0, Y0 \
	VEXTRACTI128  $1, Y0, X1 \
	VPADDD        X1, X0, X0

// REDUCE1 sums the 16 int32 lanes of Z0 into the low lane of X0. Clobbers Z1.
#define REDUCE1 \
	VEXTRACTI64X4 $1, Z0, Y1 \
	VPADDD        Y1, Y0, Y0 \
	VEXTRACTI128  $1, Y0, X1 \
	VPADDD        X1, X0, X0 \
	VPSHUFD       $0x4e, X0, X1 \
	VPADDD        X1, X0, X0 \
	VPSHUFD       $0xb1, X0, X1 \
	VPADDD        X1, X0, X0

// func gemvInt8VNNI(dst *int32, w *int8, rows, cols int, x *int8, comp *int32)
//
// AVX-512 VNNI: vpdpbusd multiplies unsigned bytes by signed bytes, so x is fed as
// x^0x80 = x+128 (u8) and 128*sum_k w[r,k] is subtracted: sum_k (x+128)*w - 128*sum_k w
// = sum_k x*w exactly (no saturation: vpdpbusd sums four u8*s8 products straight into the
// int32 lane). The 128*sum_k w term comes from comp (RowSumsInt8) or, when comp is nil,
// from a second vpdpbusd against a vector of 0x80 bytes. Four rows share each x load;
// the cols%64 tail uses a byte mask, whose masked-out lanes never fault.
TEXT ·gemvInt8VNNI(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ rows+16(FP), DX
	MOVQ cols+24(FP), CX
	MOVQ x+32(FP), R8
	MOVQ comp+40(FP), R9

	MOVL $0x80, AX
	VPBROADCASTB AX, Z31           // Z31 = 0x80 in every byte

	// K1 = mask of the cols%64 tail bytes; AX = cols rounded down to 64.
	MOVQ CX, R13
	ANDQ $63, CX
	MOVQ $1, AX
	SHLQ CX, AX                    // shift count must be in CL
	DECQ AX
	KMOVQ AX, K1
	MOVQ R13, CX
	MOVQ CX, AX
	ANDQ $-64, AX

	CMPQ DX, $4
	JLT  rows1

rows4:
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
	XORQ BX, BX
	TESTQ R9, R9
	JNZ  loop4c

loop4:                             // comp == nil: also accumulate 128*w
	CMPQ BX, AX
	JAE  tail4
	VPXORD   (R8)(BX*1), Z31, Z8
	VMOVDQU64 (SI)(BX*1), Z12
	VMOVDQU64 (R10)(BX*1), Z13
	VMOVDQU64 (R11)(BX*1), Z14
	VMOVDQU64 (R12)(BX*1), Z15
	VPDPBUSD Z12, Z8, Z0
	VPDPBUSD Z13, Z8, Z1
	VPDPBUSD Z14, Z8, Z2
	VPDPBUSD Z15, Z8, Z3
	VPDPBUSD Z12, Z31, Z4
	VPDPBUSD Z13, Z31, Z5
	VPDPBUSD Z14, Z31, Z6
	VPDPBUSD Z15, Z31, Z7
	ADDQ $64, BX
	JMP  loop4

loop4c:                            // comp given: w straight from memory
	// Two 64-column steps per iteration into separate accumulators (Z0..Z3, Z16..Z19):
	// eight independent vpdpbusd chains hide its latency when w comes from cache.
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	MOVQ AX, R13
	ANDQ $-128, R13

loop4c2:
	CMPQ BX, R13
	JAE  loop4c1
	VPXORD   (R8)(BX*1), Z31, Z8
	VPXORD   64(R8)(BX*1), Z31, Z9
	VPDPBUSD (SI)(BX*1), Z8, Z0
	VPDPBUSD (R10)(BX*1), Z8, Z1
	VPDPBUSD (R11)(BX*1), Z8, Z2
	VPDPBUSD (R12)(BX*1), Z8, Z3
	VPDPBUSD 64(SI)(BX*1), Z9, Z16
	VPDPBUSD 64(R10)(BX*1), Z9, Z17
	VPDPBUSD 64(R11)(BX*1), Z9, Z18
	VPDPBUSD 64(R12)(BX*1), Z9, Z19
	ADDQ $128, BX
	JMP  loop4c2

loop4c1:
	VPADDD Z16, Z0, Z0
	VPADDD Z17, Z1, Z1
	VPADDD Z18, Z2, Z2
	VPADDD Z19, Z3, Z3
	CMPQ BX, AX
	JAE  tail4
	VPXORD   (R8)(BX*1), Z31, Z8
	VPDPBUSD (SI)(BX*1), Z8, Z0
	VPDPBUSD (R10)(BX*1), Z8, Z1
	VPDPBUSD (R11)(BX*1), Z8, Z2
	VPDPBUSD (R12)(BX*1), Z8, Z3
	ADDQ $64, BX

tail4:
	CMPQ BX, CX
	JAE  done4
	VMOVDQU8.Z (R8)(BX*1), K1, Z8
	VPXORD     Z31, Z8, Z8
	VMOVDQU8.Z (SI)(BX*1), K1, Z12
	VMOVDQU8.Z (R10)(BX*1), K1, Z13
	VMOVDQU8.Z (R11)(BX*1), K1, Z14
	VMOVDQU8.Z (R12)(BX*1), K1, Z15
	VPDPBUSD Z12, Z8, Z0
	VPDPBUSD Z13, Z8, Z1
	VPDPBUSD Z14, Z8, Z2
	VPDPBUSD Z15, Z8, Z3
	VPDPBUSD Z12, Z31, Z4
	VPDPBUSD Z13, Z31, Z5
	VPDPBUSD Z14, Z31, Z6
	VPDPBUSD Z15, Z31, Z7

done4:
	// Z4..Z7 hold 128*sum w only in the comp == nil case (with comp given the tail added
	// its share to them too, but comp already covers every column, so they are ignored).
	TESTQ R9, R9
	JNZ  red4c
	VPSUBD Z4, Z0, Z0
	VPSUBD Z5, Z1, Z1
	VPSUBD Z6, Z2, Z2
	VPSUBD Z7, Z3, Z3
	REDUCE4
	JMP  store4

red4c:
	REDUCE4
	VPSUBD (R9), X0, X0
	ADDQ $16, R9

store4:
	VMOVDQU X0, (DI)
	ADDQ $16, DI
	LEAQ (R12)(CX*1), SI
	SUBQ $4, DX
	CMPQ DX, $4
	JGE  rows4

rows1:
	TESTQ DX, DX
	JZ   done
	VPXORD Z0, Z0, Z0
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	XORQ BX, BX
	MOVQ AX, R13
	ANDQ $-128, R13

loop1x2:                           // two independent chains per 128 bytes (DotInt8 speed)
	CMPQ BX, R13
	JAE  loop1
	VPXORD    (R8)(BX*1), Z31, Z8
	VPXORD    64(R8)(BX*1), Z31, Z9
	VMOVDQU64 (SI)(BX*1), Z12
	VMOVDQU64 64(SI)(BX*1), Z13
	VPDPBUSD  Z12, Z8, Z0
	VPDPBUSD  Z12, Z31, Z4
	VPDPBUSD  Z13, Z9, Z5
	VPDPBUSD  Z13, Z31, Z6
	ADDQ $128, BX
	JMP  loop1x2

loop1:
	CMPQ BX, AX
	JAE  tail1
	VPXORD    (R8)(BX*1), Z31, Z8
	VMOVDQU64 (SI)(BX*1), Z12
	VPDPBUSD  Z12, Z8, Z0
	VPDPBUSD  Z12, Z31, Z4
	ADDQ $64, BX
	JMP  loop1

tail1:
	CMPQ BX, CX
	JAE  done1
	VMOVDQU8.Z (R8)(BX*1), K1, Z8
	VPXORD     Z31, Z8, Z8
	VMOVDQU8.Z (SI)(BX*1), K1, Z12
	VPDPBUSD   Z12, Z8, Z0
	VPDPBUSD   Z12, Z31, Z4

done1:
	// The single-row path always computes its own 128*sum w, so comp is not needed here.
	VPADDD Z5, Z0, Z0
	VPADDD Z6, Z4, Z4
	VPSUBD Z4, Z0, Z0
	REDUCE1
	VMOVD X0, (DI)
	ADDQ $4, DI
	ADDQ CX, SI
	DECQ DX
	JMP  rows1

done:
	VZEROUPPER
	RET
