package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ct2go/ct2go/format/safetensors"
	"github.com/ct2go/ct2go/internal/testfix"
	"github.com/ct2go/ct2go/verify"
)

// fixturePrompts writes the transformers reference's prompts as an ids file.
func fixturePrompts(t *testing.T) (string, *verify.Reference) {
	t.Helper()
	ref, err := verify.LoadReference(transformersRef(t), verify.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Close() })
	m := map[string][]int{}
	for _, p := range ref.Prompts {
		m[p.Name] = p.IDs
	}
	b, _ := json.Marshal(m)
	path := filepath.Join(t.TempDir(), "prompts.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, ref
}

// TestReferenceMatchesTransformers: `ct2go reference` on the tiny Mllama
// checkpoint writes logits within 1e-4 of transformers' float32 logits at
// every position of every prompt, in a file `verify` accepts (zstd here),
// and a float32 conversion verifies against it.
func TestReferenceMatchesTransformers(t *testing.T) {
	t.Parallel()
	prompts, want := fixturePrompts(t)
	out := filepath.Join(t.TempDir(), "ref.safetensors.zst")
	r := ct2go(t, nil, "reference", "--model", testfix.Path(t, "tiny-mllama"), "--prompts", prompts, "--output", out, "--json", "--threads", "2", "--peak")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var sum referenceSummary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if sum.WriteStats == nil || sum.Prompts != 4 || sum.Positions != 63 || !sum.Compressed || sum.Family != "mllama" || sum.DType != "bfloat16" || sum.PeakRSSAnon <= 0 ||
		!(sum.GFLOPS > 0) || !(sum.PeakGFLOPS > 0) || !(sum.FractionOfPeak > 0) || !(sum.CPUSeconds > 0) {
		t.Fatalf("summary %s", r.stdout)
	}
	got, err := verify.LoadReference(out, verify.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if !strings.Contains(got.Source, "ct2go") || !strings.Contains(got.Source, "tiny-mllama") || got.Metadata["dtype"] != "bfloat16" {
		t.Errorf("metadata %v", got.Metadata)
	}
	if len(got.Prompts) != len(want.Prompts) || got.V != want.V {
		t.Fatalf("%d prompts V %d, want %d V %d", len(got.Prompts), got.V, len(want.Prompts), want.V)
	}
	for i, p := range got.Prompts {
		w := want.Prompts[i]
		if p.Name != w.Name || len(p.IDs) != len(w.IDs) {
			t.Fatalf("prompt %d: %s %v, want %s %v", i, p.Name, p.IDs, w.Name, w.IDs)
		}
		a, b := p.Logits(), w.Logits()
		var worst float64
		for j := range a {
			worst = math.Max(worst, math.Abs(float64(a[j])-float64(b[j])))
		}
		t.Logf("%s: %d positions, max |Δ| vs transformers %.3g", p.Name, p.T, worst)
		if worst > 1e-4 {
			t.Errorf("%s: max |Δ| %.3g > 1e-4", p.Name, worst)
		}
	}
	v, _ := runVerifyJSON(t, 0, "--model", convertedModel(t, "float32", false), "--reference", out)
	if !v.Pass || v.Overall.Positions != 63 || v.Overall.MaxAbs > 1e-4 {
		t.Errorf("verify float32 model vs ct2go reference: pass %v, %d positions, max |Δ| %g", v.Pass, v.Overall.Positions, v.Overall.MaxAbs)
	}
}

// TestReferenceOutputExists: an existing output is kept without --force
// (exit 4) and replaced with it.
func TestReferenceOutputExists(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	prompts := filepath.Join(dir, "p.json")
	os.WriteFile(prompts, []byte(`{"hello": "Hello world"}`), 0o644)
	out := filepath.Join(dir, "ref.safetensors")
	os.WriteFile(out, []byte("keep me"), 0o644)
	r := ct2go(t, nil, "reference", "--model", testfix.Path(t, "tiny-mllama"), "--prompts", prompts, "--output", out)
	if b, _ := os.ReadFile(out); r.code != exitExists || string(b) != "keep me" || !strings.Contains(r.stderr, "--force") {
		t.Fatalf("exit %d (want %d), file %q, stderr %q", r.code, exitExists, b, r.stderr)
	}
	r = ct2go(t, nil, "reference", "--model", testfix.Path(t, "tiny-mllama"), "--prompts", prompts, "--output", out, "--force", "--quiet")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("--force: exit %d: %s", r.code, r.stderr)
	}
	ref, err := verify.LoadReference(out, verify.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	// Text is tokenized with the checkpoint's tokenizer: <|begin_of_text|> Hello world.
	if p := ref.Prompts[0]; p.Name != "hello" || len(p.IDs) != 3 || p.IDs[0] != 128000 || p.IDs[1] != 9906 || p.IDs[2] != 1917 {
		t.Fatalf("prompt %s ids %v", p.Name, p.IDs)
	}
	if entries := leftovers(t, dir); len(entries) != 2 {
		t.Fatalf("leftovers %v", entries)
	}
}

// TestReferenceBadInput: a broken checkpoint or prompt gives one line, a
// non-zero exit, and no output (not even a temporary file).
func TestReferenceBadInput(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		prepare func(t *testing.T, ck string)
		prompts string
		extra   []string
		code    int
		want    []string
	}{
		{"NaN weight", func(t *testing.T, ck string) {
			patchBF16(t, ck, "language_model.model.layers.4.self_attn.v_proj.weight", 0.5, float32(math.NaN()))
		}, `{"p": [128000, 9906]}`, nil, exitFailure, []string{"language_model.model.layers.4.self_attn.v_proj.weight", "NaN", ".safetensors"}},
		{"Inf weight", func(t *testing.T, ck string) {
			patchBF16(t, ck, "language_model.model.embed_tokens.weight", float32(math.Inf(-1)))
		}, `{"p": [128000, 9906]}`, nil, exitFailure, []string{"language_model.model.embed_tokens.weight", "-Inf"}},
		{"missing tensor", func(t *testing.T, ck string) {
			rewriteShards(t, ck, func(ts map[string]safetensors.WriteTensor) {
				delete(ts, "language_model.model.layers.9.mlp.up_proj.weight")
			})
		}, `{"p": [128000, 9906]}`, nil, exitFailure, []string{"missing tensor for model.layers.7.mlp.up_proj.weight"}},
		{"id beyond vocab", nil, `{"p": [128000, 128256]}`, nil, exitFailure, []string{"prompt p", "128256", "vocabulary of 128256"}},
		{"prompt longer than max positions", func(t *testing.T, ck string) {
			editJSON(t, filepath.Join(ck, "config.json"), func(m map[string]any) { textCfg(m)["max_position_embeddings"] = 2 })
		}, `{"p": [128000, 9906, 1917]}`, nil, exitFailure, []string{"prompt p has 3 tokens", "max_position_embeddings 2"}},
		{"dotted prompt name", nil, `{"a.b": [128000]}`, nil, exitFailure, []string{`"a.b"`, "without '.'"}},
		{"no prompts flag", nil, "", nil, exitUsage, []string{"--prompts"}},
		{"int8 compute is not offered", nil, `{"p": [128000]}`, []string{"--compute", "int8"}, exitUsage, []string{"compute"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ck := testfix.Path(t, "tiny-mllama")
			if c.prepare != nil {
				ck = copyFixture(t)
				c.prepare(t, ck)
			}
			before := snapshot(t, ck)
			outDir := t.TempDir()
			args := []string{"reference", "--model", ck, "--output", filepath.Join(outDir, "ref.safetensors")}
			if c.prompts != "" {
				p := filepath.Join(t.TempDir(), "p.json")
				os.WriteFile(p, []byte(c.prompts), 0o644)
				args = append(args, "--prompts", p)
			}
			r := ct2go(t, nil, append(args, c.extra...)...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d: %s", r.code, c.code, r.stderr)
			}
			line := strings.TrimSuffix(r.stderr, "\n")
			if strings.Contains(line, "\n") || !strings.HasPrefix(line, "ct2go: ") {
				t.Fatalf("want one error line, got %q", r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(line, w) {
					t.Errorf("error %q does not mention %q", line, w)
				}
			}
			if e := leftovers(t, outDir); len(e) != 0 {
				t.Errorf("output directory holds %v", e)
			}
			if snapshot(t, ck) != before {
				t.Errorf("the checkpoint was modified")
			}
		})
	}
}

// TestReferenceHubID: --model takes a Hugging Face id resolved in the cache
// (offline here) and gives the same logits as the directory.
func TestReferenceHubID(t *testing.T) {
	t.Parallel()
	src := testfix.Path(t, "tiny-mllama")
	cache := t.TempDir()
	repo := filepath.Join(cache, "models--acme--tiny-vision")
	commit := "89abcdef0123456789abcdef0123456789abcdef"
	snap := filepath.Join(repo, "snapshots", commit)
	for _, d := range []string{filepath.Join(repo, "blobs"), filepath.Join(repo, "refs"), snap} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(src)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		blob := hex.EncodeToString(sum[:])
		if err := os.WriteFile(filepath.Join(repo, "blobs", blob), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..", "..", "blobs", blob), filepath.Join(snap, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(commit), 0o644)
	dir := t.TempDir()
	prompts := filepath.Join(dir, "p.json")
	os.WriteFile(prompts, []byte(`["The sky is", [128000, 791, 1917, 374]]`), 0o644)
	env := []string{"HF_HUB_CACHE=" + cache, "HF_HUB_OFFLINE=1", "HF_ENDPOINT=http://127.0.0.1:9"}
	hubOut, dirOut := filepath.Join(dir, "hub.safetensors"), filepath.Join(dir, "dir.safetensors")
	if r := ct2go(t, env, "reference", "--model", "acme/tiny-vision", "--prompts", prompts, "--output", hubOut, "--quiet"); r.code != 0 {
		t.Fatalf("hub id: exit %d: %s", r.code, r.stderr)
	}
	if r := ct2go(t, nil, "reference", "--model", src, "--prompts", prompts, "--output", dirOut, "--quiet"); r.code != 0 {
		t.Fatalf("directory: exit %d: %s", r.code, r.stderr)
	}
	a, err := verify.LoadReference(hubOut, verify.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := verify.LoadReference(dirOut, verify.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if len(a.Prompts) != 2 || len(b.Prompts) != 2 {
		t.Fatalf("%d / %d prompts", len(a.Prompts), len(b.Prompts))
	}
	for i := range a.Prompts {
		la, lb := a.Prompts[i].Logits(), b.Prompts[i].Logits()
		if len(la) != len(lb) {
			t.Fatalf("%s: %d vs %d logits", a.Prompts[i].Name, len(la), len(lb))
		}
		for j := range la {
			if la[j] != lb[j] {
				t.Fatalf("%s: logit %d differs: %g vs %g", a.Prompts[i].Name, j, la[j], lb[j])
			}
		}
	}
}
