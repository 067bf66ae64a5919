package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/ct2go/ct2go/tokenizer"
)

// NamedIDs is a prompt as token ids.
type NamedIDs struct {
	Name string
	IDs  []int
}

// ParsePrompts reads a prompts file for `ct2go verify --against`: a JSON object
// {"NAME": [ids...] | "text", ...} (compared in natural name order) or a list
// [[ids...] | "text", ...] (named prompt0, prompt1, ...). Text is tokenized with
// tok (adding <|begin_of_text|> as the tokenizer's post-processor does); tok may
// be nil when every prompt is ids. path only names the file in errors.
func ParsePrompts(path string, data []byte, tok *tokenizer.Tokenizer) ([]NamedIDs, error) {
	var raw map[string]json.RawMessage
	var list []json.RawMessage
	var names []string
	switch trimmed := bytes.TrimSpace(data); {
	case len(trimmed) > 0 && trimmed[0] == '{':
		if err := json.Unmarshal(trimmed, &raw); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for n := range raw {
			names = append(names, n)
		}
		sort.Slice(names, func(i, j int) bool { return naturalLess(names[i], names[j]) })
	case len(trimmed) > 0 && trimmed[0] == '[':
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		raw = map[string]json.RawMessage{}
		for i, v := range list {
			n := fmt.Sprintf("prompt%d", i)
			raw[n] = v
			names = append(names, n)
		}
	default:
		return nil, fmt.Errorf("%s: want a JSON object {\"NAME\": [ids] or \"text\"} or a list of prompts", path)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no prompts", path)
	}
	out := make([]NamedIDs, 0, len(names))
	for _, n := range names {
		if n == "" {
			return nil, fmt.Errorf("%s: a prompt has an empty name", path)
		}
		v := bytes.TrimSpace(raw[n])
		var ids []int
		switch {
		case len(v) > 0 && v[0] == '"':
			var text string
			if err := json.Unmarshal(v, &text); err != nil {
				return nil, fmt.Errorf("%s: prompt %s: %w", path, n, err)
			}
			if tok == nil {
				return nil, fmt.Errorf("%s: prompt %s is text but the model has no tokenizer.json to encode it", path, n)
			}
			ids = tok.Encode(text, true)
		case len(v) > 0 && v[0] == '[':
			if err := json.Unmarshal(v, &ids); err != nil {
				return nil, fmt.Errorf("%s: prompt %s: want a list of integer token ids: %w", path, n, err)
			}
			for i, id := range ids {
				if id < 0 {
					return nil, fmt.Errorf("%s: prompt %s: negative token id %d at position %d", path, n, id, i)
				}
			}
		default:
			return nil, fmt.Errorf("%s: prompt %s: want a list of token ids or a string", path, n)
		}
		if len(ids) == 0 {
			return nil, fmt.Errorf("%s: prompt %s has no tokens", path, n)
		}
		out = append(out, NamedIDs{Name: n, IDs: ids})
	}
	return out, nil
}
