package runtime

import "fmt"

// Logits runs ids from position 0 in one prefill and returns the logits of
// every position ([len(ids)][VocabSize]): what verify compares with reference
// logits (CT2's forward_batch).
func (m *Model) Logits(ids []int) ([][]float32, error) {
	s := m.NewSession(len(ids))
	return s.Prefill(ids, true)
}

// Greedy decodes up to maxNew tokens after prompt with argmax (first index on
// ties), like CT2's generate_batch(max_length=maxNew,
// include_prompt_in_result=False, sampling_topk=1): it stops at the first id
// in stop, which is not included in the result (CT2 strips end tokens).
func (m *Model) Greedy(prompt []int, maxNew int, stop []int) ([]int, error) {
	if len(prompt) == 0 {
		return nil, fmt.Errorf("greedy decoding needs at least one prompt token")
	}
	if maxNew <= 0 {
		return nil, nil
	}
	s := m.NewSession(len(prompt) + maxNew)
	lg, err := s.Prefill(prompt, false)
	if err != nil {
		return nil, err
	}
	next := argmaxF32(lg[0])
	var out []int
	for {
		for _, e := range stop {
			if next == e {
				return out, nil
			}
		}
		out = append(out, next)
		if len(out) == maxNew {
			return out, nil
		}
		l, err := s.Step(next)
		if err != nil {
			return nil, err
		}
		next = argmaxF32(l)
	}
}

// TokenID returns the id of tok in vocabulary.json (e.g. the config's
// EOSToken), or false.
func (m *Model) TokenID(tok string) (int, bool) {
	m.tokOnce.Do(func() {
		m.tokIndex = make(map[string]int, len(m.vocab))
		for i, t := range m.vocab {
			if _, dup := m.tokIndex[t]; !dup {
				m.tokIndex[t] = i
			}
		}
	})
	id, ok := m.tokIndex[tok]
	return id, ok
}
