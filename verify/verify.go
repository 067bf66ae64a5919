package verify

import (
	"context"
	"fmt"
	"math"
	goruntime "runtime"
	"sync"

	"github.com/ct2go/ct2go/runtime"
)

// Input is one prompt to compare: its ids and a source of reference logits.
type Input struct {
	Name string
	IDs  []int
	// From and To bound the compared positions [From, To); To == 0 means
	// len(IDs). Corpus windows compare only their second half (CorpusInputs);
	// every position is still run, as context.
	From, To int
	// Reference returns the reference logits [len(IDs) * V].
	Reference func() ([]float32, error)
}

// Inputs lists the reference's prompts as comparison inputs.
func (r *Reference) Inputs() []Input {
	out := make([]Input, len(r.Prompts))
	for i, p := range r.Prompts {
		out[i] = Input{Name: p.Name, IDs: p.IDs, Reference: func() ([]float32, error) { return p.Logits(), nil }}
	}
	return out
}

// ModelInputs uses model b's logits as the reference for prompts (ct2go
// verify --against).
func ModelInputs(b *runtime.Model, prompts []NamedIDs) []Input {
	out := make([]Input, len(prompts))
	for i, p := range prompts {
		out[i] = Input{Name: p.Name, IDs: p.IDs, Reference: func() ([]float32, error) { return Logits(b, p.IDs) }}
	}
	return out
}

// Logits runs ids through m in one prefill and returns every position's
// logits, flat [len(ids) * V].
func Logits(m *runtime.Model, ids []int) ([]float32, error) {
	rows, err := logitRows(m, ids)
	if err != nil {
		return nil, err
	}
	V := m.VocabSize()
	out := make([]float32, 0, len(ids)*V)
	for _, r := range rows {
		out = append(out, r[:V]...)
	}
	return out, nil
}

// logitRows is Logits as the runtime returns it ([T][V], no copy).
func logitRows(m *runtime.Model, ids []int) ([][]float32, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("no tokens")
	}
	for i, id := range ids {
		if id < 0 || id >= m.VocabSize() {
			return nil, fmt.Errorf("id %d at position %d is outside the model's vocabulary of %d tokens", id, i, m.VocabSize())
		}
	}
	return m.Logits(ids)
}

// Compare runs every input through m and compares with its reference. The
// returned report has Thresholds, Prompts, Overall and the verdict filled;
// the caller names Model and Reference. Errors (bad ids, a reference of the
// wrong size) abort; threshold failures do not.
func Compare(ctx context.Context, m *runtime.Model, inputs []Input, th Thresholds) (*Report, error) {
	rep, _, err := compare(ctx, m, inputs, th)
	return rep, err
}

// CompareCorpus is Compare for corpus windows (CorpusInputs): it also fills
// Report.Corpus with llama-perplexity's statistics over the compared
// positions.
func CompareCorpus(ctx context.Context, m *runtime.Model, inputs []Input, th Thresholds, c Corpus) (*Report, error) {
	rep, all, err := compare(ctx, m, inputs, th)
	if err != nil {
		return nil, err
	}
	ts := make([]scoredToken, 0, len(all))
	for _, p := range all {
		if !p.HasNext || p.NonFinite > 0 {
			// NaN/Inf positions already fail the verdict; they have no probabilities.
			continue
		}
		ts = append(ts, scoredToken{NLL: p.ModelNLL, NLLBase: p.RefNLL, KLD: p.KL, SameTop: p.Top1Agree})
	}
	c.Stats = computePerplexityStats(ts)
	rep.Corpus = &c
	return rep, nil
}

func compare(ctx context.Context, m *runtime.Model, inputs []Input, th Thresholds) (*Report, []located, error) {
	V := m.VocabSize()
	cfg := m.Config()
	rep := &Report{Compute: cfg.Compute.String(), WeightDType: cfg.WeightDType.String(), Thresholds: th}
	var all []located
	for _, in := range inputs {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		for i, id := range in.IDs {
			if id < 0 || id >= V {
				return nil, nil, fmt.Errorf("prompt %s: input id %d at position %d is outside the model's vocabulary of %d tokens", in.Name, id, i, V)
			}
		}
		ref, err := in.Reference()
		if err != nil {
			return nil, nil, fmt.Errorf("prompt %s: reference: %w", in.Name, err)
		}
		T := len(in.IDs)
		if len(ref) != T*V {
			return nil, nil, fmt.Errorf("prompt %s: reference has %d logits, want %d tokens × %d", in.Name, len(ref), T, V)
		}
		got, err := logitRows(m, in.IDs)
		if err != nil {
			return nil, nil, fmt.Errorf("prompt %s: %w", in.Name, err)
		}
		from, to := in.From, in.To
		if to == 0 {
			to = T
		}
		if from < 0 || to > T || from >= to {
			return nil, nil, fmt.Errorf("prompt %s: compared positions [%d, %d) outside its %d tokens", in.Name, from, to, T)
		}
		ps := comparePrompt(in.Name, in.IDs, ref, got, V, from, to)
		pr := PromptReport{Name: in.Name, Tokens: T, From: from, Stats: aggregate(ps)}
		pr.KLs = make([]float64, len(ps))
		for i, p := range ps {
			pr.KLs[i] = p.KL
			if p.NonFinite > 0 {
				pr.KLs[i] = math.NaN()
			} else if p.HasNext {
				pr.DeltaP = append(pr.DeltaP, math.Exp(-p.ModelNLL)-math.Exp(-p.RefNLL))
			}
		}
		rep.Prompts = append(rep.Prompts, pr)
		all = append(all, ps...)
	}
	rep.Overall = aggregate(all)
	rep.judge()
	return rep, all, nil
}

// comparePrompt compares positions [from, to) (ref flat [T*V], got [T][V]), spread
// over the CPUs.
func comparePrompt(name string, ids []int, ref []float32, got [][]float32, V, from, to int) []located {
	T := len(ids)
	out := make([]located, to-from)
	workers := min(to-from, goruntime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			buf := make([]float64, V)
			for t := from + w; t < to; t += workers {
				next := -1
				if t+1 < T {
					next = ids[t+1]
				}
				p := comparePosition(ref[t*V:(t+1)*V], got[t][:V], next, buf)
				out[t-from] = located{Position: p, prompt: name, pos: t, vocab: V}
			}
		}(w)
	}
	wg.Wait()
	return out
}
