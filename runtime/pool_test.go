package runtime

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Every index is visited exactly once, with chunk edges on align multiples,
// whether the workers are spinning (back-to-back calls) or parked (a pause
// longer than the spin), and when several goroutines share the pool.
func TestPoolCoversEveryIndexOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 5} {
		p := newPool(threads)
		check := func(n, align int) {
			hits := make([]atomic.Int32, n)
			var bad atomic.Int32
			p.runAligned(n, align, func(w, lo, hi int) {
				if w < 0 || w >= threads || (lo%align != 0) || lo >= hi {
					bad.Add(1)
				}
				for i := lo; i < hi; i++ {
					hits[i].Add(1)
				}
			})
			if bad.Load() != 0 {
				t.Errorf("threads %d n %d align %d: bad worker index or chunk", threads, n, align)
			}
			for i := range hits {
				if h := hits[i].Load(); h != 1 {
					t.Fatalf("threads %d n %d align %d: index %d visited %d times", threads, n, align, i, h)
				}
			}
		}
		for _, n := range []int{0, 1, 2, 15, 16, 17, 100, 4096, 4099} {
			for _, align := range []int{1, 16} {
				check(n, align)
			}
		}
		time.Sleep(3 * workerSpin) // workers park
		check(1000, 16)
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 200; i++ {
					check(257, 16)
				}
			}()
		}
		wg.Wait()
		p.close()
		p.close()
		check(33, 1) // after close: inline
	}
}

func TestPoolProfile(t *testing.T) {
	p := newPool(2)
	defer p.close()
	var pr poolProfile
	p.prof.Store(&pr)
	for i := 0; i < 10; i++ {
		p.run(64, func(_, lo, hi int) { time.Sleep(100 * time.Microsecond) })
	}
	p.prof.Store(nil)
	if pr.calls.Load() != 10 || pr.wallNs.Load() < int64(10*100*time.Microsecond) || pr.overheadNs.Load() < 0 || pr.overheadNs.Load() > pr.wallNs.Load() {
		t.Errorf("profile: %d calls, wall %d ns, overhead %d ns", pr.calls.Load(), pr.wallNs.Load(), pr.overheadNs.Load())
	}
}

func TestSpinFromEnv(t *testing.T) {
	def := 50 * time.Microsecond
	for in, want := range map[string]time.Duration{"": def, "0": 0, "20us": 20 * time.Microsecond, "-1s": def, "fast": def} {
		if got := spinFromEnv(in, def); got != want {
			t.Errorf("spinFromEnv(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestGemvChunks(t *testing.T) {
	p := newPool(2)
	defer p.close()
	for _, c := range []struct{ rows, cols, n, want int }{
		{14336, 4096, 1, 56}, // 56 MiB of weights: 1 MiB chunks
		{64, 64, 1, 8},       // tiny: the pool's default
		{14336, 4096, 128, 8},
	} {
		if got := gemvChunks(p, c.rows, c.cols, c.n); got != c.want {
			t.Errorf("gemvChunks(%d, %d, %d) = %d, want %d", c.rows, c.cols, c.n, got, c.want)
		}
	}
}
