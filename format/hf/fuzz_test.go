package hf

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
)

// configSeeds are the fixture's config.json and hand-made edge cases.
func configSeeds(t testing.TB) [][]byte {
	real, err := os.ReadFile(testfix.Path(t, "tiny-mllama", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	stripped, err := os.ReadFile(testfix.Path(t, "golden", "stripped-llama", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	seeds := [][]byte{real, stripped}
	for _, s := range []string{
		`{}`, `null`, `[]`, `"x"`, `{"model_type":1}`, `{"text_config":[]}`, `{"text_config":null}`,
		`{"model_type":"llama","hidden_size":"64"}`,
		`{"model_type":"llama","hidden_size":1e300}`,
		`{"model_type":"llama","num_hidden_layers":-1,"head_dim":0}`,
		`{"model_type":"llama","num_key_value_heads":null,"rope_scaling":{"rope_type":"llama3","factor":"8"}}`,
		`{"model_type":"llama","rope_parameters":{"rope_type":"default","rope_theta":"x"}}`,
		`{"model_type":"mllama","text_config":{"cross_attention_layers":[3,3,-1,99999999999]}}`,
		`{"architectures":[1,"a",null],"torch_dtype":5}`,
		`{"model_type":"llama"} trailing`,
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// FuzzParseConfig: any bytes give a Config or a one-line error; the
// accessors conversion relies on never panic on what was accepted.
func FuzzParseConfig(f *testing.F) {
	for _, s := range configSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := ParseConfig(raw)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if c.Raw == nil || c.TextRaw == nil {
			t.Fatal("accepted config without its raw maps")
		}
		tc := &c.Text
		_ = tc.KVHeads()
		_ = tc.HeadDimOr()
		_ = tc.RopeThetaOr(10000)
		for k, v := range tc.Scaling() {
			Number(v)
			_ = k
		}
		// What was decoded is what the JSON says.
		if v, ok := c.TextRaw["hidden_size"]; ok && v != nil {
			if n, ok := v.(json.Number); ok {
				if i, err := n.Int64(); err == nil && int64(tc.HiddenSize) != i {
					t.Fatalf("hidden_size %v decoded as %d", v, tc.HiddenSize)
				}
			}
		}
	})
}

// FuzzParseVocabulary: a vocabulary either comes back dense (token i has id
// i) or the input is refused with one line.
func FuzzParseVocabulary(f *testing.F) {
	for _, s := range []string{
		`{"model":{"type":"BPE","vocab":{"a":0,"b":1}},"added_tokens":[{"id":2,"content":"<s>"}]}`,
		`{"model":{"type":"BPE","vocab":{"a":0,"b":2}}}`,
		`{"model":{"type":"BPE","vocab":{"a":0,"b":0}}}`,
		`{"model":{"type":"BPE","vocab":{"a":-1}}}`,
		`{"model":{"type":"BPE","vocab":{"a":0}},"added_tokens":[{"content":"x"}]}`,
		`{"model":{"type":"BPE","vocab":{"a":0}},"added_tokens":[{"id":4611686018427387904,"content":"x"}]}`,
		`{"model":{"type":"Unigram","vocab":[["a",0.0]]}}`,
		`{"model":{"type":"BPE","vocab":null}}`,
		`{}`, `[]`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		toks, err := ParseVocabulary(raw)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		// Re-derive the id of every token: the list must be indexed by id.
		var tj struct {
			Model struct {
				Vocab map[string]int `json:"vocab"`
			} `json:"model"`
			AddedTokens []struct {
				ID      int    `json:"id"`
				Content string `json:"content"`
			} `json:"added_tokens"`
		}
		if err := json.Unmarshal(raw, &tj); err != nil {
			t.Fatalf("accepted, but does not decode: %v", err)
		}
		for _, at := range tj.AddedTokens {
			if at.ID >= len(toks) || toks[at.ID] != at.Content {
				t.Fatalf("added token %q (id %d) not at its id in %d tokens", at.Content, at.ID, len(toks))
			}
		}
		for tok, id := range tj.Model.Vocab {
			overridden := false
			for _, at := range tj.AddedTokens {
				overridden = overridden || at.ID == id
			}
			if !overridden && (id >= len(toks) || toks[id] != tok) {
				t.Fatalf("token %q (id %d) not at its id", tok, id)
			}
		}
	})
}

// TestVocabularyGaps: a vocabulary with a hole is refused, naming the id.
func TestVocabularyGaps(t *testing.T) {
	_, err := ParseVocabulary([]byte(`{"model":{"type":"BPE","vocab":{"a":0,"b":1}},"added_tokens":[{"id":5,"content":"<s>"}]}`))
	if err == nil || !strings.Contains(err.Error(), "no token has id 2") {
		t.Errorf("gap: %v", err)
	}
	toks, err := Vocabulary(testfix.Path(t, "tiny-mllama"))
	if err != nil || len(toks) != 128257 || toks[128256] != "<|image|>" {
		t.Errorf("fixture vocabulary: %d tokens, %v", len(toks), err)
	}
}

// TestSpecialFiles: config.json as /dev/zero, a FIFO or a huge file is
// refused without reading it (an endless read or a blocked open otherwise).
func TestSpecialFiles(t *testing.T) {
	for name, make := range map[string]func(p string) error{
		"dev zero": func(p string) error { return os.Symlink("/dev/zero", p) },
		"fifo":     func(p string) error { return syscall.Mkfifo(p, 0o644) },
		"huge": func(p string) error {
			f, err := os.Create(p)
			if err != nil {
				return err
			}
			defer f.Close()
			return f.Truncate(maxConfigSize + 1)
		},
	} {
		dir := t.TempDir()
		if err := make(filepath.Join(dir, "config.json")); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadConfig(dir); err == nil || !strings.Contains(err.Error(), "config.json") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
