//go:build amd64

package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGemmInt8Paths times the two AVX-512 GEMM strategies against each other for small
// token counts; it is how tileMinToks was chosen (useful MACs per CPU-second).
func BenchmarkGemmInt8Paths(b *testing.B) {
	if !hasAVX512 {
		b.Skip("no AVX-512 VNNI")
	}
	const rows, cols = 4096, 4096
	r := rand.New(rand.NewPCG(3, 3))
	w := randInt8(r, rows*cols, "random")
	comp := make([]int32, rows)
	RowSumsInt8(comp, w, rows, cols)
	for _, n := range []int{1, 2, 4, 8, 16, 24, 32} {
		x := randInt8(r, n*cols, "random")
		dst := make([]int32, n*rows)
		for _, path := range []string{"tiled", "rowblocked"} {
			b.Run(fmt.Sprintf("n=%d/%s", n, path), func(b *testing.B) {
				cpu0 := processCPUTime()
				for i := 0; i < b.N; i++ {
					if path == "tiled" {
						gemmInt8Tiled(dst, rows, w, rows, cols, x, n, comp)
					} else {
						gemmInt8RowBlocked(dst, rows, w, rows, cols, x, n, comp)
					}
				}
				if cpu := (processCPUTime() - cpu0).Seconds(); cpu > 0 {
					b.ReportMetric(float64(rows)*cols*float64(n)*float64(b.N)/cpu/1e9, "GMAC/cpu-s")
				}
			})
		}
	}
}
