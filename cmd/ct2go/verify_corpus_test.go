package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
	"github.com/ct2go/ct2go/runtime"
	"github.com/ct2go/ct2go/tokenizer"
	"github.com/ct2go/ct2go/verify"
)

func tomSawyer(t *testing.T) string {
	return filepath.Join(testfix.RepoRoot(t), "testdata", "tom-sawyer.txt")
}

// corpusJSON is the part of verify --json a corpus run adds.
type corpusJSON struct {
	Prompts []struct {
		Name      string `json:"name"`
		Tokens    int    `json:"tokens"`
		From      int    `json:"first_compared_position"`
		Positions int    `json:"positions"`
	} `json:"prompts"`
	Corpus *struct {
		Text            string         `json:"text"`
		Ctx             int            `json:"ctx"`
		Windows         int            `json:"windows"`
		TextTokens      int            `json:"text_tokens"`
		ScoredPerWindow int            `json:"scored_per_window"`
		Stats           map[string]any `json:"statistics"`
	} `json:"corpus"`
	Pass bool `json:"pass"`
}

func runCorpusJSON(t *testing.T, wantCode int, args ...string) (corpusJSON, result) {
	t.Helper()
	r := ct2go(t, nil, append([]string{"verify", "--json"}, args...)...)
	if r.code != wantCode {
		t.Fatalf("verify %v: exit %d, want %d\nstdout: %s\nstderr: %s", args, r.code, wantCode, r.stdout, r.stderr)
	}
	var v corpusJSON
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("verify --json output: %v\n%s", err, r.stdout)
	}
	if v.Corpus == nil {
		t.Fatalf("no corpus section:\n%s", r.stdout)
	}
	return v, r
}

func num(t *testing.T, m map[string]any, k string) float64 {
	t.Helper()
	v, ok := m[k].(float64)
	if !ok {
		t.Fatalf("statistics.%s = %v, want a number", k, m[k])
	}
	return v
}

func TestVerifyCorpusAgainst(t *testing.T) {
	t.Parallel()
	f32 := convertedModel(t, "float32", false)
	i8 := convertedModel(t, "int8_float16", false)
	text := tomSawyer(t)
	html := filepath.Join(t.TempDir(), "report.html")

	// float32 against itself: identical logits.
	v, _ := runCorpusJSON(t, 0, "--model", f32, "--against", f32, "--text", text, "--ctx", "64", "--chunks", "2")
	s := v.Corpus.Stats
	if v.Corpus.Windows != 2 || v.Corpus.Ctx != 64 || v.Corpus.ScoredPerWindow != 31 || v.Corpus.TextTokens != 97205 ||
		num(t, s, "scored_tokens") != 62 || num(t, s, "kld_max") != 0 || num(t, s, "ppl_ratio") != 1 || num(t, s, "same_top") != 1 || num(t, s, "delta_p_rms") != 0 {
		t.Errorf("float32 against itself: %+v", v.Corpus)
	}
	if len(v.Prompts) != 2 || v.Prompts[1].Name != "chunk1" || v.Prompts[1].From != 32 || v.Prompts[1].Positions != 31 || v.Prompts[1].Tokens != 64 {
		t.Errorf("windows %+v", v.Prompts)
	}

	// int8 against float32 with an HTML report; top-1 is not gated (the
	// random fixture model is full of near-ties).
	v, r := runCorpusJSON(t, 0, "--model", i8, "--against", f32, "--text", text, "--ctx", "64", "--chunks", "2", "--min-top1", "-1", "--report", html)
	s = v.Corpus.Stats
	kld := num(t, s, "kld_mean")
	t.Logf("int8 vs float32, 2×64: KLD %.3g ± %.2g, PPL ratio %.5f ± %.2g, same top %.3f", kld, num(t, s, "kld_mean_err"), num(t, s, "ppl_ratio"), num(t, s, "ppl_ratio_err"), num(t, s, "same_top"))
	if kld <= 0 || kld > 5e-3 || num(t, s, "kld_max") < num(t, s, "kld_p99_9") || num(t, s, "cor_ln_ppl") < 0.9 {
		t.Errorf("int8 vs float32: %v", s)
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatalf("--report not written: %v (%s)", err, r.stderr)
	}
	if strings.Count(string(page), "<svg ") != 3 || strings.Contains(string(page), "https://") {
		t.Errorf("HTML report: %d charts", strings.Count(string(page), "<svg "))
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(html), ".*tmp*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}

	// Text output: llama-perplexity's labels.
	tr := ct2go(t, nil, "verify", "--model", i8, "--against", f32, "--text", text, "--ctx", "64", "--chunks", "2", "--min-top1", "-1")
	for _, want := range []string{"Mean PPL(Q)/PPL(base)         :", "Mean    KLD:", "Same top p:", "PASS: 2 windows, 62 positions"} {
		if tr.code != 0 || !strings.Contains(tr.stdout, want) {
			t.Errorf("text report (exit %d) lacks %q:\n%s", tr.code, want, tr.stdout)
		}
	}
}

// TestVerifyCorpusReference verifies against a corpus reference file: the
// KL equals the --against run's on the same windows (the file holds the same
// float32 logits), with or without --text.
func TestVerifyCorpusReference(t *testing.T) {
	t.Parallel()
	f32 := convertedModel(t, "float32", false)
	i8 := convertedModel(t, "int8_float16", false)
	text := tomSawyer(t)
	ref := filepath.Join(t.TempDir(), "corpus.safetensors")
	writeCorpusRef(t, f32, text, 64, 2, ref)

	a, _ := runCorpusJSON(t, 0, "--model", i8, "--against", f32, "--text", text, "--ctx", "64", "--chunks", "2", "--min-top1", "-1")
	b, _ := runCorpusJSON(t, 0, "--model", i8, "--reference", ref, "--text", text, "--ctx", "64", "--min-top1", "-1")
	c, _ := runCorpusJSON(t, 0, "--model", i8, "--reference", ref, "--min-top1", "-1")
	for _, k := range []string{"kld_mean", "ppl_q", "ppl_base", "same_top", "delta_p_rms"} {
		if num(t, a.Corpus.Stats, k) != num(t, b.Corpus.Stats, k) || num(t, b.Corpus.Stats, k) != num(t, c.Corpus.Stats, k) {
			t.Errorf("%s: --against %v, --reference --text %v, --reference %v", k, a.Corpus.Stats[k], b.Corpus.Stats[k], c.Corpus.Stats[k])
		}
	}
	if b.Corpus.Text != text || c.Corpus.Text != "tom-sawyer.txt" || c.Corpus.Windows != 2 {
		t.Errorf("corpus text %q / %q, windows %d", b.Corpus.Text, c.Corpus.Text, c.Corpus.Windows)
	}
}

// writeCorpusRef writes a corpus reference file from a CTranslate2 model
// (what `ct2go reference --text` writes from a checkpoint).
func writeCorpusRef(t *testing.T, model, text string, ctx, chunks int, out string) {
	t.Helper()
	m, err := runtime.Load(model, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tok := loadTok(t, model)
	windows, _, err := verify.LoadCorpus(text, tok, ctx, chunks)
	if err != nil {
		t.Fatal(err)
	}
	var wp []verify.WritePrompt
	for _, w := range windows {
		lg, err := verify.Logits(m, w.IDs)
		if err != nil {
			t.Fatal(err)
		}
		wp = append(wp, verify.WritePrompt{Name: w.Name, IDs: w.IDs, Logits: lg})
	}
	if err := verify.WriteReference(out, wp, m.VocabSize(), map[string]string{verify.MetaCtx: "64", verify.MetaText: filepath.Base(text)}); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyCorpusBadInput(t *testing.T) {
	t.Parallel()
	f32 := convertedModel(t, "float32", false)
	tmp := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	latin1 := write("latin1.txt", []byte("Tom \xe9tait l\xe0.\n"))
	empty := write("empty.txt", nil)
	short := write("short.txt", []byte("Tom!\n"))
	text := tomSawyer(t)
	ref := filepath.Join(tmp, "corpus.safetensors")
	writeCorpusRef(t, f32, text, 64, 2, ref)
	other := write("other.txt", []byte(strings.Repeat("The quick brown fox jumps over the lazy dog. ", 40)))
	promptRef := transformersRef(t)

	base := []string{"--model", f32, "--against", f32}
	cases := []struct {
		name string
		code int
		args []string
		want string
	}{
		{"not UTF-8", 2, append(base, "--text", latin1, "--ctx", "64"), latin1 + ": not UTF-8 text (invalid byte 0xe9 at offset 4)"},
		{"empty", 2, append(base, "--text", empty, "--ctx", "64"), empty + ": empty text"},
		{"missing", 2, append(base, "--text", filepath.Join(tmp, "nope.txt"), "--ctx", "64"), "nope.txt"},
		{"too few tokens", 2, append(base, "--text", short, "--ctx", "64"), short + ": 3 tokens (with <|begin_of_text|>), fewer than one window of --ctx 64"},
		{"too many chunks", 2, append(base, "--text", other, "--ctx", "64", "--chunks", "99"), "not the 99 asked for by --chunks"},
		{"ctx beyond the model", 2, append(base, "--text", text, "--ctx", "200000"), "--ctx 200000 is longer than the model's 131072 positions"},
		{"ctx 2", 2, append(base, "--text", text, "--ctx", "2"), "--ctx 2: a window needs at least 3 tokens"},
		{"ctx 0", 2, append(base, "--text", text, "--ctx", "0"), "--ctx 0: a window needs at least 3 tokens"},
		{"text without ctx", 2, append(base, "--text", text), "--text needs --ctx N"},
		{"ctx without text", 2, append(base, "--prompts", text, "--ctx", "64"), "--ctx and --chunks go with --text"},
		{"text and prompts", 2, append(base, "--prompts", text, "--text", text, "--ctx", "64"), "give --prompts or --text, not both"},
		{"chunks 0", 2, append(base, "--text", text, "--ctx", "64", "--chunks", "0"), "--chunks 0: want at least 1"},
		{"reference from another text", 2, []string{"--model", f32, "--reference", ref, "--text", other, "--ctx", "64"}, "window chunk0 differs from the text's"},
		{"reference with another ctx", 2, []string{"--model", f32, "--reference", ref, "--text", text, "--ctx", "32"}, "windows of 64 tokens, --ctx is 32"},
		{"prompt reference with --text", 2, []string{"--model", f32, "--reference", promptRef, "--text", text, "--ctx", "64"}, "not a corpus reference"},
	}
	for _, c := range cases {
		html := filepath.Join(tmp, strings.ReplaceAll(c.name, " ", "-")+".html")
		r := ct2go(t, nil, append([]string{"verify", "--report", html}, c.args...)...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || r.stdout != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d and one line with %q", c.name, r.code, r.stdout, r.stderr, c.code, c.want)
		}
		if _, err := os.Stat(html); err == nil {
			t.Errorf("%s: --report written on bad input", c.name)
		}
	}
}

// TestVerifyInt8WeightsFloat32Compute: --compute float32 on an int8 model
// is judged by the int8 thresholds, with a note saying why.
func TestVerifyInt8WeightsFloat32Compute(t *testing.T) {
	t.Parallel()
	i8 := convertedModel(t, "int8_float16", false)
	v, r := runVerifyJSON(t, 0, "--model", i8, "--reference", transformersRef(t), "--compute", "float32")
	if v.Compute != "float32" || v.Thresholds.MaxAbs != nil || *v.Thresholds.MaxKLMean != 5e-3 {
		t.Errorf("compute %s thresholds %+v", v.Compute, v.Thresholds)
	}
	if !strings.Contains(r.stderr, "note: weights are int8: judging with the int8 thresholds") || !strings.Contains(r.stderr, "--compute int8") {
		t.Errorf("stderr %q", r.stderr)
	}
	// Explicit float32 thresholds fail it, and the line says by how much.
	r = ct2go(t, nil, "verify", "--model", i8, "--reference", transformersRef(t), "--compute", "float32", "--max-abs", "1e-4")
	if r.code != 1 || !strings.Contains(r.stderr, "verification failed: prompts") || !strings.Contains(r.stderr, "> 0.0001") || !strings.Contains(r.stderr, "× the limit") {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
}

func loadTok(t *testing.T, dir string) *tokenizer.Tokenizer {
	t.Helper()
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
