package verify

import (
	"context"
	"encoding/xml"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
	"github.com/ct2go/ct2go/runtime"
	"github.com/ct2go/ct2go/tokenizer"
)

var (
	tokOnce sync.Once
	tok     *tokenizer.Tokenizer
	tokErr  error
)

func fixtureTokenizer(t *testing.T) *tokenizer.Tokenizer {
	t.Helper()
	dir := testfix.Path(t, "tiny-mllama")
	tokOnce.Do(func() { tok, tokErr = tokenizer.Load(dir) })
	if tokErr != nil {
		t.Fatal(tokErr)
	}
	return tok
}

func corpusText(t *testing.T) string {
	return filepath.Join(testfix.RepoRoot(t), "testdata", "tom-sawyer.txt")
}

func TestCorpusWindows(t *testing.T) {
	t.Parallel()
	const bos = 128000
	tokens := make([]int, 103)
	tokens[0] = bos
	for i := 1; i < len(tokens); i++ {
		tokens[i] = 1000 + i
	}
	w, err := CorpusWindows("t.txt", tokens, bos, 25, 0)
	if err != nil {
		t.Fatal(err)
	}
	// 103/25 = 4 windows; token 100..102 are left over, as in llama.cpp.
	if len(w) != 4 {
		t.Fatalf("%d windows, want 4", len(w))
	}
	for i, win := range w {
		if win.Name != "chunk"+string(rune('0'+i)) || len(win.IDs) != 25 || win.IDs[0] != bos {
			t.Fatalf("window %d: %s, %d ids, first %d", i, win.Name, len(win.IDs), win.IDs[0])
		}
		// The rest of the window is the text's tokens i*25+1 … i*25+24: the
		// token at i*25 is replaced by BOS (never used).
		for j := 1; j < 25; j++ {
			if win.IDs[j] != 1000+i*25+j {
				t.Fatalf("window %d position %d: %d, want %d", i, j, win.IDs[j], 1000+i*25+j)
			}
		}
	}
	if tokens[25] != 1025 {
		t.Error("CorpusWindows modified its input")
	}
	if w, err := CorpusWindows("t.txt", tokens, bos, 25, 2); err != nil || len(w) != 2 {
		t.Errorf("--chunks 2: %d windows, %v", len(w), err)
	}
	for _, c := range []struct {
		ctx, chunks int
		want        string
	}{
		{2, 0, "at least 3 tokens"},
		{104, 0, "t.txt: 103 tokens (with <|begin_of_text|>), fewer than one window of 104 tokens"},
		{25, 5, "hold 4 windows of 25 tokens, not the 5 asked for"},
	} {
		if _, err := CorpusWindows("t.txt", tokens, bos, c.ctx, c.chunks); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ctx %d chunks %d: %v, want %q", c.ctx, c.chunks, err, c.want)
		}
	}
}

func TestReadText(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty text"},
		{"blank", []byte(" \n\t\n"), "empty text"},
		{"latin1", []byte("caf\xe9 au lait"), "not UTF-8 text (invalid byte 0xe9 at offset 3)"},
		{"truncated", []byte("ok \xe2\x82"), "not UTF-8 text (invalid byte 0xe2 at offset 3)"},
	} {
		p := write(c.name, c.data)
		if _, err := ReadText(p); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v, want %q naming the file", c.name, err, c.want)
		}
	}
	if s, err := ReadText(write("good", []byte("Grüße, 世界\n"))); err != nil || s != "Grüße, 世界\n" {
		t.Errorf("good text: %q %v", s, err)
	}
	if _, err := ReadText(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
}

func TestLoadCorpusTomSawyer(t *testing.T) {
	t.Parallel()
	tk := fixtureTokenizer(t)
	w, c, err := LoadCorpus(corpusText(t), tk, 512, 0)
	if err != nil {
		t.Fatal(err)
	}
	// 97,204 text tokens + BOS (testdata/tom-sawyer.LICENSE.md).
	if c.TextTokens != 97205 || len(w) != 97205/512 || c.Windows != len(w) || c.ScoredPerWindow != 255 || c.Ctx != 512 {
		t.Fatalf("corpus %+v, %d windows", c, len(w))
	}
	if got := tk.Decode(w[0].IDs[1:20], false); !strings.HasPrefix(got, "Produced by David Widger. The previous") {
		t.Errorf("window 0 starts %q", got)
	}
}

func TestMaxPositions(t *testing.T) {
	t.Parallel()
	// Mllama checkpoint: text_config.max_position_embeddings.
	if n, src := MaxPositions(testfix.Path(t, "tiny-mllama")); n != 131072 || !strings.Contains(src, "max_position_embeddings") {
		t.Errorf("checkpoint: %d (%s), want 131072 from config.json", n, src)
	}
	// CTranslate2 directory with the tokenizer files: tokenizer_config.json.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"bos_token": "<|begin_of_text|>"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(`{"model_max_length": 8192}`), 0o644)
	if n, _ := MaxPositions(dir); n != 8192 {
		t.Errorf("tokenizer_config: %d, want 8192", n)
	}
	if err := CheckCtx(8193, dir); err == nil || !strings.Contains(err.Error(), "windows of 8193 tokens are longer than the model's 8192 positions") {
		t.Errorf("CheckCtx: %v", err)
	}
	if err := CheckCtx(8192, dir); err != nil {
		t.Error(err)
	}
	// transformers' "no limit" sentinel and a bare directory: unknown, not checked.
	os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(`{"model_max_length": 1000000000000000019884624838656}`), 0o644)
	if n, _ := MaxPositions(dir); n != 0 {
		t.Errorf("sentinel: %d, want 0", n)
	}
	if n, _ := MaxPositions(t.TempDir()); n != 0 {
		t.Errorf("empty dir: %d", n)
	}
}

// TestCompareCorpusFixture runs corpus windows of the int8 fixture model
// against its own logits (exact: KLD 0, ratio 1, same top 100%) and against
// a reference file of the same windows.
func TestCompareCorpusFixture(t *testing.T) {
	t.Parallel()
	m, err := runtime.Load(testfix.Path(t, "golden", "ct2go", "int8_float16"), runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	w, c, err := LoadCorpus(corpusText(t), fixtureTokenizer(t), 48, 2)
	if err != nil {
		t.Fatal(err)
	}
	th := DefaultThresholds(runtime.ComputeInt8)
	rep, err := CompareCorpus(context.Background(), m, ModelCorpusInputs(m, w), th, *c)
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Corpus.Stats
	if !rep.Pass || s.Tokens != 2*23 || s.KLDMax != 0 || s.Ratio != 1 || s.SameTop != 1 || s.DeltaPMaxAbs != 0 || rep.Overall.Positions != 46 {
		t.Errorf("self: pass %v, %d tokens, KLD max %g, ratio %g, same top %g", rep.Pass, s.Tokens, s.KLDMax, s.Ratio, s.SameTop)
	}
	for _, p := range rep.Prompts {
		if p.From != 24 || len(p.KLs) != 23 || len(p.DeltaP) != 23 || p.Tokens != 48 {
			t.Errorf("%s: from %d, %d KLs, %d Δp", p.Name, p.From, len(p.KLs), len(p.DeltaP))
		}
	}

	// A reference file of the same windows, from a perturbed copy of the
	// model's logits: the statistics follow the file.
	var wp []WritePrompt
	for _, win := range w {
		lg, err := Logits(m, win.IDs)
		if err != nil {
			t.Fatal(err)
		}
		for i := range lg {
			lg[i] += float32(0.01 * math.Sin(float64(i)))
		}
		wp = append(wp, WritePrompt{Name: win.Name, IDs: win.IDs, Logits: lg})
	}
	path := filepath.Join(t.TempDir(), "ref.safetensors")
	if err := WriteReference(path, wp, m.VocabSize(), map[string]string{MetaCtx: "48", MetaText: "tom-sawyer.txt"}); err != nil {
		t.Fatal(err)
	}
	ref, err := LoadReference(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	if !ref.IsCorpus() {
		t.Fatal("reference with ctx metadata and chunkN windows not recognized as corpus")
	}
	in, err := ref.CorpusInputs(w)
	if err != nil {
		t.Fatal(err)
	}
	rep2, err := CompareCorpus(context.Background(), m, in, th, *c)
	if err != nil {
		t.Fatal(err)
	}
	s2 := rep2.Corpus.Stats
	if s2.KLDMean <= 0 || s2.KLDMean > 1e-3 || s2.Tokens != 46 || s2.Ratio == 1 {
		t.Errorf("perturbed reference: KLD mean %g, %d tokens, ratio %g", s2.KLDMean, s2.Tokens, s2.Ratio)
	}
	// Without the text: the windows come from the file, same result.
	in, _ = ref.CorpusInputs(nil)
	rep3, err := CompareCorpus(context.Background(), m, in, th, *c)
	if err != nil || rep3.Corpus.Stats.KLDMean != s2.KLDMean {
		t.Errorf("windows from the file: %v, KLD %g vs %g", err, rep3.Corpus.Stats.KLDMean, s2.KLDMean)
	}
	// Another text (or ctx) is refused.
	other := []NamedIDs{{Name: "chunk0", IDs: append([]int{128000}, w[0].IDs[2:]...)}}
	if _, err := ref.CorpusInputs(other); err == nil || !strings.Contains(err.Error(), "window chunk0 differs from the text's") {
		t.Errorf("mismatched text: %v", err)
	}
	// Text report: llama-perplexity's labels.
	var b strings.Builder
	if err := rep2.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"WINDOW", "chunk1", "Mean PPL(Q)                   :", "Cor(ln(PPL(Q)), ln(PPL(base))):", "Mean    KLD:", "99.9%   KLD:", "Median  KLD:", "RMS Δp    :", "Same top p:", "positions 24…46 of each scored: 46 tokens"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, b.String())
		}
	}

	// HTML report.
	var h strings.Builder
	if err := rep2.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	checkHTML(t, h.String(), len(rep2.Prompts), true)
}

// checkHTML checks the HTML report's structure: one KL chart per
// prompt/window plus the histogram, every SVG well-formed XML, a threshold
// line when a KL threshold is set, nothing fetched from anywhere.
func checkHTML(t *testing.T, page string, prompts int, threshold bool) {
	t.Helper()
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.HasSuffix(page, "</html>\n") {
		t.Error("not a complete HTML document")
	}
	for _, bad := range []string{"http://", "https://", "<script", "src=", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("HTML contains %q: must be self-contained", bad)
		}
	}
	svgs := regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAllString(page, -1)
	if len(svgs) != prompts+1 || strings.Count(page, "<svg ") != prompts+1 {
		t.Fatalf("%d SVG charts, want %d (one per prompt/window + the Δp histogram)", len(svgs), prompts+1)
	}
	for i, s := range svgs {
		d := xml.NewDecoder(strings.NewReader(s))
		for {
			_, err := d.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Errorf("SVG %d is not well-formed: %v", i, err)
				}
				break
			}
		}
		if i < prompts && threshold && !strings.Contains(s, `class="threshold"`) {
			t.Errorf("KL chart %d has no threshold line", i)
		}
	}
	if !strings.Contains(svgs[prompts], `class="bar"`) {
		t.Error("Δp histogram has no bars")
	}
}

func TestHTMLPrompts(t *testing.T) {
	t.Parallel()
	m, err := runtime.Load(testfix.Path(t, "golden", "ct2go", "int8_float16"), runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	rep, err := Compare(context.Background(), m, loadFixtureRef(t, "transformers").Inputs(), DefaultThresholds(runtime.ComputeInt8))
	if err != nil {
		t.Fatal(err)
	}
	rep.Model, rep.Reference = "<model & co>", "ref"
	var h strings.Builder
	if err := rep.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	page := h.String()
	checkHTML(t, page, 4, true)
	if !strings.Contains(page, "&lt;model &amp; co&gt;") || strings.Contains(page, "<model & co>") {
		t.Error("model name not escaped")
	}
	// A NaN position is marked; without a KL threshold there is no line.
	rep.Prompts[0].KLs[0] = math.NaN()
	rep.Thresholds.MaxKLMean = -1
	h.Reset()
	rep.WriteHTML(&h)
	checkHTML(t, h.String(), 4, false)
	if strings.Contains(h.String(), `class="threshold"`) || !strings.Contains(h.String(), `class="nonfinite"`) {
		t.Error("disabled threshold drawn, or NaN position not marked")
	}
}

// TestCorpusErrorNamesNoFlag: the library's wording is flag-free (the CLI adds
// --ctx / --chunks), and every problem has its own message.
func TestCorpusErrorNamesNoFlag(t *testing.T) {
	seen := map[string]bool{}
	for p := CtxTooSmall; p <= ReferenceMismatch; p++ {
		msg := (&CorpusError{Problem: p, Path: "t.txt", Ctx: 8, Tokens: 5, Fit: 1, Chunks: 2, Window: "chunk0", MaxPositions: 4, Source: "config.json"}).Error()
		if strings.Contains(msg, "--") || strings.Contains(msg, "unknown problem") || seen[msg] {
			t.Errorf("problem %d: %q", p, msg)
		}
		seen[msg] = true
	}
}
