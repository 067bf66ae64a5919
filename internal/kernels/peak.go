package kernels

import (
	"runtime"
	"sync"
	"time"
)

// PeakFMA measures the float32 multiply-add throughput this machine reaches at the current
// ISA level, in GFLOPS (one fused multiply-add = 2 flops per lane), with threads goroutines
// each locked to an OS thread for about 200 ms. The loop keeps every operand in registers
// (AVX512: 16 independent zmm accumulators; AVX2: 12 ymm; Generic: 8 scalar chains of
// multiply then add), enough independent chains to keep two FMA ports busy through the
// 4-cycle latency, so it is the ceiling a GEMM kernel at that level can approach. Benchmarks
// divide their GFLOPS by it to report a fraction of peak measured in the same run; it is
// as noisy as the machine (other processes on the cores lower it).
func PeakFMA(threads int) float64 { return peakFMA(threads, 200*time.Millisecond) }

// peakChunk is the loop count of one timed call (~0.3 ms on a 3 GHz AVX-512 core), small
// enough to stop close to the deadline.
const peakChunk = 100_000

func peakFMA(threads int, d time.Duration) float64 {
	flops, el := peakRun(threads, d)
	return flops / el.Seconds() / 1e9
}

// peakRun runs the probe on threads locked goroutines for about d and returns the flops
// done and the wall time they took.
func peakRun(threads int, d time.Duration) (float64, time.Duration) {
	threads = max(threads, 1)
	loop, flopsPerIter := peakLoop()
	var (
		wg    sync.WaitGroup
		ready sync.WaitGroup
		start = make(chan struct{})
		iters = make([]int64, threads)
	)
	ready.Add(threads)
	for g := 0; g < threads; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			loop(1000) // warm up (AVX-512 license, page faults) before the clock starts
			ready.Done()
			<-start
			t0 := time.Now()
			for time.Since(t0) < d {
				loop(peakChunk)
				iters[g] += peakChunk
			}
		}()
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	wg.Wait()
	el := time.Since(t0)
	var total int64
	for _, n := range iters {
		total += n
	}
	return float64(total) * flopsPerIter, el
}

// peakLoopGeneric is the Generic level's probe: 8 independent multiply-add chains in
// float32. The values stay finite and normal (they converge to a fixed point of x*a+b).
func peakLoopGeneric(n int) {
	a0, a1, a2, a3, a4, a5, a6, a7 := float32(1), float32(2), float32(3), float32(4), float32(5), float32(6), float32(7), float32(8)
	const m, c = 0.5, 0.25
	for i := 0; i < n; i++ {
		a0 = a0*m + c
		a1 = a1*m + c
		a2 = a2*m + c
		a3 = a3*m + c
		a4 = a4*m + c
		a5 = a5*m + c
		a6 = a6*m + c
		a7 = a7*m + c
	}
	peakSink = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7
}

// peakSink keeps the generic loop from being optimised away.
var peakSink float32
