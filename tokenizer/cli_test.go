package tokenizer

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestCLIHelpers(t *testing.T) {
	tok := fixtureTokenizer(t)
	r := tok.Tokenize("Hello world", true)
	if !slices.Equal(r.IDs, []int{128000, 9906, 1917}) || !slices.Equal(r.Tokens, []string{"<|begin_of_text|>", "Hello", "Ġworld"}) {
		t.Errorf("Tokenize = %+v", r)
	}
	if err := tok.CheckIDs([]int{0, 128256}); err != nil {
		t.Error(err)
	}
	if err := tok.CheckIDs([]int{128257}); err == nil {
		t.Error("id 128257 accepted")
	}
}

// TestLlama31SpecialLayout loads the fixture with its added tokens rewritten to the
// Llama-3.1-8B-Instruct layout (docs/tokenizer.md §3: 128005 = reserved_2 ... 128255 =
// reserved_247, no <|image|>): nothing may depend on the 3.2 Vision list.
func TestLlama31SpecialLayout(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(fixturesDir(t), "tiny-mllama", "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	named := map[int]string{128000: "<|begin_of_text|>", 128001: "<|end_of_text|>", 128002: "<|reserved_special_token_0|>",
		128003: "<|reserved_special_token_1|>", 128004: "<|finetune_right_pad_id|>", 128006: "<|start_header_id|>",
		128007: "<|end_header_id|>", 128008: "<|eom_id|>", 128009: "<|eot_id|>", 128010: "<|python_tag|>"}
	var added []map[string]any
	reserved := 2
	for id := 128000; id < 128256; id++ {
		content, ok := named[id]
		if !ok {
			content = "<|reserved_special_token_" + itoa(reserved) + "|>"
			reserved++
		}
		added = append(added, map[string]any{"id": id, "content": content, "single_word": false, "lstrip": false,
			"rstrip": false, "normalized": false, "special": true})
	}
	// Splice the new list over the old one (re-encoding the 9 MB document would dominate the
	// test's run time); the added_tokens array holds flat objects, so its first "]" ends it.
	start := bytes.Index(data, []byte(`"added_tokens":`))
	end := start + bytes.IndexByte(data[start:], ']')
	if start < 0 || end <= start {
		t.Fatal("added_tokens not found in tokenizer.json")
	}
	list, _ := json.Marshal(added)
	data = slices.Concat(data[:start], []byte(`"added_tokens":`), list, data[end+1:])
	tok, err := LoadJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != 128256 {
		t.Errorf("VocabSize = %d, want 128256", tok.VocabSize())
	}
	if got := tok.Encode("<|reserved_special_token_247|>", false); !slices.Equal(got, []int{128255}) {
		t.Errorf("reserved_247 = %v, want [128255]", got)
	}
	img := tok.Encode("<|image|>", false)
	if len(img) < 2 || slices.Contains(img, 128256) {
		t.Errorf("<|image|> = %v, want ordinary text", img)
	}
	if got := tok.Encode("<|eot_id|>", true); !slices.Equal(got, []int{128000, 128009}) {
		t.Errorf("eot = %v", got)
	}
	if s := tok.Decode([]int{128005, 9906}, false); s != "<|reserved_special_token_2|>Hello" {
		t.Errorf("Decode = %q", s)
	}
	if s := tok.Decode([]int{128005, 9906}, true); s != "Hello" {
		t.Errorf("Decode skip = %q", s)
	}
	if !strings.HasPrefix(tok.Token(128011), "<|reserved_special_token_3") {
		t.Errorf("Token(128011) = %q", tok.Token(128011))
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestCT2Vocabulary(t *testing.T) {
	tok := fixtureTokenizer(t)
	data, err := os.ReadFile(filepath.Join(fixturesDir(t), "golden", "ct2go", "int8_float16", "vocabulary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	got := ct2Vocabulary(tok, 128256)
	if !slices.Equal(got, want) {
		t.Fatalf("CT2Vocabulary(128256) differs from golden vocabulary.json (%d vs %d tokens)", len(got), len(want))
	}
	if ext := ct2Vocabulary(tok, 128259); ext[128256] != "<|image|>" || ext[128257] != "<extra_id_0>" || ext[128258] != "<extra_id_1>" {
		t.Errorf("padding: %q", ext[128256:])
	}
}

// ct2Vocabulary is the token list CTranslate2's Transformers converter writes to
// vocabulary.json: tokenizer.get_vocab() (model and added tokens) sorted by id, then padded
// with "<extra_id_N>" up to vocabSize or truncated to it (LlamaLoader.get_vocabulary; see
// docs/ctranslate2-format.md §5). For Llama 3.2 Vision, vocabSize 128256 drops <|image|>.
// Only this test needs it: it checks the tokenizer's id -> token table against the
// converter's golden vocabulary.json.
func ct2Vocabulary(t *Tokenizer, vocabSize int) []string {
	out := make([]string, 0, vocabSize)
	for id, tok := range t.tokens {
		if t.isSet[id] {
			out = append(out, tok)
		}
	}
	for i := 0; len(out) < vocabSize; i++ {
		out = append(out, "<extra_id_"+strconv.Itoa(i)+">")
	}
	return out[:vocabSize]
}
