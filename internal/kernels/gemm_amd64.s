//go:build amd64

#include "textflag.h"

// Int8 GEMM micro-kernel for AVX-512 VNNI: an 8-row x 32-token tile of dst, full depth.
//
// Layout trick: the int32 lanes of an accumulator are 16 tokens of one weight row, so no
// horizontal sums are needed. Per 4-column step k, for row r:
//	acc[r][t] += sum_{b<4} xp[k][t][b] (u8) * w[r][4k+b] (s8)
// with the 4 weight bytes broadcast to all lanes (vpbroadcastd) and xp the token block packed
// as [kq][32 tokens][4 bytes] and shifted to u8 (x^0x80 = x+128) by the Go caller. The exact
// result is acc - 128*sum_k w[r,k] = acc - comp[r].

// STEP does one 4-column step at byte offset xo in xp and offset wo in the weight rows.
#define STEP(xo, wo) \
	VMOVDQU32    xo(R10), Z16 \
	VMOVDQU32    xo+64(R10), Z17 \
	VPBROADCASTD wo(AX)(R11*1), Z18 \
	VPBROADCASTD wo(BX)(R11*1), Z19 \
	VPBROADCASTD wo(CX)(R11*1), Z20 \
	VPBROADCASTD wo(DX)(R11*1), Z21 \
	VPDPBUSD     Z18, Z16, Z0 \
	VPDPBUSD     Z18, Z17, Z1 \
	VPDPBUSD     Z19, Z16, Z2 \
	VPDPBUSD     Z19, Z17, Z3 \
	VPBROADCASTD wo(SI)(R11*1), Z22 \
	VPBROADCASTD wo(DI)(R11*1), Z23 \
	VPBROADCASTD wo(R8)(R11*1), Z24 \
	VPBROADCASTD wo(R9)(R11*1), Z25 \
	VPDPBUSD     Z20, Z16, Z4 \
	VPDPBUSD     Z20, Z17, Z5 \
	VPDPBUSD     Z21, Z16, Z6 \
	VPDPBUSD     Z21, Z17, Z7 \
	VPDPBUSD     Z22, Z16, Z8 \
	VPDPBUSD     Z22, Z17, Z9 \
	VPDPBUSD     Z23, Z16, Z10 \
	VPDPBUSD     Z23, Z17, Z11 \
	VPDPBUSD     Z24, Z16, Z12 \
	VPDPBUSD     Z24, Z17, Z13 \
	VPDPBUSD     Z25, Z16, Z14 \
	VPDPBUSD     Z25, Z17, Z15

// STORE subtracts comp[r] from the two accumulators of row r and scatters them to
// dst[t*ld + r] for the tokens in the mask (R12: low 16 bits first half, next 16 second).
// Z26 holds t*ld for t = 0..15; R13 = dst + 16*ld*4 (the second half's base). Scatter
// zeroes its mask register, so the mask is reloaded each time.
#define STORE(off, za, zb) \
	VPBROADCASTD off(R9), Z27 \
	VPSUBD       Z27, za, za \
	VPSUBD       Z27, zb, zb \
	KMOVW        R12, K1 \
	VPSCATTERDD  za, K1, off(DI)(Z26*4) \
	MOVQ         R12, R11 \
	SHRQ         $16, R11 \
	KMOVW        R11, K2 \
	VPSCATTERDD  zb, K2, off(R13)(Z26*4)

// ZERO16 clears the 16 accumulators Z0-Z15 of a tile.
#define ZERO16 \
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

// The full-tile transposes. A tile's accumulators hold, for row r, tokens 0-15 in Z(2r)
// and tokens 16-31 in Z(2r+1). TRANS8(a0..a7) turns one half's eight row registers into
// U_j = Z20+j (rows 0-3 of tokens j, 4+j, 8+j, 12+j, one 128-bit lane per token) and
// V_j = Z24+j (rows 4-7): two 4x4 transposes per 128-bit lane. UNTRANS8 is its inverse
// (U/V back into the row registers). Both clobber Z16-Z19.
#define TRANS4(a0, a1, a2, a3, d0, d1, d2, d3) \
	VPUNPCKLDQ  a1, a0, Z16 \
	VPUNPCKHDQ  a1, a0, Z17 \
	VPUNPCKLDQ  a3, a2, Z18 \
	VPUNPCKHDQ  a3, a2, Z19 \
	VPUNPCKLQDQ Z18, Z16, d0 \
	VPUNPCKHQDQ Z18, Z16, d1 \
	VPUNPCKLQDQ Z19, Z17, d2 \
	VPUNPCKHQDQ Z19, Z17, d3

#define TRANS8(a0, a1, a2, a3, a4, a5, a6, a7) \
	TRANS4(a0, a1, a2, a3, Z20, Z21, Z22, Z23) \
	TRANS4(a4, a5, a6, a7, Z24, Z25, Z26, Z27)

#define UNTRANS8(a0, a1, a2, a3, a4, a5, a6, a7) \
	TRANS4(Z20, Z21, Z22, Z23, a0, a1, a2, a3) \
	TRANS4(Z24, Z25, Z26, Z27, a4, a5, a6, a7)

// TOKADDR sets AX, BX, CX, DX to the addresses of tokens 0-3 of the tile (dst + t*ld*4),
// SI to 4 tokens' stride and R8 to 12 tokens'; NEXTHALF moves AX-DX on by 16 tokens.
#define TOKADDR \
	MOVQ dst+0(FP), AX \
	MOVQ ld+8(FP), SI \
	SHLQ $4, SI \
	LEAQ (SI)(SI*2), R8 \
	MOVQ ld+8(FP), R11 \
	SHLQ $2, R11 \
	LEAQ (AX)(R11*1), BX \
	LEAQ (BX)(R11*1), CX \
	LEAQ (CX)(R11*1), DX

#define NEXTHALF \
	SHLQ $2, SI \
	ADDQ SI, AX \
	ADDQ SI, BX \
	ADDQ SI, CX \
	ADDQ SI, DX \
	SHRQ $2, SI

// TPERM puts two tokens of a 16-token half in Z31, minus the compensation: with IDX = Z28
// (tok4Lo) tokens j (low 256 bits) and 4+j (high), with Z29 (tok4Hi) tokens 8+j and 12+j,
// from U (rows 0-3 of tokens j, 4+j, 8+j, 12+j, one 128-bit lane each) and V (rows 4-7).
// Z30 holds comp[0..7] twice.
#define TPERM(U, V, IDX) \
	VMOVDQA64 U, Z31 \
	VPERMT2Q  V, IDX, Z31 \
	VPSUBD    Z30, Z31, Z31

// Qword indices for VPERMT2Q: lanes [U0 V0 U1 V1] and [U2 V2 U3 V3].
DATA tok4Lo<>+0(SB)/8, $0
DATA tok4Lo<>+8(SB)/8, $1
DATA tok4Lo<>+16(SB)/8, $8
DATA tok4Lo<>+24(SB)/8, $9
DATA tok4Lo<>+32(SB)/8, $2
DATA tok4Lo<>+40(SB)/8, $3
DATA tok4Lo<>+48(SB)/8, $10
DATA tok4Lo<>+56(SB)/8, $11
GLOBL tok4Lo<>(SB), RODATA|NOPTR, $64
DATA tok4Hi<>+0(SB)/8, $4
DATA tok4Hi<>+8(SB)/8, $5
DATA tok4Hi<>+16(SB)/8, $12
DATA tok4Hi<>+24(SB)/8, $13
DATA tok4Hi<>+32(SB)/8, $6
DATA tok4Hi<>+40(SB)/8, $7
DATA tok4Hi<>+48(SB)/8, $14
DATA tok4Hi<>+56(SB)/8, $15
GLOBL tok4Hi<>(SB), RODATA|NOPTR, $64

// func gemmInt8Tile8x32(dst *int32, ld int, w *int8, cols, kq int, xp *byte, comp *int32, nrows int, tokmask uint64, idx *int32)
//
// dst: tile origin (token 0, row 0) with row stride ld int32s; w: first row of the panel,
// row stride cols; kq >= 1 four-column steps; comp: 8 int32 (only nrows used); rows past
// nrows read the last valid row (no out-of-bounds access) and are not stored;
// idx: 16 int32 t*ld.
TEXT ·gemmInt8Tile8x32(SB), NOSPLIT, $0-80
	MOVQ w+16(FP), AX
	MOVQ cols+24(FP), R13
	MOVQ nrows+56(FP), R12

	// Row pointers AX,BX,CX,DX,SI,DI,R8,R9: row i = w + min(i, nrows-1)*cols.
	MOVQ AX, BX
	CMPQ R12, $1
	JLE  p1
	ADDQ R13, BX
p1:
	MOVQ BX, CX
	CMPQ R12, $2
	JLE  p2
	ADDQ R13, CX
p2:
	MOVQ CX, DX
	CMPQ R12, $3
	JLE  p3
	ADDQ R13, DX
p3:
	MOVQ DX, SI
	CMPQ R12, $4
	JLE  p4
	ADDQ R13, SI
p4:
	MOVQ SI, DI
	CMPQ R12, $5
	JLE  p5
	ADDQ R13, DI
p5:
	MOVQ DI, R8
	CMPQ R12, $6
	JLE  p6
	ADDQ R13, R8
p6:
	MOVQ R8, R9
	CMPQ R12, $7
	JLE  p7
	ADDQ R13, R9
p7:
	MOVQ xp+40(FP), R10
	MOVQ kq+32(FP), R12
	SHLQ $2, R12                   // R12 = end byte offset in the weight rows
	XORQ R11, R11

	ZERO16

	// Main loop: 4 steps (16 columns) per iteration.
	MOVQ R12, R13
	ANDQ $-16, R13
loop4:
	CMPQ R11, R13
	JAE  loop1
	STEP(0, 0)
	STEP(128, 4)
	STEP(256, 8)
	STEP(384, 12)
	ADDQ $512, R10
	ADDQ $16, R11
	JMP  loop4

loop1:
	CMPQ R11, R12
	JAE  store
	STEP(0, 0)
	ADDQ $128, R10
	ADDQ $4, R11
	JMP  loop1

store:
	// A tile of 8 rows is transposed in registers and written with plain 32-byte stores, one
	// per token present (R12 tokens; each store is skipped past them): the 16 scatters below
	// cost ~35% of the kernel's time on Zen 5 (measured at 4096 columns). Tiles of fewer
	// rows (a matrix's last panel) keep the scatter path.
	MOVQ nrows+56(FP), CX
	CMPQ CX, $8
	JNE  scatter
	MOVQ tokmask+64(FP), R12
	POPCNTQ R12, R12               // tokens in the tile (the mask is a prefix)
	MOVQ comp+48(FP), R9
	VBROADCASTI64X4 (R9), Z30
	VMOVDQU64 tok4Lo<>(SB), Z28
	VMOVDQU64 tok4Hi<>(SB), Z29
	TOKADDR
	TRANS8(Z0, Z2, Z4, Z6, Z8, Z10, Z12, Z14)
	TPERM(Z20, Z24, Z28)
	CMPQ R12, $0
	JLE  ti0
	VMOVDQU32 Y31, (AX)
ti0:
	CMPQ R12, $4
	JLE  ti4
	VEXTRACTI64X4 $1, Z31, (AX)(SI*1)
ti4:
	TPERM(Z20, Z24, Z29)
	CMPQ R12, $8
	JLE  ti8
	VMOVDQU32 Y31, (AX)(SI*2)
ti8:
	CMPQ R12, $12
	JLE  ti12
	VEXTRACTI64X4 $1, Z31, (AX)(R8*1)
ti12:
	TPERM(Z21, Z25, Z28)
	CMPQ R12, $1
	JLE  ti1
	VMOVDQU32 Y31, (BX)
ti1:
	CMPQ R12, $5
	JLE  ti5
	VEXTRACTI64X4 $1, Z31, (BX)(SI*1)
ti5:
	TPERM(Z21, Z25, Z29)
	CMPQ R12, $9
	JLE  ti9
	VMOVDQU32 Y31, (BX)(SI*2)
ti9:
	CMPQ R12, $13
	JLE  ti13
	VEXTRACTI64X4 $1, Z31, (BX)(R8*1)
ti13:
	TPERM(Z22, Z26, Z28)
	CMPQ R12, $2
	JLE  ti2
	VMOVDQU32 Y31, (CX)
ti2:
	CMPQ R12, $6
	JLE  ti6
	VEXTRACTI64X4 $1, Z31, (CX)(SI*1)
ti6:
	TPERM(Z22, Z26, Z29)
	CMPQ R12, $10
	JLE  ti10
	VMOVDQU32 Y31, (CX)(SI*2)
ti10:
	CMPQ R12, $14
	JLE  ti14
	VEXTRACTI64X4 $1, Z31, (CX)(R8*1)
ti14:
	TPERM(Z23, Z27, Z28)
	CMPQ R12, $3
	JLE  ti3
	VMOVDQU32 Y31, (DX)
ti3:
	CMPQ R12, $7
	JLE  ti7
	VEXTRACTI64X4 $1, Z31, (DX)(SI*1)
ti7:
	TPERM(Z23, Z27, Z29)
	CMPQ R12, $11
	JLE  ti11
	VMOVDQU32 Y31, (DX)(SI*2)
ti11:
	CMPQ R12, $15
	JLE  ti15
	VEXTRACTI64X4 $1, Z31, (DX)(R8*1)
ti15:
	CMPQ R12, $16
	JLE  done
	NEXTHALF
	TRANS8(Z1, Z3, Z5, Z7, Z9, Z11, Z13, Z15)
	TPERM(Z20, Z24, Z28)
	CMPQ R12, $16
	JLE  ti16
	VMOVDQU32 Y31, (AX)
ti16:
	CMPQ R12, $20
	JLE  ti20
	VEXTRACTI64X4 $1, Z31, (AX)(SI*1)
ti20:
	TPERM(Z20, Z24, Z29)
	CMPQ R12, $24
	JLE  ti24
	VMOVDQU32 Y31, (AX)(SI*2)
ti24:
	CMPQ R12, $28
	JLE  ti28
	VEXTRACTI64X4 $1, Z31, (AX)(R8*1)
ti28:
	TPERM(Z21, Z25, Z28)
	CMPQ R12, $17
	JLE  ti17
	VMOVDQU32 Y31, (BX)
ti17:
	CMPQ R12, $21
	JLE  ti21
	VEXTRACTI64X4 $1, Z31, (BX)(SI*1)
ti21:
	TPERM(Z21, Z25, Z29)
	CMPQ R12, $25
	JLE  ti25
	VMOVDQU32 Y31, (BX)(SI*2)
ti25:
	CMPQ R12, $29
	JLE  ti29
	VEXTRACTI64X4 $1, Z31, (BX)(R8*1)
ti29:
	TPERM(Z22, Z26, Z28)
	CMPQ R12, $18
	JLE  ti18
	VMOVDQU32 Y31, (CX)
ti18:
	CMPQ R12, $22
	JLE  ti22
	VEXTRACTI64X4 $1, Z31, (CX)(SI*1)
ti22:
	TPERM(Z22, Z26, Z29)
	CMPQ R12, $26
	JLE  ti26
	VMOVDQU32 Y31, (CX)(SI*2)
ti26:
	CMPQ R12, $30
	JLE  ti30
	VEXTRACTI64X4 $1, Z31, (CX)(R8*1)
ti30:
	TPERM(Z23, Z27, Z28)
	CMPQ R12, $19
	JLE  ti19
	VMOVDQU32 Y31, (DX)
ti19:
	CMPQ R12, $23
	JLE  ti23
	VEXTRACTI64X4 $1, Z31, (DX)(SI*1)
ti23:
	TPERM(Z23, Z27, Z29)
	CMPQ R12, $27
	JLE  ti27
	VMOVDQU32 Y31, (DX)(SI*2)
ti27:
	CMPQ R12, $31
	JLE  ti31
	VEXTRACTI64X4 $1, Z31, (DX)(R8*1)
ti31:
	JMP  done

scatter:
	MOVQ dst+0(FP), DI
	MOVQ ld+8(FP), R13
	SHLQ $6, R13                   // 16 tokens * 4 bytes * ld
	ADDQ DI, R13
	MOVQ comp+48(FP), R9
	MOVQ idx+72(FP), R10
	VMOVDQU32 (R10), Z26
	MOVQ tokmask+64(FP), R12
	MOVQ nrows+56(FP), CX

	STORE(0, Z0, Z1)
	CMPQ CX, $1
	JLE  done
	STORE(4, Z2, Z3)
	CMPQ CX, $2
	JLE  done
	STORE(8, Z4, Z5)
	CMPQ CX, $3
	JLE  done
	STORE(12, Z6, Z7)
	CMPQ CX, $4
	JLE  done
	STORE(16, Z8, Z9)
	CMPQ CX, $5
	JLE  done
	STORE(20, Z10, Z11)
	CMPQ CX, $6
	JLE  done
	STORE(24, Z12, Z13)
	CMPQ CX, $7
	JLE  done
	STORE(28, Z14, Z15)

done:
	VZEROUPPER
	RET

#define STEPF(xo, wo) \
	VMOVUPS      xo(R10), Z16 \
	VMOVUPS      xo+64(R10), Z17 \
	VBROADCASTSS wo(AX)(R11*1), Z18 \
	VBROADCASTSS wo(BX)(R11*1), Z19 \
	VBROADCASTSS wo(CX)(R11*1), Z20 \
	VBROADCASTSS wo(DX)(R11*1), Z21 \
	VFMADD231PS  Z18, Z16, Z0 \
	VFMADD231PS  Z18, Z17, Z1 \
	VFMADD231PS  Z19, Z16, Z2 \
	VFMADD231PS  Z19, Z17, Z3 \
	VBROADCASTSS wo(SI)(R11*1), Z22 \
	VBROADCASTSS wo(DI)(R11*1), Z23 \
	VBROADCASTSS wo(R8)(R11*1), Z24 \
	VBROADCASTSS wo(R9)(R11*1), Z25 \
	VFMADD231PS  Z20, Z16, Z4 \
	VFMADD231PS  Z20, Z17, Z5 \
	VFMADD231PS  Z21, Z16, Z6 \
	VFMADD231PS  Z21, Z17, Z7 \
	VFMADD231PS  Z22, Z16, Z8 \
	VFMADD231PS  Z22, Z17, Z9 \
	VFMADD231PS  Z23, Z16, Z10 \
	VFMADD231PS  Z23, Z17, Z11 \
	VFMADD231PS  Z24, Z16, Z12 \
	VFMADD231PS  Z24, Z17, Z13 \
	VFMADD231PS  Z25, Z16, Z14 \
	VFMADD231PS  Z25, Z17, Z15

// STOREF scatters row r's two accumulators to dst[t*ld + r] for the tokens in the mask
// (as STORE, without a compensation).
#define STOREF(off, za, zb) \
	KMOVW        R12, K1 \
	VSCATTERDPS  za, K1, off(DI)(Z26*4) \
	MOVQ         R12, R11 \
	SHRQ         $16, R11 \
	KMOVW        R11, K2 \
	VSCATTERDPS  zb, K2, off(R13)(Z26*4)

// GATHERF loads row r's two accumulators from dst[t*ld + r] for the tokens in the mask
// (the inverse of STOREF; lanes outside the mask keep their zero).
#define GATHERF(off, za, zb) \
	KMOVW        R12, K1 \
	VGATHERDPS   off(DI)(Z26*4), K1, za \
	MOVQ         R12, R11 \
	SHRQ         $16, R11 \
	KMOVW        R11, K2 \
	VGATHERDPS   off(R13)(Z26*4), K2, zb

// TPERMF is TPERM without the compensation (float32 tiles).
#define TPERMF(U, V, IDX) \
	VMOVDQA64 U, Z31 \
	VPERMT2Q  V, IDX, Z31

// TLOADF is the inverse of the store's transpose: it reads tokens j, 4+j, 8+j and 12+j (R = token j's address)
// into U (rows 0-3 of each token, one lane per token) and V (rows 4-7). Z28/Z29 hold
// tok4U/tok4V.
#define TLOADF(U, V, R) \
	VMOVDQU32     (R), Y31 \
	VINSERTI64X4  $1, (R)(SI*1), Z31, Z31 \
	VMOVDQU32     (R)(SI*2), Y30 \
	VINSERTI64X4  $1, (R)(R8*1), Z30, Z30 \
	VMOVDQA64     Z31, U \
	VPERMT2Q      Z30, Z28, U \
	VMOVDQA64     Z31, V \
	VPERMT2Q      Z30, Z29, V

// Qword indices that undo tok4Lo/tok4Hi: U = lanes [0 2 4 6] of the pair, V = [1 3 5 7].
DATA tok4U<>+0(SB)/8, $0
DATA tok4U<>+8(SB)/8, $1
DATA tok4U<>+16(SB)/8, $4
DATA tok4U<>+24(SB)/8, $5
DATA tok4U<>+32(SB)/8, $8
DATA tok4U<>+40(SB)/8, $9
DATA tok4U<>+48(SB)/8, $12
DATA tok4U<>+56(SB)/8, $13
GLOBL tok4U<>(SB), RODATA|NOPTR, $64
DATA tok4V<>+0(SB)/8, $2
DATA tok4V<>+8(SB)/8, $3
DATA tok4V<>+16(SB)/8, $6
DATA tok4V<>+24(SB)/8, $7
DATA tok4V<>+32(SB)/8, $10
DATA tok4V<>+40(SB)/8, $11
DATA tok4V<>+48(SB)/8, $14
DATA tok4V<>+56(SB)/8, $15
GLOBL tok4V<>(SB), RODATA|NOPTR, $64

// func gemmF32Tile8x32(dst *float32, ld int, w *float32, cols, kq int, xp *float32, nrows int, tokmask uint64, idx *int32, acc int, pf uintptr)
//
// The float32 twin of gemmInt8Tile8x32: lanes are 32 tokens of one weight row, each step
// broadcasts w[r][k] and multiplies-adds the packed column k of the tokens (xp [kq][32]).
// Every output sums its k terms in order with one fused multiply-add each. cols is the row
// stride of w in floats; kq = number of columns. With acc != 0 the sums start from dst
// instead of zero (column chunks, see gemmF32Tiled512). Each 4-column iteration prefetches
// (prefetcht1) the 64 bytes at pf + 16*(column index), so the half-weight GEMM can pull
// its next panel toward L2; prefetches never fault. Callers with nothing to fetch pass
// their own token block. (Prefetching float32 weight panels this way measured slower.)
TEXT ·gemmF32Tile8x32(SB), NOSPLIT, $0-88
	ZERO16

	// acc != 0: start from the values in dst (a previous column chunk's partial sums), so
	// the sum continues in the same order as one pass over all columns would.
	MOVQ acc+72(FP), R12
	TESTQ R12, R12
	JZ   rowsf
	// Full tiles read the partial sums back with 32-byte loads and the inverse of the
	// store's transpose (see storef); partial tiles gather.
	MOVQ nrows+48(FP), CX
	CMPQ CX, $8
	JNE  gatherf
	MOVQ tokmask+56(FP), R12
	MOVL $0xFFFFFFFF, R11
	CMPQ R12, R11
	JNE  gatherf
	VMOVDQU64 tok4U<>(SB), Z28
	VMOVDQU64 tok4V<>(SB), Z29
	TOKADDR
	TLOADF(Z20, Z24, AX)
	TLOADF(Z21, Z25, BX)
	TLOADF(Z22, Z26, CX)
	TLOADF(Z23, Z27, DX)
	UNTRANS8(Z0, Z2, Z4, Z6, Z8, Z10, Z12, Z14)
	NEXTHALF
	TLOADF(Z20, Z24, AX)
	TLOADF(Z21, Z25, BX)
	TLOADF(Z22, Z26, CX)
	TLOADF(Z23, Z27, DX)
	UNTRANS8(Z1, Z3, Z5, Z7, Z9, Z11, Z13, Z15)
	JMP  rowsf

gatherf:
	MOVQ dst+0(FP), DI
	MOVQ ld+8(FP), R13
	SHLQ $6, R13                   // 16 tokens * 4 bytes * ld
	ADDQ DI, R13
	MOVQ idx+64(FP), R10
	VMOVDQU32 (R10), Z26
	MOVQ tokmask+56(FP), R12
	MOVQ nrows+48(FP), CX
	GATHERF(0, Z0, Z1)
	CMPQ CX, $1
	JLE  rowsf
	GATHERF(4, Z2, Z3)
	CMPQ CX, $2
	JLE  rowsf
	GATHERF(8, Z4, Z5)
	CMPQ CX, $3
	JLE  rowsf
	GATHERF(12, Z6, Z7)
	CMPQ CX, $4
	JLE  rowsf
	GATHERF(16, Z8, Z9)
	CMPQ CX, $5
	JLE  rowsf
	GATHERF(20, Z10, Z11)
	CMPQ CX, $6
	JLE  rowsf
	GATHERF(24, Z12, Z13)
	CMPQ CX, $7
	JLE  rowsf
	GATHERF(28, Z14, Z15)

rowsf:
	MOVQ w+16(FP), AX
	MOVQ cols+24(FP), R13
	SHLQ $2, R13                   // row stride in bytes
	MOVQ nrows+48(FP), R12

	// Row pointers AX,BX,CX,DX,SI,DI,R8,R9: row i = w + min(i, nrows-1)*cols.
	MOVQ AX, BX
	CMPQ R12, $1
	JLE  p1f
	ADDQ R13, BX
p1f:
	MOVQ BX, CX
	CMPQ R12, $2
	JLE  p2f
	ADDQ R13, CX
p2f:
	MOVQ CX, DX
	CMPQ R12, $3
	JLE  p3f
	ADDQ R13, DX
p3f:
	MOVQ DX, SI
	CMPQ R12, $4
	JLE  p4f
	ADDQ R13, SI
p4f:
	MOVQ SI, DI
	CMPQ R12, $5
	JLE  p5f
	ADDQ R13, DI
p5f:
	MOVQ DI, R8
	CMPQ R12, $6
	JLE  p6f
	ADDQ R13, R8
p6f:
	MOVQ R8, R9
	CMPQ R12, $7
	JLE  p7f
	ADDQ R13, R9
p7f:
	MOVQ xp+40(FP), R10
	MOVQ kq+32(FP), R12
	SHLQ $2, R12                   // R12 = end byte offset in the weight rows
	XORQ R11, R11
	MOVQ pf+80(FP), R14             // prefetch stream: R14 + 4*R11 (64 B per iteration)


	// Main loop: 4 steps (4 columns) per iteration.
	MOVQ R12, R13
	ANDQ $-16, R13
loop4f:
	CMPQ R11, R13
	JAE  loop1f
	PREFETCHT1 (R14)(R11*4)
	STEPF(0, 0)
	STEPF(128, 4)
	STEPF(256, 8)
	STEPF(384, 12)
	ADDQ $512, R10
	ADDQ $16, R11
	JMP  loop4f

loop1f:
	CMPQ R11, R12
	JAE  storef
	STEPF(0, 0)
	ADDQ $128, R10
	ADDQ $4, R11
	JMP  loop1f

storef:
	// Tiles of 8 rows: in-register transpose and one 32-byte store per token present (as the
	// int8 tile).
	MOVQ nrows+48(FP), CX
	CMPQ CX, $8
	JNE  scatterf
	MOVQ tokmask+56(FP), R12
	POPCNTQ R12, R12
	VMOVDQU64 tok4Lo<>(SB), Z28
	VMOVDQU64 tok4Hi<>(SB), Z29
	TOKADDR
	TRANS8(Z0, Z2, Z4, Z6, Z8, Z10, Z12, Z14)
	TPERMF(Z20, Z24, Z28)
	CMPQ R12, $0
	JLE  tf0
	VMOVDQU32 Y31, (AX)
tf0:
	CMPQ R12, $4
	JLE  tf4
	VEXTRACTI64X4 $1, Z31, (AX)(SI*1)
tf4:
	TPERMF(Z20, Z24, Z29)
	CMPQ R12, $8
	JLE  tf8
	VMOVDQU32 Y31, (AX)(SI*2)
tf8:
	CMPQ R12, $12
	JLE  tf12
	VEXTRACTI64X4 $1, Z31, (AX)(R8*1)
tf12:
	TPERMF(Z21, Z25, Z28)
	CMPQ R12, $1
	JLE  tf1
	VMOVDQU32 Y31, (BX)
tf1:
	CMPQ R12, $5
	JLE  tf5
	VEXTRACTI64X4 $1, Z31, (BX)(SI*1)
tf5:
	TPERMF(Z21, Z25, Z29)
	CMPQ R12, $9
	JLE  tf9
	VMOVDQU32 Y31, (BX)(SI*2)
tf9:
	CMPQ R12, $13
	JLE  tf13
	VEXTRACTI64X4 $1, Z31, (BX)(R8*1)
tf13:
	TPERMF(Z22, Z26, Z28)
	CMPQ R12, $2
	JLE  tf2
	VMOVDQU32 Y31, (CX)
tf2:
	CMPQ R12, $6
	JLE  tf6
	VEXTRACTI64X4 $1, Z31, (CX)(SI*1)
tf6:
	TPERMF(Z22, Z26, Z29)
	CMPQ R12, $10
	JLE  tf10
	VMOVDQU32 Y31, (CX)(SI*2)
tf10:
	CMPQ R12, $14
	JLE  tf14
	VEXTRACTI64X4 $1, Z31, (CX)(R8*1)
tf14:
	TPERMF(Z23, Z27, Z28)
	CMPQ R12, $3
	JLE  tf3
	VMOVDQU32 Y31, (DX)
tf3:
	CMPQ R12, $7
	JLE  tf7
	VEXTRACTI64X4 $1, Z31, (DX)(SI*1)
tf7:
	TPERMF(Z23, Z27, Z29)
	CMPQ R12, $11
	JLE  tf11
	VMOVDQU32 Y31, (DX)(SI*2)
tf11:
	CMPQ R12, $15
	JLE  tf15
	VEXTRACTI64X4 $1, Z31, (DX)(R8*1)
tf15:
	CMPQ R12, $16
	JLE  donef
	NEXTHALF
	TRANS8(Z1, Z3, Z5, Z7, Z9, Z11, Z13, Z15)
	TPERMF(Z20, Z24, Z28)
	CMPQ R12, $16
	JLE  tf16
	VMOVDQU32 Y31, (AX)
tf16:
	CMPQ R12, $20
	JLE  tf20
	VEXTRACTI64X4 $1, Z31, (AX)(SI*1)
tf20:
	TPERMF(Z20, Z24, Z29)
	CMPQ R12, $24
	JLE  tf24
	VMOVDQU32 Y31, (AX)(SI*2)
tf24:
	CMPQ R12, $28
	JLE  tf28
	VEXTRACTI64X4 $1, Z31, (AX)(R8*1)
tf28:
	TPERMF(Z21, Z25, Z28)
	CMPQ R12, $17
	JLE  tf17
	VMOVDQU32 Y31, (BX)
tf17:
	CMPQ R12, $21
	JLE  tf21
	VEXTRACTI64X4 $1, Z31, (BX)(SI*1)
tf21:
	TPERMF(Z21, Z25, Z29)
	CMPQ R12, $25
	JLE  tf25
	VMOVDQU32 Y31, (BX)(SI*2)
tf25:
	CMPQ R12, $29
	JLE  tf29
	VEXTRACTI64X4 $1, Z31, (BX)(R8*1)
tf29:
	TPERMF(Z22, Z26, Z28)
	CMPQ R12, $18
	JLE  tf18
	VMOVDQU32 Y31, (CX)
tf18:
	CMPQ R12, $22
	JLE  tf22
	VEXTRACTI64X4 $1, Z31, (CX)(SI*1)
tf22:
	TPERMF(Z22, Z26, Z29)
	CMPQ R12, $26
	JLE  tf26
	VMOVDQU32 Y31, (CX)(SI*2)
tf26:
	CMPQ R12, $30
	JLE  tf30
	VEXTRACTI64X4 $1, Z31, (CX)(R8*1)
tf30:
	TPERMF(Z23, Z27, Z28)
	CMPQ R12, $19
	JLE  tf19
	VMOVDQU32 Y31, (DX)
tf19:
	CMPQ R12, $23
	JLE  tf23
	VEXTRACTI64X4 $1, Z31, (DX)(SI*1)
tf23:
	TPERMF(Z23, Z27, Z29)
	CMPQ R12, $27
	JLE  tf27
	VMOVDQU32 Y31, (DX)(SI*2)
tf27:
	CMPQ R12, $31
	JLE  tf31
	VEXTRACTI64X4 $1, Z31, (DX)(R8*1)
tf31:
	JMP  donef

scatterf:
	MOVQ dst+0(FP), DI
	MOVQ ld+8(FP), R13
	SHLQ $6, R13                   // 16 tokens * 4 bytes * ld
	ADDQ DI, R13
	MOVQ idx+64(FP), R10
	VMOVDQU32 (R10), Z26
	MOVQ tokmask+56(FP), R12
	MOVQ nrows+48(FP), CX

	STOREF(0, Z0, Z1)
	CMPQ CX, $1
	JLE  donef
	STOREF(4, Z2, Z3)
	CMPQ CX, $2
	JLE  donef
	STOREF(8, Z4, Z5)
	CMPQ CX, $3
	JLE  donef
	STOREF(12, Z6, Z7)
	CMPQ CX, $4
	JLE  donef
	STOREF(16, Z8, Z9)
	CMPQ CX, $5
	JLE  donef
	STOREF(20, Z10, Z11)
	CMPQ CX, $6
	JLE  donef
	STOREF(24, Z12, Z13)
	CMPQ CX, $7
	JLE  donef
	STOREF(28, Z14, Z15)

donef:
	VZEROUPPER
	RET

// func rowSums128VNNI(dst *int32, w *int8, rows, cols int)
//
// dst[r] = 128*sum_k w[r*cols+k] (the u8-shift compensation), one row at a time with a
// vpdpbusd against 0x80 bytes; the cols%64 tail uses a byte mask.
TEXT ·rowSums128VNNI(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ rows+16(FP), DX
	MOVQ cols+24(FP), CX
	MOVL $0x80, AX
	VPBROADCASTB AX, Z31
	MOVQ CX, R13
	ANDQ $63, CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVQ AX, K1
	MOVQ R13, CX
	MOVQ CX, AX
	ANDQ $-64, AX

rowloop:
	TESTQ DX, DX
	JZ   rdone
	VPXORD Z0, Z0, Z0
	VPXORD Z2, Z2, Z2
	XORQ BX, BX
	MOVQ AX, R8
	ANDQ $-128, R8

kloop2:
	CMPQ BX, R8
	JAE  kloop1
	VPDPBUSD (SI)(BX*1), Z31, Z0
	VPDPBUSD 64(SI)(BX*1), Z31, Z2
	ADDQ $128, BX
	JMP  kloop2

kloop1:
	CMPQ BX, AX
	JAE  ktail
	VPDPBUSD (SI)(BX*1), Z31, Z0
	ADDQ $64, BX

ktail:
	CMPQ BX, CX
	JAE  rsum
	VMOVDQU8.Z (SI)(BX*1), K1, Z3
	VPDPBUSD   Z3, Z31, Z0

rsum:
	VPADDD Z2, Z0, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDD        Y1, Y0, Y0
	VEXTRACTI128  $1, Y0, X1
	VPADDD        X1, X0, X0
	VPSHUFD       $0x4e, X0, X1
	VPADDD        X1, X0, X0
	VPSHUFD       $0xb1, X0, X1
	VPADDD        X1, X0, X0
	VMOVD X0, (DI)
	ADDQ $4, DI
	ADDQ CX, SI
	DECQ DX
	JMP  rowloop

rdone:
	VZEROUPPER
	RET

// func packTokensAVX512(xp *byte, x *byte, rowStride, kq, nt int, xor uint32)
//
// Gather version of packTokens: for each 4-byte group g, two vpgatherdd (tokens 0-15 and
// 16-31, row byte offsets t*rowStride in Z30) fetch the group of every token and one 128-byte
// row of xp is stored. Tokens >= nt are masked off (never read); their lanes hold xor and
// are never stored by the tile kernels. rowStride*31 must fit in int32.
TEXT ·packTokensAVX512(SB), NOSPLIT, $0-44
	MOVQ xp+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rowStride+16(FP), AX
	MOVQ kq+24(FP), CX
	MOVQ nt+32(FP), DX
	MOVL xor+40(FP), R9
	VPBROADCASTD R9, Z31

	// Z30 = [0, 1, ..., 15] * rowStride; R8 = x + 16*rowStride (second half base).
	MOVL $0x03020100, R9
	MOVL R9, X0
	MOVL $0x07060504, R9
	VPINSRD $1, R9, X0, X0
	MOVL $0x0b0a0908, R9
	VPINSRD $2, R9, X0, X0
	MOVL $0x0f0e0d0c, R9
	VPINSRD $3, R9, X0, X0
	VPMOVZXBD X0, Z30              // 0..15 as int32
	VPBROADCASTD AX, Z29
	VPMULLD Z29, Z30, Z30
	MOVQ AX, R8
	SHLQ $4, R8
	ADDQ SI, R8

	// K1/K2: token masks of the two halves ((1<<nt)-1 split in 16-bit halves).
	MOVQ $1, R9
	MOVQ CX, R10                   // save kq: the shift count must be in CL
	MOVQ DX, CX
	SHLQ CX, R9
	DECQ R9
	MOVQ R10, CX
	KMOVW R9, K1
	SHRQ $16, R9
	KMOVW R9, K2

ploop:
	TESTQ CX, CX
	JZ   pdone
	KMOVW K1, K3
	KMOVW K2, K4
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPGATHERDD (SI)(Z30*1), K3, Z0
	VPGATHERDD (R8)(Z30*1), K4, Z1
	VPXORD Z31, Z0, Z0
	VPXORD Z31, Z1, Z1
	VMOVDQU32 Z0, (DI)
	VMOVDQU32 Z1, 64(DI)
	ADDQ $4, SI
	ADDQ $4, R8
	ADDQ $128, DI
	DECQ CX
	JMP  ploop

pdone:
	VZEROUPPER
	RET

// PACKLOAD16 loads 64 bytes (16 groups) of token rows 0-15 at base B (rows 0-3), B4, B8 and
// B12 (rows 4-7, 8-11, 12-15); R8 is one row's stride, R9 three rows'.
#define PACKLOAD16(B, B4, B8, B12) \
	VMOVDQU32 (B), Z0 \
	VMOVDQU32 (B)(R8*1), Z1 \
	VMOVDQU32 (B)(R8*2), Z2 \
	VMOVDQU32 (B)(R9*1), Z3 \
	VMOVDQU32 (B4), Z4 \
	VMOVDQU32 (B4)(R8*1), Z5 \
	VMOVDQU32 (B4)(R8*2), Z6 \
	VMOVDQU32 (B4)(R9*1), Z7 \
	VMOVDQU32 (B8), Z8 \
	VMOVDQU32 (B8)(R8*1), Z9 \
	VMOVDQU32 (B8)(R8*2), Z10 \
	VMOVDQU32 (B8)(R9*1), Z11 \
	VMOVDQU32 (B12), Z12 \
	VMOVDQU32 (B12)(R8*1), Z13 \
	VMOVDQU32 (B12)(R8*2), Z14 \
	VMOVDQU32 (B12)(R9*1), Z15

// PACKCOL finishes groups c, 4+c, 8+c and 12+c of a 16x16 transpose: after the four TRANS4
// of PACKHALF, lane l of U0 (tokens 0-3), U4 (4-7), U8 (8-11) and U12 (12-15) holds group
// 4l+c; two rounds of 128-bit lane shuffles gather lane l of all four into one register,
// which is XORed with Z31 and stored as tokens 0-15 (plus off) of that group's 128-byte row.
#define PACKCOL(c, U0, U4, U8, U12, off) \
	VSHUFI32X4 $0x44, U4, U0, Z8 \
	VSHUFI32X4 $0xee, U4, U0, Z9 \
	VSHUFI32X4 $0x44, U12, U8, Z10 \
	VSHUFI32X4 $0xee, U12, U8, Z11 \
	VSHUFI32X4 $0x88, Z10, Z8, Z12 \
	VSHUFI32X4 $0xdd, Z10, Z8, Z13 \
	VSHUFI32X4 $0x88, Z11, Z9, Z14 \
	VSHUFI32X4 $0xdd, Z11, Z9, Z15 \
	VPXORD     Z31, Z12, Z12 \
	VPXORD     Z31, Z13, Z13 \
	VPXORD     Z31, Z14, Z14 \
	VPXORD     Z31, Z15, Z15 \
	VMOVDQU32  Z12, (c*128+off)(DI) \
	VMOVDQU32  Z13, ((4+c)*128+off)(DI) \
	VMOVDQU32  Z14, ((8+c)*128+off)(DI) \
	VMOVDQU32  Z15, ((12+c)*128+off)(DI)

// PACKHALF packs 16 groups of 16 tokens (rows at B, B4, B8, B12) into the rows' 64-byte
// half at byte off of 16 consecutive 128-byte output rows.
#define PACKHALF(B, B4, B8, B12, off) \
	PACKLOAD16(B, B4, B8, B12) \
	TRANS4(Z0, Z1, Z2, Z3, Z20, Z21, Z22, Z23) \
	TRANS4(Z4, Z5, Z6, Z7, Z24, Z25, Z26, Z27) \
	TRANS4(Z8, Z9, Z10, Z11, Z0, Z1, Z2, Z3) \
	TRANS4(Z12, Z13, Z14, Z15, Z4, Z5, Z6, Z7) \
	PACKCOL(0, Z20, Z24, Z0, Z4, off) \
	PACKCOL(1, Z21, Z25, Z1, Z5, off) \
	PACKCOL(2, Z22, Z26, Z2, Z6, off) \
	PACKCOL(3, Z23, Z27, Z3, Z7, off)

// func packTokens32AVX512(xp *byte, x *byte, rowStride, kq int, xor uint32)
//
// packTokens for a full block (32 tokens) and kq a multiple of 16, without gathers: each
// step loads 64 bytes of every token row, transposes the two 16x16 blocks of 4-byte groups
// in registers and stores 16 rows of 128 bytes. Vector gathers are slow on Zen cores.
TEXT ·packTokens32AVX512(SB), NOSPLIT, $0-36
	MOVQ xp+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rowStride+16(FP), R8
	MOVQ kq+24(FP), CX
	MOVL xor+32(FP), R9
	VPBROADCASTD R9, Z31
	LEAQ (R8)(R8*2), R9            // 3 rows
	LEAQ (SI)(R8*4), R10           // token 4
	LEAQ (R10)(R8*4), R11          // token 8
	LEAQ (R11)(R8*4), R12          // token 12
	MOVQ R8, R13
	SHLQ $4, R13                   // 16 rows
	LEAQ (SI)(R13*1), AX           // token 16
	LEAQ (R10)(R13*1), BX          // token 20
	LEAQ (R11)(R13*1), DX          // token 24
	LEAQ (R12)(R13*1), R14         // token 28
	SHRQ $4, CX                    // 16-group steps

p32loop:
	PACKHALF(SI, R10, R11, R12, 0)
	PACKHALF(AX, BX, DX, R14, 64)
	ADDQ $64, SI
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, DX
	ADDQ $64, R14
	ADDQ $2048, DI
	DECQ CX
	JNZ  p32loop
	VZEROUPPER
	RET
