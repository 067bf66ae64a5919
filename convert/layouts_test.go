package convert

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ct2go/ct2go/format/safetensors"
	"github.com/ct2go/ct2go/internal/testfix"
)

// rewriteCheckpoint copies the tiny fixture into a temp dir as one
// model.safetensors whose tensor names pass through rename ("" drops the
// tensor), with config.json passed through editConfig.
func rewriteCheckpoint(t *testing.T, rename func(string) string, editConfig func(map[string]any)) string {
	t.Helper()
	in := testfix.Path(t, "tiny-mllama")
	dir := t.TempDir()
	ck, err := safetensors.OpenCheckpoint(in)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	var wts []safetensors.WriteTensor
	for _, name := range ck.Names() {
		ten := ck.Tensors[name]
		nn := rename(name)
		if nn == "" {
			continue
		}
		wts = append(wts, safetensors.WriteTensor{Name: nn, DType: ten.DType, Shape: ten.Shape, NBytes: ten.NBytes,
			Write: func(w io.Writer) error { _, err := w.Write(ten.Bytes()); return err }})
	}
	if err := safetensors.WriteFile(filepath.Join(dir, "model.safetensors"), wts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(in)
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, ".safetensors") || n == safetensors.IndexFile {
			continue
		}
		if n == "config.json" && editConfig != nil {
			raw, _ := os.ReadFile(filepath.Join(in, n))
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			editConfig(m)
			b, _ := json.MarshalIndent(m, "", "  ")
			if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.Symlink(filepath.Join(in, n), filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestGoldenKeyLayouts converts the fixture in the transformers-5 key layout
// and as MllamaForCausalLM, and checks the same golden bytes.
func TestGoldenKeyLayouts(t *testing.T) {
	layouts := map[string]struct {
		rename func(string) string
		config func(map[string]any)
	}{
		"transformers-5": {rename: func(n string) string {
			for _, r := range [][2]string{{"language_model.model.", "model.language_model."}, {"language_model.lm_head.", "lm_head."},
				{"vision_model.", "model.vision_model."}, {"multi_modal_projector.", "model.multi_modal_projector."}} {
				if strings.HasPrefix(n, r[0]) {
					return r[1] + strings.TrimPrefix(n, r[0])
				}
			}
			return n
		}},
		"MllamaForCausalLM": {rename: func(n string) string {
			if s, ok := strings.CutPrefix(n, "language_model.model."); ok {
				return "model." + s
			}
			if n == "language_model.lm_head.weight" {
				return "lm_head.weight"
			}
			return ""
		}, config: func(m map[string]any) {
			tc := m["text_config"].(map[string]any)
			for k := range m {
				delete(m, k)
			}
			for k, v := range tc {
				m[k] = v
			}
			m["architectures"] = []any{"MllamaForCausalLM"}
			m["torch_dtype"] = "bfloat16"
		}},
	}
	for name, l := range layouts {
		t.Run(name, func(t *testing.T) {
			dir := rewriteCheckpoint(t, l.rename, l.config)
			for _, q := range Quantizations {
				out := filepath.Join(t.TempDir(), "out")
				if _, err := Convert(context.Background(), dir, out, Options{Quantization: q}); err != nil {
					t.Fatal(err)
				}
				compareGolden(t, out, testfix.ReadManifest(t, "ct2go", q))
			}
		})
	}
}

type tensorsGolden struct {
	Tensors []struct {
		Name   string `json:"name"`
		DType  string `json:"dtype"`
		Shape  []int  `json:"shape"`
		SHA256 string `json:"sha256"`
	} `json:"tensors"`
}

// TestStripGolden strips the fixture, compares the result with
// golden/stripped-llama, then converts the stripped Llama checkpoint (the
// plain Llama path) and checks the CT2 goldens again.
func TestStripGolden(t *testing.T) {
	in := testfix.Path(t, "tiny-mllama")
	out := filepath.Join(t.TempDir(), "stripped")
	if _, err := Strip(context.Background(), in, out, KeepExisting, nil); err != nil {
		t.Fatal(err)
	}
	// Config: the same fields and values as transformers' save of the stripped model.
	var got, want map[string]any
	for path, dst := range map[string]*map[string]any{filepath.Join(out, "config.json"): &got, testfix.Path(t, "golden", "stripped-llama", "config.json"): &want} {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatal(err)
		}
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Errorf("stripped config.json\n got %s\nwant %s", gb, wb)
	}
	// Tensors: names, dtypes, shapes and bytes.
	var tg tensorsGolden
	raw, err := os.ReadFile(testfix.Path(t, "golden", "stripped-llama", "TENSORS.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &tg); err != nil {
		t.Fatal(err)
	}
	ck, err := safetensors.OpenCheckpoint(out)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	if len(ck.Tensors) != len(tg.Tensors) {
		t.Errorf("%d tensors, want %d", len(ck.Tensors), len(tg.Tensors))
	}
	for _, w := range tg.Tensors {
		ten, ok := ck.Tensors[w.Name]
		if !ok {
			t.Errorf("missing %s", w.Name)
			continue
		}
		if ten.DType != w.DType || !slices.Equal(ten.Shape, w.Shape) || sha(ten.Bytes()) != w.SHA256 {
			t.Errorf("%s: %s %v differs from golden %s %v", w.Name, ten.DType, ten.Shape, w.DType, w.Shape)
		}
	}
	// The generation config travels along unchanged.
	if fileSHA(t, filepath.Join(out, "generation_config.json")) != fileSHA(t, testfix.Path(t, "golden", "stripped-llama", "generation_config.json")) {
		t.Error("generation_config.json differs from golden")
	}
	for _, mode := range []string{"ct2go", "ct2-compat"} {
		for _, q := range Quantizations {
			ct := filepath.Join(t.TempDir(), "ct2")
			if _, err := Convert(context.Background(), out, ct, Options{Quantization: q, Compat: mode == "ct2-compat"}); err != nil {
				t.Fatal(err)
			}
			compareGolden(t, ct, testfix.ReadManifest(t, mode, q))
		}
	}
}
