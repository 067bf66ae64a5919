package verify

import (
	"math"
	"sort"
)

// TopK is the size of the top-k overlap metric.
const TopK = 5

// Position is the comparison of one position's logits.
type Position struct {
	// NonFinite counts NaN/±Inf model logits; when > 0 the other fields
	// except Top1Agree (false) are not meaningful.
	NonFinite int
	MaxAbs    float64 // max_i |ref_i - model_i|
	SumAbs    float64 // sum_i |ref_i - model_i|
	// KL is KL(P_ref ‖ Q_model) in nats, from float64 log-softmax.
	KL          float64
	Top1Agree   bool
	Top5Overlap int // |top5(ref) ∩ top5(model)|
	RefTop1     int
	ModelTop1   int
	// RefNLL and ModelNLL are -log p(next token) when HasNext (the prompt has
	// a following token: positions 0..T-2 predict ids 1..T-1).
	HasNext          bool
	RefNLL, ModelNLL float64
}

// logSumExp returns log Σ exp(x_i) in float64 (shifted by the max).
func logSumExp(x []float32) float64 {
	m, s := expShifted(x, nil)
	return m + math.Log(s)
}

// expShifted returns m = max x and s = Σ exp(x_i - m), storing
// e_i = exp(x_i - m) when e is non-nil (so p_i = e_i / s without a second exp).
func expShifted(x []float32, e []float64) (m, s float64) {
	m = math.Inf(-1)
	for _, v := range x {
		if float64(v) > m {
			m = float64(v)
		}
	}
	for i, v := range x {
		ei := math.Exp(float64(v) - m)
		if e != nil {
			e[i] = ei
		}
		s += ei
	}
	return m, s
}

// klTerm is δ + expm1(-δ) = δ²/2 - δ³/6 + δ⁴/24 - ...; for |δ| < 1/8 the
// series to δ¹⁰ is exact to ~1e-16 relative (next term δ¹¹/11! < 1e-17·δ²)
// and much cheaper than Expm1, which matters at 128k logits per position.
func klTerm(d float64) float64 {
	if math.Abs(d) >= 0.125 {
		return d + math.Expm1(-d)
	}
	// Horner form of Σ_{k=2..10} (-d)^k / k!
	x := -d
	r := 1.0 / 3628800
	r = r*x + 1.0/362880
	r = r*x + 1.0/40320
	r = r*x + 1.0/5040
	r = r*x + 1.0/720
	r = r*x + 1.0/120
	r = r*x + 1.0/24
	r = r*x + 1.0/6
	r = r*x + 1.0/2
	return r * x * x
}

// ComparePosition compares one row of reference and model logits (same
// length V). next is the id of the following prompt token, or -1.
//
// KL is computed as Σ p_i·(δ_i + expm1(-δ_i)) with δ_i = log p_i - log q_i.
// This equals Σ p_i·δ_i because Σ p_i·exp(-δ_i) = Σ q_i = 1, but every term is
// >= 0 and, unlike Σ p_i·δ_i, it is insensitive to first order to rounding in
// the two log-sum-exps, so float32-identical logits give ~1e-15, not noise of
// either sign (the precision problem llama.cpp's KLD had: ikawrakow/ik_llama.cpp#325).
func ComparePosition(ref, model []float32, next int) Position {
	return comparePosition(ref, model, next, make([]float64, len(ref)))
}

// comparePosition is ComparePosition with a scratch buffer of len(ref).
func comparePosition(ref, model []float32, next int, buf []float64) Position {
	var p Position
	model = model[:len(ref)]
	for _, v := range model {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			p.NonFinite++
		}
	}
	if p.NonFinite > 0 {
		p.RefTop1, p.ModelTop1 = argmax(ref), -1
		return p
	}
	e := buf[:len(ref)]
	mr, sr := expShifted(ref, e)
	lr := mr + math.Log(sr)
	lq := logSumExp(model)
	invS := 1 / sr
	var kl float64
	for i, r := range ref {
		q := model[i]
		d := math.Abs(float64(r) - float64(q))
		p.SumAbs += d
		if d > p.MaxAbs {
			p.MaxAbs = d
		}
		lp, lqi := float64(r)-lr, float64(q)-lq
		delta := lp - lqi
		pi := e[i] * invS
		if math.Abs(delta) < 1 {
			kl += pi * klTerm(delta)
		} else {
			// Same term as p·δ + q - p; avoids 0·Inf when p underflows and q does not.
			kl += pi*delta + math.Exp(lqi) - pi
		}
	}
	p.KL = kl
	rt, mt := topK(ref, TopK), topK(model, TopK)
	p.RefTop1, p.ModelTop1 = rt[0], mt[0]
	p.Top1Agree = rt[0] == mt[0]
	for _, a := range rt {
		for _, b := range mt {
			if a == b {
				p.Top5Overlap++
			}
		}
	}
	if next >= 0 && next < len(ref) {
		p.HasNext = true
		p.RefNLL = lr - float64(ref[next])
		p.ModelNLL = lq - float64(model[next])
	}
	return p
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// topK returns the indices of the k largest values, largest first; equal
// values keep index order (the lower id ranks first), so the result is
// deterministic.
func topK(x []float32, k int) []int {
	k = min(k, len(x))
	idx := make([]int, 0, k+1)
	for i, v := range x {
		if len(idx) == k && v <= x[idx[k-1]] {
			continue
		}
		// Insert after every entry >= v (stable for ties).
		j := len(idx)
		for j > 0 && x[idx[j-1]] < v {
			j--
		}
		idx = append(idx, 0)
		copy(idx[j+1:], idx[j:])
		idx[j] = i
		if len(idx) > k {
			idx = idx[:k]
		}
	}
	return idx
}

// Percentile is the p-th percentile (0..100) of values with linear
// interpolation between closest ranks (numpy.percentile's default), so a
// Python user gets the same number. values is sorted in place.
func Percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	sort.Float64s(values)
	h := p / 100 * float64(len(values)-1)
	lo := int(math.Floor(h))
	if lo >= len(values)-1 {
		return values[len(values)-1]
	}
	return values[lo] + (h-float64(lo))*(values[lo+1]-values[lo])
}

// Stats aggregates positions (of one prompt, or of all).
type Stats struct {
	Positions int `json:"positions"`
	// NonFinitePositions have NaN/Inf model logits (always a failure);
	// NonFiniteValues counts the values.
	NonFinitePositions int     `json:"nonfinite_positions"`
	NonFiniteValues    int     `json:"nonfinite_values"`
	MaxAbs             float64 `json:"max_abs"`
	MeanAbs            float64 `json:"mean_abs"`
	KLMean             float64 `json:"kl_mean"`
	KLP99              float64 `json:"kl_p99"`
	KLMax              float64 `json:"kl_max"`
	// WorstPosition is the position with the largest KL, or the first one
	// with non-finite logits (index within the prompt; for the overall
	// stats, within WorstPrompt).
	WorstPosition int     `json:"worst_position"`
	WorstPrompt   string  `json:"worst_prompt,omitempty"`
	Top1          int     `json:"top1_agree"`
	Top1Rate      float64 `json:"top1_rate"`
	Top5Overlap   float64 `json:"top5_overlap"`
	// Perplexities over the predicted prompt tokens (exp of the mean NLL);
	// nil for one-token prompts, or when exp overflows (the NLLs stay).
	Predicted int      `json:"predicted_tokens"`
	NLLRef    float64  `json:"nll_ref"`
	NLLModel  float64  `json:"nll_model"`
	PPLRef    *float64 `json:"ppl_ref"`
	PPLModel  *float64 `json:"ppl_model"`
	PPLRatio  *float64 `json:"ppl_ratio"`
}

// located is a Position with where it came from.
type located struct {
	Position
	prompt string
	pos    int
	vocab  int
}

// aggregate computes Stats over positions. vocab is the row length (for mean |Δ|).
func aggregate(ps []located) Stats {
	var s Stats
	s.Positions = len(ps)
	var kls []float64
	var sumAbs, sumKL, nllRef, nllModel, top5 float64
	var nFinite int
	s.WorstPosition = -1
	for _, p := range ps {
		if p.NonFinite > 0 {
			s.NonFinitePositions++
			s.NonFiniteValues += p.NonFinite
			if s.NonFinitePositions == 1 {
				// A non-finite position is the worst there is.
				s.WorstPosition, s.WorstPrompt = p.pos, p.prompt
			}
			continue
		}
		nFinite++
		sumAbs += p.SumAbs / float64(p.vocab)
		s.MaxAbs = max(s.MaxAbs, p.MaxAbs)
		sumKL += p.KL
		kls = append(kls, p.KL)
		if nFinite == 1 || p.KL > s.KLMax {
			s.KLMax = p.KL
			if s.NonFinitePositions == 0 {
				s.WorstPosition, s.WorstPrompt = p.pos, p.prompt
			}
		}
		if p.Top1Agree {
			s.Top1++
		}
		top5 += float64(p.Top5Overlap) / TopK
		if p.HasNext {
			s.Predicted++
			nllRef += p.RefNLL
			nllModel += p.ModelNLL
		}
	}
	if s.Positions > 0 {
		s.Top1Rate = float64(s.Top1) / float64(s.Positions)
		s.Top5Overlap = top5 / float64(s.Positions)
	}
	if nFinite > 0 {
		s.MeanAbs = sumAbs / float64(nFinite)
		s.KLMean = sumKL / float64(nFinite)
		s.KLP99 = Percentile(kls, 99)
	}
	if s.Predicted > 0 {
		s.NLLRef, s.NLLModel = nllRef/float64(s.Predicted), nllModel/float64(s.Predicted)
		r, m, q := math.Exp(s.NLLRef), math.Exp(s.NLLModel), math.Exp(s.NLLModel-s.NLLRef)
		if finite(r) && finite(m) && finite(q) {
			s.PPLRef, s.PPLModel, s.PPLRatio = &r, &m, &q
		}
	}
	return s
}
