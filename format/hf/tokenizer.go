package hf

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/ct2go/ct2go/internal/fsutil"
)

// Vocabulary returns the tokens of dir/tokenizer.json ordered by id, base
// vocabulary and added tokens together: what transformers'
// tokenizer.get_vocab() sorted by id yields (CTranslate2
// converters/transformers.py:219-225).
func Vocabulary(dir string) ([]string, error) {
	path := filepath.Join(dir, "tokenizer.json")
	raw, err := fsutil.ReadCapped(path, maxTokenizerSize)
	if err != nil {
		return nil, err
	}
	tokens, err := ParseVocabulary(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tokens, nil
}

// ParseVocabulary decodes tokenizer.json bytes into the tokens by id. The
// ids must run 0..n-1 without a gap: vocabulary.json is indexed by id, so a
// gap would silently shift every later token onto the wrong id.
func ParseVocabulary(raw []byte) ([]string, error) {
	var tj struct {
		Model struct {
			Type  string          `json:"type"`
			Vocab json.RawMessage `json:"vocab"`
		} `json:"model"`
		AddedTokens []struct {
			ID      *int   `json:"id"`
			Content string `json:"content"`
		} `json:"added_tokens"`
	}
	if err := json.Unmarshal(raw, &tj); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	var vocab map[string]int
	if err := json.Unmarshal(tj.Model.Vocab, &vocab); err != nil || vocab == nil {
		return nil, fmt.Errorf("model.vocab is not a token→id object (model.type %q is not supported)", tj.Model.Type)
	}
	byID := make(map[int]string, len(vocab)+len(tj.AddedTokens))
	for tok, id := range vocab {
		if id < 0 {
			return nil, fmt.Errorf("model.vocab[%q] has negative id %d", tok, id)
		}
		if prev, dup := byID[id]; dup && prev != tok {
			a, b := min(prev, tok), max(prev, tok) // stable message whatever the map order
			return nil, fmt.Errorf("id %d is used by both %q and %q", id, a, b)
		}
		byID[id] = tok
	}
	for i, at := range tj.AddedTokens {
		if at.ID == nil || *at.ID < 0 {
			return nil, fmt.Errorf("added_tokens[%d] has no valid id", i)
		}
		byID[*at.ID] = at.Content
	}
	ids := make([]int, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	tokens := make([]string, len(ids))
	for i, id := range ids {
		if id != i {
			return nil, fmt.Errorf("token ids are not contiguous: no token has id %d (the next id is %d)", i, id)
		}
		tokens[i] = byID[id]
	}
	return tokens, nil
}

// SpecialTokens are the tokenizer's bos/eos/unk strings (nil when unset).
type SpecialTokens struct {
	Bos, Eos, Unk *string
}

// ReadSpecialTokens resolves bos/eos/unk as transformers does: values in
// tokenizer_config.json win, special_tokens_map.json fills the gaps. A value
// may be a string or an AddedToken object {"content": ...}.
func ReadSpecialTokens(dir string) (SpecialTokens, error) {
	var st SpecialTokens
	for _, name := range []string{"tokenizer_config.json", "special_tokens_map.json"} {
		path := filepath.Join(dir, name)
		raw, err := fsutil.ReadCapped(path, maxConfigSize)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return st, err
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return st, fmt.Errorf("%s: not valid JSON: %w", path, err)
		}
		for key, dst := range map[string]**string{"bos_token": &st.Bos, "eos_token": &st.Eos, "unk_token": &st.Unk} {
			if *dst != nil {
				continue
			}
			switch v := m[key].(type) {
			case string:
				s := v
				*dst = &s
			case map[string]any:
				if s, ok := v["content"].(string); ok {
					*dst = &s
				}
			}
		}
	}
	return st, nil
}
