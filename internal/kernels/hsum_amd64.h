// Horizontal sums shared by the AVX2, AVX-VNNI and half-weight kernels (avx2_amd64.s,
// vnni256_amd64.s, half_gemv_amd64.s).

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
#define HSUM4PS \
	VEXTRACTF128 $1, Y0, X8 \
	VEXTRACTF128 $1, Y1, X9 \
	VEXTRACTF128 $1, Y2, X10 \
	VEXTRACTF128 $1, Y3, X11 \
	VADDPS       X8, X0, X0 \
	VADDPS       X9, X1, X1 \
	VADDPS       X10, X2, X2 \
	VADDPS       X11, X3, X3 \
	VHADDPS      X1, X0, X0 \
	VHADDPS      X3, X2, X2 \
	VHADDPS      X2, X0, X0

// HSUM1PS: sum of Y0's float32 lanes in the low lane of X0. Clobbers Y1.
#define HSUM1PS \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS       X1, X0, X0 \
	VHADDPS      X0, X0, X0 \
	VHADDPS      X0, X0, X0
