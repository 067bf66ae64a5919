//go:build !linux

package kernels

func l2CacheBytes() int { return 0 }
