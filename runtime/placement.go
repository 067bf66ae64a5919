package runtime

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ct2go/ct2go/internal/kernels"
)

// Weights selects where the matrices a decode step streams live.
//
// Decode reads every weight once per token, so it runs at memory bandwidth only
// if the weights stream at DRAM speed. From the model.bin mapping they sit in
// 4 KiB page-cache pages (one TLB entry per 4 KiB, and pages the kernel may
// reclaim under memory pressure); copied into anonymous memory advised with
// MADV_HUGEPAGE they sit in 2 MiB pages. Which is faster depends on the CPU and
// the kernel (on a 2 vCPU AMD EPYC the copy decoded ~40% faster, issue 14; on
// an Intel Xeon the mapping already reached 82% of bandwidth; on a Zen 5 EPYC
// VM both reached ~95% of the bandwidth read alongside), so the default
// measures both at load.
type Weights int

const (
	// WeightsAuto copies when a load-time read probe finds anonymous memory
	// faster than the mapping (see Model.placeWeights), else maps.
	WeightsAuto Weights = iota
	// WeightsMmap decodes from the model.bin mapping (no copy; the page cache
	// stays warm for the next process).
	WeightsMmap
	// WeightsAnon copies every linear into one anonymous, huge-page-advised
	// region, tensor by tensor, releasing each tensor's file pages after its
	// copy so the model is never twice in RAM.
	WeightsAnon
)

func (w Weights) String() string {
	switch w {
	case WeightsAuto:
		return "auto"
	case WeightsMmap:
		return "mmap"
	case WeightsAnon:
		return "anon"
	}
	return fmt.Sprintf("Weights(%d)", int(w))
}

// ParseWeights parses a --weights flag value.
func ParseWeights(s string) (Weights, error) {
	switch s {
	case "", "auto":
		return WeightsAuto, nil
	case "mmap":
		return WeightsMmap, nil
	case "anon":
		return WeightsAnon, nil
	}
	return 0, fmt.Errorf("unknown weight placement %q (supported: auto, mmap, anon)", s)
}

// placement records where the weights ended up and why.
type placement struct {
	chosen         Weights // WeightsMmap or WeightsAnon after Load
	reason         string
	bytes          int64   // weight bytes eligible for copying (views into the mapping)
	mapGBs, anonGB float64 // the auto probe's read bandwidths (0 when not probed)
	region         []byte  // the anonymous mapping that owns the copies (nil for mmap)
	loadSeconds    float64 // time spent probing and copying
}

// Placement describes where the weights live, e.g.
// "anon: 7.48 GiB copied in 3.1 s, 7.46 GiB in huge pages (auto: probe read mmap 11.2 GB/s, anon 13.0 GB/s)".
func (m *Model) Placement() string {
	p := &m.place
	s := m.PlacementChosen().String()
	if p.chosen == WeightsAnon {
		s += fmt.Sprintf(": %.2f GiB copied in %.1f s", float64(p.bytes)/(1<<30), p.loadSeconds)
		if h := anonHugeBytes(); h >= 0 {
			s += fmt.Sprintf(", %.2f GiB of the process in huge pages", float64(h)/(1<<30))
		}
	}
	if p.reason != "" {
		s += " (" + p.reason + ")"
	}
	return s
}

// PlacementChosen is WeightsMmap or WeightsAnon.
// (A model not loaded by Load, e.g. from a checkpoint, decodes from its mapping.)
func (m *Model) PlacementChosen() Weights {
	if m.place.chosen == WeightsAnon {
		return WeightsAnon
	}
	return WeightsMmap
}

// releasable is the part of a weightStore the anonymous copy needs
// (*ct2.Mapped): which views it holds, and giving their pages back.
type releasable interface {
	Contains(b []byte) bool
	Release(b []byte) error
}

// tensorView is one weight payload that is a view into the mapping, and how to
// point its matrix at a copy.
type tensorView struct {
	src []byte
	set func(dst []byte)
}

func bytesOf[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}

// mappedViews lists the payloads of every linear (weights and scales) and of
// the embedding table that are still views into model.bin, in forward order
// (the embeddings last: a step reads one row of them, which from a released
// mapping would be a disk read). Matrices converted at load (float -> int8)
// are already on the heap and are left alone.
func (m *Model) mappedViews() []tensorView {
	st, ok := m.weights.(releasable)
	if !ok {
		return nil // a checkpoint's shards: not handled here
	}
	var out []tensorView
	add := func(b []byte, set func([]byte)) {
		if st.Contains(b) {
			out = append(out, tensorView{b, set})
		}
	}
	for _, w := range append(m.linears(), m.embed) {
		w := w
		add(bytesOf(w.i8), func(d []byte) { w.i8 = viewI8(d) })
		add(bytesOf(w.f32), func(d []byte) { w.f32 = viewF32(d) })
		add(bytesOf(w.u16), func(d []byte) { w.u16 = viewU16(d) })
		add(bytesOf(w.i16), func(d []byte) { w.i16 = viewI16(d) })
		add(bytesOf(w.scale), func(d []byte) { w.scale = viewF32(d) })
	}
	return out
}

const (
	hugePage    = 2 << 20
	tensorAlign = 64 // cache line: every row of a 64-multiple width starts aligned
)

// The auto rule's parameters (variables so tests can reach both verdicts on a tiny model).
var (
	probeMin      int64 = 512 << 20 // auto probe reads at least this much...
	probeLLCMult  int64 = 4         // ...and at least this many times the last-level cache
	autoMinBytes  int64 = 1 << 30   // below this the weights largely fit in cache: keep the mapping
	anonAdvantage       = 1.03      // auto copies only if anonymous memory reads this much faster
	// autoTHPRule: with transparent huge pages available, auto copies without a
	// probe. Measured with ct2go bench, 8B int8 model, 2 threads: decode from the
	// copy 3.15-3.69 tok/s vs 1.98-2.98 from the mapping on a 2 vCPU Xeon (this
	// project's machine), 3.9-4.5 vs ~2.8 on a 2 vCPU EPYC (issue 14). A short
	// read probe cannot see it: its page tables are hot in cache, while the whole
	// model's 4 KiB page tables (15 MB for 7.5 GB) are not; it measured only
	// 3-5% between the two on the Xeon. So the probe decides only without THP.
	autoTHPRule = true
)

// placeWeights applies the placement asked for. It runs once, at Load, before
// any Session exists.
func (m *Model) placeWeights(want Weights) error {
	t0 := time.Now()
	views := m.mappedViews()
	st, _ := m.weights.(releasable) // non-nil when views is not empty
	p := &m.place
	for _, v := range views {
		p.bytes += int64(len(v.src))
	}
	p.chosen = WeightsMmap
	switch {
	case want == WeightsMmap:
		p.reason = "forced"
		return nil
	case len(views) == 0:
		p.reason = "no weights left in the mapping: converted at load"
		return nil
	case want == WeightsAuto && p.bytes < autoMinBytes:
		p.reason = fmt.Sprintf("auto: %d MiB of weights, below %d MiB", p.bytes>>20, autoMinBytes>>20)
		return nil
	case want == WeightsAuto && p.bytes > memAvailable()/10*9:
		p.reason = fmt.Sprintf("auto: %.1f GiB of weights do not fit in 90%% of MemAvailable", float64(p.bytes)/(1<<30))
		return nil
	}

	// Offsets in one region: each tensor 64-byte aligned, the region 2 MiB aligned.
	offs := make([]int, len(views))
	size := 0
	for i, v := range views {
		offs[i] = size
		size += (len(v.src) + tensorAlign - 1) &^ (tensorAlign - 1)
	}
	raw, err := unix.Mmap(-1, 0, size+hugePage, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		if want == WeightsAuto {
			p.reason = fmt.Sprintf("auto: anonymous mapping of %d MiB failed: %v", size>>20, err)
			return nil
		}
		return fmt.Errorf("weights: anonymous mapping of %d MiB: %w", size>>20, err)
	}
	skip := int((hugePage - uintptr(unsafe.Pointer(&raw[0]))%hugePage) % hugePage)
	region := raw[skip : skip+size]
	adviseHuge(region)
	dst := func(i int) []byte { return region[offs[i] : offs[i]+len(views[i].src)] }

	copyRange := func(idx []int, release bool) {
		m.pool.run(len(idx), func(_, lo, hi int) {
			for _, i := range idx[lo:hi] {
				copy(dst(i), views[i].src)
				if release {
					_ = st.Release(views[i].src) // advisory: failure only keeps page cache
				}
			}
		})
	}
	all := make([]int, len(views))
	for i := range all {
		all[i] = i
	}

	if want == WeightsAuto && autoTHPRule && (THPMode() == "always" || THPMode() == "madvise") {
		p.reason = "auto: transparent huge pages (" + THPMode() + ") available"
		copyRange(all, true)
	} else if want == WeightsAuto {
		// Probe: the last tensors (embeddings, lm_head, the last layers) up to
		// several times the LLC, read from the mapping (after one untimed pass that
		// faults them in) and from their copy by the decode GEMV kernel, best of 3
		// alternating passes each.
		// Only the probe set is briefly in RAM twice.
		_, llc := kernels.LastLevelCache()
		need := min(max(probeMin, probeLLCMult*int64(llc)), p.bytes)
		var probe []int
		var got int64
		for i := len(views) - 1; i >= 0 && got < need; i-- {
			probe = append(probe, i)
			got += int64(len(views[i].src))
		}
		src := make([][]byte, len(probe))
		cp := make([][]byte, len(probe))
		for k, i := range probe {
			src[k], cp[k] = views[i].src, dst(i)
		}
		parallelRead(src, m.threads)
		copyRange(probe, false)
		for pass := 0; pass < 3; pass++ { // alternating, so drift of a shared machine hits both
			p.mapGBs = max(p.mapGBs, bestGemvRead(src, m.threads, 1))
			p.anonGB = max(p.anonGB, bestGemvRead(cp, m.threads, 1))
		}
		verdict := "mmap"
		if p.anonGB >= anonAdvantage*p.mapGBs {
			verdict = "anon"
		}
		p.reason = fmt.Sprintf("auto: probe read of %d MiB by the int8 GEMV: mmap %.1f GB/s, anon %.1f GB/s -> %s", got>>20, p.mapGBs, p.anonGB, verdict)
		if verdict == "mmap" {
			_ = unix.Munmap(raw)
			p.loadSeconds = time.Since(t0).Seconds()
			return nil
		}
		inProbe := make(map[int]bool, len(probe))
		for _, i := range probe {
			inProbe[i] = true
			_ = st.Release(views[i].src)
		}
		var rest []int
		for _, i := range all {
			if !inProbe[i] {
				rest = append(rest, i)
			}
		}
		copyRange(rest, true)
	} else {
		p.reason = "forced"
		copyRange(all, true)
	}
	for i, v := range views {
		v.set(dst(i))
	}
	p.region = raw
	p.chosen = WeightsAnon
	p.loadSeconds = time.Since(t0).Seconds()
	return nil
}

// close unmaps the copies; the Model must not be used after.
func (p *placement) close() error {
	if p.region == nil {
		return nil
	}
	err := unix.Munmap(p.region)
	p.region = nil
	return err
}

// probeCols is the row width the probe's GEMV reads the weights with (the
// hidden size of 8B-class models; any width streams the same bytes).
const probeCols = 4096

// gemvRead streams every buffer once through the int8 decode GEMV kernel
// (as [len/probeCols, probeCols] matrices, rows split across threads), so the
// probe sees the access pattern of decode: several rows read concurrently,
// which on 4 KiB pages costs more TLB misses than one sequential stream.
func gemvRead(bufs [][]byte, threads int) {
	threads = max(threads, 1)
	x := make([]int8, probeCols)
	var wg sync.WaitGroup
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func(t int) {
			defer wg.Done()
			var dst []int32
			for _, b := range bufs {
				rows := len(b) / probeCols
				lo, hi := rows*t/threads, rows*(t+1)/threads
				if hi <= lo {
					continue
				}
				dst = grow(dst, hi-lo)
				kernels.GemvInt8(dst, viewI8(b[lo*probeCols:hi*probeCols]), hi-lo, probeCols, x)
			}
		}(t)
	}
	wg.Wait()
}

// bestGemvRead is the best of passes timed gemvReads, in GB/s.
func bestGemvRead(bufs [][]byte, threads, passes int) float64 {
	var n int64
	for _, b := range bufs {
		n += int64(len(b) / probeCols * probeCols)
	}
	best := 0.0
	for i := 0; i < passes; i++ {
		t0 := time.Now()
		gemvRead(bufs, threads)
		if d := time.Since(t0).Seconds(); d > 0 {
			best = max(best, float64(n)/d/1e9)
		}
	}
	return best
}

// parallelRead reads every buffer once, each split across threads goroutines.
func parallelRead(bufs [][]byte, threads int) uint64 {
	threads = max(threads, 1)
	var wg sync.WaitGroup
	sums := make([]uint64, threads)
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func(t int) {
			defer wg.Done()
			for _, b := range bufs {
				lo, hi := len(b)*t/threads, len(b)*(t+1)/threads
				sums[t] += kernels.StreamRead(b[lo:hi])
			}
		}(t)
	}
	wg.Wait()
	var s uint64
	for _, v := range sums {
		s += v
	}
	return s
}

// memAvailable is /proc/meminfo's MemAvailable in bytes (max int64 if unknown).
func memAvailable() int64 {
	v := meminfo("/proc/meminfo", "MemAvailable:")
	if v < 0 {
		return 1<<63 - 1
	}
	return v
}

// anonHugeBytes is this process's AnonHugePages (-1 if unknown).
func anonHugeBytes() int64 { return meminfo("/proc/self/smaps_rollup", "AnonHugePages:") }

// meminfo reads a "Key:   123 kB" line of a /proc file in bytes (-1 if absent).
func meminfo(path, key string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 && fs[0] == key {
			n, err := strconv.ParseInt(fs[1], 10, 64)
			if err != nil {
				return -1
			}
			if len(fs) >= 3 && fs[2] == "kB" {
				n <<= 10
			}
			return n
		}
	}
	return -1
}

// THPMode is the kernel's transparent huge page policy ("always", "madvise",
// "never"; "" if unknown): with "never" the anonymous copy gets 4 KiB pages.
func THPMode() string {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return ""
	}
	for _, f := range strings.Fields(string(b)) {
		if strings.HasPrefix(f, "[") && strings.HasSuffix(f, "]") {
			return strings.Trim(f, "[]")
		}
	}
	return ""
}
