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

// PeakInt8 is PeakFMA for the instruction the current level's int8 GEMM multiplies with, in
// GMAC/s (one MAC = one int8 x int8 product added to an int32 sum), on threads locked
// goroutines for about 200 ms: AVX512 vpdpbusd on zmm (64 MACs, 16 accumulators), AVXVNNI
// vpdpbusd on ymm (32 MACs, 12 accumulators), AVX2 vpmaddwd + vpaddd on int16 lanes (16
// MACs, 6 chains: the AVX2 GEMM sign-extends bytes to int16), Generic 8 scalar int32
// multiply-add chains. Register operands only: the ceiling an int8 GEMM at that level can
// approach, to report a prefill's fraction of it measured in the same run.
func PeakInt8(threads int) float64 { return peakInt8(threads, 200*time.Millisecond) }

func peakInt8(threads int, d time.Duration) float64 {
	loop, macsPerIter := peakInt8Loop()
	macs, el := peakRun(threads, d, loop, macsPerIter)
	return macs / el.Seconds() / 1e9
}

// peakChunk is the loop count of one timed call (~0.3 ms on a 3 GHz AVX-512 core), small
// enough to stop close to the deadline.
const peakChunk = 100_000

func peakFMA(threads int, d time.Duration) float64 {
	loop, flopsPerIter := peakLoop()
	flops, el := peakRun(threads, d, loop, flopsPerIter)
	return flops / el.Seconds() / 1e9
}

// peakRun runs loop on threads locked goroutines for about d and returns the work done
// (iterations x perIter) and the wall time it took.
func peakRun(threads int, d time.Duration, loop func(n int), perIter float64) (float64, time.Duration) {
	threads = max(threads, 1)
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
	return float64(total) * perIter, el
}

// peakLoopGeneric is the Generic level's probe: 8 independent multiply-add chains in
// float32. The values stay finite and normal (they converge to a fixed point of x*a+b).
func peakLoopGeneric(n int) { peakSink = peakChains(n, peakM, peakC) }

// peakInt8LoopGeneric is the Generic level's int8 probe: 8 independent int32 multiply-add
// chains (wrapping, like the kernels' sums).
func peakInt8LoopGeneric(n int) { peakSinkInt = peakChains(n, peakInt8M, peakInt8C) }

// peakChains runs 8 independent chains a = a*m + c for n steps and returns their sum.
func peakChains[T float32 | int32](n int, m, c T) T {
	a0, a1, a2, a3, a4, a5, a6, a7 := T(1), T(2), T(3), T(4), T(5), T(6), T(7), T(8)
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
	return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7
}

// Variables, so the compiler cannot fold the chains; the sinks keep them from being
// optimised away.
var (
	peakM, peakC         float32 = 0.5, 0.25
	peakInt8M, peakInt8C int32   = 3, 5
	peakSink             float32
	peakSinkInt          int32
)
