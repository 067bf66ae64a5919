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

// Interleaving helpers for EXP512X4 / EXP256X3: one operation on 4 (3) independent blocks.
// BLK4K(op, k, s0..s3, d0..d3) is op k, si, di per block (k shared: a constant, an immediate
// or a memory operand); BLK4V(op, a0..a3, s0..s3, d0..d3) is op ai, si, di; BLK4U(op, s0..s3,
// d0..d3) is op si, di. K3/V3/U3 likewise for three blocks.
#define BLK4K(op, k, s0, s1, s2, s3, d0, d1, d2, d3) \
	op k, s0, d0 \
	op k, s1, d1 \
	op k, s2, d2 \
	op k, s3, d3

#define BLK4V(op, a0, a1, a2, a3, s0, s1, s2, s3, d0, d1, d2, d3) \
	op a0, s0, d0 \
	op a1, s1, d1 \
	op a2, s2, d2 \
	op a3, s3, d3

#define BLK4U(op, s0, s1, s2, s3, d0, d1, d2, d3) \
	op s0, d0 \
	op s1, d1 \
	op s2, d2 \
	op s3, d3

#define BLK3K(op, k, s0, s1, s2, d0, d1, d2) \
	op k, s0, d0 \
	op k, s1, d1 \
	op k, s2, d2

#define BLK3V(op, a0, a1, a2, s0, s1, s2, d0, d1, d2) \
	op a0, s0, d0 \
	op a1, s1, d1 \
	op a2, s2, d2

#define BLK3U(op, s0, s1, s2, d0, d1, d2) \
	op s0, d0 \
	op s1, d1 \
	op s2, d2

// EXP512 computes exp of the 8 float64 lanes of Z0 into Z0 (any argument but NaN: it is
// clamped to [-700, 700] first). EXP512X4 does the same for Z0..Z3, instruction by
// instruction interleaved: the dependency chain is long (~25 operations), so four
// independent blocks side by side keep the FMA pipes busy. Both clobber Z4..Z13, Z20, Z21.
// Constants: Z16 LOG2E, Z17 LN2U, Z18 LN2L, Z19 1/16, Z27 1, Z28 2, Z29 bias, Z30/Z31 the
// clamp bounds; the polynomial coefficients are broadcast from expc.
//
// n is taken twice from t = a*LOG2E: as int32 by vcvtpd2dq (as cvtsd2sl, for the exponent
// bits) and as float64 by vrndscalepd $0 (round to nearest even), which equals
// float64(int32 n) for |t| < 2^31, except that it keeps the sign of a zero; n = -0 instead of
// +0 changes x only when a = -0, and exp(-0) = 1 either way.
#define EXP512 \
	VMAXPD       Z30, Z0, Z0 \
	VMINPD       Z31, Z0, Z0 \
	VMULPD       Z16, Z0, Z4 \
	VCVTPD2DQ    Z4, Y8 \
	VRNDSCALEPD  $0, Z4, Z4 \
	VFNMADD231PD Z17, Z4, Z0 \
	VFNMADD231PD Z18, Z4, Z0 \
	VMULPD       Z19, Z0, Z0 \
	VBROADCASTSD expc<>+128(SB), Z12 \
	VFMADD213PD.BCST expc<>+160(SB), Z0, Z12 \
	VFMADD213PD.BCST expc<>+192(SB), Z0, Z12 \
	VFMADD213PD.BCST expc<>+224(SB), Z0, Z12 \
	VFMADD213PD.BCST expc<>+256(SB), Z0, Z12 \
	VFMADD213PD.BCST expc<>+288(SB), Z0, Z12 \
	VFMADD213PD.BCST expc<>+320(SB), Z0, Z12 \
	VFMADD213PD  Z27, Z0, Z12 \
	VMULPD       Z12, Z0, Z0 \
	VADDPD       Z28, Z0, Z12 \
	VMULPD       Z12, Z0, Z0 \
	VADDPD       Z28, Z0, Z12 \
	VMULPD       Z12, Z0, Z0 \
	VADDPD       Z28, Z0, Z12 \
	VMULPD       Z12, Z0, Z0 \
	VADDPD       Z28, Z0, Z12 \
	VFMADD213PD  Z27, Z12, Z0 \
	VPMOVSXDQ    Y8, Z8 \
	VPADDQ       Z29, Z8, Z8 \
	VPSLLQ       $52, Z8, Z4 \
	VMULPD       Z4, Z0, Z0

#define EXP512X4 \
	BLK4K(VMAXPD, Z30, Z0, Z1, Z2, Z3, Z0, Z1, Z2, Z3) \
	BLK4K(VMINPD, Z31, Z0, Z1, Z2, Z3, Z0, Z1, Z2, Z3) \
	BLK4K(VMULPD, Z16, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7) \
	BLK4U(VCVTPD2DQ, Z4, Z5, Z6, Z7, Y8, Y9, Y10, Y11) \
	BLK4K(VRNDSCALEPD, $0, Z4, Z5, Z6, Z7, Z4, Z5, Z6, Z7) \
	BLK4K(VFNMADD231PD, Z17, Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3) \
	BLK4K(VFNMADD231PD, Z18, Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3) \
	BLK4K(VMULPD, Z19, Z0, Z1, Z2, Z3, Z0, Z1, Z2, Z3) \
	BLK4U(VBROADCASTSD, expc<>+128(SB), expc<>+128(SB), expc<>+128(SB), expc<>+128(SB), Z12, Z13, Z20, Z21) \
	BLK4K(VFMADD213PD.BCST, expc<>+160(SB), Z0, Z1, Z2, Z3, Z12, Z13, Z20, Z21) \
	BLK4K(VFMADD213PD.BCST, expc<>+192(SB), Z0, Z1, Z2, Z3, Z12, Z13, Z20, Z21) \
	BLK4K(VFMADD213PD.BCST, expc<>+224(SB), Z0, Z1, Z2, Z3, Z12, Z13, Z20, Z21) \
	BLK4K(VFMADD213PD.BCST, expc<>+256(SB), Z0, Z1, Z2, Z3, Z12, Z13, Z20, Z21) \
	BLK4K(VFMADD213PD.BCST, expc<>+288(SB), Z0, Z1, Z2, Z3, Z12, Z13, Z20, Z21) \
	BLK4K(VFMADD213PD.BCST, expc<>+320(SB), Z0, Z1, Z2, Z3, Z12, Z13, Z20, Z21) \
	BLK4K(VFMADD213PD, Z27, Z0, Z1, Z2, Z3, Z12, Z13, Z20, Z21) \
	BLK4V(VMULPD, Z12, Z13, Z20, Z21, Z0, Z1, Z2, Z3, Z0, Z1, Z2, Z3) \
	BLK4K(VADDPD, Z28, Z0, Z1, Z2, Z3, Z12, Z13, Z20, Z21) \
	BLK4V(VMULPD, Z12, Z13, Z20, Z21, Z0, Z1, Z2, Z3, Z0, Z1, Z2, Z3) \
	BLK4K(VADDPD, Z28, Z0, Z1, Z2, Z3, Z12, Z13, Z20, Z21) \
	BLK4V(VMULPD, Z12, Z13, Z20, Z21, Z0, Z1, Z2, Z3, Z0, Z1, Z2, Z3) \
	BLK4K(VADDPD, Z28, Z0, Z1, Z2, Z3, Z12, Z13, Z20, Z21) \
	BLK4V(VMULPD, Z12, Z13, Z20, Z21, Z0, Z1, Z2, Z3, Z0, Z1, Z2, Z3) \
	BLK4K(VADDPD, Z28, Z0, Z1, Z2, Z3, Z12, Z13, Z20, Z21) \
	BLK4K(VFMADD213PD, Z27, Z12, Z13, Z20, Z21, Z0, Z1, Z2, Z3) \
	BLK4U(VPMOVSXDQ, Y8, Y9, Y10, Y11, Z8, Z9, Z10, Z11) \
	BLK4K(VPADDQ, Z29, Z8, Z9, Z10, Z11, Z8, Z9, Z10, Z11) \
	BLK4K(VPSLLQ, $52, Z8, Z9, Z10, Z11, Z4, Z5, Z6, Z7) \
	BLK4V(VMULPD, Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z0, Z1, Z2, Z3)

#define LOAD512 \
	VBROADCASTSD expc<>+0(SB), Z16 \
	VBROADCASTSD expc<>+32(SB), Z17 \
	VBROADCASTSD expc<>+64(SB), Z18 \
	VBROADCASTSD expc<>+96(SB), Z19 \
	VBROADCASTSD expc<>+352(SB), Z27 \
	VBROADCASTSD expc<>+384(SB), Z28 \
	VPBROADCASTQ expc<>+416(SB), Z29 \
	VBROADCASTSD expc<>+448(SB), Z30 \
	VBROADCASTSD expc<>+480(SB), Z31

// func siluF32AVX512Asm(v *float32, n int) int
// In place v[i] = v[i] / (1 + float32(exp(-v[i]))) for n a positive multiple of 8, 32 at a
// time then 8; stops before the first block of 8 holding a NaN and returns the number of
// elements done.
TEXT ·siluF32AVX512Asm(SB), NOSPLIT, $0-24
	MOVQ         v+0(FP), SI
	MOVQ         n+8(FP), CX
	LOAD512
	VBROADCASTSS expf32<>+0(SB), Y15
	VBROADCASTSS expf32<>+4(SB), Y14
	MOVQ         CX, DX
	ANDQ         $~31, DX
	XORQ         BX, BX

silu512x4:
	CMPQ         BX, DX
	JAE          silu512x1
	VMOVUPS      0(SI)(BX*4), Y22
	VMOVUPS      32(SI)(BX*4), Y23
	VMOVUPS      64(SI)(BX*4), Y24
	VMOVUPS      96(SI)(BX*4), Y25
	VCMPPS       $3, Y22, Y22, K1
	VCMPPS       $3, Y23, Y23, K2
	VCMPPS       $3, Y24, Y24, K3
	VCMPPS       $3, Y25, Y25, K4
	KORW         K1, K2, K5
	KORW         K3, K4, K6
	KORTESTW     K5, K6
	JNE          silu512x1
	VXORPS       Y15, Y22, Y0
	VXORPS       Y15, Y23, Y1
	VXORPS       Y15, Y24, Y2
	VXORPS       Y15, Y25, Y3
	VCVTPS2PD    Y0, Z0
	VCVTPS2PD    Y1, Z1
	VCVTPS2PD    Y2, Z2
	VCVTPS2PD    Y3, Z3
	EXP512X4
	VCVTPD2PS    Z0, Y0
	VCVTPD2PS    Z1, Y1
	VCVTPD2PS    Z2, Y2
	VCVTPD2PS    Z3, Y3
	VADDPS       Y14, Y0, Y0
	VADDPS       Y14, Y1, Y1
	VADDPS       Y14, Y2, Y2
	VADDPS       Y14, Y3, Y3
	VDIVPS       Y0, Y22, Y0
	VDIVPS       Y1, Y23, Y1
	VDIVPS       Y2, Y24, Y2
	VDIVPS       Y3, Y25, Y3
	VMOVUPS      Y0, 0(SI)(BX*4)
	VMOVUPS      Y1, 32(SI)(BX*4)
	VMOVUPS      Y2, 64(SI)(BX*4)
	VMOVUPS      Y3, 96(SI)(BX*4)
	ADDQ         $32, BX
	JMP          silu512x4

silu512x1:
	CMPQ         BX, CX
	JAE          silu512done
	VMOVUPS      0(SI)(BX*4), Y22
	VCMPPS       $3, Y22, Y22, K1
	KORTESTW     K1, K1
	JNE          silu512done
	VXORPS       Y15, Y22, Y0
	VCVTPS2PD    Y0, Z0
	EXP512
	VCVTPD2PS    Z0, Y0
	VADDPS       Y14, Y0, Y0
	VDIVPS       Y0, Y22, Y0
	VMOVUPS      Y0, 0(SI)(BX*4)
	ADDQ         $8, BX
	JMP          silu512x1

silu512done:
	MOVQ         BX, ret+16(FP)
	VZEROUPPER
	RET

// func expShiftedF32AVX512Asm(dst, src *float32, n int, mx float32) int
// dst[i] = float32(exp(float64(src[i] - mx))) for n a positive multiple of 8, 32 at a time
// then 8; stops before the first block of 8 with a NaN argument and returns the number of
// elements done.
TEXT ·expShiftedF32AVX512Asm(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS mx+24(FP), Y15
	LOAD512
	MOVQ         CX, DX
	ANDQ         $~31, DX
	XORQ         BX, BX

exp512x4:
	CMPQ         BX, DX
	JAE          exp512x1
	VMOVUPS      0(SI)(BX*4), Y0
	VMOVUPS      32(SI)(BX*4), Y1
	VMOVUPS      64(SI)(BX*4), Y2
	VMOVUPS      96(SI)(BX*4), Y3
	VSUBPS       Y15, Y0, Y0
	VSUBPS       Y15, Y1, Y1
	VSUBPS       Y15, Y2, Y2
	VSUBPS       Y15, Y3, Y3
	VCMPPS       $3, Y0, Y0, K1
	VCMPPS       $3, Y1, Y1, K2
	VCMPPS       $3, Y2, Y2, K3
	VCMPPS       $3, Y3, Y3, K4
	KORW         K1, K2, K5
	KORW         K3, K4, K6
	KORTESTW     K5, K6
	JNE          exp512x1
	VCVTPS2PD    Y0, Z0
	VCVTPS2PD    Y1, Z1
	VCVTPS2PD    Y2, Z2
	VCVTPS2PD    Y3, Z3
	EXP512X4
	VCVTPD2PS    Z0, Y0
	VCVTPD2PS    Z1, Y1
	VCVTPD2PS    Z2, Y2
	VCVTPD2PS    Z3, Y3
	VMOVUPS      Y0, 0(DI)(BX*4)
	VMOVUPS      Y1, 32(DI)(BX*4)
	VMOVUPS      Y2, 64(DI)(BX*4)
	VMOVUPS      Y3, 96(DI)(BX*4)
	ADDQ         $32, BX
	JMP          exp512x4

exp512x1:
	CMPQ         BX, CX
	JAE          exp512done
	VMOVUPS      0(SI)(BX*4), Y0
	VSUBPS       Y15, Y0, Y0
	VCMPPS       $3, Y0, Y0, K1
	KORTESTW     K1, K1
	JNE          exp512done
	VCVTPS2PD    Y0, Z0
	EXP512
	VCVTPD2PS    Z0, Y0
	VMOVUPS      Y0, 0(DI)(BX*4)
	ADDQ         $8, BX
	JMP          exp512x1

exp512done:
	MOVQ         BX, ret+32(FP)
	VZEROUPPER
	RET

// EXP256 is EXP512 on the 4 float64 lanes of Y0 (AVX2 + FMA; vroundpd for vrndscalepd),
// EXP256X3 on Y0..Y2 interleaved. Both clobber Y3..Y11. Constants: Y12 2, Y13 1; the others
// are memory operands.
#define EXP256 \
	VMAXPD       expc<>+448(SB), Y0, Y0 \
	VMINPD       expc<>+480(SB), Y0, Y0 \
	VMULPD       expc<>+0(SB), Y0, Y3 \
	VCVTPD2DQY   Y3, X6 \
	VROUNDPD     $0, Y3, Y3 \
	VFNMADD231PD expc<>+32(SB), Y3, Y0 \
	VFNMADD231PD expc<>+64(SB), Y3, Y0 \
	VMULPD       expc<>+96(SB), Y0, Y0 \
	VMOVUPD      expc<>+128(SB), Y9 \
	VFMADD213PD  expc<>+160(SB), Y0, Y9 \
	VFMADD213PD  expc<>+192(SB), Y0, Y9 \
	VFMADD213PD  expc<>+224(SB), Y0, Y9 \
	VFMADD213PD  expc<>+256(SB), Y0, Y9 \
	VFMADD213PD  expc<>+288(SB), Y0, Y9 \
	VFMADD213PD  expc<>+320(SB), Y0, Y9 \
	VFMADD213PD  Y13, Y0, Y9 \
	VMULPD       Y9, Y0, Y0 \
	VADDPD       Y12, Y0, Y9 \
	VMULPD       Y9, Y0, Y0 \
	VADDPD       Y12, Y0, Y9 \
	VMULPD       Y9, Y0, Y0 \
	VADDPD       Y12, Y0, Y9 \
	VMULPD       Y9, Y0, Y0 \
	VADDPD       Y12, Y0, Y9 \
	VFMADD213PD  Y13, Y9, Y0 \
	VPMOVSXDQ    X6, Y6 \
	VPADDQ       expc<>+416(SB), Y6, Y6 \
	VPSLLQ       $52, Y6, Y3 \
	VMULPD       Y3, Y0, Y0

#define EXP256X3 \
	BLK3K(VMAXPD, expc<>+448(SB), Y0, Y1, Y2, Y0, Y1, Y2) \
	BLK3K(VMINPD, expc<>+480(SB), Y0, Y1, Y2, Y0, Y1, Y2) \
	BLK3K(VMULPD, expc<>+0(SB), Y0, Y1, Y2, Y3, Y4, Y5) \
	BLK3U(VCVTPD2DQY, Y3, Y4, Y5, X6, X7, X8) \
	BLK3K(VROUNDPD, $0, Y3, Y4, Y5, Y3, Y4, Y5) \
	BLK3K(VFNMADD231PD, expc<>+32(SB), Y3, Y4, Y5, Y0, Y1, Y2) \
	BLK3K(VFNMADD231PD, expc<>+64(SB), Y3, Y4, Y5, Y0, Y1, Y2) \
	BLK3K(VMULPD, expc<>+96(SB), Y0, Y1, Y2, Y0, Y1, Y2) \
	BLK3U(VMOVUPD, expc<>+128(SB), expc<>+128(SB), expc<>+128(SB), Y9, Y10, Y11) \
	BLK3K(VFMADD213PD, expc<>+160(SB), Y0, Y1, Y2, Y9, Y10, Y11) \
	BLK3K(VFMADD213PD, expc<>+192(SB), Y0, Y1, Y2, Y9, Y10, Y11) \
	BLK3K(VFMADD213PD, expc<>+224(SB), Y0, Y1, Y2, Y9, Y10, Y11) \
	BLK3K(VFMADD213PD, expc<>+256(SB), Y0, Y1, Y2, Y9, Y10, Y11) \
	BLK3K(VFMADD213PD, expc<>+288(SB), Y0, Y1, Y2, Y9, Y10, Y11) \
	BLK3K(VFMADD213PD, expc<>+320(SB), Y0, Y1, Y2, Y9, Y10, Y11) \
	BLK3K(VFMADD213PD, Y13, Y0, Y1, Y2, Y9, Y10, Y11) \
	BLK3V(VMULPD, Y9, Y10, Y11, Y0, Y1, Y2, Y0, Y1, Y2) \
	BLK3K(VADDPD, Y12, Y0, Y1, Y2, Y9, Y10, Y11) \
	BLK3V(VMULPD, Y9, Y10, Y11, Y0, Y1, Y2, Y0, Y1, Y2) \
	BLK3K(VADDPD, Y12, Y0, Y1, Y2, Y9, Y10, Y11) \
	BLK3V(VMULPD, Y9, Y10, Y11, Y0, Y1, Y2, Y0, Y1, Y2) \
	BLK3K(VADDPD, Y12, Y0, Y1, Y2, Y9, Y10, Y11) \
	BLK3V(VMULPD, Y9, Y10, Y11, Y0, Y1, Y2, Y0, Y1, Y2) \
	BLK3K(VADDPD, Y12, Y0, Y1, Y2, Y9, Y10, Y11) \
	BLK3K(VFMADD213PD, Y13, Y9, Y10, Y11, Y0, Y1, Y2) \
	BLK3U(VPMOVSXDQ, X6, X7, X8, Y6, Y7, Y8) \
	BLK3K(VPADDQ, expc<>+416(SB), Y6, Y7, Y8, Y6, Y7, Y8) \
	BLK3K(VPSLLQ, $52, Y6, Y7, Y8, Y3, Y4, Y5) \
	BLK3V(VMULPD, Y3, Y4, Y5, Y0, Y1, Y2, Y0, Y1, Y2)

#define LOAD256 \
	VMOVUPD expc<>+384(SB), Y12 \
	VMOVUPD expc<>+352(SB), Y13

// func siluF32AVX2Asm(v *float32, n int) int
// siluF32AVX512Asm in blocks of 4, three at a time.
TEXT ·siluF32AVX2Asm(SB), NOSPLIT, $0-24
	MOVQ         v+0(FP), SI
	MOVQ         n+8(FP), CX
	LOAD256
	VBROADCASTSS expf32<>+0(SB), X15
	VBROADCASTSS expf32<>+4(SB), X14
	XORQ         BX, BX

silu256x3:
	LEAQ         12(BX), AX
	CMPQ         AX, CX
	JA           silu256x1
	VMOVUPS      0(SI)(BX*4), X3
	VMOVUPS      16(SI)(BX*4), X4
	VMOVUPS      32(SI)(BX*4), X5
	VCMPPS       $3, X3, X3, X9
	VCMPPS       $3, X4, X4, X10
	VCMPPS       $3, X5, X5, X11
	VORPS        X10, X9, X9
	VORPS        X11, X9, X9
	VPTEST       X9, X9
	JNE          silu256x1
	VXORPS       X15, X3, X0
	VXORPS       X15, X4, X1
	VXORPS       X15, X5, X2
	VCVTPS2PD    X0, Y0
	VCVTPS2PD    X1, Y1
	VCVTPS2PD    X2, Y2
	EXP256X3
	VCVTPD2PSY   Y0, X0
	VCVTPD2PSY   Y1, X1
	VCVTPD2PSY   Y2, X2
	VADDPS       X14, X0, X0
	VADDPS       X14, X1, X1
	VADDPS       X14, X2, X2
	VMOVUPS      0(SI)(BX*4), X3
	VMOVUPS      16(SI)(BX*4), X4
	VMOVUPS      32(SI)(BX*4), X5
	VDIVPS       X0, X3, X0
	VDIVPS       X1, X4, X1
	VDIVPS       X2, X5, X2
	VMOVUPS      X0, 0(SI)(BX*4)
	VMOVUPS      X1, 16(SI)(BX*4)
	VMOVUPS      X2, 32(SI)(BX*4)
	ADDQ         $12, BX
	JMP          silu256x3

silu256x1:
	CMPQ         BX, CX
	JAE          silu256done
	VMOVUPS      0(SI)(BX*4), X3
	VCMPPS       $3, X3, X3, X9
	VPTEST       X9, X9
	JNE          silu256done
	VXORPS       X15, X3, X0
	VCVTPS2PD    X0, Y0
	EXP256
	VCVTPD2PSY   Y0, X0
	VADDPS       X14, X0, X0
	VMOVUPS      0(SI)(BX*4), X3
	VDIVPS       X0, X3, X0
	VMOVUPS      X0, 0(SI)(BX*4)
	ADDQ         $4, BX
	JMP          silu256x1

silu256done:
	MOVQ         BX, ret+16(FP)
	VZEROUPPER
	RET

// func expShiftedF32AVX2Asm(dst, src *float32, n int, mx float32) int
// expShiftedF32AVX512Asm in blocks of 4, three at a time.
TEXT ·expShiftedF32AVX2Asm(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS mx+24(FP), X15
	LOAD256
	XORQ         BX, BX

exp256x3:
	LEAQ         12(BX), AX
	CMPQ         AX, CX
	JA           exp256x1
	VMOVUPS      0(SI)(BX*4), X0
	VMOVUPS      16(SI)(BX*4), X1
	VMOVUPS      32(SI)(BX*4), X2
	VSUBPS       X15, X0, X0
	VSUBPS       X15, X1, X1
	VSUBPS       X15, X2, X2
	VCMPPS       $3, X0, X0, X9
	VCMPPS       $3, X1, X1, X10
	VCMPPS       $3, X2, X2, X11
	VORPS        X10, X9, X9
	VORPS        X11, X9, X9
	VPTEST       X9, X9
	JNE          exp256x1
	VCVTPS2PD    X0, Y0
	VCVTPS2PD    X1, Y1
	VCVTPS2PD    X2, Y2
	EXP256X3
	VCVTPD2PSY   Y0, X0
	VCVTPD2PSY   Y1, X1
	VCVTPD2PSY   Y2, X2
	VMOVUPS      X0, 0(DI)(BX*4)
	VMOVUPS      X1, 16(DI)(BX*4)
	VMOVUPS      X2, 32(DI)(BX*4)
	ADDQ         $12, BX
	JMP          exp256x3

exp256x1:
	CMPQ         BX, CX
	JAE          exp256done
	VMOVUPS      0(SI)(BX*4), X0
	VSUBPS       X15, X0, X0
	VCMPPS       $3, X0, X0, X9
	VPTEST       X9, X9
	JNE          exp256done
	VCVTPS2PD    X0, Y0
	EXP256
	VCVTPD2PSY   Y0, X0
	VMOVUPS      X0, 0(DI)(BX*4)
	ADDQ         $4, BX
	JMP          exp256x1

exp256done:
	MOVQ         BX, ret+32(FP)
	VZEROUPPER
	RET


// func expF64AVX512Asm(dst, src *float64, n int)
// dst[i] = exp(src[i]) by EXP512X4 then EXP512, n a positive multiple of 8 (no NaN check).
// Only for the tests: it exposes the float64 results, which must equal math.Exp's bits on
// [-700, 700].
TEXT ·expF64AVX512Asm(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	LOAD512
	MOVQ CX, DX
	ANDQ $~31, DX
	XORQ BX, BX

f64x4:
	CMPQ    BX, DX
	JAE     f64x1
	VMOVUPD (SI)(BX*8), Z0
	VMOVUPD 64(SI)(BX*8), Z1
	VMOVUPD 128(SI)(BX*8), Z2
	VMOVUPD 192(SI)(BX*8), Z3
	EXP512X4
	VMOVUPD Z0, (DI)(BX*8)
	VMOVUPD Z1, 64(DI)(BX*8)
	VMOVUPD Z2, 128(DI)(BX*8)
	VMOVUPD Z3, 192(DI)(BX*8)
	ADDQ    $32, BX
	JMP     f64x4

f64x1:
	CMPQ    BX, CX
	JAE     f64done
	VMOVUPD (SI)(BX*8), Z0
	EXP512
	VMOVUPD Z0, (DI)(BX*8)
	ADDQ    $8, BX
	JMP     f64x1

f64done:
	VZEROUPPER
	RET

// func expF64AVX2Asm(dst, src *float64, n int)
// expF64AVX512Asm with EXP256X3 then EXP256, n a positive multiple of 4.
TEXT ·expF64AVX2Asm(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	LOAD256
	XORQ BX, BX

f64y3:
	LEAQ    12(BX), AX
	CMPQ    AX, CX
	JA      f64y1
	VMOVUPD (SI)(BX*8), Y0
	VMOVUPD 32(SI)(BX*8), Y1
	VMOVUPD 64(SI)(BX*8), Y2
	EXP256X3
	VMOVUPD Y0, (DI)(BX*8)
	VMOVUPD Y1, 32(DI)(BX*8)
	VMOVUPD Y2, 64(DI)(BX*8)
	ADDQ    $12, BX
	JMP     f64y3

f64y1:
	CMPQ    BX, CX
	JAE     f64ydone
	VMOVUPD (SI)(BX*8), Y0
	EXP256
	VMOVUPD Y0, (DI)(BX*8)
	ADDQ    $4, BX
	JMP     f64y1

f64ydone:
	VZEROUPPER
	RET
