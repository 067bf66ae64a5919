//go:build amd64

package kernels

//go:noescape
func peakFMA512(n int)

//go:noescape
func peakFMA256(n int)

// peakLoop returns the current level's register-only FMA loop and its flops per iteration.
func peakLoop() (func(n int), float64) {
	switch {
	case cur == AVX512:
		return peakFMA512, 16 * 16 * 2
	case cur != Generic:
		return peakFMA256, 12 * 8 * 2
	}
	return peakLoopGeneric, 8 * 2
}
