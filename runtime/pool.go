package runtime

import (
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ct2go/ct2go/internal/kernels"
)

// pool is a fixed set of persistent workers that split index ranges. Worker 0
// is the calling goroutine, so a 1-thread pool runs everything inline.
//
// A decode step makes some 250 pool calls (7 per layer), each only ~0.1-2 ms
// long, so the hand-off matters: workers spin on a generation counter for a
// short while after each job before parking, and the caller spins for the
// join the same way. A call then costs well under a microsecond instead of a
// channel hand-off and futex wake-up. Workers are deliberately not locked to
// their OS threads (runtime.LockOSThread): waking a parked locked goroutine
// needs a thread hand-off, which made the fixture model's decode ~4x slower.
//
// One job runs at a time. Several Sessions may share the pool: a call that
// finds it busy runs inline on its caller (worker index 0 only selects the
// caller's own per-worker scratch, so this is safe).
type pool struct {
	n       int
	mu      sync.Mutex
	job     atomic.Pointer[poolJob]
	gen     atomic.Uint64
	pending atomic.Int32
	workers []*poolWorker
	// The caller parks on done when the join outlasts its spin.
	callerSleeping atomic.Int32
	done           chan struct{}
	closed         atomic.Bool
	closeOnce      sync.Once

	prof atomic.Pointer[poolProfile] // non-nil while a profile is recorded
}

type poolJob struct {
	gen  uint64
	k    int // workers 0..k-1 take part
	work func(worker int)
}

type poolWorker struct {
	sleeping atomic.Int32
	wake     chan struct{}
}

// poolProfile accumulates the wall time of pool calls and the part of it not
// spent in the callers' function on the slowest worker: fan-out + join.
type poolProfile struct {
	calls, wallNs, overheadNs atomic.Int64
}

// Spin budgets: workers wait this long for the next job before parking (a
// decode step's gaps between calls are microseconds: norms, residual adds);
// the caller waits this long for the join before parking.
//
// SpinEnv (e.g. CT2GO_SPIN=0 on a machine shared with other busy processes,
// where a spinning thread only steals the time slices its partner needs)
// overrides workerSpin; the join spins twice as long.
var (
	workerSpin = spinFromEnv(os.Getenv(SpinEnv), 50*time.Microsecond)
	joinSpin   = 2 * workerSpin
)

// SpinEnv is the environment variable that sets the pool's spin budget (a Go
// duration such as "50us"; "0" parks at once).
const SpinEnv = "CT2GO_SPIN"

func spinFromEnv(v string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return d
	}
	return def
}

func newPool(n int) *pool {
	if n < 1 {
		n = 1
	}
	p := &pool{n: n, done: make(chan struct{}, 1)}
	for i := 1; i < n; i++ {
		w := &poolWorker{wake: make(chan struct{}, 1)}
		p.workers = append(p.workers, w)
		go p.loop(i, w)
	}
	return p
}

func (p *pool) loop(idx int, w *poolWorker) {
	var seen uint64
	for {
		if !spinUntil(workerSpin, func() bool { return p.gen.Load() != seen }) {
			w.sleeping.Store(1)
			if p.gen.Load() != seen {
				// A job arrived while going to sleep: take the token back, or
				// consume the wake-up its publisher is sending.
				if w.sleeping.Swap(0) == 0 {
					<-w.wake
				}
			} else {
				<-w.wake
			}
		}
		if p.closed.Load() {
			return
		}
		j := p.job.Load()
		seen = j.gen
		if idx < j.k {
			j.work(idx)
			if p.pending.Add(-1) == 0 && p.callerSleeping.Swap(0) == 1 {
				p.done <- struct{}{}
			}
		}
	}
}

// spinUntil polls cond for up to d; it reports whether cond became true.
func spinUntil(d time.Duration, cond func() bool) bool {
	var deadline time.Time
	for i := 0; ; i++ {
		if cond() {
			return true
		}
		kernels.SpinPause()
		if i&255 == 255 {
			now := time.Now()
			if deadline.IsZero() {
				deadline = now.Add(d)
			} else if now.After(deadline) {
				return cond()
			}
		}
	}
}

func (p *pool) close() {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.closed.Store(true)
		p.job.Store(&poolJob{gen: p.gen.Load() + 1})
		p.gen.Add(1)
		for _, w := range p.workers {
			if w.sleeping.Swap(0) == 1 {
				w.wake <- struct{}{}
			}
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
	p.runChunks(n, align, p.n*chunksPerWorker, fn)
}

// runChunks is runAligned cut into up to chunks chunks (at least one per worker).
// Streaming GEMVs ask for more, smaller chunks: the join waits for the last
// chunk, so its size bounds the time one worker idles while the other finishes.
func (p *pool) runChunks(n, align, chunks int, fn func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	blocks := (n + align - 1) / align
	if p.n <= 1 || blocks <= 1 || p.closed.Load() || !p.mu.TryLock() {
		fn(0, 0, n)
		return
	}
	defer p.mu.Unlock()
	prof := p.prof.Load()
	var t0 time.Time
	var busy []int64
	if prof != nil {
		t0 = time.Now()
		busy = make([]int64, p.n)
	}
	chunks = min(blocks, max(chunks, p.n))
	var next atomic.Int64
	work := func(worker int) {
		var ts time.Time
		if busy != nil {
			ts = time.Now()
		}
		for {
			i := int(next.Add(1) - 1)
			if i >= chunks {
				break
			}
			lo := blocks * i / chunks * align
			hi := min(blocks*(i+1)/chunks*align, n)
			fn(worker, lo, hi)
		}
		if busy != nil {
			busy[worker] = int64(time.Since(ts))
		}
	}
	k := min(p.n, chunks)
	p.pending.Store(int32(k - 1))
	p.job.Store(&poolJob{gen: p.gen.Load() + 1, k: k, work: work})
	p.gen.Add(1)
	for _, w := range p.workers[:k-1] {
		if w.sleeping.Swap(0) == 1 {
			w.wake <- struct{}{}
		}
	}
	work(0)
	if !spinUntil(joinSpin, func() bool { return p.pending.Load() == 0 }) {
		p.callerSleeping.Store(1)
		if p.pending.Load() == 0 {
			if p.callerSleeping.Swap(0) == 0 {
				<-p.done
			}
		} else {
			<-p.done
		}
	}
	if prof != nil {
		wall := int64(time.Since(t0))
		var slowest int64
		for _, b := range busy {
			slowest = max(slowest, b)
		}
		prof.calls.Add(1)
		prof.wallNs.Add(wall)
		prof.overheadNs.Add(wall - slowest)
	}
}

// chunksPerWorker trades scheduling slack against per-call overhead.
const chunksPerWorker = 4
