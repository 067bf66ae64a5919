package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ct2go/ct2go/format/hf"
	"github.com/ct2go/ct2go/internal/fsutil"
	"github.com/ct2go/ct2go/runtime"
	"github.com/ct2go/ct2go/tokenizer"
)

// Corpus mode: llama-perplexity's windows over a text file.
//
// Windows follow llama.cpp tools/perplexity/perplexity.cpp (@050fc7f),
// functions perplexity and kl_divergence: the whole text is tokenized with
// <|begin_of_text|> in front (common_tokenize(..., add_special=true)), the
// tokens are cut into n_chunk = len/n_ctx consecutive, non-overlapping
// windows of n_ctx tokens, and the first token of every window is replaced
// by <|begin_of_text|> (so the token at each window boundary after the first
// serves as no one's context; it is never scored either). Each window is run
// from position 0 and positions first = n_ctx/2 … n_ctx-2 are scored, each
// predicting the next token: n_ctx-1-n_ctx/2 tokens per window. This package
// follows that exactly, so PPL figures compare with llama-perplexity's on the
// same text and context (the tokenizers agree for Llama 3).

// MaxCorpusBytes caps a --text file (far above the few-MB texts perplexity
// runs use; wiki.test.raw is 1.3 MB).
const MaxCorpusBytes = 1 << 30

// CorpusWindowPrefix names the windows in reference files and reports:
// chunk0, chunk1, ...
const CorpusWindowPrefix = "chunk"

// Corpus describes a corpus-mode run; CompareCorpus fills Stats.
type Corpus struct {
	Text       string `json:"text,omitempty"` // the text file, if known
	Ctx        int    `json:"ctx"`
	Windows    int    `json:"windows"`
	TextTokens int    `json:"text_tokens,omitempty"` // tokens of the whole text with the leading <|begin_of_text|>
	// Scored tokens per window: positions Ctx/2 … Ctx-2.
	ScoredPerWindow int             `json:"scored_per_window"`
	Stats           PerplexityStats `json:"statistics"`
}

// ReadText reads a --text file: a regular file of valid UTF-8 with some
// non-whitespace text in it. Errors name the file and the problem.
func ReadText(path string) (string, error) {
	b, err := fsutil.ReadCapped(path, MaxCorpusBytes)
	if err != nil {
		return "", err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return "", fmt.Errorf("%s: empty text", path)
	}
	if !utf8.Valid(b) {
		off := 0
		for off < len(b) {
			r, w := utf8.DecodeRune(b[off:])
			if r == utf8.RuneError && w == 1 {
				break
			}
			off += w
		}
		return "", fmt.Errorf("%s: not UTF-8 text (invalid byte 0x%02x at offset %d)", path, b[off], off)
	}
	return string(b), nil
}

// TokenizeCorpus tokenizes text as llama-perplexity does: <|begin_of_text|>
// (the tokenizer's BOS) followed by the text's tokens.
func TokenizeCorpus(tok *tokenizer.Tokenizer, text string) ([]int, error) {
	bos := tok.BOSID()
	if bos < 0 {
		return nil, fmt.Errorf("the tokenizer has no beginning-of-text token")
	}
	return append([]int{bos}, tok.Encode(text, false)...), nil
}

// CorpusWindows cuts tokens (from TokenizeCorpus) into windows of ctx tokens,
// the first of each replaced by bos. chunks <= 0 takes as many as fit; more
// than fit is an error. path names the text in errors.
func CorpusWindows(path string, tokens []int, bos, ctx, chunks int) ([]NamedIDs, error) {
	if ctx < 3 {
		return nil, &CorpusError{Problem: CtxTooSmall, Ctx: ctx}
	}
	n := len(tokens) / ctx
	if n == 0 {
		return nil, &CorpusError{Problem: TooFewTokens, Path: path, Ctx: ctx, Tokens: len(tokens)}
	}
	if chunks > n {
		return nil, &CorpusError{Problem: TooManyChunks, Path: path, Ctx: ctx, Tokens: len(tokens), Fit: n, Chunks: chunks}
	}
	if chunks > 0 {
		n = chunks
	}
	out := make([]NamedIDs, n)
	for i := range out {
		ids := append([]int(nil), tokens[i*ctx:(i+1)*ctx]...)
		ids[0] = bos
		out[i] = NamedIDs{Name: CorpusWindowPrefix + strconv.Itoa(i), IDs: ids}
	}
	return out, nil
}

// CorpusInputs turns windows with their reference into comparison inputs
// that compare the scored positions only.
func CorpusInputs(windows []NamedIDs, ref func(w NamedIDs) ([]float32, error)) []Input {
	out := make([]Input, len(windows))
	for i, w := range windows {
		T := len(w.IDs)
		out[i] = Input{Name: w.Name, IDs: w.IDs, From: T / 2, To: T - 1, Reference: func() ([]float32, error) { return ref(w) }}
	}
	return out
}

// ModelCorpusInputs uses model b's logits as the reference for windows.
func ModelCorpusInputs(b *runtime.Model, windows []NamedIDs) []Input {
	return CorpusInputs(windows, func(w NamedIDs) ([]float32, error) { return Logits(b, w.IDs) })
}

// IsCorpus reports whether a reference file was made in corpus mode
// (metadata "ctx" and windows named chunk0, chunk1, ... of that length).
func (r *Reference) IsCorpus() bool {
	ctx, err := strconv.Atoi(r.Metadata[MetaCtx])
	if err != nil || ctx < 3 {
		return false
	}
	for i, p := range r.Prompts {
		if p.Name != CorpusWindowPrefix+strconv.Itoa(i) || p.T != ctx {
			return false
		}
	}
	return true
}

// Metadata keys of a corpus-mode reference file.
const (
	MetaCtx  = "ctx"  // window length
	MetaText = "text" // the text file's base name
)

// CorpusWindows lists a corpus reference's windows.
func (r *Reference) CorpusWindows() []NamedIDs {
	out := make([]NamedIDs, len(r.Prompts))
	for i, p := range r.Prompts {
		out[i] = NamedIDs{Name: p.Name, IDs: p.IDs}
	}
	return out
}

// CorpusInputs compares a corpus reference's windows. When windows (from the
// text given on the command line) is non-nil, every reference window must
// hold the same ids, so a reference made from another text, context or
// tokenizer is refused instead of compared.
func (r *Reference) CorpusInputs(windows []NamedIDs) ([]Input, error) {
	if windows != nil {
		if len(windows) > len(r.Prompts) {
			return nil, &CorpusError{Problem: ReferenceTooShort, Path: r.Path, Fit: len(r.Prompts), Chunks: len(windows)}
		}
		for i, w := range windows {
			p := r.Prompts[i]
			if p.Name != w.Name || !slices.Equal(p.IDs, w.IDs) {
				return nil, &CorpusError{Problem: ReferenceMismatch, Path: r.Path, Window: p.Name, Tokens: p.T, Ctx: len(w.IDs)}
			}
		}
	} else {
		windows = r.CorpusWindows()
	}
	byName := map[string]*Prompt{}
	for _, p := range r.Prompts {
		byName[p.Name] = p
	}
	return CorpusInputs(windows, func(w NamedIDs) ([]float32, error) { return byName[w.Name].Logits(), nil }), nil
}

// MaxPositions is the longest context a model directory declares: config.json's
// max_position_embeddings (text_config's for Mllama), else tokenizer_config.json's
// model_max_length; 0 when neither says (a CTranslate2 directory without
// tokenizer files). The source is named for messages.
func MaxPositions(dir string) (n int, source string) {
	if c, err := hf.ReadConfig(dir); err == nil && c.Text.MaxPositionEmbeddings > 0 {
		return c.Text.MaxPositionEmbeddings, filepath.Join(dir, "config.json") + " max_position_embeddings"
	}
	path := filepath.Join(dir, "tokenizer_config.json")
	if _, err := os.Stat(path); err != nil {
		return 0, ""
	}
	raw, err := fsutil.ReadCapped(path, hf.MaxTokenizerSize)
	if err != nil {
		return 0, ""
	}
	var tc struct {
		ModelMaxLength float64 `json:"model_max_length"`
	}
	// transformers writes int(1e30) when no limit is known: not a limit.
	if json.Unmarshal(raw, &tc) == nil && tc.ModelMaxLength > 0 && tc.ModelMaxLength < 1<<31 {
		return int(tc.ModelMaxLength), path + " model_max_length"
	}
	return 0, ""
}

// writeText prints the statistics with llama-perplexity's labels and
// layout, so the two outputs can be read side by side.
func (c *Corpus) writeText(b *strings.Builder) {
	s := &c.Stats
	text := ""
	if c.Text != "" {
		text = c.Text + ", "
	}
	fmt.Fprintf(b, "corpus: %s%d windows of %d tokens, positions %d…%d of each scored: %d tokens (llama-perplexity --kl-divergence definitions)\n",
		text, c.Windows, c.Ctx, c.Ctx/2, c.Ctx-2, s.Tokens)
	if s.Tokens < 100 {
		b.WriteString("note: fewer than 100 scored tokens (llama-perplexity prints no summary then); the ± are rough\n")
	}
	b.WriteString("====== Perplexity statistics ======\n")
	fmt.Fprintf(b, "Mean PPL(Q)                   : %10.6f ± %10.6f\n", s.PPLModel, s.PPLModelErr)
	fmt.Fprintf(b, "Mean PPL(base)                : %10.6f ± %10.6f\n", s.PPLBase, s.PPLBaseErr)
	fmt.Fprintf(b, "Cor(ln(PPL(Q)), ln(PPL(base))): %6.2f%%\n", 100*s.Cor)
	fmt.Fprintf(b, "Mean ln(PPL(Q)/PPL(base))     : %10.6f ± %10.6f\n", s.LnRatio, s.LnRatioErr)
	fmt.Fprintf(b, "Mean PPL(Q)/PPL(base)         : %10.6f ± %10.6f\n", s.Ratio, s.RatioErr)
	fmt.Fprintf(b, "Mean PPL(Q)-PPL(base)         : %10.6f ± %10.6f\n", s.Diff, s.DiffErr)
	b.WriteString("====== KL divergence statistics ======\n")
	fmt.Fprintf(b, "Mean    KLD: %10.6f ± %10.6f\n", s.KLDMean, s.KLDMeanErr)
	fmt.Fprintf(b, "Maximum KLD: %10.6f\n", s.KLDMax)
	fmt.Fprintf(b, "99.9%%   KLD: %10.6f\n", s.KLD999)
	fmt.Fprintf(b, "99.0%%   KLD: %10.6f\n", s.KLD99)
	fmt.Fprintf(b, "Median  KLD: %10.6f\n", s.KLDMedian)
	fmt.Fprintf(b, "Minimum KLD: %10.6f\n", s.KLDMin)
	b.WriteString("====== Token probability statistics ======\n")
	fmt.Fprintf(b, "Mean    Δp: %9.6f ± %8.6f %%\n", 100*s.DeltaPMean, 100*s.DeltaPMeanErr)
	fmt.Fprintf(b, "RMS Δp    : %9.6f ± %8.6f %%\n", 100*s.DeltaPRMS, 100*s.DeltaPRMSErr)
	fmt.Fprintf(b, "Same top p: %6.3f ± %5.3f %%\n", 100*s.SameTop, 100*s.SameTopErr)
}

// LoadCorpus reads the text file at path, tokenizes it and cuts its windows
// (ReadText, TokenizeCorpus, CorpusWindows). The returned Corpus has
// everything but Stats.
func LoadCorpus(path string, tok *tokenizer.Tokenizer, ctx, chunks int) ([]NamedIDs, *Corpus, error) {
	if ctx < 3 {
		return nil, nil, &CorpusError{Problem: CtxTooSmall, Ctx: ctx}
	}
	text, err := ReadText(path)
	if err != nil {
		return nil, nil, err
	}
	tokens, err := TokenizeCorpus(tok, text)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	windows, err := CorpusWindows(path, tokens, tok.BOSID(), ctx, chunks)
	if err != nil {
		return nil, nil, err
	}
	return windows, &Corpus{Text: path, Ctx: ctx, Windows: len(windows), TextTokens: len(tokens), ScoredPerWindow: ctx - 1 - ctx/2}, nil
}

// CheckCtx refuses a window longer than any of the model directories
// declares (MaxPositions); directories that declare nothing are not checked.
func CheckCtx(ctx int, dirs ...string) error {
	for _, d := range dirs {
		if n, src := MaxPositions(d); n > 0 && ctx > n {
			return &CorpusError{Problem: CtxTooLong, Ctx: ctx, MaxPositions: n, Source: src}
		}
	}
	return nil
}

// CorpusProblem says what is wrong with a corpus window size or count.
type CorpusProblem int

const (
	CtxTooSmall       CorpusProblem = iota + 1 // fewer than 3 tokens per window
	CtxTooLong                                 // longer than the model's positions
	TooFewTokens                               // the text does not fill one window
	TooManyChunks                              // more windows asked for than the text holds
	ReferenceTooShort                          // a corpus reference holds fewer windows than the text
	ReferenceMismatch                          // a reference window differs from the text's
)

// CorpusError is a corpus window problem. Its message names no command-line
// flag: the CLI words it with its own flags (--ctx, --chunks).
type CorpusError struct {
	Problem CorpusProblem
	Path    string // the text, or the reference file
	Ctx     int    // window size (ReferenceMismatch: the text's window size)
	Tokens  int    // tokens of the text (ReferenceMismatch: of the reference window)
	Fit     int    // windows the text (ReferenceTooShort: the reference) holds
	Chunks  int    // windows asked for (ReferenceTooShort: the text's windows)
	Window  string // ReferenceMismatch: the window's name
	// CtxTooLong: the model's positions and where that number comes from.
	MaxPositions int
	Source       string
}

func (e *CorpusError) Error() string {
	switch e.Problem {
	case CtxTooSmall:
		return fmt.Sprintf("windows of %d tokens: a window needs at least 3 tokens (positions ctx/2 … ctx-2 are scored)", e.Ctx)
	case CtxTooLong:
		return fmt.Sprintf("windows of %d tokens are longer than the model's %d positions (%s)", e.Ctx, e.MaxPositions, e.Source)
	case TooFewTokens:
		return fmt.Sprintf("%s: %d tokens (with <|begin_of_text|>), fewer than one window of %d tokens", e.Path, e.Tokens, e.Ctx)
	case TooManyChunks:
		return fmt.Sprintf("%s: %d tokens hold %d windows of %d tokens, not the %d asked for", e.Path, e.Tokens, e.Fit, e.Ctx, e.Chunks)
	case ReferenceTooShort:
		return fmt.Sprintf("%s: %d windows, the text gives %d: compare %d windows or remake the reference", e.Path, e.Fit, e.Chunks, e.Fit)
	case ReferenceMismatch:
		return fmt.Sprintf("%s: window %s differs from the text's (%d tokens vs %d): made from another text, window size or tokenizer", e.Path, e.Window, e.Tokens, e.Ctx)
	}
	return "corpus windows: unknown problem"
}
