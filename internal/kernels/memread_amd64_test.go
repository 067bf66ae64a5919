//go:build amd64

package kernels

import "unsafe"

// memReadSum is the bandwidth probe of the benchmarks (len(p) a multiple of 128): one
// sequential stream, STREAM-style.
func memReadSum(p []int8) uint64 {
	if !hasAVX2 {
		return memReadSumGo(p)
	}
	return sumBytesAVX2((*byte)(unsafe.Pointer(&p[0])), len(p))
}

// memReadSum4 reads p as four concurrent sequential streams (len(p) a multiple of 128).
func memReadSum4(p []int8) uint64 {
	if !hasAVX2 {
		return memReadSumGo(p)
	}
	return sumBytes4AVX2((*byte)(unsafe.Pointer(&p[0])), len(p))
}
