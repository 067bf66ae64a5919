package runtime

import (
	"fmt"
	"testing"
	"time"

	"github.com/ct2go/ct2go/internal/kernels"
)

// BenchmarkPrefillFloat32 times float32-compute prefill on the synthetic 8B-wide model
// (CT2GO_BENCH_LAYERS layers, CT2GO_BENCH_DTYPE weights: bfloat16 or float32 are the cases
// this path is for; int8 storage is dequantized block by block), for 64 and 512 tokens.
// Besides tok/s it reports tok per CPU-second (steadier on a shared machine) and
// "of-peak": the layers' linear flops (2 x weights x tokens; attention, norms and the one
// lm_head row are not counted) per second of the fastest iteration, divided by the best of
// three kernels.PeakFMA runs measured at the start of the benchmark at the same thread
// count; "of-peak-cpu" is the same flops per CPU-second of the process against one
// thread's best PeakFMA (how busy the FMA units are while the prefill has a core).
//
//	CT2GO_BENCH_DTYPE=bfloat16 go test -run '^$' -bench PrefillFloat32 -benchtime 3x ./runtime
func BenchmarkPrefillFloat32(b *testing.B) {
	dir := synth8B(b)
	m, err := Load(dir, Options{Threads: benchThreads(), Compute: ComputeFloat32})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	c := m.Config()
	perTok := 2 * float64(c.Layers) * float64(c.Hidden) *
		float64((c.Heads+2*c.KVHeads)*c.HeadDim+c.Heads*c.HeadDim+3*c.Inter)
	var peak, peak1 float64
	for i := 0; i < 3; i++ { // interference only lowers a rate: keep the best window
		peak = max(peak, kernels.PeakFMA(m.Threads()))
		peak1 = max(peak1, kernels.PeakFMA(1))
	}
	for _, n := range []int{64, 512} {
		b.Run(fmt.Sprintf("%v/tokens=%d", c.WeightDType, n), func(b *testing.B) {
			ids := make([]int, n)
			for i := range ids {
				ids[i] = (i * 7919) % m.VocabSize()
			}
			s := m.NewSession(n)
			if _, err := s.Prefill(ids, false); err != nil { // warm: page in the weights
				b.Fatal(err)
			}
			fastest := time.Duration(1<<63 - 1)
			cpu0 := processCPUTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s.Reset()
				t0 := time.Now()
				if _, err := s.Prefill(ids, false); err != nil {
					b.Fatal(err)
				}
				fastest = min(fastest, time.Since(t0))
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "tok/s")
			if cpu := (processCPUTime() - cpu0).Seconds(); cpu > 0 {
				b.ReportMetric(float64(b.N*n)/cpu, "tok/cpu-s")
				b.ReportMetric(perTok*float64(b.N*n)/cpu/1e9/peak1, "of-peak-cpu")
			}
			b.ReportMetric(perTok*float64(n)/fastest.Seconds()/1e9/peak, "of-peak")
		})
	}
}
