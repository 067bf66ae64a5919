package verify

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

func TestLlamaPercentileAndMedian(t *testing.T) {
	t.Parallel()
	five := []float64{1, 2, 3, 4, 5}
	for _, c := range []struct {
		name   string
		sorted []float64
		f      float64
		want   float64
	}{
		{"min", five, 0, 1},
		{"below zero", five, -1, 1},
		{"max", five, 1, 5},
		{"middle", five, 0.5, 3},
		// 0.99·4 = 3.96: 0.04·4 + 0.96·5
		{"99%", five, 0.99, 4.96},
		// 0.999·4 = 3.996
		{"99.9%", five, 0.999, 4.996},
		{"10%", five, 0.1, 1.4},
		{"one value", []float64{7}, 0.99, 7},
	} {
		if got := llamaPercentile(c.sorted, c.f); !near(got, c.want, 1e-12) {
			t.Errorf("%s: percentile(%v, %g) = %g, want %g", c.name, c.sorted, c.f, got, c.want)
		}
	}
	if got := median([]float64{1, 2, 3, 10}); got != 2.5 {
		t.Errorf("even median = %g, want 2.5", got)
	}
	if got := median([]float64{1, 2, 30}); got != 2 {
		t.Errorf("odd median = %g, want 2", got)
	}
	if !math.IsNaN(median(nil)) || !math.IsNaN(llamaPercentile(nil, 0.5)) {
		t.Error("empty input should give NaN")
	}
}

func TestMeanAndUncertainty(t *testing.T) {
	t.Parallel()
	// 0..10: mean 5, population variance 10, σ of the mean sqrt(10/10) = 1.
	var s1, s2 float64
	for i := 0; i <= 10; i++ {
		s1 += float64(i)
		s2 += float64(i * i)
	}
	if m, e := meanAndUncertainty(s1, s2, 11); m != 5 || !near(e, 1, 1e-14) {
		t.Errorf("0..10: %g ± %g, want 5 ± 1", m, e)
	}
	// Ten values or fewer: no uncertainty (llama.cpp's count > 10 rule).
	if m, e := meanAndUncertainty(45, 285, 10); m != 4.5 || e != 0 {
		t.Errorf("0..9: %g ± %g, want 4.5 ± 0", m, e)
	}
	if m, e := meanAndUncertainty(1, 1, 0); m != 0 || e != 0 {
		t.Errorf("empty: %g ± %g", m, e)
	}
	// covariance: below 10 values 0; x = y = 0..10 gives var/(n-1) = 10/10.
	if c := covariance(s1, s1, s2, 11); !near(c, 1, 1e-14) {
		t.Errorf("covariance = %g, want 1", c)
	}
	if c := covariance(1, 2, 3, 9); c != 0 {
		t.Errorf("covariance of 9 = %g, want 0", c)
	}
}

// twoPass is an independent, textbook computation of the same statistics
// (two-pass mean/variance) to check the one-pass sums against.
func twoPass(ts []scoredToken) (lq, lqErr, lb, lbErr, cov float64) {
	n := float64(len(ts))
	for _, t := range ts {
		lq += t.NLL / n
		lb += t.NLLBase / n
	}
	var vq, vb float64
	for _, t := range ts {
		vq += (t.NLL - lq) * (t.NLL - lq) / n
		vb += (t.NLLBase - lb) * (t.NLLBase - lb) / n
		cov += (t.NLL - lq) * (t.NLLBase - lb) / n
	}
	return lq, math.Sqrt(vq / (n - 1)), lb, math.Sqrt(vb / (n - 1)), cov / (n - 1)
}

func TestPerplexityStatsHand(t *testing.T) {
	t.Parallel()
	t.Run("constant", func(t *testing.T) {
		// Every token: p(x) = q(x) = e^-2, same top, KL 0 (2 keeps the
		// one-pass sums exact, so the spread is exactly 0).
		ts := make([]scoredToken, 20)
		for i := range ts {
			ts[i] = scoredToken{NLL: 2, NLLBase: 2, SameTop: true}
		}
		s := computePerplexityStats(ts)
		if s.PPLModel != math.Exp(2) || s.PPLBase != math.Exp(2) || s.Ratio != 1 || s.Diff != 0 ||
			s.PPLModelErr != 0 || s.LnRatioErr != 0 || s.SameTop != 1 || s.SameTopErr != 0 || s.KLDMean != 0 ||
			s.DeltaPMean != 0 || s.DeltaPRMS != 0 || s.DeltaPMaxAbs != 0 || s.Tokens != 20 {
			t.Errorf("constant tokens: %+v", s)
		}
		if !math.IsNaN(s.Cor) {
			t.Errorf("Cor with zero spread = %g, want NaN (undefined, as in llama.cpp)", s.Cor)
		}
	})
	t.Run("twelve tokens", func(t *testing.T) {
		// NLL_base = 1..12, NLL = base + 0.1·(-1)^i, KLD = i/100, same top on
		// even i; checked against twoPass and closed forms.
		ts := make([]scoredToken, 12)
		for i := range ts {
			d := 0.1
			if i%2 == 1 {
				d = -0.1
			}
			ts[i] = scoredToken{NLL: float64(i+1) + d, NLLBase: float64(i + 1), KLD: float64(i) / 100, SameTop: i%2 == 0}
		}
		s := computePerplexityStats(ts)
		lq, lqErr, lb, lbErr, cov := twoPass(ts)
		// The alternating ±0.1 averages to 0: mean NLL = mean NLL_base = 6.5.
		if !near(lq, 6.5, 1e-14) || !near(lb, 6.5, 1e-14) {
			t.Fatalf("test setup: means %g %g", lq, lb)
		}
		checks := []struct {
			name      string
			got, want float64
		}{
			{"PPL(Q)", s.PPLModel, math.Exp(lq)},
			{"PPL(Q) err", s.PPLModelErr, math.Exp(lq) * lqErr},
			{"PPL(base)", s.PPLBase, math.Exp(lb)},
			{"PPL(base) err", s.PPLBaseErr, math.Exp(lb) * lbErr},
			{"Cor", s.Cor, cov / (lqErr * lbErr)},
			{"ln ratio", s.LnRatio, 0},
			{"ln ratio err", s.LnRatioErr, math.Sqrt(lqErr*lqErr + lbErr*lbErr - 2*cov)},
			{"ratio", s.Ratio, 1},
			{"diff", s.Diff, 0},
			{"diff err", s.DiffErr, math.Sqrt(math.Exp(2*lq)*lqErr*lqErr + math.Exp(2*lb)*lbErr*lbErr - 2*math.Exp(lq+lb)*cov)},
			// KLD 0, .01, …, .11: mean .055, population variance (n²-1)/12·1e-4, σ = sqrt(var/11).
			{"KLD mean", s.KLDMean, 0.055},
			{"KLD err", s.KLDMeanErr, math.Sqrt(143.0 / 12 * 1e-4 / 11)},
			{"KLD max", s.KLDMax, 0.11},
			{"KLD min", s.KLDMin, 0},
			{"KLD median", s.KLDMedian, 0.055},
			// 0.99·11 = 10.89: .10 + .89·.01
			{"KLD 99%", s.KLD99, 0.1089},
			{"KLD 99.9%", s.KLD999, 0.10989},
			{"same top", s.SameTop, 0.5},
			{"same top err", s.SameTopErr, math.Sqrt(0.25 / 11)},
		}
		for _, c := range checks {
			if !near(c.got, c.want, 1e-9) {
				t.Errorf("%s = %.12g, want %.12g", c.name, c.got, c.want)
			}
		}
		// Δp = exp(-NLL) - exp(-NLL_base), directly.
		var sum, sum2, maxAbs float64
		for _, x := range ts {
			dp := math.Exp(-x.NLL) - math.Exp(-x.NLLBase)
			sum += dp
			sum2 += dp * dp
			maxAbs = math.Max(maxAbs, math.Abs(dp))
		}
		if !near(s.DeltaPMean, sum/12, 1e-12) || !near(s.DeltaPRMS, math.Sqrt(sum2/12), 1e-12) || s.DeltaPMaxAbs != maxAbs {
			t.Errorf("Δp mean %g RMS %g max %g; want %g %g %g", s.DeltaPMean, s.DeltaPRMS, s.DeltaPMaxAbs, sum/12, math.Sqrt(sum2/12), maxAbs)
		}
		if s.DeltaPMean >= 0 {
			// The model loses 0.1 nats on the likeliest tokens (even i, low NLL) and gains it on the others.
			t.Errorf("Δp mean %g: the model loses probability on the likeliest tokens, want < 0", s.DeltaPMean)
		}
	})
	t.Run("empty", func(t *testing.T) {
		s := computePerplexityStats(nil)
		if s.Tokens != 0 || !math.IsNaN(s.PPLModel) {
			t.Errorf("empty: %+v", s)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || m["ppl_q"] != nil || m["scored_tokens"] != float64(0) {
			t.Errorf("JSON of empty stats: %s (%v)", b, err)
		}
	})
}

// TestPerplexityStatsProperties checks invariants on random logits: a model
// identical to the reference has KL 0, ratio 1, same top 100%, Δp 0; a
// perturbed one has KL > 0 and a ratio consistent with its NLLs.
func TestPerplexityStatsProperties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	const V, N = 50, 200
	same := make([]scoredToken, N)
	diff := make([]scoredToken, N)
	var sumQ, sumB float64
	for i := 0; i < N; i++ {
		ref := make([]float32, V)
		mod := make([]float32, V)
		for j := range ref {
			ref[j] = float32(rng.NormFloat64() * 3)
			mod[j] = ref[j] + float32(rng.NormFloat64()*0.05)
		}
		next := rng.IntN(V)
		p := ComparePosition(ref, ref, next)
		same[i] = scoredToken{NLL: p.ModelNLL, NLLBase: p.RefNLL, KLD: p.KL, SameTop: p.Top1Agree}
		q := ComparePosition(ref, mod, next)
		diff[i] = scoredToken{NLL: q.ModelNLL, NLLBase: q.RefNLL, KLD: q.KL, SameTop: q.Top1Agree}
		sumQ += q.ModelNLL
		sumB += q.RefNLL
	}
	s := computePerplexityStats(same)
	if s.KLDMax > 1e-12 || s.Ratio != 1 || s.LnRatio != 0 || s.Diff != 0 || s.SameTop != 1 || s.DeltaPRMS != 0 || s.DeltaPMaxAbs != 0 {
		t.Errorf("identical logits: KLD max %g, ratio %g, diff %g, same top %g, RMS Δp %g", s.KLDMax, s.Ratio, s.Diff, s.SameTop, s.DeltaPRMS)
	}
	if !near(s.Cor, 1, 1e-9) {
		t.Errorf("identical logits: Cor %g, want 1", s.Cor)
	}
	if !near(s.PPLModel, s.PPLBase, 0) || s.LnRatioErr > 1e-6 || math.IsNaN(s.LnRatioErr) {
		// sqrt(σ² + σ² - 2σ²) is 0 up to rounding (a tiny negative gives NaN, as in llama.cpp; not here).
		t.Errorf("identical logits: PPL %g vs %g, ln ratio err %g", s.PPLModel, s.PPLBase, s.LnRatioErr)
	}

	d := computePerplexityStats(diff)
	if d.KLDMean <= 0 || d.KLDMin <= 0 || d.KLDMax < d.KLD999 || d.KLD999 < d.KLD99 || d.KLD99 < d.KLDMedian || d.KLDMedian < d.KLDMin {
		t.Errorf("perturbed: KLD mean %g, min %g, median %g, 99%% %g, 99.9%% %g, max %g: want ordered and > 0", d.KLDMean, d.KLDMin, d.KLDMedian, d.KLD99, d.KLD999, d.KLDMax)
	}
	if !near(d.LnRatio, (sumQ-sumB)/N, 1e-12) || !near(d.Ratio, math.Exp((sumQ-sumB)/N), 1e-12) {
		t.Errorf("perturbed: ln ratio %g, want %g", d.LnRatio, (sumQ-sumB)/N)
	}
	if d.Cor <= 0.9 || d.Cor > 1+1e-12 || d.SameTop <= 0.5 || d.SameTop > 1 || d.DeltaPRMS <= 0 || d.DeltaPRMS < math.Abs(d.DeltaPMean) {
		t.Errorf("perturbed: Cor %g, same top %g, RMS Δp %g, mean Δp %g", d.Cor, d.SameTop, d.DeltaPRMS, d.DeltaPMean)
	}
	// Order of tokens does not matter.
	rng.Shuffle(N, func(i, j int) { diff[i], diff[j] = diff[j], diff[i] })
	if e := computePerplexityStats(diff); !near(e.KLDMean, d.KLDMean, 1e-12) || e.KLD99 != d.KLD99 || e.KLDMedian != d.KLDMedian || !near(e.Cor, d.Cor, 1e-9) {
		t.Errorf("shuffled tokens changed the statistics: %+v vs %+v", e, d)
	}
}
