package convert

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
)

// TestFixRopeMakesCompatEqualDefault: after fix-rope, a --ct2-compat
// conversion is byte-identical to the default one; a second run changes nothing.
func TestFixRopeMakesCompatEqualDefault(t *testing.T) {
	in := testfix.Path(t, "tiny-mllama")
	for _, q := range []string{"int8_float16", "float32"} {
		out := filepath.Join(t.TempDir(), "compat")
		if _, err := Convert(context.Background(), in, out, Options{Quantization: q, Compat: true}); err != nil {
			t.Fatal(err)
		}
		fix, err := RopeFixFromConfig(filepath.Join(in, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if fix.Factor != 8 || fix.OriginalMax != 8192 {
			t.Fatalf("fix from config: %+v", fix)
		}
		changed, err := FixRope(out, fix)
		if err != nil || !changed {
			t.Fatalf("FixRope: changed=%v err=%v", changed, err)
		}
		compareGolden(t, out, testfix.ReadManifest(t, "ct2go", q))
		before := fileSHA(t, filepath.Join(out, "model.bin"))
		changed, err = FixRope(out, fix)
		if err != nil || changed || fileSHA(t, filepath.Join(out, "model.bin")) != before {
			t.Errorf("second FixRope: changed=%v err=%v", changed, err)
		}
		if _, err := FixRope(out, RopeFix{Factor: 32, OriginalMax: 8192}); err == nil {
			t.Error("FixRope with a different factor on a fixed model: want an error")
		}
	}
}

func TestFixRopeRefusesNonLlama3(t *testing.T) {
	in := testfix.Path(t, "tiny-mllama")
	dir := rewriteCheckpoint(t, func(n string) string { return n }, func(m map[string]any) {
		delete(m["text_config"].(map[string]any), "rope_scaling")
	})
	out := filepath.Join(t.TempDir(), "plain")
	if _, err := Convert(context.Background(), dir, out, Options{Quantization: "int8"}); err != nil {
		t.Fatal(err)
	}
	if _, err := FixRope(out, RopeFix{Factor: 8, OriginalMax: 8192}); !errors.Is(err, ErrNotLlama3) {
		t.Errorf("err = %v, want ErrNotLlama3", err)
	}
	_ = in
}
