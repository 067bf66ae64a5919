package ct2

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
)

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestPyJSONLayout(t *testing.T) {
	got, err := PyJSON(map[string]any{"b": []any{1, "x"}, "a": map[string]any{}, "c": nil, "d": []string{}, "e": true})
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"a\": {},\n  \"b\": [\n    1,\n    \"x\"\n  ],\n  \"c\": null,\n  \"d\": [],\n  \"e\": true\n}"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestGoldenRoundTrip reads the golden int8_float16 model.bin, checks every
// variable against its MANIFEST entry, and rewrites it with Writer: the
// bytes must come back identical.
func TestGoldenRoundTrip(t *testing.T) {
	dir := testfix.Path(t, "golden", "ct2go", "int8_float16")
	m := testfix.ReadManifest(t, "ct2go", "int8_float16")
	mm, err := Map(filepath.Join(dir, "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer mm.Close()
	if mm.Version != m.ModelBin.BinaryVersion || mm.Spec != m.ModelBin.Spec || mm.Revision != m.ModelBin.Revision {
		t.Fatalf("header %d %s %d", mm.Version, mm.Spec, mm.Revision)
	}
	if len(mm.Variables) != len(m.ModelBin.Variables) {
		t.Fatalf("%d variables, manifest has %d", len(mm.Variables), len(m.ModelBin.Variables))
	}
	var out bytes.Buffer
	w, err := NewWriter(&out, mm.Spec, mm.Revision, len(mm.Variables))
	if err != nil {
		t.Fatal(err)
	}
	for i := range mm.Variables {
		v := &mm.Variables[i]
		want := m.ModelBin.Variables[i]
		if v.Name != want.Name || v.DType.String() != want.DType || v.NBytes != want.NBytes || sum(mm.Bytes(v)) != want.SHA256 {
			t.Errorf("variable %d: got %s %s %v %d, manifest %s %s %v %d", i, v.Name, v.DType, v.Shape, v.NBytes, want.Name, want.DType, want.Shape, want.NBytes)
		}
		if err := w.WriteVariable(v.Name, v.Shape, v.DType, mm.Bytes(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(mm.Aliases); err != nil {
		t.Fatal(err)
	}
	if got := sum(out.Bytes()); got != m.FilesSHA256["model.bin"] {
		t.Errorf("rewritten model.bin sha256 %s, want %s", got, m.FilesSHA256["model.bin"])
	}
	if v, ok := mm.Lookup("decoder/embeddings/weight_scale"); !ok || v.Shape[0] != 128256 {
		t.Errorf("Lookup embeddings scale: %v %v", v, ok)
	}
}

func TestWriterRejectsMisuse(t *testing.T) {
	var b bytes.Buffer
	w, _ := NewWriter(&b, "S", 1, 2)
	if err := w.WriteVariable("b", nil, Int8, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteVariable("a", nil, Int8, []byte{1}); err == nil {
		t.Error("unsorted name accepted")
	}
	w, _ = NewWriter(&b, "S", 1, 2)
	w.WriteVariable("a", []int{2}, Int16, []byte{1, 2, 3, 4})
	if err := w.Close(nil); !errors.Is(err, ErrIncomplete) {
		t.Errorf("Close with a missing variable: %v", err)
	}
	w, _ = NewWriter(&b, "S", 1, 1)
	if err := w.WriteVariable("a", []int{2}, Int16, []byte{1, 2, 3}); err == nil {
		t.Error("short payload accepted")
	}
}

func TestReadHeaderRejectsCorruption(t *testing.T) {
	var b bytes.Buffer
	w, _ := NewWriter(&b, "TransformerDecoderSpec", 8, 1)
	w.WriteVariable("x", []int{2, 3}, Float32, make([]byte, 24))
	w.Close(nil)
	good := b.Bytes()
	if _, err := ReadHeader(bytes.NewReader(good), int64(len(good))); err != nil {
		t.Fatalf("good file: %v", err)
	}
	for name, mut := range map[string]func([]byte) []byte{
		"truncated":    func(p []byte) []byte { return p[:len(p)-10] },
		"trailing":     func(p []byte) []byte { return append(p, 0) },
		"huge count":   func(p []byte) []byte { p[len(p)-4-24-4-1-8-1-4-4] = 0xff; return p },
		"bad version":  func(p []byte) []byte { p[0] = 9; return p },
		"empty":        func(p []byte) []byte { return nil },
		"bad dtype":    func(p []byte) []byte { p[len(p)-4-24-4-1] = 42; return p },
		"nbytes/shape": func(p []byte) []byte { p[len(p)-4-24-4] = 25; return p },
	} {
		p := mut(append([]byte(nil), good...))
		if _, err := ReadHeader(bytes.NewReader(p), int64(len(p))); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
}
