//go:build !amd64

package kernels

func peakLoop() (func(n int), float64) { return peakLoopGeneric, 8 * 2 }

func peakInt8Loop() (func(n int), float64) { return peakInt8LoopGeneric, 8 }
