package kernels

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkExpKernels: SiluF32 and ExpShiftedF32 over 4096 elements (an FFN row slice / a
// long attention row), per ISA. Reports ns per element of wall time and of process CPU time.
func BenchmarkExpKernels(b *testing.B) {
	const n = 4096
	r := rand.New(rand.NewPCG(7, 7))
	src := make([]float32, n)
	for i := range src {
		src[i] = float32(r.NormFloat64() * 4)
	}
	buf := make([]float32, n)
	for _, k := range []string{"Silu", "ExpShifted"} {
		b.Run(k, func(b *testing.B) {
			forEachBenchISA(b, func(b *testing.B) {
				cpu0 := processCPUTime()
				for i := 0; i < b.N; i++ {
					if k == "Silu" {
						copy(buf, src)
						SiluF32(buf)
					} else {
						ExpShiftedF32(buf, src, 3)
					}
				}
				el := float64(n) * float64(b.N)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/el, "ns/elem")
				if cpu := processCPUTime() - cpu0; cpu > 0 {
					b.ReportMetric(float64(cpu.Nanoseconds())/el, "cpu-ns/elem")
				}
			})
		})
	}
}
