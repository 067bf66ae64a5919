//go:build amd64

package kernels

import "unsafe"

// memReadSum is the bandwidth probe of BenchmarkMemRead (len(p) a multiple of 128).
func memReadSum(p []int8) uint64 {
	if !hasAVX2 {
		return memReadSumGo(p)
	}
	return sumBytesAVX2((*byte)(unsafe.Pointer(&p[0])), len(p))
}
