package verify

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/report.{txt,json}")

// goldenReport is a small fixed comparison: two prompts over a 6-token
// vocabulary, one close to the reference and one far from it.
func goldenReport() *Report {
	ref := [][]float32{
		{2, 1, 0, -1, -2, -3}, {0, 3, 1, 1, 0, -1}, {1, 1, 1, 1, 1, 5},
		{-1, 0, 4, 2, 2, 0},
	}
	close := [][]float32{
		{2.01, 1, 0, -1, -2, -3}, {0, 3, 1.02, 1, 0, -1}, {1, 1, 1, 1.03, 1, 5},
	}
	far := [][]float32{{3, 0, 4, 2, 2, 9}}
	flat := func(r [][]float32) []float32 {
		var out []float32
		for _, x := range r {
			out = append(out, x...)
		}
		return out
	}
	rep := &Report{Model: "model-dir", Reference: "ref.safetensors", ReferenceSource: "unit test",
		Compute: "int8", WeightDType: "int8", Thresholds: Thresholds{MaxKLMean: 5e-3, MinTop1: 0.9, MaxAbs: -1}}
	var all []located
	for _, p := range []struct {
		name  string
		ids   []int
		ref   []float32
		model [][]float32
	}{
		{"close", []int{0, 1, 5}, flat(ref[:3]), close},
		{"far", []int{2}, flat(ref[3:]), far},
	} {
		ps := comparePrompt(p.name, p.ids, p.ref, p.model, 6, 0, len(p.ids))
		rep.Prompts = append(rep.Prompts, PromptReport{Name: p.name, Tokens: len(p.ids), Stats: aggregate(ps)})
		all = append(all, ps...)
	}
	rep.Overall = aggregate(all)
	rep.judge()
	return rep
}

func TestReportGolden(t *testing.T) {
	t.Parallel()
	rep := goldenReport()
	var txt, js bytes.Buffer
	if err := rep.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"report.txt": txt.Bytes(), "report.json": js.Bytes()} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./verify -run TestReportGolden -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file:\n%s", name, got)
		}
	}
}
