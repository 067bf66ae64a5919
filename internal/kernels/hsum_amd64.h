// Horizontal sums shared by the AVX2, AVX-VNNI, half-weight and four-query kernels
// (avx2_amd64.s, vnni256_amd64.s, half_gemv_amd64.s, gemv_multi_amd64.s).

// HSUM4D: [sum Y0, sum Y1, sum Y2, sum Y3] as int32 in X0. Clobbers Y1..Y3.
#define HSUM4D \
	VPHADDD      Y1, Y0, Y0 \
	VPHADDD      Y3, Y2, Y2 \
	VPHADDD      Y2, Y0, Y0 \
	VEXTRACTI128 $1, Y0, X1 \
	VPADDD       X1, X0, X0

// HSUM1D: sum of the int32 lanes of Y0 in the low lane of X0. Clobbers Y1.
#define HSUM1D \
	VEXTRACTI128 $1, Y0, X1 \
	VPADDD       X1, X0, X0 \
	VPSHUFD      $0x4e, X0, X1 \
	VPADDD       X1, X0, X0 \
	VPSHUFD      $0xb1, X0, X1 \
	VPADDD       X1, X0, X0

// HSUM4PS: [sum Y0, sum Y1, sum Y2, sum Y3] as float32 in X0. Clobbers Y1..Y3, Y8..Y11.
#define HSUM4PS HSUM4(Y0, X0, Y1, X1, Y2, X2, Y3, X3)

// HSUM4 is HSUM4PS on ya, yb, yc, yd (xa..xd their low halves): [sum ya, sum yb, sum yc,
// sum yd] in xa. Clobbers the inputs and X8..X11.
#define HSUM4(ya, xa, yb, xb, yc, xc, yd, xd) \
	VEXTRACTF128 $1, ya, X8 \
	VEXTRACTF128 $1, yb, X9 \
	VEXTRACTF128 $1, yc, X10 \
	VEXTRACTF128 $1, yd, X11 \
	VADDPS       X8, xa, xa \
	VADDPS       X9, xb, xb \
	VADDPS       X10, xc, xc \
	VADDPS       X11, xd, xd \
	VHADDPS      xb, xa, xa \
	VHADDPS      xd, xc, xc \
	VHADDPS      xc, xa, xa

// HSUM1PS: sum of Y0's float32 lanes in the low lane of X0. Clobbers Y1.
#define HSUM1PS HSUM1(Y0, X0, X1)

// HSUM1 is HSUM1PS on ya (xa its low half) with temporary xt: the sum in xa's low lane.
#define HSUM1(ya, xa, xt) \
	VEXTRACTF128 $1, ya, xt \
	VADDPS       xt, xa, xa \
	VHADDPS      xa, xa, xa \
	VHADDPS      xa, xa, xa
