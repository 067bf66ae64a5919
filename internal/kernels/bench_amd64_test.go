//go:build amd64

package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"
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
						gemmInt8Tiled(dst, rows, w, rows, cols, x, n, comp, nil)
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

// BenchmarkGemmInt8DRAM times the tile path with the weights streamed from DRAM (matrices
// rotate through the 1 GiB buffer, as the layers of a model do), on 1 and 2 goroutines.
func BenchmarkGemmInt8DRAM(b *testing.B) {
	if !hasAVX512 {
		b.Skip("no AVX-512 VNNI")
	}
	buf := bigBuffer()
	const n = 128
	for _, shape := range [][2]int{{14336, 4096}, {4096, 14336}} {
		rows, cols := shape[0], shape[1]
		size := rows * cols
		nmat := bigBuf / size
		r := rand.New(rand.NewPCG(3, 3))
		x := randInt8(r, n*cols, "random")
		dst := make([]int32, n*rows)
		comp := make([]int32, rows)
		for _, g := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%d/threads=%d", rows, cols, g), func(b *testing.B) {
				cpu0 := processCPUTime()
				for i := 0; i < b.N; i++ {
					m := i % nmat
					w := buf[m*size : (m+1)*size]
					parallelRows(rows/8, g, func(p0, p1 int) {
						r0, r1 := p0*8, p1*8
						gemmInt8Tiled(dst[r0:], rows, w[r0*cols:r1*cols], r1-r0, cols, x, n, comp[r0:r1], nil)
					})
				}
				macs := float64(size) * n * float64(b.N)
				b.ReportMetric(macs/b.Elapsed().Seconds()/1e9, "GMAC/s")
				if cpu := (processCPUTime() - cpu0).Seconds(); cpu > 0 {
					b.ReportMetric(macs/cpu/1e9, "GMAC/cpu-s")
				}
			})
		}
	}
}

// BenchmarkPackTokens measures the per-call token packing of the tile path (128 x 4096),
// gather version against the pure-Go one (bytes per CPU-second, steadier when shared).
func BenchmarkPackTokens(b *testing.B) {
	const n, cols = 128, 4096
	x := randInt8(rand.New(rand.NewPCG(4, 4)), n*cols, "random")
	xb := unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), len(x))
	xp := make([]byte, tileToks*cols)
	for _, impl := range []string{"asm", "go"} {
		b.Run(impl, func(b *testing.B) {
			b.SetBytes(n * cols)
			cpu0 := processCPUTime()
			for i := 0; i < b.N; i++ {
				for t0 := 0; t0 < n; t0 += tileToks {
					if impl == "asm" {
						packTokens(xp, xb[t0*cols:], cols, cols/4, tileToks, 0x80808080)
					} else {
						packTokensGo(xp, xb[t0*cols:], cols, cols/4, tileToks, 0x80808080)
					}
				}
			}
			if cpu := (processCPUTime() - cpu0).Seconds(); cpu > 0 {
				b.ReportMetric(float64(n*cols)*float64(b.N)/cpu/1e9, "GB/cpu-s")
			}
		})
	}
}

// BenchmarkGemmInt8AVX2Paths compares the AVX2 register tile with row-blocked GEMVs for
// small token counts (how avx2TileMinToks was chosen).
func BenchmarkGemmInt8AVX2Paths(b *testing.B) {
	if !hasAVX2 {
		b.Skip("no AVX2")
	}
	const rows, cols = 4096, 4096
	r := rand.New(rand.NewPCG(8, 8))
	w := randInt8(r, rows*cols, "random")
	for _, n := range []int{1, 2, 3, 4, 8} {
		x := randInt8(r, n*cols, "random")
		dst := make([]int32, n*rows)
		for _, path := range []string{"tile", "rowblocked"} {
			b.Run(fmt.Sprintf("n=%d/%s", n, path), func(b *testing.B) {
				cpu0 := processCPUTime()
				for i := 0; i < b.N; i++ {
					if path == "tile" {
						gemmInt8AVX2Tiled(dst, rows, w, rows, cols, x, n)
					} else {
						gemmInt8AVX2RowBlocked(dst, rows, w, rows, cols, x, n, nil)
					}
				}
				if cpu := (processCPUTime() - cpu0).Seconds(); cpu > 0 {
					b.ReportMetric(float64(rows)*cols*float64(n)*float64(b.N)/cpu/1e9, "GMAC/cpu-s")
				}
			})
		}
	}
}
