package convert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/internal/testfix"
)

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// compareGolden checks the three files of out against a MANIFEST and, on a
// model.bin mismatch, names the differing variables.
func compareGolden(t *testing.T, out string, m *testfix.Manifest) {
	t.Helper()
	for _, f := range []string{"model.bin", "config.json", "vocabulary.json"} {
		if got := fileSHA(t, filepath.Join(out, f)); got != m.FilesSHA256[f] {
			t.Errorf("%s sha256 %s, want %s", f, got, m.FilesSHA256[f])
		}
	}
	if t.Failed() {
		diffVariables(t, filepath.Join(out, "model.bin"), m)
	}
}

func diffVariables(t *testing.T, path string, m *testfix.Manifest) {
	t.Helper()
	mm, err := ct2.Map(path)
	if err != nil {
		t.Errorf("read back %s: %v", path, err)
		return
	}
	defer mm.Close()
	want := map[string]int{}
	for i, v := range m.ModelBin.Variables {
		want[v.Name] = i
	}
	shown := 0
	for i := range mm.Variables {
		v := &mm.Variables[i]
		j, ok := want[v.Name]
		if !ok {
			t.Errorf("  extra variable %s", v.Name)
			continue
		}
		delete(want, v.Name)
		w := m.ModelBin.Variables[j]
		s := sha256.Sum256(mm.Bytes(v))
		if v.DType.String() != w.DType || hex.EncodeToString(s[:]) != w.SHA256 || !slices.Equal(v.Shape, w.Shape) {
			if shown++; shown <= 12 {
				t.Errorf("  variable %s: %s %v differs from golden %s %v", v.Name, v.DType, v.Shape, w.DType, w.Shape)
			}
		}
	}
	for name := range want {
		t.Errorf("  missing variable %s", name)
	}
}

// TestGoldenTinyMllama converts the fixture with every type in both modes
// and compares sha256 of model.bin, config.json and vocabulary.json with the
// goldens made by CTranslate2 4.8.1's converter code.
func TestGoldenTinyMllama(t *testing.T) {
	in := testfix.Path(t, "tiny-mllama")
	for _, mode := range []string{"ct2go", "ct2-compat"} {
		for _, q := range Quantizations {
			t.Run(mode+"/"+q, func(t *testing.T) {
				m := testfix.ReadManifest(t, mode, q)
				out := filepath.Join(t.TempDir(), "out")
				if _, err := Convert(context.Background(), in, out, Options{Quantization: q, Compat: mode == "ct2-compat"}); err != nil {
					t.Fatal(err)
				}
				compareGolden(t, out, m)
			})
		}
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestModesDiffer guards the golden comparison itself: the two modes must
// produce different model.bin bytes and identical config/vocabulary.
func TestModesDiffer(t *testing.T) {
	in := testfix.Path(t, "tiny-mllama")
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	if _, err := Convert(context.Background(), in, a, Options{Quantization: "int8"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Convert(context.Background(), in, b, Options{Quantization: "int8", Compat: true}); err != nil {
		t.Fatal(err)
	}
	if fileSHA(t, filepath.Join(a, "model.bin")) == fileSHA(t, filepath.Join(b, "model.bin")) {
		t.Error("default and --ct2-compat model.bin are identical: the llama3 scalars are not written")
	}
	for _, f := range []string{"config.json", "vocabulary.json"} {
		if fileSHA(t, filepath.Join(a, f)) != fileSHA(t, filepath.Join(b, f)) {
			t.Errorf("%s differs between modes", f)
		}
	}
}
