package generate

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Sampling configures token choice. Temperature <= 0 is greedy.
type Sampling struct {
	Temperature float64
	TopK        int     // keep the k most likely tokens (0 = all)
	TopP        float64 // keep the smallest set with probability >= TopP (0 or >= 1 = all)
	// MinP keeps the tokens whose probability is at least MinP times the most
	// likely one's (0 = all); transformers' MinPLogitsWarper, applied after
	// top-k and top-p as in its warper order.
	MinP float64
	Seed uint64
}

// Sampler picks the next token from logits. It is deterministic for a seed:
// the same logits and seed give the same choices.
type Sampler struct {
	s   Sampling
	rng *rand.Rand
	idx []int
	p   []float64
}

// NewSampler returns a sampler; its random stream is PCG seeded with s.Seed.
func NewSampler(s Sampling) *Sampler {
	return &Sampler{s: s, rng: rand.New(rand.NewPCG(s.Seed, s.Seed^0x9E3779B97F4A7C15))}
}

// Greedy reports whether the sampler always takes the argmax.
func (sp *Sampler) Greedy() bool { return !(sp.s.Temperature > 0) }

// Argmax is the first index of the largest value (CT2's top-1 on ties).
func Argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// Sample picks a token id.
func (sp *Sampler) Sample(logits []float32) int {
	if sp.Greedy() || sp.s.TopK == 1 {
		return Argmax(logits)
	}
	// Candidates sorted by logit, highest first, lower id first on ties.
	idx := sp.idx[:0]
	if k := sp.s.TopK; k > 0 && k < len(logits) {
		idx = topIDs(idx, logits, k)
	} else {
		for i := range logits {
			idx = append(idx, i)
		}
		sort.SliceStable(idx, func(a, b int) bool { return logits[idx[a]] > logits[idx[b]] })
	}
	// Softmax of logits/T in float64 over the candidates (unnormalised: the
	// most likely candidate has weight 1).
	p := sp.p[:0]
	inv := 1 / sp.s.Temperature
	mx := float64(logits[idx[0]])
	var sum float64
	for _, i := range idx {
		e := math.Exp((float64(logits[i]) - mx) * inv)
		p = append(p, e)
		sum += e
	}
	// Nucleus: the smallest prefix whose probability reaches TopP.
	if tp := sp.s.TopP; tp > 0 && tp < 1 {
		var c float64
		for j := range p {
			c += p[j] / sum
			if c >= tp {
				p = p[:j+1]
				break
			}
		}
		sum = 0
		for _, e := range p {
			sum += e
		}
	}
	// Min-p: drop candidates below MinP x the top probability. The ratio is
	// the same before and after renormalisation, so the weights serve as is.
	if mp := sp.s.MinP; mp > 0 {
		n := 1 // the top candidate always stays (weight 1 >= mp for mp <= 1)
		for n < len(p) && p[n] >= mp*p[0] {
			n++
		}
		p = p[:n]
		sum = 0
		for _, e := range p {
			sum += e
		}
	}
	sp.idx, sp.p = idx, p
	u := sp.rng.Float64() * sum
	for j, e := range p {
		u -= e
		if u < 0 {
			return idx[j]
		}
	}
	return idx[len(p)-1]
}

// topIDs appends the ids of the k largest logits to dst, largest first and
// lower id first on ties (insertion into a sorted list of k: O(V·k) worst
// case, ~V comparisons in practice since few logits beat the k-th).
func topIDs(dst []int, x []float32, k int) []int {
	for i, v := range x {
		if len(dst) == k && v <= x[dst[k-1]] {
			continue
		}
		j := len(dst)
		for j > 0 && x[dst[j-1]] < v {
			j--
		}
		if len(dst) < k {
			dst = append(dst, 0)
		}
		copy(dst[j+1:], dst[j:len(dst)-1])
		dst[j] = i
	}
	return dst
}

// penalty applies the repetition penalty of the CTRL paper
// (arXiv:1909.05858) as CTranslate2 and transformers do: every id already in
// the sequence has its logit divided by the penalty when positive and
// multiplied by it when negative, once per distinct id, from the original
// logit (CTranslate2 src/decoding_utils.cc RepetitionPenalty::apply gathers
// the scores first; src/cpu/primitives.cc penalize_previous_tokens:
// `score < 0 ? score * penalty : score / penalty`; transformers
// RepetitionPenaltyLogitsProcessor: `torch.where(score < 0, score * penalty,
// score / penalty)` over input_ids, prompt included). The arithmetic is in
// float32 like CTranslate2's float logits.
type penalty struct {
	p    float32
	seen []bool
	ids  []int // distinct ids seen, in first-seen order
}

func newPenalty(p float64, vocab int) *penalty {
	if p == 1 || p <= 0 {
		return nil
	}
	return &penalty{p: float32(p), seen: make([]bool, vocab)}
}

func (pn *penalty) add(ids ...int) {
	if pn == nil {
		return
	}
	for _, id := range ids {
		if id >= 0 && id < len(pn.seen) && !pn.seen[id] {
			pn.seen[id] = true
			pn.ids = append(pn.ids, id)
		}
	}
}

// apply penalises logits in place (the runtime returns fresh logits per call).
func (pn *penalty) apply(logits []float32) {
	if pn == nil {
		return
	}
	for _, id := range pn.ids {
		if v := logits[id]; v < 0 {
			logits[id] = v * pn.p
		} else {
			logits[id] = v / pn.p
		}
	}
}
