//go:build !amd64

package kernels

func addArchSets() {}

func packArch(*PackedInt8) {}

func gemmPackedArch([]int32, int, []int8, int, *PackedInt8, []int32) bool { return false }

func packArchF32(*PackedF32) {}

func gemmPackedArchF32([]float32, int, []float32, int, *PackedF32) bool { return false }

func gemmHalfPackedArch([]float32, int, []uint16, Half, int, *PackedF32) bool { return false }

func gemvF32MultiArch([]float32, int, []float32, int, int, int, []float32, int, int) bool {
	return false
}

func gemmF32ByGemvArch(int) bool { return true }

// CPUFeatures lists the SIMD extensions the kernels know of; none off amd64.
func CPUFeatures() string { return "" }
