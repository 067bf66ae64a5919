package verify

import (
	"context"
	"fmt"
	goruntime "runtime"
	"sync"

	"github.com/ct2go/ct2go/runtime"
)

// Input is one prompt to compare: its ids and a source of reference logits.
type Input struct {
	Name string
	IDs  []int
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
	V := m.VocabSize()
	cfg := m.Config()
	rep := &Report{Compute: cfg.Compute.String(), WeightDType: cfg.WeightDType.String(), Thresholds: th}
	var all []located
	for _, in := range inputs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for i, id := range in.IDs {
			if id < 0 || id >= V {
				return nil, fmt.Errorf("prompt %s: input id %d at position %d is outside the model's vocabulary of %d tokens", in.Name, id, i, V)
			}
		}
		ref, err := in.Reference()
		if err != nil {
			return nil, fmt.Errorf("prompt %s: reference: %w", in.Name, err)
		}
		T := len(in.IDs)
		if len(ref) != T*V {
			return nil, fmt.Errorf("prompt %s: reference has %d logits, want %d tokens × %d", in.Name, len(ref), T, V)
		}
		got, err := logitRows(m, in.IDs)
		if err != nil {
			return nil, fmt.Errorf("prompt %s: %w", in.Name, err)
		}
		ps := comparePrompt(in.Name, in.IDs, ref, got, V)
		rep.Prompts = append(rep.Prompts, PromptReport{Name: in.Name, Tokens: T, Stats: aggregate(ps)})
		all = append(all, ps...)
	}
	rep.Overall = aggregate(all)
	rep.judge()
	return rep, nil
}

// comparePrompt compares all positions (ref flat [T*V], got [T][V]), spread
// over the CPUs.
func comparePrompt(name string, ids []int, ref []float32, got [][]float32, V int) []located {
	T := len(ids)
	out := make([]located, T)
	workers := min(T, goruntime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			buf := make([]float64, V)
			for t := w; t < T; t += workers {
				next := -1
				if t+1 < T {
					next = ids[t+1]
				}
				p := comparePosition(ref[t*V:(t+1)*V], got[t][:V], next, buf)
				out[t] = located{Position: p, prompt: name, pos: t, vocab: V}
			}
		}(w)
	}
	wg.Wait()
	return out
}
