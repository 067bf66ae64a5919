package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzLoad feeds arbitrary bytes to the tokenizer.json loader: it must return a tokenizer or an
// error, never panic, and a loaded tokenizer must encode and decode without panicking.
func FuzzLoad(f *testing.F) {
	f.Add(synthJSON(f, nil))
	f.Add(synthJSON(f, func(d map[string]any) { model(d)["merges"] = []any{[]any{"Ġ", "t"}} }))
	f.Add(synthJSON(f, func(d map[string]any) { d["post_processor"] = nil }))
	f.Add(synthJSON(f, func(d map[string]any) {
		d["added_tokens"] = []any{map[string]any{"id": 301, "content": "<x>", "lstrip": true, "rstrip": true, "single_word": true, "normalized": true, "special": false}}
	}))
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{},"merges":[]}}`))
	f.Add([]byte(`{"model":null}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := LoadJSON(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error: %q", err)
			}
			return
		}
		for _, s := range []string{"", "hello the<|bos|> world  \n\n12345", "<x> a <x>b", "\xff\xfe"} {
			ids := tok.Encode(s, true)
			_ = tok.Decode(ids, false)
			_ = tok.Decode(ids, true)
			if utf8.ValidString(s) && tok.DecodeRaw(tok.Encode(s, false), false) != s && len(tok.addedPlain.toks)+len(tok.addedNorm.toks) == 0 {
				t.Errorf("round trip of %q failed", s)
			}
		}
	})
}

// FuzzEncode checks, on the real Llama 3.2 tokenizer, that encoding never panics, that every id
// is valid, and that raw decoding inverts encoding for valid UTF-8 (byte-level BPE is lossless;
// added tokens decode to their own text).
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", "Hello, world!", "  multiple   spaces\n\n\r\n", "I'M YOU'RE it'ſ",
		"12345678901234567890", "<|begin_of_text|>Hi<|eot_id|>", "<|eot_id|", "नमस्ते 👋 こんにちは",
		"\u0085\u00a0\u200b\ufeff\u3000", "def f(x):\n\treturn x**2", strings.Repeat("a", 300), "\xff\xfe invalid"} {
		f.Add(s)
	}
	tok := fixtureTokenizer(f)
	f.Fuzz(func(t *testing.T, s string) {
		ids := tok.Encode(s, false)
		for _, id := range ids {
			if id < 0 || id >= tok.VocabSize() {
				t.Fatalf("id %d out of range", id)
			}
		}
		withBOS := tok.Encode(s, true)
		if len(withBOS) != len(ids)+1 || withBOS[0] != 128000 {
			t.Fatalf("add_special: %v vs %v", withBOS, ids)
		}
		got := tok.DecodeRaw(ids, false)
		if utf8.ValidString(s) && got != s {
			t.Fatalf("DecodeRaw(Encode(%q)) = %q", s, got)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("decode produced invalid UTF-8: %q", got)
		}
	})
}
