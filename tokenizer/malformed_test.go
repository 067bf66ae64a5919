package tokenizer

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// synthJSON builds a small but complete Llama-3-style tokenizer.json: the 256 byte tokens, a
// few merges, one special added token and the BOS template; edit mutates the decoded document
// before it is serialised.
func synthJSON(t testing.TB, edit func(doc map[string]any)) []byte {
	t.Helper()
	vocab := map[string]any{}
	for b := 0; b < 256; b++ {
		vocab[string(byteToRune[b])] = b
	}
	merges := []any{"Ġ t", "h e", "Ġt he", "l l", "ll o", "he llo"}
	next := 256
	for _, m := range merges {
		a, b, _ := strings.Cut(m.(string), " ")
		vocab[a+b] = next
		next++
	}
	doc := map[string]any{
		"version":    "1.0",
		"truncation": nil, "padding": nil,
		"added_tokens": []any{map[string]any{"id": 300, "content": "<|bos|>", "single_word": false, "lstrip": false,
			"rstrip": false, "normalized": false, "special": true}},
		"normalizer": nil,
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": Llama3Pattern}, "behavior": "Isolated", "invert": false},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
		}},
		"post_processor": map[string]any{"type": "Sequence", "processors": []any{
			map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
			map[string]any{"type": "TemplateProcessing",
				"single":         []any{map[string]any{"SpecialToken": map[string]any{"id": "<|bos|>", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}},
				"special_tokens": map[string]any{"<|bos|>": map[string]any{"id": "<|bos|>", "ids": []any{300}, "tokens": []any{"<|bos|>"}}}},
		}},
		"decoder": map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
		"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": nil, "continuing_subword_prefix": nil,
			"end_of_word_suffix": nil, "fuse_unk": false, "byte_fallback": false, "ignore_merges": true,
			"vocab": vocab, "merges": merges},
	}
	if edit != nil {
		edit(doc)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func model(doc map[string]any) map[string]any { return doc["model"].(map[string]any) }

func TestSynthTokenizer(t *testing.T) {
	tok, err := LoadJSON(synthJSON(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	the, _ := tok.ID("Ġthe")
	hello, _ := tok.ID("hello")
	got := tok.Encode("hello the<|bos|>", true)
	want := []int{300, hello, the, 300}
	if !slices.Equal(got, want) {
		t.Errorf("Encode = %v, want %v", got, want)
	}
	if s := tok.Decode(got, true); s != "hello the" {
		t.Errorf("Decode = %q", s)
	}
	// Merges given as pairs (tokenizers >= 0.20 format) load the same.
	tok2, err := LoadJSON(synthJSON(t, func(doc map[string]any) {
		var pairs []any
		for _, m := range model(doc)["merges"].([]any) {
			a, b, _ := strings.Cut(m.(string), " ")
			pairs = append(pairs, []any{a, b})
		}
		model(doc)["merges"] = pairs
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got2 := tok2.Encode("hello the<|bos|>", true); !slices.Equal(got2, want) {
		t.Errorf("pair merges: Encode = %v, want %v", got2, want)
	}
	// Without ignore_merges the merge path must reach the same ids here.
	tok3, err := LoadJSON(synthJSON(t, func(doc map[string]any) { model(doc)["ignore_merges"] = false }))
	if err != nil {
		t.Fatal(err)
	}
	if got3 := tok3.Encode("hello the<|bos|>", true); !slices.Equal(got3, want) {
		t.Errorf("merges only: Encode = %v, want %v", got3, want)
	}
}

func TestMalformedTokenizerJSON(t *testing.T) {
	set := func(path string, v any) func(map[string]any) {
		return func(doc map[string]any) {
			keys := strings.Split(path, ".")
			m := doc
			for _, k := range keys[:len(keys)-1] {
				m = m[k].(map[string]any)
			}
			m[keys[len(keys)-1]] = v
		}
	}
	preSplit := func(f func(split map[string]any)) func(map[string]any) {
		return func(doc map[string]any) {
			f(doc["pre_tokenizer"].(map[string]any)["pretokenizers"].([]any)[0].(map[string]any))
		}
	}
	for _, c := range []struct {
		name string
		raw  string // used instead of synthJSON when set
		edit func(map[string]any)
		want string
	}{
		{"not_json", "{", nil, "not valid JSON"},
		{"wrong_top_type", `[]`, nil, "not valid JSON"},
		{"wordpiece", "", set("model.type", "WordPiece"), `model.type: "WordPiece" not supported`},
		{"unigram", "", set("model.type", "Unigram"), `model.type: "Unigram" not supported`},
		{"model_missing", "", func(d map[string]any) { delete(d, "model") }, "model: missing"},
		{"model_type_missing", "", func(d map[string]any) { delete(model(d), "type") }, "model.type: missing"},
		{"vocab_missing", "", func(d map[string]any) { delete(model(d), "vocab") }, "model.vocab: missing"},
		{"vocab_wrong_type", "", set("model.vocab", []any{1}), "model.vocab: JSON array where map[string]int is expected"},
		{"vocab_id_string", "", func(d map[string]any) { model(d)["vocab"].(map[string]any)["zzz"] = "x" }, "model.vocab"},
		{"added_id_string", "", set("added_tokens", []any{map[string]any{"id": "x", "content": "<x>"}}), "added_tokens.id"},
		{"byte_fallback", "", set("model.byte_fallback", true), "model.byte_fallback"},
		{"dropout", "", set("model.dropout", 0.1), "model.dropout"},
		{"subword_prefix", "", set("model.continuing_subword_prefix", "##"), "model.continuing_subword_prefix"},
		{"normalizer", "", set("normalizer", map[string]any{"type": "NFC"}), `normalizer: type "NFC"`},
		{"metaspace", "", set("pre_tokenizer", map[string]any{"type": "Metaspace"}), `pre_tokenizer.type: "Metaspace"`},
		{"gpt2_bytelevel", "", set("pre_tokenizer", map[string]any{"type": "ByteLevel", "use_regex": true}), `pre_tokenizer.type: "ByteLevel"`},
		{"no_pre_tokenizer", "", set("pre_tokenizer", nil), "pre_tokenizer: missing"},
		{"other_regex", "", preSplit(func(s map[string]any) { s["pattern"] = map[string]any{"Regex": `\w+`} }), "pattern.Regex"},
		{"string_pattern", "", preSplit(func(s map[string]any) { s["pattern"] = map[string]any{"String": " "} }), "pattern.Regex: missing"},
		{"split_behavior", "", preSplit(func(s map[string]any) { s["behavior"] = "Removed" }), "behavior"},
		{"use_regex", "", func(d map[string]any) {
			d["pre_tokenizer"].(map[string]any)["pretokenizers"].([]any)[1].(map[string]any)["use_regex"] = true
		}, "pretokenizers[1].use_regex"},
		{"decoder", "", set("decoder", map[string]any{"type": "WordPiece"}), `decoder.type: "WordPiece"`},
		{"decoder_missing", "", set("decoder", nil), "decoder: missing"},
		{"missing_byte", "", func(d map[string]any) { delete(model(d)["vocab"].(map[string]any), "Ġ") }, "no token for byte 0x20"},
		{"merge_unknown", "", set("model.merges", []any{"x Q"}), `model.merges[0]: merged token "xQ" not in vocab`},
		{"merge_bad_string", "", set("model.merges", []any{"abc"}), `model.merges[0]: "abc" is not`},
		{"merge_bad_pair", "", set("model.merges", []any{[]any{"a"}}), "model.merges[0]: want"},
		{"merges_missing", "", func(d map[string]any) { delete(model(d), "merges") }, "model.merges: missing"},
		{"dup_id", "", func(d map[string]any) { model(d)["vocab"].(map[string]any)["zzz"] = 5 }, "id 5 used by both"},
		{"negative_id", "", func(d map[string]any) { model(d)["vocab"].(map[string]any)["zzz"] = -1 }, "out of range"},
		{"added_conflict", "", set("added_tokens", []any{map[string]any{"id": 5, "content": "<|x|>"}}), "added_tokens[0]: id 5"},
		{"added_empty", "", set("added_tokens", []any{map[string]any{"id": 400, "content": ""}}), "added_tokens[0]: empty content"},
		{"roberta", "", set("post_processor", map[string]any{"type": "RobertaProcessing"}), `post_processor.type: "RobertaProcessing"`},
		{"template_unknown_special", "", func(d map[string]any) {
			pp := d["post_processor"].(map[string]any)["processors"].([]any)[1].(map[string]any)
			pp["special_tokens"] = map[string]any{}
		}, "not in special_tokens"},
		{"template_bad_id", "", func(d map[string]any) {
			pp := d["post_processor"].(map[string]any)["processors"].([]any)[1].(map[string]any)
			pp["special_tokens"] = map[string]any{"<|bos|>": map[string]any{"ids": []any{99999}}}
		}, "id 99999 not in the vocabulary"},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := []byte(c.raw)
			if c.raw == "" {
				data = synthJSON(t, c.edit)
			}
			_, err := LoadJSON(data)
			if err == nil {
				t.Fatalf("loaded; want error containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "tokenizer.json: ") {
				t.Errorf("error %q, want it to start with \"tokenizer.json: \" and contain %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			if want := strings.Contains(err.Error(), "not supported") || strings.Contains(err.Error(), "not the Llama 3 pattern"); errors.Is(err, ErrUnsupported) != want {
				t.Errorf("errors.Is(err, ErrUnsupported) = %v for %q", !want, err)
			}
		})
	}
}

func TestLoadDirectoryErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "tokenizer.json") {
		t.Errorf("missing tokenizer.json: err = %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), synthJSON(t, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, file, body, want string }{
		{"config_json", "tokenizer_config.json", "{", "tokenizer_config.json: not valid JSON"},
		{"bos_number", "tokenizer_config.json", `{"bos_token": 5}`, "bos_token: want a string"},
		{"template_number", "tokenizer_config.json", `{"chat_template": 5}`, "chat_template: want a string"},
		{"template_list_no_name", "tokenizer_config.json", `{"chat_template": [{"template": "x"}]}`, "chat_template[0].name: missing"},
		{"chat_template_json", "chat_template.json", `{"chat_template": 1}`, "chat_template.json: chat_template"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := t.TempDir()
			os.WriteFile(filepath.Join(d, "tokenizer.json"), synthJSON(t, nil), 0o644)
			os.WriteFile(filepath.Join(d, c.file), []byte(c.body), 0o644)
			_, err := Load(d)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
	// Special tokens only in special_tokens_map.json (AddedToken form), no tokenizer_config.json.
	d0 := t.TempDir()
	os.WriteFile(filepath.Join(d0, "tokenizer.json"), synthJSON(t, nil), 0o644)
	os.WriteFile(filepath.Join(d0, "special_tokens_map.json"), []byte(`{"bos_token": {"content": "<|bos|>", "lstrip": false}, "eos_token": "<|bos|>"}`), 0o644)
	if tok, err := Load(d0); err != nil || tok.BOSToken() != "<|bos|>" || tok.EOSID() != 300 || tok.CleanUpTokenizationSpaces() {
		t.Errorf("special_tokens_map.json fallback: %v", err)
	}
	os.WriteFile(filepath.Join(d0, "special_tokens_map.json"), []byte(`{"bos_token": 1}`), 0o644)
	if _, err := Load(d0); err == nil || !strings.Contains(err.Error(), "special_tokens_map.json: bos_token") {
		t.Errorf("bad special_tokens_map.json: err = %v", err)
	}
	// A valid config with AddedToken objects and a named template list.
	d := t.TempDir()
	os.WriteFile(filepath.Join(d, "tokenizer.json"), synthJSON(t, nil), 0o644)
	os.WriteFile(filepath.Join(d, "tokenizer_config.json"), []byte(`{"bos_token": {"__type": "AddedToken", "content": "<|bos|>"},
		"eos_token": "<|bos|>", "clean_up_tokenization_spaces": false,
		"chat_template": [{"name": "default", "template": "{{ bos_token }}{{ messages[0].content }}"}, {"name": "tool_use", "template": "T{{ tools | length }}"}]}`), 0o644)
	tok, err := Load(d)
	if err != nil {
		t.Fatal(err)
	}
	if tok.BOSToken() != "<|bos|>" || tok.BOSID() != 300 || tok.CleanUpTokenizationSpaces() {
		t.Errorf("config not applied: bos %q/%d cleanup %v", tok.BOSToken(), tok.BOSID(), tok.CleanUpTokenizationSpaces())
	}
	msgs := []map[string]string{{"role": "user", "content": "hi"}}
	if s, err := tok.ApplyChatTemplate(msgs, ChatOptions{}); err != nil || s != "<|bos|>hi" {
		t.Errorf("default template: %q, %v", s, err)
	}
	if s, err := tok.ApplyChatTemplate(msgs, ChatOptions{Tools: []int{1, 2}}); err != nil || s != "T2" {
		t.Errorf("tool_use template: %q, %v", s, err)
	}
}

// TestMergeLinearEqualsHeap checks the two BPE merge loops against each other on the real
// merge table, for words of every length around the switch-over.
func TestMergeLinearEqualsHeap(t *testing.T) {
	tok := fixtureTokenizer(t)
	words := []string{"supercalifragilistic", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", " Donaudampfschifffahrt",
		"ababababababababababab", "xqzvbnmlkjhgfdsrtwp", "ภาษาไทยไม่มีการ", "нейросеть", "🦙🦙🦙", "\xff\xfe\xfd", " pneumono"}
	for _, w := range words {
		for n := 2; n <= len(w); n++ {
			lin := tok.bpe.mergeLinear(nil, w[:n])
			hp := tok.bpe.mergeHeap(nil, w[:n])
			if !slices.Equal(lin, hp) {
				t.Fatalf("%q: linear %v heap %v", w[:n], lin, hp)
			}
		}
	}
}
