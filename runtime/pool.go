package runtime

import "sync"

// pool is a fixed set of goroutines that split index ranges. Worker 0 is the
// calling goroutine, so a 1-thread pool runs everything inline. Several
// Sessions may share one pool: jobs carry their own WaitGroup, and the worker
// index handed to fn only selects the caller's per-worker scratch.
type pool struct {
	n    int
	jobs chan poolJob
	once sync.Once
}

type poolJob struct {
	fn     func(worker, lo, hi int)
	worker int
	lo, hi int
	wg     *sync.WaitGroup
}

func newPool(n int) *pool {
	if n < 1 {
		n = 1
	}
	p := &pool{n: n}
	if n > 1 {
		p.jobs = make(chan poolJob, n)
		for i := 1; i < n; i++ {
			go func() {
				for j := range p.jobs {
					j.fn(j.worker, j.lo, j.hi)
					j.wg.Done()
				}
			}()
		}
	}
	return p
}

func (p *pool) close() {
	p.once.Do(func() {
		if p.jobs != nil {
			close(p.jobs)
		}
	})
}

// run splits [0, n) into at most p.n contiguous chunks and calls fn on each
// concurrently; it returns when all are done.
func (p *pool) run(n int, fn func(worker, lo, hi int)) { p.runAligned(n, 1, fn) }

// runAligned is run with chunk boundaries on multiples of align (except the
// last), so SIMD kernels see whole blocks of rows.
func (p *pool) runAligned(n, align int, fn func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	blocks := (n + align - 1) / align
	k := min(p.n, blocks)
	if k <= 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	wg.Add(k - 1)
	bounds := func(i int) (int, int) {
		lo := blocks * i / k * align
		hi := min(blocks*(i+1)/k*align, n)
		return lo, hi
	}
	for i := 1; i < k; i++ {
		lo, hi := bounds(i)
		p.jobs <- poolJob{fn: fn, worker: i, lo: lo, hi: hi, wg: &wg}
	}
	lo, hi := bounds(0)
	fn(0, lo, hi)
	wg.Wait()
}
