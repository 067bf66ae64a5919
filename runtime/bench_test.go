package runtime

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/internal/synthmodel"
	"github.com/ct2go/ct2go/internal/testfix"
)

var (
	synthOnce sync.Once
	synthDir  string
	synthErr  error
)

// synth8B writes (once per process) a model with Llama-3.1-8B widths,
// CT2GO_BENCH_LAYERS layers (default 2; 32 is the full 8B, ~8 GB on disk in
// int8) and CT2GO_BENCH_DTYPE weights (int8 default; bfloat16, float32).
func synth8B(b *testing.B) string {
	synthOnce.Do(func() {
		layers := 2
		if v, err := strconv.Atoi(os.Getenv("CT2GO_BENCH_LAYERS")); err == nil && v > 0 {
			layers = v
		}
		synthDir, synthErr = os.MkdirTemp("", "ct2go-synth-")
		if synthErr != nil {
			return
		}
		s := synthmodel.Llama8B
		s.Layers = layers
		if d := os.Getenv("CT2GO_BENCH_DTYPE"); d != "" {
			if s.DType, synthErr = ct2.ParseDType(d); synthErr != nil {
				return
			}
		}
		synthErr = synthmodel.Write(filepath.Join(synthDir, "m"), s, 1)
	})
	if synthErr != nil {
		b.Fatal(synthErr)
	}
	return filepath.Join(synthDir, "m")
}

func benchThreads() int {
	if v, err := strconv.Atoi(os.Getenv("CT2GO_BENCH_THREADS")); err == nil && v > 0 {
		return v
	}
	return 0
}

// BenchmarkLlama8BShape reports decode and prefill speed on 8B-wide int8
// layers (per run: CT2GO_BENCH_LAYERS layers + the 128256-row lm_head) and the
// decode share of the measured read bandwidth.
func BenchmarkLlama8BShape(b *testing.B) {
	dir := synth8B(b)
	m, err := Load(dir, Options{Threads: benchThreads()})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	dram, err := MeasureDRAM(DRAMProbeBytes(), m.Threads())
	if err != nil {
		b.Fatal(err)
	}
	bw := dram.StreamGBPerSec
	b.Run("decode", func(b *testing.B) {
		s := m.NewSession(b.N + 2)
		if _, err := s.Step(1); err != nil { // warm: reads every weight once
			b.Fatal(err)
		}
		b.SetBytes(m.WeightBytesPerToken())
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := s.Step(i % m.VocabSize()); err != nil {
				b.Fatal(err)
			}
		}
		tps := float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(tps, "tok/s")
		b.ReportMetric(float64(m.WeightBytesPerToken())*tps/1e9/bw, "of-bandwidth")
		b.ReportMetric(bw, "bandwidth-GB/s")
	})
	b.Run("prefill128", func(b *testing.B) {
		ids := make([]int, 128)
		for i := range ids {
			ids[i] = (i * 7919) % m.VocabSize()
		}
		s := m.NewSession(len(ids))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			s.Reset()
			if _, err := s.Prefill(ids, false); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*len(ids))/b.Elapsed().Seconds(), "tok/s")
	})
}

// BenchmarkTinyInt8 times the fixture model (8 layers of width 64 + a
// 128256-row lm_head): dominated by the lm_head GEMV.
func BenchmarkTinyInt8(b *testing.B) {
	m, err := Load(testfix.Path(b, "golden", "ct2go", "int8_float16"), Options{Threads: benchThreads()})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	s := m.NewSession(b.N + 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Step(128000 + i%200); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
}

// TestBenchSmoke runs Bench on the fixture so the function stays exercised.
func TestBenchSmoke(t *testing.T) {
	m := loadModel(t, testfix.Path(t, "golden", "ct2go", "int8_float16"), ComputeDefault)
	r, err := Bench(m, BenchOptions{PromptTokens: 8, NewTokens: 4, BandwidthMiB: 64, Profile: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.PrefillTokPerSec <= 0 || r.DecodeTokPerSec <= 0 || r.BandwidthGBPerSec <= 0 || r.GemvReadGBPerSec <= 0 ||
		r.WeightBytesPerToken <= 0 || r.BandwidthBufferBytes != 64<<20 || r.Weights != "mmap" {
		t.Errorf("implausible result %+v", r)
	}
	// The MACs of the layers' linears follow from the config alone: q, k, v, out, gate, up
	// and down per layer. A fraction of the peak above 1 would mean a miscounted loop.
	c := m.Config()
	macs := int64(c.Layers) * int64(c.Hidden) *
		int64((c.Heads+2*c.KVHeads)*c.HeadDim+c.Heads*c.HeadDim+3*c.Inter)
	if got := m.layerMACsPerToken(); got != macs {
		t.Errorf("layerMACsPerToken = %d, want %d", got, macs)
	}
	if r.ComputePeakGMACPerSec <= 0 || r.PrefillGMACPerSec <= 0 || !(r.PrefillFractionOfPeak > 0 && r.PrefillFractionOfPeak < 1) {
		t.Errorf("prefill %.3g GMAC/s against a peak of %.3g: fraction %.3g", r.PrefillGMACPerSec, r.ComputePeakGMACPerSec, r.PrefillFractionOfPeak)
	}
	if (r.ComputePeak1GMACPerSec > 0) != (m.Threads() > 1) {
		t.Errorf("%d threads but the one-thread peak is %.3g GMAC/s", m.Threads(), r.ComputePeak1GMACPerSec)
	}
	// The profile covers every op of the 4 decode steps: one embedding and one
	// lm_head per token, a qkv per layer and token, and quantization before each linear.
	L := float64(m.Config().Layers)
	want := map[string]float64{"embedding": 1, "lm_head": 1, "qkv (linear_0)": L, "attention": L, "rms norms": 2*L + 1, "quantize activations": 4*L + 1, "ffn gate+up (fused)": L}
	for _, row := range r.Profile {
		if c, ok := want[row.Op]; ok {
			if row.CallsPerToken != c {
				t.Errorf("profile %s: %v calls per token, want %v", row.Op, row.CallsPerToken, c)
			}
			delete(want, row.Op)
		}
	}
	if len(want) != 0 {
		t.Errorf("profile lacks %v", want)
	}
	t.Log("\n" + r.String())
}

// TestSyntheticModel: a small synthetic model loads and runs on both paths.
func TestSyntheticModel(t *testing.T) {
	s := synthmodel.Shape{Layers: 2, Hidden: 64, Inter: 96, Heads: 4, KVHeads: 2, Vocab: 300, DType: synthmodel.Llama8B.DType}
	dir := t.TempDir()
	if err := synthmodel.Write(dir, s, 7); err != nil {
		t.Fatal(err)
	}
	for _, c := range []Compute{ComputeInt8, ComputeFloat32} {
		m := loadModel(t, dir, c)
		if got := m.Config(); got.Layers != 2 || got.Hidden != 64 || got.Inter != 96 || got.KVHeads != 2 || got.HeadDim != 16 {
			t.Fatalf("config %+v", got)
		}
		lg := prefillAll(t, m, []int{1, 2, 3})
		for _, row := range lg {
			for _, v := range row {
				if v != v || v > 1e6 || v < -1e6 {
					t.Fatalf("%v: logit %v", c, v)
				}
			}
		}
	}
}

// TestPeakScaling: how the printed peak line reads the one-thread vs all-threads ceilings.
func TestPeakScaling(t *testing.T) {
	for _, c := range []struct {
		peak, peak1 float64
		threads     int
		want        string
	}{
		{980, 500, 2, "x1.96: the threads run on separate cores' units"},
		{520, 500, 2, "x1.04: the threads share units, e.g. SMT siblings of one core"},
		{2100, 700, 4, "x3.00: the threads run on separate cores' units"},
		{1400, 700, 4, "x2.00: the threads share units"},
		{500, 0, 1, ""},
	} {
		r := BenchResult{ComputePeakGMACPerSec: c.peak, ComputePeak1GMACPerSec: c.peak1, Threads: c.threads}
		if got := r.peakScaling(); !strings.Contains(got, c.want) || (c.want == "") != (got == "") {
			t.Errorf("peaks %v/%v on %d threads: %q, want it to contain %q", c.peak, c.peak1, c.threads, got, c.want)
		}
	}
}
