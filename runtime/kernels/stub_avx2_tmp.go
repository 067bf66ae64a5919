//go:build amd64

package kernels

var (
	gemvInt8AVX2 = gemvInt8Generic
	dotInt8AVX2  = dotInt8Generic
	gemmInt8AVX2 = gemmInt8Generic
)
