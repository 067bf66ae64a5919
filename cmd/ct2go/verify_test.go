package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/internal/testfix"
	"github.com/ct2go/ct2go/verify"
)

var (
	convMu    sync.Mutex
	converted = map[string]string{}
)

// convertedModel converts the tiny fixture once per (quantization, compat)
// for all tests, into the directory TestMain removes with the binary.
func convertedModel(t *testing.T, quant string, compat bool) string {
	t.Helper()
	convMu.Lock()
	defer convMu.Unlock()
	key := quant
	if compat {
		key += "-compat"
	}
	if dir, ok := converted[key]; ok {
		return dir
	}
	dir := filepath.Join(filepath.Dir(binPath), "models", key)
	args := []string{"convert", "--model", testfix.Path(t, "tiny-mllama"), "--output_dir", dir, "--quantization", quant, "--quiet"}
	if compat {
		args = append(args, "--ct2-compat")
	}
	if r := ct2go(t, nil, args...); r.code != 0 {
		t.Fatalf("convert %s: exit %d: %s", key, r.code, r.stderr)
	}
	converted[key] = dir
	return dir
}

// linkModel makes a scratch model directory whose files are symlinks to
// src's, except those listed in replace (written fresh).
func linkModel(t *testing.T, src string, replace map[string][]byte) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := replace[e.Name()]; ok {
			continue
		}
		if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range replace {
		if err := os.WriteFile(filepath.Join(dst, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

type verifyJSON struct {
	Compute    string `json:"compute"`
	Thresholds struct {
		MaxKLMean *float64 `json:"max_kl_mean"`
		MinTop1   *float64 `json:"min_top1_rate"`
		MaxAbs    *float64 `json:"max_abs"`
	} `json:"thresholds"`
	Prompts []struct {
		Name string `json:"name"`
		verify.Stats
		Pass     bool     `json:"pass"`
		Failures []string `json:"failures"`
	} `json:"prompts"`
	Overall  verify.Stats `json:"overall"`
	Warnings []string     `json:"warnings"`
	Pass     bool         `json:"pass"`
}

func runVerifyJSON(t *testing.T, wantCode int, args ...string) (verifyJSON, result) {
	t.Helper()
	r := ct2go(t, nil, append([]string{"verify", "--json"}, args...)...)
	if r.code != wantCode {
		t.Fatalf("verify %v: exit %d, want %d\nstdout: %s\nstderr: %s", args, r.code, wantCode, r.stdout, r.stderr)
	}
	var v verifyJSON
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("verify --json output: %v\n%s", err, r.stdout)
	}
	return v, r
}

func transformersRef(t *testing.T) string {
	return testfix.Path(t, "reference", "transformers", "logits.safetensors")
}

func TestVerifyFloat32MatchesTransformers(t *testing.T) {
	t.Parallel()
	dir := convertedModel(t, "float32", false)
	v, r := runVerifyJSON(t, 0, "--model", dir, "--reference", transformersRef(t))
	o := v.Overall
	t.Logf("float32 vs transformers: max|Δ| %.3g, KL mean %.3g max %.3g, top-1 %d/%d", o.MaxAbs, o.KLMean, o.KLMax, o.Top1, o.Positions)
	if !v.Pass || v.Compute != "float32" || o.Positions != 63 || o.MaxAbs > 1e-4 || o.Top1 != 63 || len(v.Warnings) != 0 || r.stderr != "" {
		t.Errorf("pass %v compute %s positions %d max|Δ| %g top-1 %d warnings %v stderr %q", v.Pass, v.Compute, o.Positions, o.MaxAbs, o.Top1, v.Warnings, r.stderr)
	}
	if v.Thresholds.MaxAbs == nil || *v.Thresholds.MaxAbs != 1e-4 || *v.Thresholds.MinTop1 != 1 {
		t.Errorf("float32 default thresholds: %+v", v.Thresholds)
	}
	// The text report.
	tr := ct2go(t, nil, "verify", "--model", dir, "--reference", transformersRef(t))
	if tr.code != 0 || !strings.Contains(tr.stdout, "PASS: 4 prompts, 63 positions") || !strings.Contains(tr.stdout, "63/63") {
		t.Errorf("text report: exit %d\n%s%s", tr.code, tr.stdout, tr.stderr)
	}
}

func TestVerifyInt8DefaultThresholds(t *testing.T) {
	t.Parallel()
	dir := convertedModel(t, "int8_float16", false)
	v, _ := runVerifyJSON(t, 0, "--model", dir, "--reference", transformersRef(t))
	o := v.Overall
	t.Logf("int8_float16 vs transformers: KL mean %.3g p99 %.3g max %.3g, top-1 %d/%d, top-5 %.3f, max|Δ| %.3g",
		o.KLMean, o.KLP99, o.KLMax, o.Top1, o.Positions, o.Top5Overlap, o.MaxAbs)
	if !v.Pass || v.Compute != "int8" || o.KLMean > 5e-4 || o.Top1 < 61 || o.Positions != 63 {
		t.Errorf("pass %v compute %s KL mean %g top-1 %d/%d; want pass, int8, ≤ 5e-4, ≥ 61/63", v.Pass, v.Compute, o.KLMean, o.Top1, o.Positions)
	}
	if v.Thresholds.MaxAbs != nil || *v.Thresholds.MaxKLMean != 5e-3 || *v.Thresholds.MinTop1 != 0.9 {
		t.Errorf("int8 default thresholds: %+v", v.Thresholds)
	}
	// Tighter user thresholds turn the same run into a failure (exit 1);
	// --max-abs is exercised in TestVerifyCompatFlagsMissingRope.
	for _, args := range [][]string{{"--max-kld", "1e-5"}, {"--min-top1", "100", "--max-kld", "1"}} {
		r := ct2go(t, nil, append([]string{"verify", "--model", dir, "--reference", transformersRef(t)}, args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, "verification failed") {
			t.Errorf("%v: exit %d, stderr %q; want 1", args, r.code, r.stderr)
		}
	}
}

func TestVerifyCompatFlagsMissingRope(t *testing.T) {
	t.Parallel()
	dir := convertedModel(t, "float32", true)
	v, r := runVerifyJSON(t, 1, "--model", dir, "--reference", transformersRef(t))
	for _, want := range []string{
		"lacks rotary_scaling_factor / original_max_position_embeddings",
		"ct2go fix-rope --model " + dir,
		"drift in this run, max |Δlogit| by prompt length: T=1 2.4e-06, T=5 0.00067, T=17 0.0011, T=40 0.0048",
		"RoPE angle error",
		"verification failed: prompts prompt0, prompt2, prompt3",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if len(v.Warnings) != 1 || v.Pass || v.Overall.Top1 != 63 {
		t.Errorf("warnings %d pass %v top-1 %d", len(v.Warnings), v.Pass, v.Overall.Top1)
	}
	// The drift is the position-dependent RoPE error: the one-token prompt is exact.
	for _, p := range v.Prompts {
		if (p.Name == "prompt1") != p.Pass {
			t.Errorf("%s: pass %v (max|Δ| %.3g)", p.Name, p.Pass, p.MaxAbs)
		}
	}
	// Without the max |Δ| check it passes (KL ~4e-8), but the warning stays.
	r = ct2go(t, nil, "verify", "--model", dir, "--reference", transformersRef(t), "--max-abs", "-1")
	if r.code != 0 || !strings.Contains(r.stderr, "fix-rope") {
		t.Errorf("--max-abs -1: exit %d stderr %q", r.code, r.stderr)
	}
}

// TestVerifyCorruptedLayer overwrites half of one weight matrix of an int8
// model with junk: verify must fail (exit 1) and name the prompts.
func TestVerifyCorruptedLayer(t *testing.T) {
	t.Parallel()
	src := convertedModel(t, "int8_float16", false)
	bin, err := os.ReadFile(filepath.Join(src, "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := ct2.ReadHeaderFile(filepath.Join(src, "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	v, ok := h.Lookup("decoder/layer_3/ffn/linear_1/weight")
	if !ok || v.DType != ct2.Int8 {
		t.Fatalf("decoder/layer_3/ffn/linear_1/weight: %v %v", ok, v)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := v.Offset; i < v.Offset+v.NBytes/2; i++ {
		bin[i] = byte(rng.Uint32())
	}
	dir := linkModel(t, src, map[string][]byte{"model.bin": bin})

	rep, r := runVerifyJSON(t, 1, "--model", dir, "--reference", transformersRef(t))
	var failed []string
	for _, p := range rep.Prompts {
		if !p.Pass {
			failed = append(failed, p.Name)
			if len(p.Failures) == 0 || !strings.Contains(p.Failures[0], "KL mean") {
				t.Errorf("%s: failures %v", p.Name, p.Failures)
			}
		}
	}
	t.Logf("corrupted: KL mean %.3g, top-1 %d/%d; failed %v", rep.Overall.KLMean, rep.Overall.Top1, rep.Overall.Positions, failed)
	if len(failed) != 4 || !strings.Contains(r.stderr, "verification failed: prompts prompt0, prompt1, prompt2, prompt3") {
		t.Errorf("failed prompts %v, stderr %q", failed, r.stderr)
	}
	tr := ct2go(t, nil, "verify", "--model", dir, "--reference", transformersRef(t))
	if tr.code != 1 || !strings.Contains(tr.stdout, "FAIL prompt3: KL mean") || !strings.Contains(tr.stdout, "FAILED: prompts prompt0, prompt1, prompt2, prompt3") {
		t.Errorf("text: exit %d\n%s", tr.code, tr.stdout)
	}
}

func TestVerifyBadInput(t *testing.T) {
	t.Parallel()
	model := testfix.Path(t, "golden", "ct2go", "int8_float16")
	tmp := t.TempDir()
	const V = 128256
	big := filepath.Join(tmp, "big.safetensors")
	if err := verify.WriteReference(big, []verify.WritePrompt{
		{Name: "fine", IDs: []int{128000}, Logits: make([]float32, V)},
		{Name: "toolarge", IDs: []int{128000, 130000}, Logits: make([]float32, 2*V)},
	}, V, nil); err != nil {
		t.Fatal(err)
	}
	narrow := filepath.Join(tmp, "narrow.safetensors")
	if err := verify.WriteReference(narrow, []verify.WritePrompt{{Name: "p", IDs: []int{1}, Logits: make([]float32, 1000)}}, 1000, nil); err != nil {
		t.Fatal(err)
	}
	prompts := filepath.Join(tmp, "prompts.json")
	os.WriteFile(prompts, []byte(`{"x": [1, 200000]}`), 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"id beyond vocabulary", []string{"--model", model, "--reference", big}, "prompt toolarge: input id 130000 at position 1 is outside the model's vocabulary of 128256 tokens"},
		{"other vocabulary", []string{"--model", model, "--reference", narrow}, "reference logits cover 1000 tokens, the model has 128256"},
		{"missing reference", []string{"--model", model, "--reference", filepath.Join(tmp, "nope.safetensors")}, "nope.safetensors"},
		{"missing model", []string{"--model", filepath.Join(tmp, "nomodel"), "--reference", big}, "nomodel"},
		{"no reference", []string{"--model", model}, "verify needs --against-checkpoint CHECKPOINT, --reference FILE or --against MODEL_DIR"},
		{"both", []string{"--model", model, "--reference", big, "--against", model, "--prompts", prompts}, "not several"},
		{"checkpoint without prompts", []string{"--model", model, "--against-checkpoint", model}, "--against-checkpoint needs --prompts FILE or --text FILE --ctx N"},
		{"against without prompts", []string{"--model", model, "--against", model}, "--against needs --prompts"},
		{"against bad ids", []string{"--model", model, "--against", model, "--prompts", prompts}, "prompt x: input id 200000 at position 1"},
		{"bad compute", []string{"--model", model, "--reference", big, "--compute", "int4"}, "unknown compute type"},
		{"top1 percent", []string{"--model", model, "--reference", big, "--min-top1", "101"}, "percentage"},
	}
	for _, c := range cases {
		r := ct2go(t, nil, append([]string{"verify"}, c.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line with %q", c.name, r.code, r.stderr, c.want)
		}
	}
}

func TestVerifyAgainst(t *testing.T) {
	t.Parallel()
	f32 := convertedModel(t, "float32", false)
	i8 := convertedModel(t, "int8_float16", false)
	compat := convertedModel(t, "float32", true)
	prompts := filepath.Join(t.TempDir(), "prompts.json")
	os.WriteFile(prompts, []byte(`{"hello": "Hello, world!", "ids": [128000, 17570, 1272, 59578, 78716, 38034, 59227, 128006, 21739, 128007, 107915, 7269, 99017, 14802, 60212, 100246, 55917, 81024, 123373, 40603]}`), 0o644)

	// int8 against float32: int8 thresholds, passes.
	v, _ := runVerifyJSON(t, 0, "--model", i8, "--against", f32, "--prompts", prompts)
	if len(v.Prompts) != 2 || v.Prompts[0].Name != "hello" || v.Prompts[0].Positions != 5 || v.Prompts[1].Positions != 20 {
		t.Fatalf("prompts %+v", v.Prompts)
	}
	t.Logf("int8 against float32: KL mean %.3g, top-1 %d/%d", v.Overall.KLMean, v.Overall.Top1, v.Overall.Positions)
	// float32 against itself: exact.
	v, _ = runVerifyJSON(t, 0, "--model", f32, "--against", f32, "--prompts", prompts)
	if v.Overall.MaxAbs != 0 || v.Overall.KLMean != 0 {
		t.Errorf("float32 against itself: max|Δ| %g KL %g, want 0", v.Overall.MaxAbs, v.Overall.KLMean)
	}
	// The compat model against the fixed one: the RoPE drift fails float32 thresholds.
	v, r := runVerifyJSON(t, 1, "--model", compat, "--against", f32, "--prompts", prompts)
	if !strings.Contains(r.stderr, "fix-rope") || v.Overall.MaxAbs < 1e-4 {
		t.Errorf("compat against fixed: max|Δ| %g stderr %q", v.Overall.MaxAbs, r.stderr)
	}
	// And the other way round: the reference model (B) is the one flagged.
	_, r = runVerifyJSON(t, 1, "--model", f32, "--against", compat, "--prompts", prompts)
	if !strings.Contains(r.stderr, "warning: "+compat) {
		t.Errorf("reference model lacking scalars not flagged: %q", r.stderr)
	}
}
