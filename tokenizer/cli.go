package tokenizer

import (
	"fmt"
)

// TokenizeResult is what `ct2go tokenize --json` prints: the ids and their token strings.
type TokenizeResult struct {
	IDs    []int    `json:"ids"`
	Tokens []string `json:"tokens"`
}

// Tokenize encodes text (addSpecial adds <|begin_of_text|> as HF's add_special_tokens=True)
// and pairs the ids with their token strings.
func (t *Tokenizer) Tokenize(text string, addSpecial bool) *TokenizeResult {
	ids := t.Encode(text, addSpecial)
	return &TokenizeResult{IDs: ids, Tokens: t.Tokens(ids)}
}

// CheckIDs reports the first id outside the vocabulary (Decode silently drops such ids, as HF
// does; a CLI may prefer to refuse them).
func (t *Tokenizer) CheckIDs(ids []int) error {
	for _, id := range ids {
		if id < 0 || id >= len(t.tokens) || !t.isSet[id] {
			return fmt.Errorf("token id %d not in the vocabulary (size %d)", id, len(t.tokens))
		}
	}
	return nil
}
