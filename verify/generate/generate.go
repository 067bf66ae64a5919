// Package generate is the decoding loop of `ct2go run`: prefill a prompt into
// a runtime.Session, then pick tokens one by one (greedy or sampled) until a
// stop id or the token budget. Greedy decoding follows CTranslate2's
// generate_batch(include_prompt_in_result=False, sampling_topk=1): argmax with
// the lowest id on ties, end tokens stripped from the result.
package generate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/ct2go/ct2go/format/hf"
	"github.com/ct2go/ct2go/internal/fsutil"
	"github.com/ct2go/ct2go/runtime"
)

// Sampling configures token choice. Temperature <= 0 is greedy.
type Sampling struct {
	Temperature float64
	TopK        int     // keep the k most likely tokens (0 = all)
	TopP        float64 // keep the smallest set with probability >= TopP (0 or >= 1 = all)
	Seed        uint64
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
	// Softmax of logits/T in float64 over the candidates.
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

// Options configure Generate.
type Options struct {
	MaxTokens int   // new tokens at most (>= 1)
	Stop      []int // ids that end generation (not included in the result)
	Sampler   *Sampler
	// OnToken is called with every generated id as soon as it is chosen.
	OnToken func(id int) error
}

// Result is what Generate produced.
type Result struct {
	IDs []int
	// Finish is "stop" (a stop id came) or "length" (MaxTokens reached).
	Finish string
	// Fed is how many of IDs are in the session's cache after the call (the
	// last id of a "length" finish is chosen but never fed).
	Fed            int
	PromptTokens   int
	PrefillSeconds float64
	DecodeSeconds  float64 // from the first generated token to the last
}

// TokensPerSecond is the decode rate: tokens after the first over the time
// after it (the first token comes from the prefill, as in llama2.c's report).
func (r *Result) TokensPerSecond() float64 {
	if len(r.IDs) <= 1 || r.DecodeSeconds <= 0 {
		return 0
	}
	return float64(len(r.IDs)-1) / r.DecodeSeconds
}

// PromptTokensPerSecond is the prefill rate.
func (r *Result) PromptTokensPerSecond() float64 {
	if r.PrefillSeconds <= 0 {
		return 0
	}
	return float64(r.PromptTokens) / r.PrefillSeconds
}

// Generate prefills prompt at the session's current position and decodes.
// The session must have room for len(prompt)+MaxTokens more positions.
func Generate(ctx context.Context, s *runtime.Session, prompt []int, opt Options) (*Result, error) {
	if len(prompt) == 0 {
		return nil, errors.New("empty prompt")
	}
	if opt.MaxTokens < 1 {
		return nil, fmt.Errorf("max tokens must be at least 1 (got %d)", opt.MaxTokens)
	}
	if need := s.Pos() + len(prompt) + opt.MaxTokens - 1; need > s.MaxLen() {
		return nil, fmt.Errorf("%d cached + %d prompt + %d new tokens exceed the context of %d positions", s.Pos(), len(prompt), opt.MaxTokens, s.MaxLen())
	}
	sp := opt.Sampler
	if sp == nil {
		sp = NewSampler(Sampling{})
	}
	stop := map[int]bool{}
	for _, id := range opt.Stop {
		stop[id] = true
	}
	res := &Result{PromptTokens: len(prompt), Finish: "length"}
	t0 := time.Now()
	lg, err := s.Prefill(prompt, false)
	if err != nil {
		return nil, err
	}
	res.PrefillSeconds = time.Since(t0).Seconds()
	logits := lg[0]
	var t1 time.Time
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		next := sp.Sample(logits)
		if stop[next] {
			res.Finish = "stop"
			break
		}
		res.IDs = append(res.IDs, next)
		if len(res.IDs) == 1 {
			t1 = time.Now()
		}
		if opt.OnToken != nil {
			if err := opt.OnToken(next); err != nil {
				return res, err
			}
		}
		if len(res.IDs) == opt.MaxTokens {
			break
		}
		if logits, err = s.Step(next); err != nil {
			return res, err
		}
		res.Fed++
	}
	if len(res.IDs) > 0 {
		res.DecodeSeconds = time.Since(t1).Seconds()
	}
	if res.Finish == "stop" {
		res.Fed = len(res.IDs)
	}
	return res, nil
}

// StopIDs are the ids that end generation for the model in dir: the
// eos_token_id (an id or a list) of generation_config.json, else the
// eos_token of the CTranslate2 config.json looked up in the vocabulary.
func StopIDs(dir string, m *runtime.Model) ([]int, error) {
	path := filepath.Join(dir, "generation_config.json")
	data, err := fsutil.ReadCapped(path, hf.MaxJSONSize)
	if err == nil {
		var gc struct {
			EOS json.RawMessage `json:"eos_token_id"`
		}
		if err := json.Unmarshal(data, &gc); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(gc.EOS) > 0 && string(gc.EOS) != "null" {
			var ids []int
			var one int
			if err := json.Unmarshal(gc.EOS, &one); err == nil {
				ids = []int{one}
			} else if err := json.Unmarshal(gc.EOS, &ids); err != nil {
				return nil, fmt.Errorf("%s: eos_token_id is %s, want an id or a list of ids", path, gc.EOS)
			}
			for _, id := range ids {
				if id < 0 || id >= m.VocabSize() {
					return nil, fmt.Errorf("%s: eos_token_id %d is outside the vocabulary of %d tokens", path, id, m.VocabSize())
				}
			}
			if len(ids) > 0 {
				return ids, nil
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if eos := m.Config().EOSToken; eos != "" {
		if id, ok := m.TokenID(eos); ok {
			return []int{id}, nil
		}
		return nil, fmt.Errorf("%s: eos_token %q is not in vocabulary.json", filepath.Join(dir, "config.json"), eos)
	}
	return nil, nil
}
