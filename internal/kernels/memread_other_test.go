//go:build !amd64

package kernels

func memReadSum(p []int8) uint64  { return memReadSumGo(p) }
func memReadSum4(p []int8) uint64 { return memReadSumGo(p) }
