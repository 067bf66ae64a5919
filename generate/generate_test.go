package generate

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
	"github.com/ct2go/ct2go/runtime"
)

func TestArgmaxTies(t *testing.T) {
	t.Parallel()
	if got := Argmax([]float32{1, 3, 3, 2}); got != 1 {
		t.Errorf("Argmax = %d, want the first maximum 1", got)
	}
	sp := NewSampler(Sampling{})
	if !sp.Greedy() || sp.Sample([]float32{0, 5, 5}) != 1 {
		t.Error("temperature 0 must be greedy")
	}
}

func TestTopIDs(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(300)
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.IntN(20)) // many ties
		}
		k := 1 + rng.IntN(n)
		want := make([]int, n)
		for i := range want {
			want[i] = i
		}
		sort.SliceStable(want, func(a, b int) bool { return x[want[a]] > x[want[b]] })
		if got := topIDs(nil, x, k); !slices.Equal(got, want[:k]) {
			t.Fatalf("topIDs(k=%d) = %v, want %v", k, got, want[:k])
		}
	}
}

func logits(ps ...float64) []float32 {
	out := make([]float32, len(ps))
	for i, p := range ps {
		out[i] = float32(math.Log(p))
	}
	return out
}

// TestSampleDistribution draws 40000 tokens and compares the frequencies with
// the hand-computed target distribution (4 standard deviations ≈ 0.01).
func TestSampleDistribution(t *testing.T) {
	t.Parallel()
	x := logits(0.5, 0.3, 0.2)
	cases := []struct {
		name string
		s    Sampling
		want []float64
	}{
		{"T=1", Sampling{Temperature: 1}, []float64{0.5, 0.3, 0.2}},
		// p^2 normalised: .25, .09, .04 over .38
		{"T=0.5", Sampling{Temperature: 0.5}, []float64{0.25 / 0.38, 0.09 / 0.38, 0.04 / 0.38}},
		{"top_k 2", Sampling{Temperature: 1, TopK: 2}, []float64{0.625, 0.375, 0}},
		// 0.5 < 0.6 <= 0.8: the nucleus is {0, 1}
		{"top_p 0.6", Sampling{Temperature: 1, TopP: 0.6}, []float64{0.625, 0.375, 0}},
		{"top_p 0.5", Sampling{Temperature: 1, TopP: 0.5}, []float64{1, 0, 0}},
		{"top_p 1", Sampling{Temperature: 1, TopP: 1}, []float64{0.5, 0.3, 0.2}},
		{"top_k 1", Sampling{Temperature: 3, TopK: 1}, []float64{1, 0, 0}},
		// min_p: keep p >= min_p x 0.5
		{"min_p 0.5", Sampling{Temperature: 1, MinP: 0.5}, []float64{0.625, 0.375, 0}},
		{"min_p 0.35", Sampling{Temperature: 1, MinP: 0.35}, []float64{0.5, 0.3, 0.2}},
		{"min_p 0.7", Sampling{Temperature: 1, MinP: 0.7}, []float64{1, 0, 0}},
		// T=0.5 gives .658, .237, .105: min_p 0.3 keeps >= .197, drops the last
		{"min_p 0.3 T=0.5", Sampling{Temperature: 0.5, MinP: 0.3}, []float64{0.25 / 0.34, 0.09 / 0.34, 0}},
		{"min_p 1", Sampling{Temperature: 1, MinP: 1}, []float64{1, 0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.s.Seed = 42
			sp := NewSampler(c.s)
			const n = 40000
			count := make([]float64, 3)
			for i := 0; i < n; i++ {
				count[sp.Sample(x)]++
			}
			for i := range count {
				if f := count[i] / n; math.Abs(f-c.want[i]) > 0.01 || (c.want[i] == 0 && f != 0) {
					t.Errorf("token %d: frequency %.4f, want %.4f", i, f, c.want[i])
				}
			}
		})
	}
}

func TestSamplerSeeded(t *testing.T) {
	t.Parallel()
	x := logits(0.2, 0.2, 0.2, 0.2, 0.2)
	draw := func(seed uint64) string {
		sp := NewSampler(Sampling{Temperature: 1, Seed: seed})
		var b strings.Builder
		for i := 0; i < 64; i++ {
			fmt.Fprint(&b, sp.Sample(x))
		}
		return b.String()
	}
	if draw(7) != draw(7) {
		t.Error("same seed, different draws")
	}
	if draw(7) == draw(8) {
		t.Error("different seeds, same 64 draws")
	}
}

var (
	modelOnce sync.Once
	model     *runtime.Model
	modelErr  error
)

func fixtureModel(t *testing.T) *runtime.Model {
	t.Helper()
	dir := testfix.Path(t, "golden", "ct2go", "int8_float16")
	modelOnce.Do(func() { model, modelErr = runtime.Load(dir, runtime.Options{}) })
	if modelErr != nil {
		t.Fatal(modelErr)
	}
	return model
}

var prompt0 = []int{128000, 9906, 11, 1917, 0}

func TestGenerateGreedy(t *testing.T) {
	t.Parallel()
	m := fixtureModel(t)
	want, err := argmaxDecode(m, prompt0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var seen []int
	res, err := Generate(context.Background(), m.NewSession(len(prompt0)+10), prompt0, Options{
		MaxTokens: 10, OnToken: func(id int) error { seen = append(seen, id); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.IDs, want) || !slices.Equal(seen, want) || res.Finish != "length" || res.Fed != 9 || res.PromptTokens != 5 {
		t.Errorf("ids %v (streamed %v) finish %s fed %d; want %v, length, 9", res.IDs, seen, res.Finish, res.Fed, want)
	}
	// Stop at the 4th token: the first 3 are returned and all fed.
	res, err = Generate(context.Background(), m.NewSession(32), prompt0, Options{MaxTokens: 10, Stop: []int{want[3]}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.IDs, want[:3]) || res.Finish != "stop" || res.Fed != 3 {
		t.Errorf("stop: ids %v finish %s fed %d", res.IDs, res.Finish, res.Fed)
	}
	// The session must hold prompt + max tokens - 1 positions.
	if _, err := Generate(context.Background(), m.NewSession(len(prompt0)+8), prompt0, Options{MaxTokens: 10}); err == nil || !strings.Contains(err.Error(), "exceed the context") {
		t.Errorf("context overflow: err = %v", err)
	}
	if _, err := Generate(context.Background(), m.NewSession(8), nil, Options{MaxTokens: 1}); err == nil {
		t.Error("empty prompt: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, m.NewSession(32), prompt0, Options{MaxTokens: 4}); err != context.Canceled {
		t.Errorf("cancelled: err = %v", err)
	}
}

// TestGenerateContinues: continuing a session after Fed ids (the REPL's
// cache reuse) gives what a fresh prefill of the whole sequence gives.
func TestGenerateContinues(t *testing.T) {
	t.Parallel()
	m := fixtureModel(t)
	s := m.NewSession(64)
	first, err := Generate(context.Background(), s, prompt0, Options{MaxTokens: 4})
	if err != nil {
		t.Fatal(err)
	}
	if s.Pos() != len(prompt0)+first.Fed || first.Fed != 3 {
		t.Fatalf("pos %d fed %d", s.Pos(), first.Fed)
	}
	more := []int{first.IDs[3], 128009, 128006, 882, 128007, 271}
	cont, err := Generate(context.Background(), s, more, Options{MaxTokens: 6})
	if err != nil {
		t.Fatal(err)
	}
	whole := append(append(slices.Clone(prompt0), first.IDs...), more[1:]...)
	fresh, err := Generate(context.Background(), m.NewSession(64), whole, Options{MaxTokens: 6})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cont.IDs, fresh.IDs) {
		t.Errorf("continued %v, fresh %v", cont.IDs, fresh.IDs)
	}
}

func TestStopIDs(t *testing.T) {
	t.Parallel()
	m := fixtureModel(t)
	src := testfix.Path(t, "golden", "ct2go", "int8_float16")
	mk := func(gen string) string {
		dir := t.TempDir()
		for _, f := range []string{"config.json", "vocabulary.json", "model.bin"} {
			if err := os.Symlink(filepath.Join(src, f), filepath.Join(dir, f)); err != nil {
				t.Fatal(err)
			}
		}
		if gen != "" {
			os.WriteFile(filepath.Join(dir, "generation_config.json"), []byte(gen), 0o644)
		}
		return dir
	}
	cases := []struct {
		gen  string
		want []int
		err  string
	}{
		{`{"eos_token_id": [128001, 128008, 128009]}`, []int{128001, 128008, 128009}, ""},
		{`{"eos_token_id": 128001}`, []int{128001}, ""},
		{`{"bos_token_id": 128000}`, []int{128009}, ""}, // no eos: config.json eos_token <|eot_id|>
		{`{"eos_token_id": null}`, []int{128009}, ""},
		{"", []int{128009}, ""},
		{`{"eos_token_id": "x"}`, nil, "want an id or a list of ids"},
		{`{"eos_token_id": [5, 999999]}`, nil, "eos_token_id 999999 is outside the vocabulary"},
		{`{`, nil, "generation_config.json"},
	}
	for _, c := range cases {
		got, err := StopIDs(mk(c.gen), m)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err = %v, want %q", c.gen, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, %v; want %v", c.gen, got, err, c.want)
		}
	}
}

func TestResultRates(t *testing.T) {
	t.Parallel()
	r := Result{IDs: []int{1, 2, 3, 4, 5}, PromptTokens: 10, PrefillSeconds: 0.5, DecodeSeconds: 2}
	if r.TokensPerSecond() != 2 || r.PromptTokensPerSecond() != 20 {
		t.Errorf("rates %g %g, want 4 tokens / 2 s = 2 and 10 / 0.5 = 20", r.TokensPerSecond(), r.PromptTokensPerSecond())
	}
	if (&Result{IDs: []int{1}}).TokensPerSecond() != 0 {
		t.Error("one token has no decode rate")
	}
}

// argmaxDecode is the plain greedy loop Generate must reproduce: prefill, then
// feed back the argmax (first index on ties) of every step, maxNew ids.
func argmaxDecode(m *runtime.Model, prompt []int, maxNew int) ([]int, error) {
	s := m.NewSession(len(prompt) + maxNew)
	lg, err := s.Prefill(prompt, false)
	if err != nil {
		return nil, err
	}
	argmax := func(x []float32) int {
		best := 0
		for i, v := range x {
			if v > x[best] {
				best = i
			}
		}
		return best
	}
	out := []int{argmax(lg[0])}
	for len(out) < maxNew {
		l, err := s.Step(out[len(out)-1])
		if err != nil {
			return nil, err
		}
		out = append(out, argmax(l))
	}
	return out, nil
}

func TestPenalty(t *testing.T) {
	t.Parallel()
	pn := newPenalty(2, 6)
	pn.add(0, 1, 1, 3, 0, 5)
	x := []float32{4, -3, 1, 0, 7, -0.5}
	pn.apply(x)
	// seen 0, 1, 3, 5: positive halved, negative doubled, once per id; 0 stays 0
	want := []float32{2, -6, 1, 0, 7, -1}
	if !slices.Equal(x, want) {
		t.Errorf("penalised %v, want %v", x, want)
	}
	for _, p := range []float64{1, 0} {
		if newPenalty(p, 6) != nil {
			t.Errorf("penalty %g should be off", p)
		}
	}
}

// TestGenerateRepetitionPenalty: Generate applies the penalty over history,
// prompt and output before choosing (checked against a step-by-step loop),
// and a huge penalty forbids every id already seen.
func TestGenerateRepetitionPenalty(t *testing.T) {
	t.Parallel()
	m := fixtureModel(t)
	const p, n = 1.3, 12
	history, prompt := prompt0[:2], prompt0[2:]
	s := m.NewSession(64)
	if _, err := s.Prefill(history, false); err != nil {
		t.Fatal(err)
	}
	got, err := Generate(context.Background(), s, prompt, Options{MaxTokens: n, RepetitionPenalty: p, History: history})
	if err != nil {
		t.Fatal(err)
	}
	// Reference: plain loop over a fresh session, penalising every earlier id.
	ref := m.NewSession(64)
	lg, err := ref.Prefill(prompt0, false)
	if err != nil {
		t.Fatal(err)
	}
	seq, logits := slices.Clone(prompt0), lg[0]
	var want []int
	for len(want) < n {
		done := map[int]bool{}
		for _, id := range seq {
			if !done[id] {
				done[id] = true
				if logits[id] < 0 {
					logits[id] *= float32(p)
				} else {
					logits[id] /= float32(p)
				}
			}
		}
		next := Argmax(logits)
		want, seq = append(want, next), append(seq, next)
		if logits, err = ref.Step(next); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(got.IDs, want) {
		t.Errorf("penalised greedy %v, reference %v", got.IDs, want)
	}
	plain, err := Generate(context.Background(), m.NewSession(64), prompt0, Options{MaxTokens: n})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(plain.IDs, want) {
		t.Errorf("the penalty changed nothing: %v", want)
	}
	huge, err := Generate(context.Background(), m.NewSession(64), prompt0, Options{MaxTokens: n, RepetitionPenalty: 1e30})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, id := range prompt0 {
		seen[id] = true
	}
	for _, id := range huge.IDs {
		if seen[id] {
			t.Errorf("penalty 1e30 repeated id %d: %v", id, huge.IDs)
		}
		seen[id] = true
	}
}

// TestGenerateStopStrings: the text stops before the stop string, the ids
// keep the token that completed it, which is not fed.
func TestGenerateStopStrings(t *testing.T) {
	t.Parallel()
	m := fixtureModel(t)
	tk := fixtureTokenizer(t)
	dec := TokenizerDecoder(tk)
	full, err := Generate(context.Background(), m.NewSession(64), prompt0, Options{MaxTokens: 10, Decoder: dec})
	if err != nil {
		t.Fatal(err)
	}
	if full.Text != tk.Decode(full.IDs, true) {
		t.Fatalf("text %q, decode %q", full.Text, tk.Decode(full.IDs, true))
	}
	// A stop string spanning the end of token 4 and the start of token 5.
	before := tk.Decode(full.IDs[:4], true)
	upTo5 := tk.Decode(full.IDs[:5], true)
	stop := before[len(before)-1:] + upTo5[len(before):len(before)+1]
	cut := strings.Index(upTo5, stop)
	var streamed strings.Builder
	res, err := Generate(context.Background(), m.NewSession(64), prompt0, Options{MaxTokens: 10, Decoder: dec,
		StopStrings: []string{"never appears", stop}, OnText: func(s string) error { streamed.WriteString(s); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Finish != FinishStop || res.Text != upTo5[:cut] || streamed.String() != res.Text ||
		!slices.Equal(res.IDs, full.IDs[:5]) || res.Fed != 4 {
		t.Errorf("stop %q: finish %s text %q (streamed %q) ids %v fed %d; want stop, %q, %v, 4",
			stop, res.Finish, res.Text, streamed.String(), res.IDs, res.Fed, upTo5[:cut], full.IDs[:5])
	}
	if _, err := Generate(context.Background(), m.NewSession(64), prompt0, Options{MaxTokens: 2, StopStrings: []string{"x"}}); err == nil {
		t.Error("stop strings without a decoder: no error")
	}
}

// TestGenerateInterrupted: cancelling mid-answer returns the ids so far, all
// fed, their text, and the context's error.
func TestGenerateInterrupted(t *testing.T) {
	t.Parallel()
	m := fixtureModel(t)
	tk := fixtureTokenizer(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := m.NewSession(64)
	res, err := Generate(ctx, s, prompt0, Options{MaxTokens: 20, Decoder: TokenizerDecoder(tk), OnToken: func(id int) error {
		if id >= 0 {
			cancel() // after the first token
		}
		return nil
	}})
	if err != context.Canceled || res == nil || res.Finish != FinishInterrupted || len(res.IDs) != 1 || res.Fed != 1 ||
		s.Pos() != len(prompt0)+1 || res.Text != tk.Decode(res.IDs, true) {
		t.Fatalf("err %v res %+v pos %d", err, res, s.Pos())
	}
}
