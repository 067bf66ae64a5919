package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
)

func fixturePromptsFile(t *testing.T) string {
	return filepath.Join(testfix.RepoRoot(t), "testdata", "fixture-prompts.json")
}

// TestVerifyAgainstCheckpoint is issue 11's acceptance: the int8_float16
// conversion verified against the checkpoint itself passes the default int8
// thresholds and reports the KL of the transformers reference file to 1e-6.
func TestVerifyAgainstCheckpoint(t *testing.T) {
	t.Parallel()
	i8 := convertedModel(t, "int8_float16", false)
	ck := testfix.Path(t, "tiny-mllama")
	a, r := runVerifyJSON(t, 0, "--model", i8, "--against-checkpoint", ck, "--prompts", fixturePromptsFile(t))
	b, _ := runVerifyJSON(t, 0, "--model", i8, "--reference", transformersRef(t))
	t.Logf("KL mean: against the checkpoint %.9g, against transformers %.9g (Δ %.2g)", a.Overall.KLMean, b.Overall.KLMean, a.Overall.KLMean-b.Overall.KLMean)
	if !a.Pass || a.Compute != "int8" || a.Overall.Positions != 63 || math.Abs(a.Overall.KLMean-b.Overall.KLMean) > 1e-6 ||
		math.Abs(a.Overall.KLMax-b.Overall.KLMax) > 1e-6 || a.Overall.Top1 != b.Overall.Top1 {
		t.Errorf("against checkpoint: pass %v, KL mean %g max %g top-1 %d; transformers: KL mean %g max %g top-1 %d\n%s",
			a.Pass, a.Overall.KLMean, a.Overall.KLMax, a.Overall.Top1, b.Overall.KLMean, b.Overall.KLMax, b.Overall.Top1, r.stderr)
	}
	for i := range a.Prompts {
		if a.Prompts[i].Name != b.Prompts[i].Name || math.Abs(a.Prompts[i].KLMean-b.Prompts[i].KLMean) > 1e-6 {
			t.Errorf("%s: KL mean %g vs %g", a.Prompts[i].Name, a.Prompts[i].KLMean, b.Prompts[i].KLMean)
		}
	}
	// The float32 conversion against its checkpoint: float32 thresholds pass.
	f32 := convertedModel(t, "float32", false)
	v, _ := runVerifyJSON(t, 0, "--model", f32, "--against-checkpoint", ck, "--prompts", fixturePromptsFile(t))
	if v.Overall.MaxAbs > 1e-4 || v.Overall.Top1 != 63 {
		t.Errorf("float32 against checkpoint: max|Δ| %g, top-1 %d", v.Overall.MaxAbs, v.Overall.Top1)
	}
}

// TestReferenceCorpus writes a corpus reference from the checkpoint and
// verifies against it: the same statistics as --against-checkpoint.
func TestReferenceCorpus(t *testing.T) {
	t.Parallel()
	i8 := convertedModel(t, "int8_float16", false)
	ck := testfix.Path(t, "tiny-mllama")
	text := tomSawyer(t)
	tmp := t.TempDir()
	ref := filepath.Join(tmp, "corpus.safetensors")
	if r := ct2go(t, nil, "reference", "--model", ck, "--text", text, "--ctx", "64", "--chunks", "2", "--output", ref, "--quiet"); r.code != 0 {
		t.Fatalf("reference --text: exit %d: %s", r.code, r.stderr)
	}
	a, _ := runCorpusJSON(t, 0, "--model", i8, "--reference", ref, "--min-top1", "-1")
	b, _ := runCorpusJSON(t, 0, "--model", i8, "--reference", ref, "--text", text, "--ctx", "64", "--min-top1", "-1")
	c, _ := runCorpusJSON(t, 0, "--model", i8, "--against-checkpoint", ck, "--text", text, "--ctx", "64", "--chunks", "2", "--min-top1", "-1")
	for _, k := range []string{"kld_mean", "kld_max", "ppl_q", "ppl_base", "same_top", "delta_p_rms"} {
		if num(t, a.Corpus.Stats, k) != num(t, c.Corpus.Stats, k) || num(t, b.Corpus.Stats, k) != num(t, c.Corpus.Stats, k) {
			t.Errorf("%s: --reference %v, --reference --text %v, --against-checkpoint %v", k, a.Corpus.Stats[k], b.Corpus.Stats[k], c.Corpus.Stats[k])
		}
	}
	if a.Corpus.Ctx != 64 || a.Corpus.Windows != 2 || a.Corpus.Text != "tom-sawyer.txt" {
		t.Errorf("corpus from the file: %+v", a.Corpus)
	}

	bad := filepath.Join(tmp, "bad.txt")
	os.WriteFile(bad, []byte("\xff\xfe"), 0o644)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"ctx beyond max_position_embeddings", []string{"--text", text, "--ctx", "200000"}, "--ctx 200000 is longer than the model's 131072 positions"},
		{"ctx 2", []string{"--text", text, "--ctx", "2"}, "--ctx 2: a window needs at least 3 tokens"},
		{"not UTF-8", []string{"--text", bad, "--ctx", "64"}, "not UTF-8 text"},
		{"text and prompts", []string{"--text", text, "--ctx", "64", "--prompts", fixturePromptsFile(t)}, "not both"},
	} {
		out := filepath.Join(tmp, strings.ReplaceAll(c.name, " ", "-")+".safetensors")
		r := ct2go(t, nil, append([]string{"reference", "--model", ck, "--output", out}, c.args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q; want failure, one line with %q", c.name, r.code, r.stderr, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output written", c.name)
		}
	}
}
