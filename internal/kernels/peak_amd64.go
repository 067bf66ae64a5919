//go:build amd64

package kernels

//go:noescape
func peakFMA512(n int)

//go:noescape
func peakFMA256(n int)

//go:noescape
func peakVNNI512(n int)

//go:noescape
func peakVNNI256(n int)

//go:noescape
func peakMaddwd256(n int)

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

// peakInt8Loop returns the current level's register-only int8 multiply loop and its MACs
// per iteration.
func peakInt8Loop() (func(n int), float64) {
	switch cur {
	case AVX512:
		return peakVNNI512, 16 * 64
	case AVXVNNI:
		return peakVNNI256, 12 * 32
	case AVX2:
		return peakMaddwd256, 6 * 16
	}
	return peakInt8LoopGeneric, 8
}
