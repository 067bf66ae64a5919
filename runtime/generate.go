package runtime

// Logits runs ids from position 0 in one prefill and returns the logits of
// every position ([len(ids)][VocabSize]): what verify compares with reference
// logits (CT2's forward_batch).
func (m *Model) Logits(ids []int) ([][]float32, error) {
	s := m.NewSession(len(ids))
	return s.Prefill(ids, true)
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
