package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ct2go/ct2go/format/hf"
	"github.com/ct2go/ct2go/internal/fsutil"
)

// ErrUnsupported marks a well-formed tokenizer file of a kind this package does not implement
// (WordPiece, Unigram, another pre-tokenizer, ...); test with errors.Is. A CLI can map it to its
// "unsupported model" exit code.
var ErrUnsupported = errors.New("unsupported tokenizer")

type unsupportedError struct{ msg string }

func (e *unsupportedError) Error() string        { return e.msg }
func (e *unsupportedError) Is(target error) bool { return target == ErrUnsupported }

func unsupportedf(format string, args ...any) error {
	return &unsupportedError{fmt.Sprintf(format, args...)}
}

// tokenizerFile mirrors the parts of tokenizer.json that matter; sections are kept raw so that
// each can be validated with an error naming its field.
type tokenizerFile struct {
	AddedTokens   []addedToken    `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         *modelJSON      `json:"model"` // typed: the 9 MB section is decoded once
}

type modelJSON struct {
	Type                    *string         `json:"type"`
	Vocab                   map[string]int  `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
	Dropout                 *float64        `json:"dropout"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	ByteFallback            bool            `json:"byte_fallback"`
	IgnoreMerges            bool            `json:"ignore_merges"`
	UnkToken                *string         `json:"unk_token"`
}

type typed struct {
	Type string `json:"type"`
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// decodeField unmarshals raw into v and wraps errors with the field name.
func decodeField(field string, raw json.RawMessage, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	return nil
}

// parseTokenizerJSON builds the model parts of a Tokenizer from tokenizer.json bytes.
func parseTokenizerJSON(data []byte) (*Tokenizer, error) {
	var f tokenizerFile
	if err := json.Unmarshal(data, &f); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, fmt.Errorf("%s: JSON %s where %s is expected", te.Field, te.Value, te.Type)
		}
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	t := &Tokenizer{}
	if err := checkNormalizer(f.Normalizer); err != nil {
		return nil, err
	}
	if err := checkPreTokenizer(f.PreTokenizer); err != nil {
		return nil, err
	}
	if err := checkDecoder(f.Decoder); err != nil {
		return nil, err
	}
	if err := t.loadModel(f.Model); err != nil {
		return nil, err
	}
	if err := t.loadAdded(f.AddedTokens); err != nil {
		return nil, err
	}
	if err := t.loadPostProcessor(f.PostProcessor); err != nil {
		return nil, err
	}
	t.finish()
	return t, nil
}

func checkNormalizer(raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	var n struct {
		Type        string            `json:"type"`
		Normalizers []json.RawMessage `json:"normalizers"`
	}
	if err := decodeField("normalizer", raw, &n); err != nil {
		return err
	}
	if n.Type == "Sequence" && len(n.Normalizers) == 0 {
		return nil
	}
	return unsupportedf("normalizer: type %q not supported (Llama 3 tokenizers have none)", n.Type)
}

func checkPreTokenizer(raw json.RawMessage) error {
	if isNull(raw) {
		return errors.New("pre_tokenizer: missing (want the Llama 3 Split regex + ByteLevel sequence)")
	}
	var p struct {
		Type          string            `json:"type"`
		Pretokenizers []json.RawMessage `json:"pretokenizers"`
	}
	if err := decodeField("pre_tokenizer", raw, &p); err != nil {
		return err
	}
	if p.Type != "Sequence" {
		return unsupportedf("pre_tokenizer.type: %q not supported (want Sequence of Split + ByteLevel as in Llama 3)", p.Type)
	}
	if len(p.Pretokenizers) != 2 {
		return fmt.Errorf("pre_tokenizer.pretokenizers: %d entries, want 2 (Split, ByteLevel)", len(p.Pretokenizers))
	}
	var split struct {
		Type    string `json:"type"`
		Pattern struct {
			Regex  *string `json:"Regex"`
			String *string `json:"String"`
		} `json:"pattern"`
		Behavior string `json:"behavior"`
		Invert   bool   `json:"invert"`
	}
	if err := decodeField("pre_tokenizer.pretokenizers[0]", p.Pretokenizers[0], &split); err != nil {
		return err
	}
	switch {
	case split.Type != "Split":
		return unsupportedf("pre_tokenizer.pretokenizers[0].type: %q not supported (want Split)", split.Type)
	case split.Pattern.Regex == nil:
		return errors.New("pre_tokenizer.pretokenizers[0].pattern.Regex: missing")
	case *split.Pattern.Regex != Llama3Pattern:
		return unsupportedf("pre_tokenizer.pretokenizers[0].pattern.Regex: %q is not the Llama 3 pattern (only that one is implemented)", *split.Pattern.Regex)
	case split.Behavior != "Isolated":
		return unsupportedf("pre_tokenizer.pretokenizers[0].behavior: %q not supported (want Isolated)", split.Behavior)
	case split.Invert:
		return unsupportedf("pre_tokenizer.pretokenizers[0].invert: true not supported")
	}
	var bl struct {
		Type           string `json:"type"`
		AddPrefixSpace bool   `json:"add_prefix_space"`
		UseRegex       bool   `json:"use_regex"`
	}
	if err := decodeField("pre_tokenizer.pretokenizers[1]", p.Pretokenizers[1], &bl); err != nil {
		return err
	}
	switch {
	case bl.Type != "ByteLevel":
		return unsupportedf("pre_tokenizer.pretokenizers[1].type: %q not supported (want ByteLevel)", bl.Type)
	case bl.AddPrefixSpace:
		return unsupportedf("pre_tokenizer.pretokenizers[1].add_prefix_space: true not supported")
	case bl.UseRegex:
		return unsupportedf("pre_tokenizer.pretokenizers[1].use_regex: true not supported (GPT-2 regex)")
	}
	return nil
}

func checkDecoder(raw json.RawMessage) error {
	if isNull(raw) {
		return errors.New("decoder: missing (want ByteLevel)")
	}
	var d typed
	if err := decodeField("decoder", raw, &d); err != nil {
		return err
	}
	if d.Type != "ByteLevel" {
		return unsupportedf("decoder.type: %q not supported (want ByteLevel)", d.Type)
	}
	return nil
}

func (t *Tokenizer) loadModel(mp *modelJSON) error {
	if mp == nil {
		return errors.New("model: missing")
	}
	m := *mp
	switch {
	case m.Type == nil:
		return errors.New("model.type: missing (want BPE)")
	case *m.Type != "BPE":
		return unsupportedf("model.type: %q not supported (want BPE)", *m.Type)
	case m.Vocab == nil:
		return errors.New("model.vocab: missing")
	case m.ByteFallback:
		return unsupportedf("model.byte_fallback: true not supported (Llama 3 BPE is byte-level)")
	case m.Dropout != nil && *m.Dropout != 0:
		return unsupportedf("model.dropout: %v not supported", *m.Dropout)
	case m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "":
		return unsupportedf("model.continuing_subword_prefix: not supported")
	case m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "":
		return unsupportedf("model.end_of_word_suffix: not supported")
	}
	size := 0
	for tok, id := range m.Vocab {
		if id < 0 || id > maxID(len(m.Vocab)) {
			return fmt.Errorf("model.vocab: id %d of %q out of range (ids must be dense from 0)", id, tok)
		}
		size = max(size, id+1)
	}
	t.tokens = make([]string, size)
	t.isSet = make([]bool, size)
	t.vocab = make(map[string]int32, len(m.Vocab))
	t.rawVocab = make(map[string]int32, len(m.Vocab))
	for tok, id := range m.Vocab {
		if t.isSet[id] {
			return fmt.Errorf("model.vocab: id %d used by both %q and %q", id, t.tokens[id], tok)
		}
		t.tokens[id], t.isSet[id] = tok, true
		t.vocab[tok] = int32(id)
		if raw, ok := byteLevelDecode(tok); ok {
			t.rawVocab[string(raw)] = int32(id)
		}
	}
	b := &bpeModel{ignoreMerges: m.IgnoreMerges, cache: map[string][]int32{}}
	for c := 0; c < 256; c++ {
		id, ok := t.vocab[string(byteToRune[c])]
		if !ok {
			return fmt.Errorf("model.vocab: no token for byte 0x%02X (%q); not a byte-level vocabulary", c, string(byteToRune[c]))
		}
		b.byteIDs[c] = id
	}
	pairs, err := parseMerges(m.Merges)
	if err != nil {
		return err
	}
	b.merges = make(map[uint64]mergeInfo, len(pairs))
	for rank, p := range pairs {
		a, okA := t.vocab[p[0]]
		c, okB := t.vocab[p[1]]
		if !okA || !okB {
			return fmt.Errorf("model.merges[%d]: %q %q: token not in vocab", rank, p[0], p[1])
		}
		id, ok := t.vocab[p[0]+p[1]]
		if !ok {
			return fmt.Errorf("model.merges[%d]: merged token %q not in vocab", rank, p[0]+p[1])
		}
		k := pairKey(a, c)
		if _, dup := b.merges[k]; !dup { // the first (lowest) rank wins, as in HF
			b.merges[k] = mergeInfo{rank: int32(rank), id: id}
		}
	}
	t.bpe = b
	return nil
}

// parseMerges accepts both serialisations HF tokenizers writes: ["a b", ...] (before 0.20) and
// [["a", "b"], ...].
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if isNull(raw) {
		return nil, errors.New("model.merges: missing")
	}
	// Fast paths first: all strings, or all pairs; per-item decoding only to locate an error.
	var strs []string
	if json.Unmarshal(raw, &strs) == nil {
		out := make([][2]string, len(strs))
		for i, s := range strs {
			a, b, ok := strings.Cut(s, " ")
			if !ok || a == "" || b == "" || strings.Contains(b, " ") {
				return nil, fmt.Errorf("model.merges[%d]: %q is not \"left right\"", i, s)
			}
			out[i] = [2]string{a, b}
		}
		return out, nil
	}
	var pairs [][]string
	if json.Unmarshal(raw, &pairs) == nil {
		out := make([][2]string, len(pairs))
		for i, p := range pairs {
			if len(p) != 2 {
				return nil, fmt.Errorf("model.merges[%d]: want a string \"a b\" or a pair [a, b]", i)
			}
			out[i] = [2]string{p[0], p[1]}
		}
		return out, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("model.merges: %w", err)
	}
	out := make([][2]string, len(items))
	for i, it := range items {
		var s string
		if err := json.Unmarshal(it, &s); err == nil {
			a, b, ok := strings.Cut(s, " ")
			if !ok || a == "" || b == "" || strings.Contains(b, " ") {
				return nil, fmt.Errorf("model.merges[%d]: %q is not \"left right\"", i, s)
			}
			out[i] = [2]string{a, b}
			continue
		}
		var pair []string
		if err := json.Unmarshal(it, &pair); err != nil || len(pair) != 2 {
			return nil, fmt.Errorf("model.merges[%d]: want a string \"a b\" or a pair [a, b]", i)
		}
		out[i] = [2]string{pair[0], pair[1]}
	}
	return out, nil
}

// maxID bounds ids relative to the number of tokens so a corrupt file cannot make the id tables
// huge; real vocabularies are dense (ids 0..n-1).
func maxID(n int) int { return 2*n + 1024 }

func (t *Tokenizer) loadAdded(toks []addedToken) error {
	var plain, norm []addedToken
	for i, a := range toks {
		if a.Content == "" {
			return fmt.Errorf("added_tokens[%d]: empty content", i)
		}
		if a.ID < 0 || a.ID > maxID(len(t.tokens)+len(toks)) {
			return fmt.Errorf("added_tokens[%d]: id %d out of range", i, a.ID)
		}
		if a.ID >= len(t.tokens) {
			grow := a.ID + 1 - len(t.tokens)
			t.tokens = append(t.tokens, make([]string, grow)...)
			t.isSet = append(t.isSet, make([]bool, grow)...)
		}
		if t.isSet[a.ID] && t.tokens[a.ID] != a.Content {
			return fmt.Errorf("added_tokens[%d]: id %d is %q in model.vocab but %q here", i, a.ID, t.tokens[a.ID], a.Content)
		}
		t.tokens[a.ID], t.isSet[a.ID] = a.Content, true
		t.vocab[a.Content] = int32(a.ID)
		if a.Special {
			t.special = append(t.special, a.ID)
		}
		// Without a normalizer, normalized and non-normalized tokens see the same text, but HF
		// matches the non-normalized ones first; keep the two passes.
		if a.Normalized {
			norm = append(norm, a)
		} else {
			plain = append(plain, a)
		}
	}
	t.addedPlain = newAddedMatcher(plain)
	t.addedNorm = newAddedMatcher(norm)
	return nil
}

func (t *Tokenizer) loadPostProcessor(raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	var p struct {
		Type       string            `json:"type"`
		Processors []json.RawMessage `json:"processors"`
	}
	if err := decodeField("post_processor", raw, &p); err != nil {
		return err
	}
	if p.Type != "Sequence" {
		return t.loadProcessor("post_processor", raw)
	}
	for i, r := range p.Processors {
		if err := t.loadProcessor(fmt.Sprintf("post_processor.processors[%d]", i), r); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tokenizer) loadProcessor(field string, raw json.RawMessage) error {
	var p struct {
		Type   string `json:"type"`
		Single []map[string]struct {
			ID string `json:"id"`
		} `json:"single"`
		SpecialTokens map[string]struct {
			IDs []int `json:"ids"`
		} `json:"special_tokens"`
	}
	if err := decodeField(field, raw, &p); err != nil {
		return err
	}
	switch p.Type {
	case "ByteLevel": // only adjusts offsets
		return nil
	case "TemplateProcessing":
	default:
		return unsupportedf("%s.type: %q not supported (want ByteLevel or TemplateProcessing)", field, p.Type)
	}
	t.prefix, t.suffix = nil, nil
	seenSeq := false
	for i, item := range p.Single {
		if len(item) != 1 {
			return fmt.Errorf("%s.single[%d]: want one of SpecialToken or Sequence", field, i)
		}
		for kind, v := range item {
			switch kind {
			case "Sequence":
				if v.ID != "A" || seenSeq {
					return unsupportedf("%s.single[%d]: Sequence %q not supported", field, i, v.ID)
				}
				seenSeq = true
			case "SpecialToken":
				st, ok := p.SpecialTokens[v.ID]
				if !ok {
					return fmt.Errorf("%s.single[%d]: special token %q not in special_tokens", field, i, v.ID)
				}
				for _, id := range st.IDs {
					if id < 0 || id >= len(t.tokens) || !t.isSet[id] {
						return fmt.Errorf("%s.special_tokens[%q]: id %d not in the vocabulary", field, v.ID, id)
					}
					if seenSeq {
						t.suffix = append(t.suffix, id)
					} else {
						t.prefix = append(t.prefix, id)
					}
				}
			default:
				return fmt.Errorf("%s.single[%d]: unknown item %q", field, i, kind)
			}
		}
	}
	if !seenSeq {
		return fmt.Errorf("%s.single: no Sequence A", field)
	}
	return nil
}

// tokenizerConfig is the part of tokenizer_config.json used here.
type tokenizerConfig struct {
	BOS                       json.RawMessage `json:"bos_token"`
	EOS                       json.RawMessage `json:"eos_token"`
	PAD                       json.RawMessage `json:"pad_token"`
	UNK                       json.RawMessage `json:"unk_token"`
	ChatTemplate              json.RawMessage `json:"chat_template"`
	CleanUpTokenizationSpaces *bool           `json:"clean_up_tokenization_spaces"`
	AdditionalSpecialTokens   json.RawMessage `json:"additional_special_tokens"`
	ModelMaxLength            *float64        `json:"model_max_length"`
}

// tokenString reads a special token written either as a string or as a serialised AddedToken
// ({"content": ..., "__type": "AddedToken"}).
func tokenString(field string, raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var o struct {
		Content *string `json:"content"`
	}
	if err := json.Unmarshal(raw, &o); err != nil || o.Content == nil {
		return "", fmt.Errorf("%s: want a string or an object with \"content\"", field)
	}
	return *o.Content, nil
}

// Load reads a tokenizer directory: tokenizer.json (required), tokenizer_config.json and the
// chat template (chat_template.jinja, the "chat_template" of tokenizer_config.json, or
// chat_template.json, in that order of preference) when present.
func Load(dir string) (*Tokenizer, error) {
	path := filepath.Join(dir, "tokenizer.json")
	data, err := fsutil.ReadCapped(path, hf.MaxTokenizerSize)
	if err != nil {
		return nil, err
	}
	t, err := parseTokenizerJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	if data, err := fsutil.ReadCapped(cfgPath, hf.MaxTokenizerSize); err == nil {
		if err := t.applyConfig(data); err != nil {
			return nil, fmt.Errorf("%s: %w", cfgPath, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if t.bos == "" && t.eos == "" {
		// Older checkpoints keep the special tokens only in special_tokens_map.json.
		p := filepath.Join(dir, "special_tokens_map.json")
		if data, err := fsutil.ReadCapped(p, hf.MaxTokenizerSize); err == nil {
			var m struct {
				BOS json.RawMessage `json:"bos_token"`
				EOS json.RawMessage `json:"eos_token"`
				PAD json.RawMessage `json:"pad_token"`
				UNK json.RawMessage `json:"unk_token"`
			}
			if err := json.Unmarshal(data, &m); err != nil {
				return nil, fmt.Errorf("%s: not valid JSON: %w", p, err)
			}
			for _, f := range []struct {
				name string
				raw  json.RawMessage
				dst  *string
			}{{"bos_token", m.BOS, &t.bos}, {"eos_token", m.EOS, &t.eos}, {"pad_token", m.PAD, &t.pad}, {"unk_token", m.UNK, &t.unk}} {
				if *f.dst, err = tokenString(f.name, f.raw); err != nil {
					return nil, fmt.Errorf("%s: %w", p, err)
				}
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	if data, err := fsutil.ReadCapped(filepath.Join(dir, "chat_template.jinja"), hf.MaxJSONSize); err == nil {
		t.chatTemplates = map[string]string{"default": string(data)}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if len(t.chatTemplates) == 0 {
		p := filepath.Join(dir, "chat_template.json")
		if data, err := fsutil.ReadCapped(p, hf.MaxJSONSize); err == nil {
			var ct struct {
				ChatTemplate json.RawMessage `json:"chat_template"`
			}
			if err := json.Unmarshal(data, &ct); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			if t.chatTemplates, err = parseChatTemplateField(ct.ChatTemplate); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	return t, nil
}

// LoadJSON builds a Tokenizer from tokenizer.json bytes alone (no config, no chat template).
func LoadJSON(data []byte) (*Tokenizer, error) {
	t, err := parseTokenizerJSON(data)
	if err != nil {
		return nil, fmt.Errorf("tokenizer.json: %w", err)
	}
	return t, nil
}

func (t *Tokenizer) applyConfig(data []byte) error {
	var c tokenizerConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("not valid JSON: %w", err)
	}
	var err error
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{{"bos_token", c.BOS, &t.bos}, {"eos_token", c.EOS, &t.eos}, {"pad_token", c.PAD, &t.pad}, {"unk_token", c.UNK, &t.unk}} {
		if *f.dst, err = tokenString(f.name, f.raw); err != nil {
			return err
		}
	}
	// An absent key means false in current transformers (PreTrainedTokenizerBase.__init__ pops it
	// with default False; releases before ~4.45 defaulted to True). Llama 3.x files set it.
	t.cleanup = c.CleanUpTokenizationSpaces != nil && *c.CleanUpTokenizationSpaces
	if !isNull(c.ChatTemplate) {
		if t.chatTemplates, err = parseChatTemplateField(c.ChatTemplate); err != nil {
			return err
		}
	}
	return nil
}

// parseChatTemplateField accepts a template string or transformers' list form
// [{"name": "default", "template": "..."}, {"name": "tool_use", ...}].
func parseChatTemplateField(raw json.RawMessage) (map[string]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return map[string]string{"default": s}, nil
	}
	var list []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("chat_template: want a string or a list of {name, template}")
	}
	out := map[string]string{}
	for i, e := range list {
		if e.Name == "" {
			return nil, fmt.Errorf("chat_template[%d].name: missing", i)
		}
		out[e.Name] = e.Template
	}
	return out, nil
}
