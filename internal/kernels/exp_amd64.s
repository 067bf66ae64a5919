//go:build amd64

#include "textflag.h"

// Vector float32 SiLU and exp(x - max), bit-identical to float32(math.Exp(float64(.))):
// each float32 argument is widened to float64 and run through the same operation sequence
// as the FMA branch of Go's math.Exp (src/math/exp_amd64.go + exp_amd64.s, BSD licence;
// method by Naoki Shibata, SLEEF), lane-wise with the same IEEE rounding, then narrowed.
// See exp.go for why clamping the argument to [-700, 700] changes no float32 result.
//
// Per lane, with a the float64 argument (Go operand order in the code: last is the dest):
//   n  = round-to-nearest-even int32(a * LOG2E)  (cvtpd2dq, as cvtsd2sl)
//   x  = fma(-n, LN2U, a); x = fma(-n, LN2L, x); x *= 1/16
//   p  = 1/8!; p = fma(p, x, c) for c = 1/7!, 1/6!, 1/5!, 1/4!, 1/3!, 1/2!, 1
//   x *= p; three times { t = x + 2; x *= t }; t = x + 2; x = fma(x, t, 1)
//   r  = x * float64frombits((n + 1023) << 52)
// The constants are those of exp_amd64.s, written with the same decimal literals so the
// assembler rounds them to the same doubles.

// Constant table: each float64 (or int64) repeated 4 times, 32 bytes apart, so the AVX2 code
// can use an entry as a ymm memory operand and the AVX-512 code can broadcast it.
// +0: LOG2E
DATA expc<>+0(SB)/8, $1.4426950408889634073599246810018920
DATA expc<>+8(SB)/8, $1.4426950408889634073599246810018920
DATA expc<>+16(SB)/8, $1.4426950408889634073599246810018920
DATA expc<>+24(SB)/8, $1.4426950408889634073599246810018920
// +32: LN2U
DATA expc<>+32(SB)/8, $0.69314718055966295651160180568695068359375
DATA expc<>+40(SB)/8, $0.69314718055966295651160180568695068359375
DATA expc<>+48(SB)/8, $0.69314718055966295651160180568695068359375
DATA expc<>+56(SB)/8, $0.69314718055966295651160180568695068359375
// +64: LN2L
DATA expc<>+64(SB)/8, $0.28235290563031577122588448175013436025525412068e-12
DATA expc<>+72(SB)/8, $0.28235290563031577122588448175013436025525412068e-12
DATA expc<>+80(SB)/8, $0.28235290563031577122588448175013436025525412068e-12
DATA expc<>+88(SB)/8, $0.28235290563031577122588448175013436025525412068e-12
// +96: 1/16
DATA expc<>+96(SB)/8, $0.0625
DATA expc<>+104(SB)/8, $0.0625
DATA expc<>+112(SB)/8, $0.0625
DATA expc<>+120(SB)/8, $0.0625
// +128: 1/8!
DATA expc<>+128(SB)/8, $2.4801587301587301587e-5
DATA expc<>+136(SB)/8, $2.4801587301587301587e-5
DATA expc<>+144(SB)/8, $2.4801587301587301587e-5
DATA expc<>+152(SB)/8, $2.4801587301587301587e-5
// +160: 1/7!
DATA expc<>+160(SB)/8, $1.9841269841269841270e-4
DATA expc<>+168(SB)/8, $1.9841269841269841270e-4
DATA expc<>+176(SB)/8, $1.9841269841269841270e-4
DATA expc<>+184(SB)/8, $1.9841269841269841270e-4
// +192: 1/6!
DATA expc<>+192(SB)/8, $1.3888888888888888889e-3
DATA expc<>+200(SB)/8, $1.3888888888888888889e-3
DATA expc<>+208(SB)/8, $1.3888888888888888889e-3
DATA expc<>+216(SB)/8, $1.3888888888888888889e-3
// +224: 1/5!
DATA expc<>+224(SB)/8, $8.3333333333333333333e-3
DATA expc<>+232(SB)/8, $8.3333333333333333333e-3
DATA expc<>+240(SB)/8, $8.3333333333333333333e-3
DATA expc<>+248(SB)/8, $8.3333333333333333333e-3
// +256: 1/4!
DATA expc<>+256(SB)/8, $4.1666666666666666667e-2
DATA expc<>+264(SB)/8, $4.1666666666666666667e-2
DATA expc<>+272(SB)/8, $4.1666666666666666667e-2
DATA expc<>+280(SB)/8, $4.1666666666666666667e-2
// +288: 1/3!
DATA expc<>+288(SB)/8, $1.6666666666666666667e-1
DATA expc<>+296(SB)/8, $1.6666666666666666667e-1
DATA expc<>+304(SB)/8, $1.6666666666666666667e-1
DATA expc<>+312(SB)/8, $1.6666666666666666667e-1
// +320: 1/2!
DATA expc<>+320(SB)/8, $0.5
DATA expc<>+328(SB)/8, $0.5
DATA expc<>+336(SB)/8, $0.5
DATA expc<>+344(SB)/8, $0.5
// +352: 1
DATA expc<>+352(SB)/8, $1.0
DATA expc<>+360(SB)/8, $1.0
DATA expc<>+368(SB)/8, $1.0
DATA expc<>+376(SB)/8, $1.0
// +384: 2
DATA expc<>+384(SB)/8, $2.0
DATA expc<>+392(SB)/8, $2.0
DATA expc<>+400(SB)/8, $2.0
DATA expc<>+408(SB)/8, $2.0
// +416: exponent bias (int64)
DATA expc<>+416(SB)/8, $1023
DATA expc<>+424(SB)/8, $1023
DATA expc<>+432(SB)/8, $1023
DATA expc<>+440(SB)/8, $1023
// +448: clamp low
DATA expc<>+448(SB)/8, $-700.0
DATA expc<>+456(SB)/8, $-700.0
DATA expc<>+464(SB)/8, $-700.0
DATA expc<>+472(SB)/8, $-700.0
// +480: clamp high
DATA expc<>+480(SB)/8, $700.0
DATA expc<>+488(SB)/8, $700.0
DATA expc<>+496(SB)/8, $700.0
DATA expc<>+504(SB)/8, $700.0
GLOBL expc<>(SB), RODATA|NOPTR, $512

DATA expf32<>+0(SB)/4, $0x80000000 // float32 sign bit
DATA expf32<>+4(SB)/4, $0x3f800000 // float32 1.0
GLOBL expf32<>(SB), RODATA|NOPTR, $8

// EXP512 computes exp of the 8 float64 lanes of Z0 into Z0 (clamped argument, no NaN).
// Clobbers Z1..Z4. Constants: Z16 LOG2E, Z17 LN2U, Z18 LN2L, Z19 1/16, Z20..Z27 the
// polynomial (1/8! .. 1), Z28 2, Z29 bias, Z30/Z31 the clamp bounds.
#define EXP512 \
	VMAXPD       Z30, Z0, Z0 \
	VMINPD       Z31, Z0, Z0 \
	VMULPD       Z16, Z0, Z1 \
	VCVTPD2DQ    Z1, Y2 \
	VCVTDQ2PD    Y2, Z1 \
	VFNMADD231PD Z17, Z1, Z0 \
	VFNMADD231PD Z18, Z1, Z0 \
	VMULPD       Z19, Z0, Z0 \
	VMOVAPD      Z20, Z3 \
	VFMADD213PD  Z21, Z0, Z3 \
	VFMADD213PD  Z22, Z0, Z3 \
	VFMADD213PD  Z23, Z0, Z3 \
	VFMADD213PD  Z24, Z0, Z3 \
	VFMADD213PD  Z25, Z0, Z3 \
	VFMADD213PD  Z26, Z0, Z3 \
	VFMADD213PD  Z27, Z0, Z3 \
	VMULPD       Z3, Z0, Z0 \
	VADDPD       Z28, Z0, Z3 \
	VMULPD       Z3, Z0, Z0 \
	VADDPD       Z28, Z0, Z3 \
	VMULPD       Z3, Z0, Z0 \
	VADDPD       Z28, Z0, Z3 \
	VMULPD       Z3, Z0, Z0 \
	VADDPD       Z28, Z0, Z3 \
	VFMADD213PD  Z27, Z3, Z0 \
	VPMOVSXDQ    Y2, Z4 \
	VPADDQ       Z29, Z4, Z4 \
	VPSLLQ       $52, Z4, Z4 \
	VMULPD       Z4, Z0, Z0

#define LOAD512 \
	VBROADCASTSD expc<>+0(SB), Z16 \
	VBROADCASTSD expc<>+32(SB), Z17 \
	VBROADCASTSD expc<>+64(SB), Z18 \
	VBROADCASTSD expc<>+96(SB), Z19 \
	VBROADCASTSD expc<>+128(SB), Z20 \
	VBROADCASTSD expc<>+160(SB), Z21 \
	VBROADCASTSD expc<>+192(SB), Z22 \
	VBROADCASTSD expc<>+224(SB), Z23 \
	VBROADCASTSD expc<>+256(SB), Z24 \
	VBROADCASTSD expc<>+288(SB), Z25 \
	VBROADCASTSD expc<>+320(SB), Z26 \
	VBROADCASTSD expc<>+352(SB), Z27 \
	VBROADCASTSD expc<>+384(SB), Z28 \
	VPBROADCASTQ expc<>+416(SB), Z29 \
	VBROADCASTSD expc<>+448(SB), Z30 \
	VBROADCASTSD expc<>+480(SB), Z31

// func siluF32AVX512Asm(v *float32, n int) int
// In place v[i] = v[i] / (1 + float32(exp(-v[i]))) for n a positive multiple of 8; stops
// before the first block of 8 with a NaN and returns the number of elements done.
TEXT ·siluF32AVX512Asm(SB), NOSPLIT, $0-24
	MOVQ v+0(FP), SI
	MOVQ n+8(FP), CX
	LOAD512
	VBROADCASTSS expf32<>+0(SB), Y15
	VBROADCASTSS expf32<>+4(SB), Y14
	XORQ BX, BX

silu512:
	VMOVUPS   (SI)(BX*4), Y5
	VCMPPS    $3, Y5, Y5, K1 // unordered: NaN
	KORTESTW  K1, K1
	JNE       silu512done
	VXORPS    Y15, Y5, Y0    // -x
	VCVTPS2PD Y0, Z0
	EXP512
	VCVTPD2PS Z0, Y0         // e
	VADDPS    Y14, Y0, Y0    // 1 + e
	VDIVPS    Y0, Y5, Y0     // x / (1 + e)
	VMOVUPS   Y0, (SI)(BX*4)
	ADDQ      $8, BX
	CMPQ      BX, CX
	JB        silu512

silu512done:
	MOVQ BX, ret+16(FP)
	VZEROUPPER
	RET

// func expShiftedF32AVX512Asm(dst, src *float32, n int, mx float32) int
// dst[i] = float32(exp(float64(src[i] - mx))) for n a positive multiple of 8; stops before
// the first block of 8 with a NaN argument and returns the number of elements done.
TEXT ·expShiftedF32AVX512Asm(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS mx+24(FP), Y15
	LOAD512
	XORQ BX, BX

exp512:
	VMOVUPS   (SI)(BX*4), Y0
	VSUBPS    Y15, Y0, Y0    // src - mx (float32)
	VCMPPS    $3, Y0, Y0, K1
	KORTESTW  K1, K1
	JNE       exp512done
	VCVTPS2PD Y0, Z0
	EXP512
	VCVTPD2PS Z0, Y0
	VMOVUPS   Y0, (DI)(BX*4)
	ADDQ      $8, BX
	CMPQ      BX, CX
	JB        exp512

exp512done:
	MOVQ BX, ret+32(FP)
	VZEROUPPER
	RET

// EXP256 is EXP512 on the 4 float64 lanes of Y0 (AVX2 + FMA). Clobbers Y1..Y4. Constants:
// Y6 LOG2E, Y7 LN2U, Y8 LN2L, Y9 2, Y10 1, Y11 bias, Y12/Y13 clamp bounds; the rest are
// memory operands.
#define EXP256 \
	VMAXPD       Y12, Y0, Y0 \
	VMINPD       Y13, Y0, Y0 \
	VMULPD       Y6, Y0, Y1 \
	VCVTPD2DQY   Y1, X2 \
	VCVTDQ2PD    X2, Y1 \
	VFNMADD231PD Y7, Y1, Y0 \
	VFNMADD231PD Y8, Y1, Y0 \
	VMULPD       expc<>+96(SB), Y0, Y0 \
	VMOVUPD      expc<>+128(SB), Y3 \
	VFMADD213PD  expc<>+160(SB), Y0, Y3 \
	VFMADD213PD  expc<>+192(SB), Y0, Y3 \
	VFMADD213PD  expc<>+224(SB), Y0, Y3 \
	VFMADD213PD  expc<>+256(SB), Y0, Y3 \
	VFMADD213PD  expc<>+288(SB), Y0, Y3 \
	VFMADD213PD  expc<>+320(SB), Y0, Y3 \
	VFMADD213PD  Y10, Y0, Y3 \
	VMULPD       Y3, Y0, Y0 \
	VADDPD       Y9, Y0, Y3 \
	VMULPD       Y3, Y0, Y0 \
	VADDPD       Y9, Y0, Y3 \
	VMULPD       Y3, Y0, Y0 \
	VADDPD       Y9, Y0, Y3 \
	VMULPD       Y3, Y0, Y0 \
	VADDPD       Y9, Y0, Y3 \
	VFMADD213PD  Y10, Y3, Y0 \
	VPMOVSXDQ    X2, Y4 \
	VPADDQ       Y11, Y4, Y4 \
	VPSLLQ       $52, Y4, Y4 \
	VMULPD       Y4, Y0, Y0

#define LOAD256 \
	VMOVUPD expc<>+0(SB), Y6 \
	VMOVUPD expc<>+32(SB), Y7 \
	VMOVUPD expc<>+64(SB), Y8 \
	VMOVUPD expc<>+384(SB), Y9 \
	VMOVUPD expc<>+352(SB), Y10 \
	VMOVDQU expc<>+416(SB), Y11 \
	VMOVUPD expc<>+448(SB), Y12 \
	VMOVUPD expc<>+480(SB), Y13

// func siluF32AVX2Asm(v *float32, n int) int
// siluF32AVX512Asm in blocks of 4.
TEXT ·siluF32AVX2Asm(SB), NOSPLIT, $0-24
	MOVQ v+0(FP), SI
	MOVQ n+8(FP), CX
	LOAD256
	VBROADCASTSS expf32<>+0(SB), X15
	VBROADCASTSS expf32<>+4(SB), X14
	XORQ BX, BX

silu256:
	VMOVUPS    (SI)(BX*4), X5
	VCMPPS     $3, X5, X5, X1
	VMOVMSKPS  X1, AX
	TESTL      AX, AX
	JNE        silu256done
	VXORPS     X15, X5, X0
	VCVTPS2PD  X0, Y0
	EXP256
	VCVTPD2PSY Y0, X0
	VADDPS     X14, X0, X0
	VDIVPS     X0, X5, X0
	VMOVUPS    X0, (SI)(BX*4)
	ADDQ       $4, BX
	CMPQ       BX, CX
	JB         silu256

silu256done:
	MOVQ BX, ret+16(FP)
	VZEROUPPER
	RET

// func expShiftedF32AVX2Asm(dst, src *float32, n int, mx float32) int
// expShiftedF32AVX512Asm in blocks of 4.
TEXT ·expShiftedF32AVX2Asm(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS mx+24(FP), X15
	LOAD256
	XORQ BX, BX

exp256:
	VMOVUPS    (SI)(BX*4), X0
	VSUBPS     X15, X0, X0
	VCMPPS     $3, X0, X0, X1
	VMOVMSKPS  X1, AX
	TESTL      AX, AX
	JNE        exp256done
	VCVTPS2PD  X0, Y0
	EXP256
	VCVTPD2PSY Y0, X0
	VMOVUPS    X0, (DI)(BX*4)
	ADDQ       $4, BX
	CMPQ       BX, CX
	JB         exp256

exp256done:
	MOVQ BX, ret+32(FP)
	VZEROUPPER
	RET

// func expF64AVX512Asm(dst, src *float64, n int)
// dst[i] = EXP512 of src[i] for n a positive multiple of 8 (no NaN check). Only for the
// tests: it exposes the float64 results, which must equal math.Exp's bits on [-700, 700].
TEXT ·expF64AVX512Asm(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	LOAD512
	XORQ BX, BX

f64loop512:
	VMOVUPD (SI)(BX*8), Z0
	EXP512
	VMOVUPD Z0, (DI)(BX*8)
	ADDQ    $8, BX
	CMPQ    BX, CX
	JB      f64loop512
	VZEROUPPER
	RET

// func expF64AVX2Asm(dst, src *float64, n int)
// expF64AVX512Asm with EXP256, n a positive multiple of 4.
TEXT ·expF64AVX2Asm(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	LOAD256
	XORQ BX, BX

f64loop256:
	VMOVUPD (SI)(BX*8), Y0
	EXP256
	VMOVUPD Y0, (DI)(BX*8)
	ADDQ    $4, BX
	CMPQ    BX, CX
	JB      f64loop256
	VZEROUPPER
	RET
