package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// peakBest is the best of 5 PeakFMA windows of 40 ms at the current level: on a shared
// machine interference only ever lowers a rate, so best-of figures give steadier ratios.
func peakBest(threads int) float64 {
	var best float64
	for i := 0; i < 5; i++ {
		best = max(best, peakFMA(threads, 40*time.Millisecond))
	}
	return best
}

// peakPerCPU is the probe's flops per CPU-second of this process on one thread: the FMA
// peak of a core while it runs us, which time-slicing with other processes does not lower.
func peakPerCPU() float64 {
	cpu0 := processCPUTime()
	loop, perIter := peakLoop()
	flops, _ := peakRun(1, 100*time.Millisecond, loop, perIter)
	if cpu := (processCPUTime() - cpu0).Seconds(); cpu > 0 {
		return flops / cpu / 1e9
	}
	return 0
}

// reportGFLOPS reports flops/op as GFLOPS for the mean and the fastest iteration, and the
// fastest one as a fraction of peak (best against best: both are what the machine does
// with the least interference).
// With cpu > 0 (CPU-seconds the iterations took) it also reports the per-CPU-second rate
// as a fraction of peakCPU: how close to the FMA peak the kernel runs while it is on a
// core, which is what stays comparable when other processes share the machine.
func reportGFLOPS(b *testing.B, flops float64, fastest time.Duration, peak float64, cpu time.Duration, peakCPU float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
	best := flops / fastest.Seconds() / 1e9
	b.ReportMetric(best/peak, "of-peak")
	if cpu > 0 && peakCPU > 0 {
		b.ReportMetric(flops*float64(b.N)/cpu.Seconds()/1e9/peakCPU, "of-peak-cpu")
	}
}

// BenchmarkGemmPrefill times the prefill GEMM the float32 compute path runs, at Llama-8B/11B
// shapes, for bf16, f16 and f32 weights: tokens packed once per call (included in the
// time), rows split at multiples of 8 over threads goroutines sharing the PackedF32, as
// runtime.Session does. GFLOPS counts 2*rows*cols*n; "of-peak" divides the fastest
// iteration's rate by the best PeakFMA window at the same level and thread count, measured
// right before in the same process; "of-peak-cpu" divides flops per CPU-second by one
// core's probe flops per CPU-second (see reportGFLOPS). Generic is skipped (too slow).
//
//	go test -run '^$' -bench GemmPrefill -benchtime 3x ./internal/kernels
func BenchmarkGemmPrefill(b *testing.B) {
	r := rand.New(rand.NewPCG(51, 52))
	for _, shape := range [][2]int{{4096, 4096}, {14336, 4096}, {4096, 14336}} {
		rows, cols := shape[0], shape[1]
		// Weight-like values (N(0, 0.02^2) as bf16; the same bits read as f16 are normal
		// numbers too): randHalf's random bit patterns include subnormals, which would time
		// microcode assists rather than the kernels.
		wh := make([]uint16, rows*cols)
		for i := range wh {
			wh[i] = uint16(math.Float32bits(float32(r.NormFloat64()*0.02)) >> 16)
		}
		wf := widenAll(wh, BF16)
		for _, n := range []int{64, 512} {
			x := randF32(r, n*cols)
			dst := make([]float32, n*rows)
			for _, kind := range []string{"bf16", "f16", "f32"} {
				for _, g := range []int{1, 2} {
					name := fmt.Sprintf("%dx%d/n=%d/%s/threads=%d", rows, cols, n, kind, g)
					b.Run(name, func(b *testing.B) {
						forEachBenchISA(b, func(b *testing.B) {
							if CurrentISA() == Generic || CurrentISA() == AVXVNNI {
								b.Skip("generic is too slow; avxvnni is the avx2 float path")
							}
							peak, peakCPU := peakBest(g), peakPerCPU()
							var pf PackedF32
							fastest := time.Duration(math.MaxInt64)
							b.ResetTimer()
							cpu0 := processCPUTime()
							for i := 0; i < b.N; i++ {
								t0 := time.Now()
								pf.Pack(x, n, cols)
								parallelRows(rows/8, g, func(p0, p1 int) {
									r0, r1 := p0*8, p1*8
									switch kind {
									case "bf16":
										GemmHalfPacked(dst[r0:], rows, wh[r0*cols:r1*cols], BF16, r1-r0, &pf)
									case "f16":
										GemmHalfPacked(dst[r0:], rows, wh[r0*cols:r1*cols], F16, r1-r0, &pf)
									default:
										GemmF32Packed(dst[r0:], rows, wf[r0*cols:r1*cols], r1-r0, &pf)
									}
								})
								fastest = min(fastest, time.Since(t0))
							}
							cpu := processCPUTime() - cpu0
							reportGFLOPS(b, 2*float64(rows)*float64(cols)*float64(n), fastest, peak, cpu, peakCPU)
						})
					})
				}
			}
		}
	}
}

// BenchmarkGemvHalf times decode GEMV on bf16/f16 weights streamed from DRAM (matrices
// rotate through 512 MiB, as a model's layers do); MB/s is weight bytes read, to compare
// with BenchmarkMemRead in the same run.
func BenchmarkGemvHalf(b *testing.B) {
	const size = 512 << 20 // bytes
	buf := make([]uint16, size/2)
	for i := range buf {
		// Finite normal values in both formats (no denormal assists): a spread of
		// mantissas around 0.5..1 and both signs.
		buf[i] = 0x3800 | uint16(i*2654435761>>7)&0x83ff
	}
	for _, shape := range [][2]int{{14336, 4096}, {4096, 14336}} {
		rows, cols := shape[0], shape[1]
		nmat := len(buf) / (rows * cols)
		x := randF32(rand.New(rand.NewPCG(1, 1)), cols)
		dst := make([]float32, rows)
		for _, kind := range []Half{BF16, F16} {
			for _, g := range []int{1, 2} {
				b.Run(fmt.Sprintf("%dx%d/%v/threads=%d", rows, cols, kind, g), func(b *testing.B) {
					forEachBenchISA(b, func(b *testing.B) {
						if CurrentISA() != AVX2 && CurrentISA() != Generic {
							b.Skip("the AVX2 GEMV serves every assembly level")
						}
						b.SetBytes(int64(rows * cols * 2))
						for i := 0; i < b.N; i++ {
							w := buf[i%nmat*rows*cols : (i%nmat+1)*rows*cols]
							parallelRows(rows, g, func(r0, r1 int) {
								GemvHalf(dst[r0:r1], w[r0*cols:r1*cols], kind, r1-r0, cols, x)
							})
						}
					})
				})
			}
		}
	}
}
