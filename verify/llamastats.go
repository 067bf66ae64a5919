package verify

import (
	"encoding/json"
	"math"
	"sort"
)

// Perplexity statistics with llama-perplexity's definitions.
//
// Source: ggml-org/llama.cpp tools/perplexity/perplexity.cpp (@050fc7f),
// functions kl_divergence (the printed summary, its lambdas
// mean_and_uncertainty, covariance and percentile) and
// log_softmax(…, kl_divergence_result &) (the per-token sums). Q is the model
// under test, base the reference. Per scored token t (predicting the next
// text token x):
//
//	nll      = -ln q(x)          nll_base = -ln p(x)
//	kld      = Σ_i p_i ln(p_i/q_i)
//	Δp       = q(x) - p(x)
//	same top = argmax q == argmax p
//
// and over the N scored tokens, with mean_and_uncertainty(s1, s2, N) =
// (m = s1/N, σ = sqrt((s2/N - m²)/(N-1)), σ = 0 when that variance is <= 0
// or N <= 10) and covariance(a, b, ab, N) = (ab/N - a/N·b/N)/(N-1) (0 when
// N < 10):
//
//	PPL(Q)     = exp(mean nll)             ± PPL(Q)·σ(nll)
//	PPL(base)  = exp(mean nll_base)        ± PPL(base)·σ(nll_base)
//	Cor        = cov(nll, nll_base) / (σ(nll)·σ(nll_base))
//	ln ratio   = mean nll - mean nll_base  ± sqrt(σ(nll)² + σ(nll_base)² - 2cov)
//	ratio      = exp(ln ratio)             ± ratio·σ(ln ratio)
//	difference = PPL(Q) - PPL(base)        ± sqrt(u_Q² + u_base² - 2·PPL(Q)·PPL(base)·cov)
//	KLD        = mean kld                  ± σ(kld)
//	Δp         = mean Δp                   ± σ(Δp)
//	RMS Δp     = sqrt(mean Δp²)            ± σ(Δp²) / (2·RMS)
//	same top   = n_same/N                  ± sqrt(f(1-f)/(N-1))
//
// Percentiles sort the KLD values and interpolate linearly at
// fraction·(N-1) (the percentile lambda); the median is the middle value, or
// the mean of the two middle values for even N.
//
// Differences, on purpose: llama.cpp stores the base log-probabilities as
// 16-bit integers and drops tokens with ln p <= -16 from the KLD sum, and
// keeps nll, Δp and the percentile fraction in float32; here everything is
// float64 and the KLD is exact (the same per-position KL as the rest of the
// report). llama.cpp prints the summary only from 100 scored tokens on;
// here it is always computed (the ± are 0 below 11 tokens, as there).
type PerplexityStats struct {
	Tokens int // scored tokens N

	PPLModel, PPLModelErr float64
	PPLBase, PPLBaseErr   float64
	Cor                   float64 // correlation of ln PPL(Q) and ln PPL(base), -1..1
	LnRatio, LnRatioErr   float64 // ln(PPL(Q)/PPL(base))
	Ratio, RatioErr       float64 // PPL(Q)/PPL(base)
	Diff, DiffErr         float64 // PPL(Q)-PPL(base)

	KLDMean, KLDMeanErr float64
	KLDMax, KLD999      float64
	KLD99, KLDMedian    float64
	KLDMin              float64

	DeltaPMean, DeltaPMeanErr float64 // fractions (the text report prints %)
	DeltaPRMS, DeltaPRMSErr   float64
	DeltaPMaxAbs              float64
	SameTop, SameTopErr       float64 // fraction
}

// scoredToken is what PerplexityStats needs of one scored position.
type scoredToken struct {
	NLL, NLLBase float64
	KLD          float64
	SameTop      bool
}

// meanAndUncertainty is llama.cpp's mean_and_uncertainty lambda.
func meanAndUncertainty(sum, sum2 float64, n int) (mean, err float64) {
	if n < 1 {
		return 0, 0
	}
	f := sum / float64(n)
	df := sum2/float64(n) - f*f
	if df > 0 && n > 10 {
		return f, math.Sqrt(df / float64(n-1))
	}
	return f, 0
}

// covariance is llama.cpp's covariance lambda (covariance of the means).
func covariance(suma, sumb, sumab float64, n int) float64 {
	if n < 10 {
		return 0
	}
	N := float64(n)
	return (sumab/N - (suma/N)*(sumb/N)) / (N - 1)
}

// llamaPercentile is llama.cpp's percentile lambda on sorted values:
// linear interpolation at fraction·(n-1).
func llamaPercentile(sorted []float64, fraction float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	if fraction <= 0 {
		return sorted[0]
	}
	if fraction >= 1 {
		return sorted[len(sorted)-1]
	}
	p := fraction * float64(len(sorted)-1)
	ip := int(p)
	p -= float64(ip)
	return (1-p)*sorted[ip] + p*sorted[min(ip+1, len(sorted)-1)]
}

// median is llama.cpp's median of sorted values.
func median(sorted []float64) float64 {
	n := len(sorted)
	switch {
	case n == 0:
		return math.NaN()
	case n%2 == 0:
		return 0.5 * (sorted[n/2] + sorted[n/2-1])
	}
	return sorted[n/2]
}

// computePerplexityStats aggregates scored tokens.
func computePerplexityStats(ts []scoredToken) PerplexityStats {
	var s PerplexityStats
	n := len(ts)
	s.Tokens = n
	if n == 0 {
		nan := math.NaN()
		s.PPLModel, s.PPLBase, s.Ratio, s.Diff, s.KLDMean, s.SameTop = nan, nan, nan, nan, nan, nan
		return s
	}
	var sNLL, sNLL2, sBase, sBase2, sCross, sKLD, sKLD2, sDp, sDp2, sDp4 float64
	var same int
	klds := make([]float64, n)
	for i, t := range ts {
		sNLL += t.NLL
		sNLL2 += t.NLL * t.NLL
		sBase += t.NLLBase
		sBase2 += t.NLLBase * t.NLLBase
		sCross += t.NLL * t.NLLBase
		sKLD += t.KLD
		sKLD2 += t.KLD * t.KLD
		klds[i] = t.KLD
		dp := math.Exp(-t.NLL) - math.Exp(-t.NLLBase)
		sDp += dp
		sDp2 += dp * dp
		sDp4 += dp * dp * dp * dp
		s.DeltaPMaxAbs = max(s.DeltaPMaxAbs, math.Abs(dp))
		if t.SameTop {
			same++
		}
	}
	lq, lqErr := meanAndUncertainty(sNLL, sNLL2, n)
	lb, lbErr := meanAndUncertainty(sBase, sBase2, n)
	cov := covariance(sNLL, sBase, sCross, n)
	s.PPLModel = math.Exp(lq)
	s.PPLModelErr = s.PPLModel * lqErr
	s.PPLBase = math.Exp(lb)
	s.PPLBaseErr = s.PPLBase * lbErr
	s.Cor = cov / (lqErr * lbErr) // NaN when either σ is 0, as in llama.cpp
	s.LnRatio = lq - lb
	s.LnRatioErr = math.Sqrt(lqErr*lqErr + lbErr*lbErr - 2*cov)
	s.Ratio = math.Exp(s.LnRatio)
	s.RatioErr = s.Ratio * s.LnRatioErr
	s.Diff = s.PPLModel - s.PPLBase
	s.DiffErr = math.Sqrt(s.PPLModelErr*s.PPLModelErr + s.PPLBaseErr*s.PPLBaseErr - 2*s.PPLModel*s.PPLBase*cov)

	s.KLDMean, s.KLDMeanErr = meanAndUncertainty(sKLD, sKLD2, n)
	sort.Float64s(klds)
	s.KLDMin, s.KLDMax = klds[0], klds[n-1]
	s.KLD999 = llamaPercentile(klds, 0.999)
	s.KLD99 = llamaPercentile(klds, 0.99)
	s.KLDMedian = median(klds)

	s.DeltaPMean, s.DeltaPMeanErr = meanAndUncertainty(sDp, sDp2, n)
	mse, mseErr := meanAndUncertainty(sDp2, sDp4, n)
	s.DeltaPRMS = math.Sqrt(mse)
	if s.DeltaPRMS > 0 {
		s.DeltaPRMSErr = 0.5 / s.DeltaPRMS * mseErr
	}
	s.SameTop = float64(same) / float64(n)
	if n > 1 {
		s.SameTopErr = math.Sqrt(s.SameTop * (1 - s.SameTop) / float64(n-1))
	}
	return s
}

// MarshalJSON writes non-finite values (an overflowing exp, an undefined
// correlation) as null.
func (s PerplexityStats) MarshalJSON() ([]byte, error) {
	f := func(v float64) *float64 {
		if !finite(v) {
			return nil
		}
		return &v
	}
	return json.Marshal(struct {
		Tokens        int      `json:"scored_tokens"`
		PPLModel      *float64 `json:"ppl_q"`
		PPLModelErr   *float64 `json:"ppl_q_err"`
		PPLBase       *float64 `json:"ppl_base"`
		PPLBaseErr    *float64 `json:"ppl_base_err"`
		Cor           *float64 `json:"cor_ln_ppl"`
		LnRatio       *float64 `json:"ln_ppl_ratio"`
		LnRatioErr    *float64 `json:"ln_ppl_ratio_err"`
		Ratio         *float64 `json:"ppl_ratio"`
		RatioErr      *float64 `json:"ppl_ratio_err"`
		Diff          *float64 `json:"ppl_diff"`
		DiffErr       *float64 `json:"ppl_diff_err"`
		KLDMean       *float64 `json:"kld_mean"`
		KLDMeanErr    *float64 `json:"kld_mean_err"`
		KLDMax        *float64 `json:"kld_max"`
		KLD999        *float64 `json:"kld_p99_9"`
		KLD99         *float64 `json:"kld_p99"`
		KLDMedian     *float64 `json:"kld_median"`
		KLDMin        *float64 `json:"kld_min"`
		DeltaPMean    *float64 `json:"delta_p_mean"`
		DeltaPMeanErr *float64 `json:"delta_p_mean_err"`
		DeltaPRMS     *float64 `json:"delta_p_rms"`
		DeltaPRMSErr  *float64 `json:"delta_p_rms_err"`
		DeltaPMaxAbs  *float64 `json:"delta_p_max_abs"`
		SameTop       *float64 `json:"same_top"`
		SameTopErr    *float64 `json:"same_top_err"`
	}{s.Tokens, f(s.PPLModel), f(s.PPLModelErr), f(s.PPLBase), f(s.PPLBaseErr), f(s.Cor), f(s.LnRatio), f(s.LnRatioErr),
		f(s.Ratio), f(s.RatioErr), f(s.Diff), f(s.DiffErr), f(s.KLDMean), f(s.KLDMeanErr), f(s.KLDMax), f(s.KLD999),
		f(s.KLD99), f(s.KLDMedian), f(s.KLDMin), f(s.DeltaPMean), f(s.DeltaPMeanErr), f(s.DeltaPRMS), f(s.DeltaPRMSErr),
		f(s.DeltaPMaxAbs), f(s.SameTop), f(s.SameTopErr)})
}
