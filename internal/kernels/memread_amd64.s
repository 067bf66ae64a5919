//go:build amd64

#include "textflag.h"

// func sumBytesAVX2(p *byte, n int) uint64
//
// Memory read-bandwidth probe for the benchmarks: adds the buffer as uint64 lanes with four
// independent 256-bit accumulators (n must be a multiple of 128). It reads every byte once,
// like a GEMV reads its weights, so GemvInt8 GB/s can be compared with it directly.
TEXT ·sumBytesAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	XORQ BX, BX

loop:
	CMPQ BX, CX
	JAE  done
	VPADDQ (SI)(BX*1), Y0, Y0
	VPADDQ 32(SI)(BX*1), Y1, Y1
	VPADDQ 64(SI)(BX*1), Y2, Y2
	VPADDQ 96(SI)(BX*1), Y3, Y3
	ADDQ $128, BX
	JMP  loop

done:
	VPADDQ Y1, Y0, Y0
	VPADDQ Y3, Y2, Y2
	VPADDQ Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDQ X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VPADDQ X1, X0, X0
	VMOVQ X0, AX
	MOVQ AX, ret+16(FP)
	VZEROUPPER
	RET

// func sumBytes4AVX2(p *byte, n int) uint64
//
// Same sum, but reading the four quarters of the buffer as four concurrent sequential
// streams (like a 4-row GEMV does), which can draw more bandwidth than one stream.
// n must be a multiple of 128.
TEXT ·sumBytes4AVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	SHRQ $2, CX                    // quarter length (multiple of 32)
	LEAQ (SI)(CX*1), R8
	LEAQ (R8)(CX*1), R9
	LEAQ (R9)(CX*1), R10
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	XORQ BX, BX

loop:
	CMPQ BX, CX
	JAE  done
	VPADDQ (SI)(BX*1), Y0, Y0
	VPADDQ (R8)(BX*1), Y1, Y1
	VPADDQ (R9)(BX*1), Y2, Y2
	VPADDQ (R10)(BX*1), Y3, Y3
	ADDQ $32, BX
	JMP  loop

done:
	VPADDQ Y1, Y0, Y0
	VPADDQ Y3, Y2, Y2
	VPADDQ Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDQ X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VPADDQ X1, X0, X0
	VMOVQ X0, AX
	MOVQ AX, ret+16(FP)
	VZEROUPPER
	RET
