package kernels

import (
	"testing"
	"time"
)

// TestPeakFMA: every level's probe runs and reports a positive rate; wider levels must not
// report less than the scalar loop (a probe that silently did nothing would fail here or
// report an absurd rate).
func TestPeakFMA(t *testing.T) {
	rates := map[ISA]float64{}
	forEachISA(t, func(t *testing.T, l ISA) {
		g := peakFMA(1, 20*time.Millisecond)
		if !(g > 0) || g > 1e5 {
			t.Fatalf("%v: implausible peak %g GFLOPS", l, g)
		}
		rates[l] = g
		t.Logf("%v: %.1f GFLOPS on 1 thread", l, g)
	})
	if g, ok := rates[AVX512]; ok && g < rates[Generic] {
		t.Errorf("AVX512 peak %g below the scalar loop's %g", g, rates[Generic])
	}
}

// BenchmarkPeakFMA reports PeakFMA on 1 and 2 threads.
func BenchmarkPeakFMA(b *testing.B) {
	for _, g := range []int{1, 2} {
		b.Run(map[int]string{1: "threads=1", 2: "threads=2"}[g], func(b *testing.B) {
			var r float64
			for i := 0; i < b.N; i++ {
				r = PeakFMA(g)
			}
			b.ReportMetric(r, "GFLOPS")
		})
	}
}

// TestPeakInt8: every level's int8 probe runs and reports a plausible rate, and each SIMD
// level reports more than the scalar loop (a loop that did nothing, or counted the wrong
// MACs per iteration by a large factor, would fail one of the two).
func TestPeakInt8(t *testing.T) {
	rates := map[ISA]float64{}
	forEachISA(t, func(t *testing.T, l ISA) {
		g := peakInt8(1, 20*time.Millisecond)
		if !(g > 0) || g > 1e5 {
			t.Fatalf("%v: implausible int8 peak %g GMAC/s", l, g)
		}
		rates[l] = g
		t.Logf("%v: %.1f GMAC/s on 1 thread", l, g)
	})
	for l, g := range rates {
		if l != Generic && g <= rates[Generic] {
			t.Errorf("%v int8 peak %g GMAC/s not above the scalar loop's %g", l, g, rates[Generic])
		}
	}
}
