//go:build amd64

package kernels

// Read-bandwidth probes used by the benchmarks (memread_amd64.s); kept in the package so
// the GEMV figures and the bandwidth they are compared with come from the same binary.

//go:noescape
func sumBytesAVX2(p *byte, n int) uint64

//go:noescape
func sumBytes4AVX2(p *byte, n int) uint64

// streamRead: len(p) is a positive multiple of 128.
func streamRead(p []byte) uint64 {
	if !hasAVX2 || cur == Generic {
		return streamReadGo(p)
	}
	return sumBytesAVX2(&p[0], len(p))
}

// streamRead4: len(p) is a positive multiple of 128.
func streamRead4(p []byte) uint64 {
	if !hasAVX2 || cur == Generic {
		return streamReadGo(p)
	}
	return sumBytes4AVX2(&p[0], len(p))
}
