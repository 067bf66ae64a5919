//go:build amd64

package kernels

// Read-bandwidth probes used by the benchmarks (memread_amd64.s); kept in the package so
// the GEMV figures and the bandwidth they are compared with come from the same binary.

//go:noescape
func sumBytesAVX2(p *byte, n int) uint64

//go:noescape
func sumBytes4AVX2(p *byte, n int) uint64
