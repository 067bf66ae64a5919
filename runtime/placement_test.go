package runtime

import (
	"math"
	"strings"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
	"github.com/ct2go/ct2go/runtime/internal/testmodel"
)

func TestParseWeights(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Weights
		ok   bool
	}{{"", WeightsAuto, true}, {"auto", WeightsAuto, true}, {"mmap", WeightsMmap, true}, {"anon", WeightsAnon, true}, {"heap", 0, false}, {"ANON", 0, false}} {
		got, err := ParseWeights(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseWeights(%q) = %v, %v; want %v, ok=%v", c.in, got, err, c.want, c.ok)
		}
		if c.ok && got.String() != strings.TrimPrefix(c.want.String(), "") {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
}

// The anonymous copy must change where the weights are, never what they are:
// logits are bit-identical to decoding from the mapping, for int8 and float32
// compute and for stored int8 and float16/float32 weights.
func TestWeightsAnonBitIdentical(t *testing.T) {
	ids := []int{1, 17, 300, 5, 42, 99, 7}
	golden := func(t *testing.T) string { return testfix.Path(t, "golden", "ct2go", "int8_float16") }
	built := func(q string) func(t *testing.T) string {
		return func(t *testing.T) string { return testmodel.Build(t, "ct2go", q) }
	}
	for _, c := range []struct {
		model   string
		dir     func(t *testing.T) string
		compute Compute
	}{
		{"int8_float16", golden, ComputeInt8},
		{"int8_float16", golden, ComputeFloat32},
		{"float16", built("float16"), ComputeFloat32},
		{"float32", built("float32"), ComputeFloat32},
		{"float16", built("float16"), ComputeInt8}, // linears converted to int8 at load: only the embeddings are copied
	} {
		t.Run(c.model+"/"+c.compute.String(), func(t *testing.T) {
			dir := c.dir(t)
			logits := map[Weights][][]float32{}
			for _, w := range []Weights{WeightsMmap, WeightsAnon} {
				m, err := Load(dir, Options{Compute: c.compute, Threads: 2, Weights: w})
				if err != nil {
					t.Fatal(err)
				}
				if m.PlacementChosen() != w {
					t.Errorf("%v: placement %q", w, m.Placement())
				}
				if w == WeightsAnon && len(m.mappedViews()) != 0 {
					t.Errorf("anon: %d linears still view the mapping", len(m.mappedViews()))
				}
				s := m.NewSession(len(ids) + 3)
				out, err := s.Prefill(ids, true)
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range []int{3, 4, 5} {
					l, err := s.Step(id)
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, append([]float32(nil), l...))
				}
				logits[w] = out
				if err := m.Close(); err != nil {
					t.Fatal(err)
				}
			}
			a, b := logits[WeightsMmap], logits[WeightsAnon]
			for i := range a {
				for j := range a[i] {
					if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
						t.Fatalf("position %d logit %d: mmap %v, anon %v", i, j, a[i][j], b[i][j])
					}
				}
			}
		})
	}
}

// Auto keeps small models mapped (they largely fit in cache; no probe runs).
func TestWeightsAutoSmallModelMaps(t *testing.T) {
	m, err := Load(testfix.Path(t, "golden", "ct2go", "int8_float16"), Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.PlacementChosen() != WeightsMmap || !strings.Contains(m.Placement(), "auto") {
		t.Errorf("placement %q, want mmap chosen by auto", m.Placement())
	}
}

func TestMeminfo(t *testing.T) {
	if v := meminfo("/proc/meminfo", "MemTotal:"); v <= 0 {
		t.Skipf("no /proc/meminfo (%d)", v)
	}
	if v := meminfo("/proc/meminfo", "NoSuchKey:"); v != -1 {
		t.Errorf("absent key = %d, want -1", v)
	}
}

// The fused int8 gate+up of decode steps gives the logits of two linear calls, bit for bit.
func TestGateUpFusedBitIdentical(t *testing.T) {
	m := loadModel(t, testfix.Path(t, "golden", "ct2go", "int8_float16"), ComputeInt8)
	run := func(fused bool) [][]float32 {
		defer func(v bool) { fuseGateUp = v }(fuseGateUp)
		fuseGateUp = fused
		s := m.NewSession(8)
		var out [][]float32
		for _, id := range []int{1, 128000, 42, 7, 9000} {
			l, err := s.Step(id)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, append([]float32(nil), l...))
		}
		return out
	}
	a, b := run(false), run(true)
	for i := range a {
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				t.Fatalf("step %d logit %d: two linears %v, fused %v", i, j, a[i][j], b[i][j])
			}
		}
	}
}

// Both verdicts of the auto probe, forced through the threshold: the chosen
// placement is reported with the probe figures and decodes bit-identically.
func TestWeightsAutoProbe(t *testing.T) {
	dir := testfix.Path(t, "golden", "ct2go", "int8_float16")
	defer func(a, b, c int64, d float64, e bool) {
		autoMinBytes, probeMin, probeLLCMult, anonAdvantage, autoTHPRule = a, b, c, d, e
	}(autoMinBytes, probeMin, probeLLCMult, anonAdvantage, autoTHPRule)
	autoMinBytes, probeMin, probeLLCMult, autoTHPRule = 0, 1<<20, 0, false
	ids := []int{1, 17, 300, 5}
	var ref []float32
	for _, c := range []struct {
		advantage float64
		want      Weights
	}{{1e9, WeightsMmap}, {0, WeightsAnon}} {
		anonAdvantage = c.advantage
		m, err := Load(dir, Options{Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		if m.PlacementChosen() != c.want || !strings.Contains(m.Placement(), "auto: probe read of") {
			t.Errorf("advantage %v: placement %q, want %v after a probe", c.advantage, m.Placement(), c.want)
		}
		if c.want == WeightsMmap && m.place.region != nil {
			t.Error("mmap verdict kept the anonymous region")
		}
		out, err := m.NewSession(len(ids)).Prefill(ids, false)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = out[0]
		} else {
			for j := range ref {
				if math.Float32bits(ref[j]) != math.Float32bits(out[0][j]) {
					t.Fatalf("logit %d: %v after mmap verdict, %v after anon", j, ref[j], out[0][j])
				}
			}
		}
		m.Close()
	}
}

// With THP available, auto copies by rule (no probe).
func TestWeightsAutoTHPRule(t *testing.T) {
	if m := THPMode(); m != "always" && m != "madvise" {
		t.Skipf("transparent huge pages %q", m)
	}
	defer func(a int64) { autoMinBytes = a }(autoMinBytes)
	autoMinBytes = 0
	m, err := Load(testfix.Path(t, "golden", "ct2go", "int8_float16"), Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.PlacementChosen() != WeightsAnon || !strings.Contains(m.Placement(), "transparent huge pages") {
		t.Errorf("placement %q, want anon by the THP rule", m.Placement())
	}
}
