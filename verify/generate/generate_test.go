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
