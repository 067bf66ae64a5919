package runtime

import (
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/ct2go/ct2go/internal/kernels"
	"golang.org/x/sys/unix"
)

// BenchOptions configure Bench; zero values take the defaults in brackets.
type BenchOptions struct {
	PromptTokens int   // prefill length [128]
	NewTokens    int   // decode steps after the prompt [64]
	BandwidthMiB int   // buffer of the memory read probe [DRAMProbeBytes: 8x the last-level cache, >= 1 GiB]
	Seed         int64 // prompt ids are pseudo-random in [0, vocab) [1]
	Profile      bool  // time each op of the decode steps (adds ~0.1% of overhead)
}

// BenchResult is one Bench run; JSON names are stable for `ct2go bench --json`.
type BenchResult struct {
	CPUModel     string `json:"cpu_model"`
	CPUFeatures  string `json:"cpu_features"` // kernels.CPUFeatures: the SIMD/matrix extensions present
	LLCLevel     int    `json:"llc_level"`
	LLCBytes     int64  `json:"llc_bytes"`
	Compute      string `json:"compute"`
	ISA          string `json:"isa"`
	Threads      int    `json:"threads"`
	Weights      string `json:"weights"`        // placement chosen: mmap or anon
	WeightsWhy   string `json:"weights_detail"` // how it was chosen, probe figures
	THP          string `json:"thp"`            // transparent huge page policy of the kernel
	PromptTokens int    `json:"prompt_tokens"`
	NewTokens    int    `json:"new_tokens"`

	PrefillSeconds   float64 `json:"prefill_seconds"`
	PrefillTokPerSec float64 `json:"prefill_tok_per_sec"`
	// PrefillGMACPerSec counts the multiply-accumulates of the layers' linears (rows x cols
	// of each per prompt token; attention and the last position's lm_head row aside) per
	// second of prefill.
	PrefillGMACPerSec float64 `json:"prefill_gmac_per_sec"`
	// ComputePeakGMACPerSec is the multiply-accumulate ceiling of the compute's kernels at
	// the model's thread count, measured right after prefill: kernels.PeakInt8 for int8
	// compute, kernels.PeakFMA / 2 for float32. PrefillFractionOfPeak is the ratio: how busy
	// the matrix units were over the prefill, comparable across machines.
	ComputePeakGMACPerSec float64 `json:"compute_peak_gmac_per_sec"`
	PrefillFractionOfPeak float64 `json:"prefill_fraction_of_peak"`
	// ComputePeak1GMACPerSec is the same ceiling on one thread (measured when Threads > 1):
	// how far it scales says whether the threads have matrix units of their own (about
	// Threads times as much) or share one core's as SMT siblings (about the same), which a
	// VM's reported topology need not tell.
	ComputePeak1GMACPerSec float64 `json:"compute_peak_1thread_gmac_per_sec,omitempty"`
	DecodeSeconds          float64 `json:"decode_seconds"`
	DecodeTokPerSec        float64 `json:"decode_tok_per_sec"`

	// WeightBytesPerToken is what one decode step must read: every linear
	// (int8 weights + scales, or the stored float weights) and one embedding row.
	WeightBytesPerToken int64 `json:"weight_bytes_per_token"`
	// DecodeGBPerSec = WeightBytesPerToken * DecodeTokPerSec / 1e9.
	DecodeGBPerSec float64 `json:"decode_gb_per_sec"`
	// BandwidthBufferBytes is the probe buffer: several times the LLC, so it is
	// DRAM that is measured, not cache.
	BandwidthBufferBytes int64 `json:"bandwidth_buffer_bytes"`
	// BandwidthGBPerSec is the DRAM read bandwidth while decode ran: a
	// STREAM-like read (kernels.StreamRead / StreamRead4: one or four
	// sequential streams per thread, no writes) with the model's thread
	// count, one pass over the probe buffer after every decode step (the
	// two variants alternate), total bytes over total time of the faster
	// variant. Interleaving makes decode and probe see the same machine: on
	// shared hosts the bandwidth a VM gets drifts by tens of percent within
	// seconds (measured 40-75 GB/s on one 2-vCPU AMD EPYC).
	BandwidthGBPerSec float64 `json:"bandwidth_gb_per_sec"`
	// BandwidthPassesGBPerSec are the interleaved passes one by one.
	BandwidthPassesGBPerSec []float64 `json:"bandwidth_passes_gb_per_sec"`
	// BandwidthBestPassGBPerSec is the best single STREAM-like pass of the
	// probes run before prefill and after decode (5 passes of each variant);
	// BandwidthBeforeAfter are the two. The best pass catches moments when
	// neighbours are quiet: an upper bound, not the bandwidth decode had.
	BandwidthBestPassGBPerSec float64    `json:"bandwidth_best_pass_gb_per_sec"`
	BandwidthBeforeAfter      [2]float64 `json:"bandwidth_before_after_gb_per_sec"`
	// GemvReadGBPerSec cross-checks it with the decode kernel itself
	// (kernels.GemvInt8Comp) streaming the same buffer as an int8 matrix.
	GemvReadGBPerSec float64 `json:"gemv_read_gb_per_sec"`
	// BandwidthLimitTokPerSec = bandwidth / WeightBytesPerToken.
	BandwidthLimitTokPerSec float64 `json:"bandwidth_limit_tok_per_sec"`
	// DecodeFractionOfBandwidth = DecodeGBPerSec / BandwidthGBPerSec (target >= 0.8 for int8).
	DecodeFractionOfBandwidth float64 `json:"decode_fraction_of_bandwidth"`
	// DecodeFractionOfBestPass = DecodeGBPerSec / BandwidthBestPassGBPerSec.
	DecodeFractionOfBestPass float64 `json:"decode_fraction_of_best_pass"`

	Profile        []OpTime `json:"profile,omitempty"`         // per decode step
	PrefillProfile []OpTime `json:"prefill_profile,omitempty"` // per prompt token
}

// peakScaling describes how the compute peak grows from one thread to Threads.
func (r *BenchResult) peakScaling() string {
	if r.ComputePeak1GMACPerSec <= 0 || r.Threads < 2 {
		return ""
	}
	x := r.ComputePeakGMACPerSec / r.ComputePeak1GMACPerSec
	what := "the threads run on separate cores' units"
	if x < 1+0.4*float64(r.Threads-1) {
		what = "the threads share units, e.g. SMT siblings of one core"
	}
	return fmt.Sprintf("; 1 thread: %.0f GMAC/s, x%.2f: %s", r.ComputePeak1GMACPerSec, x, what)
}

func (r *BenchResult) String() string {
	llc := "unknown"
	if r.LLCBytes > 0 {
		llc = fmt.Sprintf("L%d %d MiB", r.LLCLevel, r.LLCBytes>>20)
	}
	s := fmt.Sprintf("cpu: %s, last-level cache %s\n"+
		"cpu features: %s\n"+
		"compute %s, isa %s, %d threads, weights %s (THP %s)\n"+
		"weights: %s\n"+
		"prefill: %d tokens in %.3f s = %.2f tok/s\n"+
		"  %.1f GMAC/s in the layers' linears = %.1f%% of the %s multiply-accumulate peak (%.0f GMAC/s, measured after it%s)\n"+
		"decode:  %d tokens in %.3f s = %.3f tok/s (%.2f GB/s of weights, %d bytes/token)\n"+
		"DRAM read bandwidth (%d MiB buffer): %.2f GB/s STREAM-like read between decode steps\n"+
		"  best single pass %.2f GB/s (before %.2f, after %.2f); int8 GEMV kernel %.2f GB/s\n"+
		"decode = %.0f%% of DRAM bandwidth (limit %.3f tok/s), %.0f%% of the best pass",
		r.CPUModel, llc, r.CPUFeatures, r.Compute, r.ISA, r.Threads, r.Weights, r.THP, r.WeightsWhy,
		r.PromptTokens, r.PrefillSeconds, r.PrefillTokPerSec,
		r.PrefillGMACPerSec, 100*r.PrefillFractionOfPeak, r.Compute, r.ComputePeakGMACPerSec, r.peakScaling(),
		r.NewTokens, r.DecodeSeconds, r.DecodeTokPerSec, r.DecodeGBPerSec, r.WeightBytesPerToken,
		r.BandwidthBufferBytes>>20, r.BandwidthGBPerSec, r.BandwidthBestPassGBPerSec, r.BandwidthBeforeAfter[0], r.BandwidthBeforeAfter[1], r.GemvReadGBPerSec,
		100*r.DecodeFractionOfBandwidth, r.BandwidthLimitTokPerSec, 100*r.DecodeFractionOfBestPass)
	if len(r.PrefillProfile) > 0 {
		s += "\n" + formatProfile("prefill, per prompt token", r.PrefillProfile)
	}
	if len(r.Profile) > 0 {
		s += "\n" + formatProfile("decode step", r.Profile)
	}
	return s
}

// Bench measures prefill and greedy decode speed on m and, in the same run,
// the machine's DRAM read bandwidth with m's thread count. The model is
// warmed first (one step reads every weight) so page faults are not timed.
func Bench(m *Model, o BenchOptions) (*BenchResult, error) {
	if o.PromptTokens <= 0 {
		o.PromptTokens = 128
	}
	if o.NewTokens <= 0 {
		o.NewTokens = 64
	}
	probeBytes := DRAMProbeBytes()
	if o.BandwidthMiB > 0 {
		probeBytes = int64(o.BandwidthMiB) << 20
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	lvl, llc := kernels.LastLevelCache()
	r := &BenchResult{
		CPUModel: kernels.CPUModel(), CPUFeatures: kernels.CPUFeatures(), LLCLevel: lvl, LLCBytes: int64(llc),
		Compute: m.cfg.Compute.String(), ISA: kernels.CurrentISA().String(), Threads: m.threads,
		Weights: m.PlacementChosen().String(), WeightsWhy: m.Placement(), THP: THPMode(),
		PromptTokens: o.PromptTokens, NewTokens: o.NewTokens,
		WeightBytesPerToken: m.WeightBytesPerToken(),
	}
	ids := make([]int, o.PromptTokens)
	x := uint64(o.Seed)
	for i := range ids {
		x = x*6364136223846793005 + 1442695040888963407
		ids[i] = int((x >> 33) % uint64(m.cfg.Vocab))
	}

	if m.PlacementChosen() == WeightsMmap {
		// Not with anon: it would read the released file pages back into the cache.
		_ = m.weights.Advise(unix.MADV_WILLNEED)
	}
	warm := m.NewSession(2)
	if _, err := warm.Step(ids[0]); err != nil {
		return nil, err
	}

	// DRAM bandwidth before and after the timed passes; the higher counts, so a
	// slowdown of the machine during the run cannot flatter the fraction.
	before, err := MeasureDRAM(probeBytes, m.threads)
	if err != nil {
		return nil, err
	}

	s := m.NewSession(o.PromptTokens + o.NewTokens)
	var prefillPool poolProfile
	if o.Profile {
		s.prof = &stepProfile{}
		m.pool.prof.Store(&prefillPool)
	}
	t0 := time.Now()
	lg, err := s.Prefill(ids, false)
	if err != nil {
		return nil, err
	}
	r.PrefillSeconds = time.Since(t0).Seconds()
	if o.Profile {
		m.pool.prof.Store(nil)
		s.prof.steps = o.PromptTokens // rows per prompt token
		r.PrefillProfile = m.profileRows(s.prof, &prefillPool)
		for i := range r.PrefillProfile {
			// Prefill reads each weight once for all tokens: a per-token GB/s means nothing.
			r.PrefillProfile[i].BytesPerToken, r.PrefillProfile[i].GBPerSec = 0, 0
		}
		s.prof = nil
	}
	r.PrefillGMACPerSec = float64(m.layerMACsPerToken()) * float64(o.PromptTokens) / r.PrefillSeconds / 1e9
	peak := func(threads int) float64 {
		if m.cfg.Compute == ComputeInt8 {
			return kernels.PeakInt8(threads)
		}
		return PeakFMA(threads) / 2
	}
	r.ComputePeakGMACPerSec = peak(m.threads)
	if m.threads > 1 {
		r.ComputePeak1GMACPerSec = peak(1)
	}
	if r.ComputePeakGMACPerSec > 0 {
		r.PrefillFractionOfPeak = r.PrefillGMACPerSec / r.ComputePeakGMACPerSec
	}
	next := argmaxF32(lg[0])
	var pp poolProfile
	if o.Profile {
		s.prof = &stepProfile{}
		m.pool.prof.Store(&pp)
	}
	probe, err := newDRAMProbe(probeBytes, m.threads)
	if err != nil {
		return nil, err
	}
	defer probe.close()
	var decode time.Duration
	var probeBytesRead, probeNs [2]float64
	for i := 0; i < o.NewTokens; i++ {
		t0 = time.Now()
		l, err := s.Step(next)
		if err != nil {
			return nil, err
		}
		next = argmaxF32(l)
		decode += time.Since(t0)
		v := i % 2
		gbs := probe.stream(v == 1)
		r.BandwidthPassesGBPerSec = append(r.BandwidthPassesGBPerSec, gbs)
		probeBytesRead[v] += float64(probe.n)
		probeNs[v] += float64(probe.n) / gbs
	}
	r.DecodeSeconds = decode.Seconds()
	for v := range probeNs {
		if probeNs[v] > 0 {
			r.BandwidthGBPerSec = max(r.BandwidthGBPerSec, probeBytesRead[v]/probeNs[v])
		}
	}
	if o.Profile {
		m.pool.prof.Store(nil)
		r.Profile = m.profileRows(s.prof, &pp)
		s.prof = nil
	}
	r.PrefillTokPerSec = float64(o.PromptTokens) / r.PrefillSeconds
	r.DecodeTokPerSec = float64(o.NewTokens) / r.DecodeSeconds
	r.DecodeGBPerSec = float64(r.WeightBytesPerToken) * r.DecodeTokPerSec / 1e9

	after, err := MeasureDRAM(probeBytes, m.threads)
	if err != nil {
		return nil, err
	}
	r.BandwidthBufferBytes = after.BufferBytes
	r.BandwidthBeforeAfter = [2]float64{before.StreamGBPerSec, after.StreamGBPerSec}
	r.BandwidthBestPassGBPerSec = max(before.StreamGBPerSec, after.StreamGBPerSec)
	r.GemvReadGBPerSec = max(before.GemvGBPerSec, after.GemvGBPerSec)
	if r.BandwidthGBPerSec > 0 {
		r.BandwidthLimitTokPerSec = r.BandwidthGBPerSec * 1e9 / float64(r.WeightBytesPerToken)
		r.DecodeFractionOfBandwidth = r.DecodeGBPerSec / r.BandwidthGBPerSec
	}
	if r.BandwidthBestPassGBPerSec > 0 {
		r.DecodeFractionOfBestPass = r.DecodeGBPerSec / r.BandwidthBestPassGBPerSec
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

// DRAMProbeBytes is the default probe buffer: 8x the last-level cache (sysfs),
// at least 1 GiB, and at most a quarter of MemAvailable. With a 260 MiB L3
// (recent Xeons) a 1 GiB buffer would leave a quarter of it cache-resident
// between passes; at 8x the cache serves well under 1/8 of the reads even
// with a perfect replacement policy, and streaming evicts it in practice.
func DRAMProbeBytes() int64 {
	_, llc := kernels.LastLevelCache()
	n := max(int64(8)*int64(llc), 1<<30)
	if avail := memAvailable(); avail > 0 && n > avail/4 {
		n = max(avail/4, 64<<20)
	}
	return n
}

// Bandwidth is one DRAM read measurement.
type Bandwidth struct {
	BufferBytes     int64
	StreamGBPerSec  float64 // STREAM-like read: the higher of the two below
	Stream1GBPerSec float64 // one sequential stream per thread (StreamRead): best of the passes
	Stream4GBPerSec float64 // four concurrent streams per thread (StreamRead4): best of the passes
	GemvGBPerSec    float64 // the int8 decode GEMV over the same buffer: best of the passes
}

// MeasureDRAM reads a bytes-sized buffer (rounded to whole 4096-byte rows)
// with threads goroutines, alternating 5 passes each of the STREAM-like reads
// (one and four streams per thread) and of the int8 GEMV kernel.
func MeasureDRAM(bytes int64, threads int) (Bandwidth, error) {
	p, err := newDRAMProbe(bytes, threads)
	if err != nil {
		return Bandwidth{}, err
	}
	defer p.close()
	b := Bandwidth{BufferBytes: int64(p.n)}
	for pass := 0; pass < 5; pass++ {
		b.Stream1GBPerSec = max(b.Stream1GBPerSec, p.stream(false))
		b.Stream4GBPerSec = max(b.Stream4GBPerSec, p.stream(true))
		b.GemvGBPerSec = max(b.GemvGBPerSec, p.gemv())
	}
	b.StreamGBPerSec = max(b.Stream1GBPerSec, b.Stream4GBPerSec)
	return b, nil
}

// dramProbe is the probe buffer: anonymous memory advised for huge pages and
// populated before any timing, like the anon weight placement, read as rows
// of probeCols bytes (placement.go) split evenly across the threads.
type dramProbe struct {
	raw       []byte
	buf       []byte
	rows, n   int
	threads   int
	w, xv     []int8
	comp, acc []int32
	sums      []uint64
}

func newDRAMProbe(bytes int64, threads int) (*dramProbe, error) {
	p := &dramProbe{threads: max(threads, 1)}
	p.rows = int(max(bytes, 1<<20) / probeCols)
	p.n = p.rows * probeCols
	raw, err := unix.Mmap(-1, 0, p.n+hugePage, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil, fmt.Errorf("bandwidth probe: mapping %d MiB: %w", p.n>>20, err)
	}
	p.raw = raw
	skip := int((hugePage - uintptr(unsafe.Pointer(&raw[0]))%hugePage) % hugePage)
	p.buf = raw[skip : skip+p.n]
	adviseHuge(p.buf)
	for i := 0; i < p.n; i += 64 {
		p.buf[i] = byte(i >> 6) // populate every page before timing
	}
	p.w = viewI8(p.buf)
	p.xv = make([]int8, probeCols)
	for i := range p.xv {
		p.xv[i] = int8(i%7 - 3)
	}
	p.comp = make([]int32, p.rows)
	p.acc = make([]int32, p.rows)
	p.sums = make([]uint64, p.threads)
	return p, nil
}

func (p *dramProbe) close() { _ = unix.Munmap(p.raw) }

// split runs f on each thread's row range and returns the GB/s of one pass.
func (p *dramProbe) split(f func(t, lo, hi int)) float64 {
	var wg sync.WaitGroup
	t0 := time.Now()
	for t := 0; t < p.threads; t++ {
		wg.Add(1)
		go func(t int) {
			defer wg.Done()
			f(t, p.rows*t/p.threads, p.rows*(t+1)/p.threads)
		}(t)
	}
	wg.Wait()
	return float64(p.n) / time.Since(t0).Seconds() / 1e9
}

// stream is one STREAM-like pass: one sequential stream per thread, or four.
func (p *dramProbe) stream(four bool) float64 {
	return p.split(func(t, lo, hi int) {
		if four {
			p.sums[t] += kernels.StreamRead4(p.buf[lo*probeCols : hi*probeCols])
		} else {
			p.sums[t] += kernels.StreamRead(p.buf[lo*probeCols : hi*probeCols])
		}
	})
}

// gemv is one pass of the int8 decode GEMV over the buffer.
func (p *dramProbe) gemv() float64 {
	return p.split(func(_, lo, hi int) {
		kernels.GemvInt8Comp(p.acc[lo:hi], p.w[lo*probeCols:hi*probeCols], hi-lo, probeCols, p.xv, p.comp[lo:hi])
	})
}
