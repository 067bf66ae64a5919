package verify

import (
	"math"
	"math/big"
	"strings"
	"testing"
)

func logs(ps ...float64) []float32 {
	out := make([]float32, len(ps))
	for i, p := range ps {
		out[i] = float32(math.Log(p))
	}
	return out
}

func shift(x []float32, c float32) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = v + c
	}
	return out
}

func TestKLKnownDistributions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		ref, model []float32
		want, tol  float64
	}{
		// 0.5·ln(0.5/0.9) + 0.5·ln(0.5/0.1) = ln(5/3)
		{"coin vs biased", logs(0.5, 0.5), logs(0.9, 0.1), 0.5108256237659907, 1e-7},
		// logits are shift invariant: the same distributions
		{"shifted logits", shift(logs(0.5, 0.5), 3), shift(logs(0.9, 0.1), -7), 0.5108256237659907, 1e-6},
		// Σ p ln(p/q), p = (.7,.2,.1), q = (.5,.3,.2), by hand: 0.0851228259572216
		{"three outcomes", logs(0.7, 0.2, 0.1), logs(0.5, 0.3, 0.2), 0.0851228259572216, 1e-7},
		{"identical", logs(0.7, 0.2, 0.1), logs(0.7, 0.2, 0.1), 0, 0},
		// p = (1, e^-1000), q = (e^-1000, 1): KL = 1000 exactly in the limit; p_1 underflows.
		{"disjoint", []float32{0, -1000}, []float32{-1000, 0}, 1000, 1e-9},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := ComparePosition(c.ref, c.model, -1)
			if math.Abs(p.KL-c.want) > c.tol || p.KL < 0 {
				t.Errorf("KL = %.17g, want %.17g ± %g", p.KL, c.want, c.tol)
			}
		})
	}
}

// TestKLTinyDifferences: logits that differ by float32 rounding give a tiny,
// non-negative KL that matches the second-order expansion ½·Var_p(δ).
func TestKLTinyDifferences(t *testing.T) {
	t.Parallel()
	const V = 1000
	ref := make([]float32, V)
	model := make([]float32, V)
	for i := range ref {
		ref[i] = float32(math.Sin(float64(i))) * 3
		model[i] = ref[i]
		if i%2 == 0 {
			model[i] = math.Nextafter32(ref[i], 10)
		}
	}
	p := ComparePosition(ref, model, -1)
	// Expected: ½ Σ p_i (d_i - E_p d)² with d = model - ref.
	lse := logSumExp(ref)
	var mean, sq float64
	for i := range ref {
		pi := math.Exp(float64(ref[i]) - lse)
		d := float64(model[i]) - float64(ref[i])
		mean += pi * d
		sq += pi * d * d
	}
	want := 0.5 * (sq - mean*mean)
	if p.KL < 0 || math.Abs(p.KL-want) > 0.05*want {
		t.Errorf("KL = %.6g, want ≈ %.6g (½·Var)", p.KL, want)
	}
	if p.MaxAbs == 0 || p.MaxAbs > 5e-7 {
		t.Errorf("MaxAbs = %g", p.MaxAbs)
	}
}

func TestTopK(t *testing.T) {
	t.Parallel()
	cases := []struct {
		x    []float32
		k    int
		want []int
	}{
		{[]float32{8, 7, 6, 5, 4, 3, 2, 1}, 5, []int{0, 1, 2, 3, 4}},
		{[]float32{1, 2, 3, 4, 5, 6, 7, 8}, 5, []int{7, 6, 5, 4, 3}},
		{[]float32{1, 1, 1, 1, 1, 1}, 5, []int{0, 1, 2, 3, 4}}, // ties: lower id first
		{[]float32{0, 5, 0, 5, 9, 0, 5}, 3, []int{4, 1, 3}},
		{[]float32{2, 1}, 5, []int{0, 1}},
		{[]float32{-3, -1, -2}, 1, []int{1}},
	}
	for _, c := range cases {
		got := topK(c.x, c.k)
		if len(got) != len(c.want) {
			t.Errorf("topK(%v, %d) = %v, want %v", c.x, c.k, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("topK(%v, %d) = %v, want %v", c.x, c.k, got, c.want)
				break
			}
		}
	}
}

func TestTopOverlapAndTop1(t *testing.T) {
	t.Parallel()
	ref := []float32{8, 7, 6, 5, 4, 3, 2, 1}   // top5 {0,1,2,3,4}
	model := []float32{1, 2, 3, 4, 5, 6, 7, 8} // top5 {7,6,5,4,3}
	p := ComparePosition(ref, model, -1)
	if p.Top5Overlap != 2 || p.Top1Agree || p.RefTop1 != 0 || p.ModelTop1 != 7 {
		t.Errorf("overlap %d top1 %v (%d vs %d), want 2, false (0 vs 7)", p.Top5Overlap, p.Top1Agree, p.RefTop1, p.ModelTop1)
	}
	if p.MaxAbs != 7 || p.SumAbs != 7+5+3+1+1+3+5+7 {
		t.Errorf("MaxAbs %g SumAbs %g", p.MaxAbs, p.SumAbs)
	}
	s := aggregate([]located{{Position: p, vocab: 8}, {Position: ComparePosition(ref, ref, -1), vocab: 8}})
	if s.Top1 != 1 || s.Top1Rate != 0.5 || math.Abs(s.Top5Overlap-0.7) > 1e-15 {
		t.Errorf("top1 %d rate %g top5 %g, want 1, 0.5, (2/5+5/5)/2 = 0.7", s.Top1, s.Top1Rate, s.Top5Overlap)
	}
	if s.MaxAbs != 7 || s.MeanAbs != (32.0/8)/2 {
		t.Errorf("MaxAbs %g MeanAbs %g, want 7 and 2", s.MaxAbs, s.MeanAbs)
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[99-i] = float64(i + 1) // unsorted on purpose
	}
	cases := []struct {
		v    []float64
		p    float64
		want float64
	}{
		{hundred, 99, 99.01}, // h = 0.99·99 = 98.01: 99 + 0.01·(100-99), numpy's value
		{hundred, 50, 50.5},
		{hundred, 100, 100},
		{hundred, 0, 1},
		{[]float64{3, 1, 2}, 50, 2},
		{[]float64{7}, 99, 7},
		{[]float64{0, 10}, 99, 9.9},
	}
	for _, c := range cases {
		v := append([]float64(nil), c.v...)
		if got := Percentile(v, c.p); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Percentile(%d values, %g) = %.15g, want %g", len(c.v), c.p, got, c.want)
		}
	}
	if !math.IsNaN(Percentile(nil, 99)) {
		t.Error("Percentile of nothing should be NaN")
	}
}

// TestPerplexity: uniform reference over 4 tokens has perplexity 4; a model
// giving the next token probability 1/2 everywhere has perplexity 2.
func TestPerplexity(t *testing.T) {
	t.Parallel()
	ids := []int{0, 1, 2, 3}
	const V = 4
	var ref, model []float32
	for t := range ids {
		ref = append(ref, logs(0.25, 0.25, 0.25, 0.25)...)
		row := logs(1.0/6, 1.0/6, 1.0/6, 1.0/6)
		if t+1 < len(ids) {
			row[ids[t+1]] = float32(math.Log(0.5))
		}
		model = append(model, row...)
	}
	s := aggregate(comparePrompt("p", ids, ref, rows(model, V), V, 0, len(ids)))
	if s.Predicted != 3 || s.Positions != 4 {
		t.Fatalf("predicted %d positions %d, want 3 and 4", s.Predicted, s.Positions)
	}
	if s.PPLRef == nil || math.Abs(*s.PPLRef-4) > 1e-6 || math.Abs(*s.PPLModel-2) > 1e-6 || math.Abs(*s.PPLRatio-0.5) > 1e-6 {
		t.Errorf("ppl ref %v model %v ratio %v, want 4, 2, 0.5", *s.PPLRef, *s.PPLModel, *s.PPLRatio)
	}
	if math.Abs(s.NLLRef-math.Log(4)) > 1e-6 {
		t.Errorf("NLL ref %g, want ln 4", s.NLLRef)
	}
	// One token: nothing is predicted.
	one := aggregate(comparePrompt("q", ids[:1], ref[:V], rows(model[:V], V), V, 0, 1))
	if one.Predicted != 0 || one.PPLRef != nil {
		t.Errorf("one-token prompt: predicted %d ppl %v", one.Predicted, one.PPLRef)
	}
}

func TestKLStatsAndWorst(t *testing.T) {
	t.Parallel()
	// Positions with known KLs: coin vs biased (ln 5/3) at position 2, zeros elsewhere.
	mk := func(kl bool) Position {
		if kl {
			return ComparePosition(logs(0.5, 0.5), logs(0.9, 0.1), -1)
		}
		return ComparePosition(logs(0.5, 0.5), logs(0.5, 0.5), -1)
	}
	ps := []located{{Position: mk(false), pos: 0, vocab: 2}, {Position: mk(false), pos: 1, vocab: 2}, {Position: mk(true), pos: 2, vocab: 2}, {Position: mk(false), pos: 3, vocab: 2}}
	s := aggregate(ps)
	k := math.Log(5.0 / 3)
	if math.Abs(s.KLMean-k/4) > 1e-7 || math.Abs(s.KLMax-k) > 1e-7 || s.WorstPosition != 2 {
		t.Errorf("mean %g max %g worst %d, want %g, %g, 2", s.KLMean, s.KLMax, s.WorstPosition, k/4, k)
	}
	// p99 over {0,0,0,k}: h = 2.97 → 0 + 0.97·k
	if math.Abs(s.KLP99-0.97*k) > 1e-7 {
		t.Errorf("p99 %g, want %g", s.KLP99, 0.97*k)
	}
}

func TestNonFiniteFails(t *testing.T) {
	t.Parallel()
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	ids := []int{0, 1, 1}
	ref := append(append(logs(0.5, 0.5), logs(0.5, 0.5)...), logs(0.5, 0.5)...)
	model := append(append(logs(0.5, 0.5), nan, 0), inf, inf)
	ps := comparePrompt("p", ids, ref, rows(model, 2), 2, 0, len(ids))
	rep := &Report{Thresholds: Thresholds{MaxKLMean: -1, MinTop1: -1, MaxAbs: -1}}
	st := aggregate(ps)
	rep.Prompts = []PromptReport{{Name: "p", Tokens: 3, Stats: st}}
	rep.Overall = st
	rep.judge()
	if st.NonFinitePositions != 2 || st.NonFiniteValues != 3 || st.WorstPosition != 1 || st.Top1 != 1 {
		t.Errorf("nonfinite positions %d values %d worst %d top1 %d, want 2, 3, 1, 1", st.NonFinitePositions, st.NonFiniteValues, st.WorstPosition, st.Top1)
	}
	if rep.Pass || len(rep.Prompts[0].Failures) == 0 || !strings.Contains(rep.Prompts[0].Failures[0], "NaN/Inf") {
		t.Errorf("pass %v failures %v: NaN/Inf must fail even with every threshold disabled", rep.Pass, rep.Prompts[0].Failures)
	}
	var b strings.Builder
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatalf("JSON of a report with NaN logits: %v", err)
	}
}

func TestJudge(t *testing.T) {
	t.Parallel()
	th := Thresholds{MaxKLMean: 1e-3, MinTop1: 0.9, MaxAbs: -1}
	good := Stats{Positions: 10, KLMean: 5e-4, Top1: 10, Top1Rate: 1}
	badKL := Stats{Positions: 10, KLMean: 2e-3, Top1: 10, Top1Rate: 1, WorstPosition: 7, KLMax: 0.01}
	lowTop1 := Stats{Positions: 2, KLMean: 1e-4, Top1: 1, Top1Rate: 0.5}
	cases := []struct {
		name    string
		prompts []Stats
		overall Stats
		pass    bool
		failed  []string
	}{
		{"all good", []Stats{good, good}, good, true, nil},
		{"one prompt over KL", []Stats{good, badKL}, good, false, []string{"p1"}},
		{"per-prompt top-1 is not checked", []Stats{good, lowTop1}, good, true, nil},
		{"overall top-1 is", []Stats{good}, Stats{Positions: 10, Top1: 8, Top1Rate: 0.8}, false, nil},
	}
	for _, c := range cases {
		rep := &Report{Thresholds: th, Overall: c.overall}
		for i, s := range c.prompts {
			rep.Prompts = append(rep.Prompts, PromptReport{Name: "p" + string(rune('0'+i)), Stats: s})
		}
		rep.judge()
		if rep.Pass != c.pass || strings.Join(rep.FailedPrompts(), ",") != strings.Join(c.failed, ",") {
			t.Errorf("%s: pass %v failed %v overall %v, want %v %v", c.name, rep.Pass, rep.FailedPrompts(), rep.OverallFailures, c.pass, c.failed)
		}
	}
}

func TestRopeAngleError(t *testing.T) {
	t.Parallel()
	// hd 4, base 1e4: f0 = 1 (wavelen 2π < 8192/4: kept), f1 = 1e-2 (wavelen 628 < 2048: kept): no error.
	if e := RopeAngleError(1e4, 4, 8, 1, 4, 8192, 1000); e != 0 {
		t.Errorf("high frequencies are kept by llama3: error %g, want 0", e)
	}
	// hd 4, base 1e8: f1 = 1e-4, wavelen 62832 > 8192: divided by 8, error = pos·f1·7/8.
	want := 1000 * 1e-4 * 7 / 8
	if e := RopeAngleError(1e8, 4, 8, 1, 4, 8192, 1000); math.Abs(e-want) > 1e-12 {
		t.Errorf("low frequency error %g, want %g", e, want)
	}
	// hd 4, base 1e6: f1 = 1e-3, wavelen 6283 between 2048 and 8192: smooth = (8192/6283.19-1)/3.
	f := 1e-3
	sm := (8192/(2*math.Pi/f) - 1) / 3
	want = 100 * math.Abs(f-((1-sm)*f/8+sm*f))
	if e := RopeAngleError(1e6, 4, 8, 1, 4, 8192, 100); math.Abs(e-want) > 1e-12 {
		t.Errorf("medium frequency error %g, want %g", e, want)
	}
}

// klTermOracle is Σ_{k>=2} (-d)^k/k! in 256-bit arithmetic (|d| < 1).
func klTermOracle(d float64) float64 {
	x := new(big.Float).SetPrec(256).SetFloat64(-d)
	term := new(big.Float).SetPrec(256).Mul(x, x)
	term.Quo(term, big.NewFloat(2))
	sum := new(big.Float).SetPrec(256).Set(term)
	for k := 3; k < 60; k++ {
		term.Mul(term, x)
		term.Quo(term, new(big.Float).SetInt64(int64(k)))
		sum.Add(sum, term)
	}
	f, _ := sum.Float64()
	return f
}

// TestKLTermSeries: klTerm (series below 1/8, δ + expm1(-δ) above) equals
// the exact δ + e^-δ - 1.
func TestKLTermSeries(t *testing.T) {
	t.Parallel()
	for _, d := range []float64{1e-12, -1e-9, 1e-6, -3e-4, 0.01, -0.05, 0.1, -0.1249, 0.1249, 0.125, -0.5, 0.9} {
		want := klTermOracle(d)
		if got := klTerm(d); math.Abs(got-want) > 1e-14*want {
			t.Errorf("klTerm(%g) = %.17g, want %.17g", d, got, want)
		}
	}
}

// rows splits flat [T*V] logits into [T][V].
func rows(flat []float32, V int) [][]float32 {
	var out [][]float32
	for i := 0; i+V <= len(flat); i += V {
		out = append(out, flat[i:i+V])
	}
	return out
}
