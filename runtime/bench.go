package runtime

import (
	"fmt"
	"sync"
	"time"

	"github.com/ct2go/ct2go/internal/kernels"
	"golang.org/x/sys/unix"
)

// BenchOptions configure Bench; zero values take the defaults in brackets.
type BenchOptions struct {
	PromptTokens int   // prefill length [128]
	NewTokens    int   // decode steps after the prompt [64]
	BandwidthMiB int   // buffer of the memory read loop [1024]
	Seed         int64 // prompt ids are pseudo-random in [0, vocab) [1]
}

// BenchResult is one Bench run; JSON names are stable for `ct2go bench --json`.
type BenchResult struct {
	Compute      string `json:"compute"`
	ISA          string `json:"isa"`
	Threads      int    `json:"threads"`
	PromptTokens int    `json:"prompt_tokens"`
	NewTokens    int    `json:"new_tokens"`

	PrefillSeconds   float64 `json:"prefill_seconds"`
	PrefillTokPerSec float64 `json:"prefill_tok_per_sec"`
	DecodeSeconds    float64 `json:"decode_seconds"`
	DecodeTokPerSec  float64 `json:"decode_tok_per_sec"`

	// WeightBytesPerToken is what one decode step must read: every linear
	// (int8 weights + scales, or the stored float weights) and one embedding row.
	WeightBytesPerToken int64 `json:"weight_bytes_per_token"`
	// DecodeGBPerSec = WeightBytesPerToken * DecodeTokPerSec / 1e9.
	DecodeGBPerSec float64 `json:"decode_gb_per_sec"`
	// BandwidthGBPerSec is the best of 5 passes of a plain parallel read over
	// a buffer larger than the caches, with the same thread count.
	BandwidthGBPerSec float64 `json:"bandwidth_gb_per_sec"`
	// BandwidthLimitTokPerSec = bandwidth / WeightBytesPerToken.
	BandwidthLimitTokPerSec float64 `json:"bandwidth_limit_tok_per_sec"`
	// DecodeFractionOfBandwidth = DecodeGBPerSec / BandwidthGBPerSec (target >= 0.8 for int8).
	DecodeFractionOfBandwidth float64 `json:"decode_fraction_of_bandwidth"`
}

func (r *BenchResult) String() string {
	return fmt.Sprintf("compute %s, isa %s, %d threads\n"+
		"prefill: %d tokens in %.3f s = %.2f tok/s\n"+
		"decode:  %d tokens in %.3f s = %.3f tok/s (%.2f GB/s of weights, %d bytes/token)\n"+
		"memory read bandwidth: %.2f GB/s -> limit %.3f tok/s; decode reaches %.0f%%",
		r.Compute, r.ISA, r.Threads,
		r.PromptTokens, r.PrefillSeconds, r.PrefillTokPerSec,
		r.NewTokens, r.DecodeSeconds, r.DecodeTokPerSec, r.DecodeGBPerSec, r.WeightBytesPerToken,
		r.BandwidthGBPerSec, r.BandwidthLimitTokPerSec, 100*r.DecodeFractionOfBandwidth)
}

// Bench measures prefill and greedy decode speed on m and, in the same run,
// the machine's memory read bandwidth with m's thread count. The model is
// warmed first (one step reads every weight) so page faults are not timed.
func Bench(m *Model, o BenchOptions) (*BenchResult, error) {
	if o.PromptTokens <= 0 {
		o.PromptTokens = 128
	}
	if o.NewTokens <= 0 {
		o.NewTokens = 64
	}
	if o.BandwidthMiB <= 0 {
		o.BandwidthMiB = 1024
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	r := &BenchResult{
		Compute: m.cfg.Compute.String(), ISA: kernels.CurrentISA().String(), Threads: m.threads,
		PromptTokens: o.PromptTokens, NewTokens: o.NewTokens,
		WeightBytesPerToken: m.WeightBytesPerToken(),
	}
	ids := make([]int, o.PromptTokens)
	x := uint64(o.Seed)
	for i := range ids {
		x = x*6364136223846793005 + 1442695040888963407
		ids[i] = int((x >> 33) % uint64(m.cfg.Vocab))
	}

	_ = m.weights.Advise(unix.MADV_WILLNEED)
	warm := m.NewSession(2)
	if _, err := warm.Step(ids[0]); err != nil {
		return nil, err
	}

	s := m.NewSession(o.PromptTokens + o.NewTokens)
	t0 := time.Now()
	lg, err := s.Prefill(ids, false)
	if err != nil {
		return nil, err
	}
	r.PrefillSeconds = time.Since(t0).Seconds()
	next := argmaxF32(lg[0])
	t0 = time.Now()
	for i := 0; i < o.NewTokens; i++ {
		l, err := s.Step(next)
		if err != nil {
			return nil, err
		}
		next = argmaxF32(l)
	}
	r.DecodeSeconds = time.Since(t0).Seconds()
	r.PrefillTokPerSec = float64(o.PromptTokens) / r.PrefillSeconds
	r.DecodeTokPerSec = float64(o.NewTokens) / r.DecodeSeconds
	r.DecodeGBPerSec = float64(r.WeightBytesPerToken) * r.DecodeTokPerSec / 1e9

	r.BandwidthGBPerSec = ReadBandwidth(int64(o.BandwidthMiB)<<20, m.threads)
	if r.BandwidthGBPerSec > 0 {
		r.BandwidthLimitTokPerSec = r.BandwidthGBPerSec * 1e9 / float64(r.WeightBytesPerToken)
		r.DecodeFractionOfBandwidth = r.DecodeGBPerSec / r.BandwidthGBPerSec
	}
	return r, nil
}

func argmaxF32(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// ReadBandwidth returns the best of 5 timed passes (GB/s) of threads
// goroutines each reading its share of a bytes-sized buffer once. The read
// kernel is kernels.DotInt8 over the two halves of each share: the same SIMD
// streaming loads as the decode GEMV, with no write traffic.
func ReadBandwidth(bytes int64, threads int) float64 {
	if threads < 1 {
		threads = 1
	}
	n := int(max(bytes, 1<<20)) &^ 127
	buf := make([]int8, n)
	for i := range buf {
		buf[i] = int8(i) // touch every page so the passes do not time page faults
	}
	best := 0.0
	for pass := 0; pass < 5; pass++ {
		var wg sync.WaitGroup
		sums := make([]int32, threads)
		t0 := time.Now()
		for w := 0; w < threads; w++ {
			lo, hi := n*w/threads, n*(w+1)/threads
			half := (hi - lo) / 2
			wg.Add(1)
			go func(w int, a, b []int8) {
				defer wg.Done()
				sums[w] = kernels.DotInt8(a, b)
			}(w, buf[lo:lo+half], buf[lo+half:lo+2*half])
		}
		wg.Wait()
		if d := time.Since(t0).Seconds(); d > 0 {
			best = max(best, float64(n)/d/1e9)
		}
	}
	return best
}
