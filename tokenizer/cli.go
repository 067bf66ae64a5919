package tokenizer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
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

// FormatIDs renders ids space-separated, the plain (non-JSON) output of `ct2go tokenize`.
func FormatIDs(ids []int) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(id))
	}
	return b.String()
}

// ParseIDs reads token ids for `ct2go detokenize IDS...`: each argument may hold several ids
// separated by spaces or commas, optionally inside one JSON-style [ ... ].
func ParseIDs(args []string) ([]int, error) {
	joined := strings.TrimSpace(strings.Join(args, " "))
	joined = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(joined, "["), "]"))
	var ids []int
	for _, f := range strings.FieldsFunc(joined, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
		id, err := strconv.Atoi(f)
		if err != nil || id < 0 {
			return nil, fmt.Errorf("token id %q: not a non-negative integer", f)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 && joined != "" {
		return nil, errors.New("no token ids given")
	}
	return ids, nil
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
