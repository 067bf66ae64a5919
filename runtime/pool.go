package runtime

import (
	"sync"
	"sync/atomic"
)

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
// last), so SIMD kernels see whole blocks of rows. The range is cut into up to
// chunksPerWorker chunks per worker that the workers take in order from a
// shared counter: a worker slowed down (another process on its core) costs one
// chunk, not a whole share, while each chunk stays large enough to stream.
func (p *pool) runAligned(n, align int, fn func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	blocks := (n + align - 1) / align
	if p.n <= 1 || blocks <= 1 {
		fn(0, 0, n)
		return
	}
	chunks := min(blocks, p.n*chunksPerWorker)
	var next atomic.Int64
	work := func(worker int) {
		for {
			i := int(next.Add(1) - 1)
			if i >= chunks {
				return
			}
			lo := blocks * i / chunks * align
			hi := min(blocks*(i+1)/chunks*align, n)
			fn(worker, lo, hi)
		}
	}
	k := min(p.n, chunks)
	var wg sync.WaitGroup
	wg.Add(k - 1)
	for i := 1; i < k; i++ {
		p.jobs <- poolJob{fn: func(w, _, _ int) { work(w) }, worker: i, wg: &wg}
	}
	work(0)
	wg.Wait()
}

// chunksPerWorker trades scheduling slack against per-call overhead.
const chunksPerWorker = 4
