//go:build amd64

package kernels

//go:noescape
func bf16ToF32AVX512Asm(dst *float32, src *uint16, n int)

//go:noescape
func f16ToF32AVX512Asm(dst *float32, src *uint16, n int)

func bf16ToF32AVX512(dst []float32, src []uint16) {
	n16 := len(src) &^ 15
	if n16 > 0 {
		bf16ToF32AVX512Asm(&dst[0], &src[0], n16)
	}
	bf16ToF32AVX2(dst[n16:], src[n16:])
}

func f16ToF32AVX512(dst []float32, src []uint16) {
	n16 := len(src) &^ 15
	if n16 > 0 {
		f16ToF32AVX512Asm(&dst[0], &src[0], n16)
	}
	f16ToF32AVX2(dst[n16:], src[n16:])
}
