package verify

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
	"github.com/ct2go/ct2go/runtime"
	"github.com/ct2go/ct2go/tokenizer"
)

func loadFixtureRef(t *testing.T, which string) *Reference {
	t.Helper()
	r, err := LoadReference(testfix.Path(t, "reference", which, "logits.safetensors"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if len(r.Prompts) != 4 || r.V != 128256 {
		t.Fatalf("%s: %d prompts, V %d; want 4 and 128256", which, len(r.Prompts), r.V)
	}
	return r
}

// TestFixtureInt8 runs the golden int8_float16 model (CT2 int8 path) against
// transformers and CTranslate2's own logits.
func TestFixtureInt8(t *testing.T) {
	t.Parallel()
	m, err := runtime.Load(testfix.Path(t, "golden", "ct2go", "int8_float16"), runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Config().Compute != runtime.ComputeInt8 {
		t.Fatalf("compute %v, want int8", m.Config().Compute)
	}
	th := DefaultThresholds(runtime.ComputeInt8)

	tr := loadFixtureRef(t, "transformers")
	rep, err := Compare(context.Background(), m, tr.Inputs(), th)
	if err != nil {
		t.Fatal(err)
	}
	o := rep.Overall
	t.Logf("vs transformers: KL mean %.3g p99 %.3g max %.3g, top-1 %d/%d, top-5 %.3f, max|Δ| %.3g, ppl ratio %.5f",
		o.KLMean, o.KLP99, o.KLMax, o.Top1, o.Positions, o.Top5Overlap, o.MaxAbs, *o.PPLRatio)
	// CT2 itself: KL mean 3.75e-4, max 6.6e-4, top-1 61/63 (fixtures README).
	if !rep.Pass || o.Positions != 63 || o.KLMean > 5e-4 || o.KLMax > 1e-3 || o.Top1 < 61 {
		t.Errorf("int8 vs transformers: pass %v, KL mean %.3g max %.3g, top-1 %d/%d; want pass, ≤ 5e-4, ≤ 1e-3, ≥ 61/63\n%v %v", rep.Pass, o.KLMean, o.KLMax, o.Top1, o.Positions, rep.OverallFailures, rep.FailedPrompts())
	}

	ct := loadFixtureRef(t, "ct2-cpu")
	rep, err = Compare(context.Background(), m, ct.Inputs(), th)
	if err != nil {
		t.Fatal(err)
	}
	o = rep.Overall
	t.Logf("vs CTranslate2 int8: KL mean %.3g max %.3g, top-1 %d/%d, max|Δ| %.3g", o.KLMean, o.KLMax, o.Top1, o.Positions, o.MaxAbs)
	// Same numerics as CT2: closer than to transformers; rare activation
	// rounding flips move a logit by up to ~0.1 (fixtures README).
	if !rep.Pass || o.KLMean > 2e-4 || o.Top1 < 61 || o.MaxAbs > 0.1 {
		t.Errorf("int8 vs CT2: KL mean %.3g top-1 %d max|Δ| %.3g", o.KLMean, o.Top1, o.MaxAbs)
	}
}

// TestFixtureStrictThresholdsReject: float32 compute of int8 weights is not the
// transformers model; the strict float32 thresholds must reject it.
func TestFixtureStrictThresholdsReject(t *testing.T) {
	t.Parallel()
	m, err := runtime.Load(testfix.Path(t, "golden", "ct2go", "int8_float16"), runtime.Options{Compute: runtime.ComputeFloat32})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	rep, err := Compare(context.Background(), m, loadFixtureRef(t, "transformers").Inputs(), DefaultThresholds(runtime.ComputeFloat32))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pass || len(rep.FailedPrompts()) == 0 {
		t.Errorf("int8 weights passed float32 thresholds: max|Δ| %.3g", rep.Overall.MaxAbs)
	}
	var b strings.Builder
	rep.Model, rep.Reference = "golden/int8_float16", "transformers"
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PROMPT", "prompt3", "all", "FAIL prompt", "max |Δlogit|", "FAILED: prompts"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, b.String())
		}
	}
}

func TestParsePrompts(t *testing.T) {
	t.Parallel()
	tok, err := tokenizer.Load(testfix.Path(t, "tiny-mllama"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, json string
		want       map[string][]int
		order      string
		err        string
	}{
		{"object ids", `{"b10": [1, 2], "b2": [3]}`, map[string][]int{"b10": {1, 2}, "b2": {3}}, "b2 b10", ""},
		{"list", `[[5], "Hello, world!"]`, map[string][]int{"prompt0": {5}, "prompt1": {128000, 9906, 11, 1917, 0}}, "prompt0 prompt1", ""},
		{"text object", `{"hi": "Hello, world!"}`, map[string][]int{"hi": {128000, 9906, 11, 1917, 0}}, "hi", ""},
		{"empty ids", `{"a": []}`, nil, "", "prompt a has no tokens"},
		{"negative", `{"a": [1, -2]}`, nil, "", "negative token id -2 at position 1"},
		{"float", `{"a": [1.5]}`, nil, "", "prompt a: want a list of integer token ids"},
		{"number", `{"a": 7}`, nil, "", "prompt a: want a list of token ids or a string"},
		{"scalar", `7`, nil, "", "want a JSON object"},
		{"none", `{}`, nil, "", "no prompts"},
	}
	for _, c := range cases {
		got, err := ParsePrompts("p.json", []byte(c.json), tok)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.HasPrefix(err.Error(), "p.json: ") {
				t.Errorf("%s: err = %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		var order []string
		for _, p := range got {
			order = append(order, p.Name)
			if w := c.want[p.Name]; fmt.Sprint(p.IDs) != fmt.Sprint(w) {
				t.Errorf("%s: %s = %v, want %v", c.name, p.Name, p.IDs, w)
			}
		}
		if strings.Join(order, " ") != c.order {
			t.Errorf("%s: order %v, want %s", c.name, order, c.order)
		}
	}
	if _, err := ParsePrompts("p.json", []byte(`["text"]`), nil); err == nil || !strings.Contains(err.Error(), "no tokenizer.json") {
		t.Errorf("text without tokenizer: %v", err)
	}
}
