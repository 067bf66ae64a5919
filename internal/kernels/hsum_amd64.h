// Horizontal int32 sums shared by the AVX2 and AVX-VNNI kernels (avx2_amd64.s, vnni256_amd64.s).

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
