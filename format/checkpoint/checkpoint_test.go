package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ct2go/ct2go/format/hf"
	"github.com/ct2go/ct2go/internal/testfix"
)

// TestOpenFixture: the tiny Mllama checkpoint seen as a Llama text model is
// exactly the golden stripped checkpoint: names, dtypes, shapes and the
// bytes each Ref covers (cross-attention layers dropped, layers renumbered,
// embedding trimmed to vocab_size rows).
func TestOpenFixture(t *testing.T) {
	src, err := Open(testfix.Path(t, "tiny-mllama"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	tm := src.Text
	p := tm.Params
	if tm.Family != "mllama" || p.Layers != 8 || p.Vocab != 128256 || p.Hidden != 64 || p.HeadDim != 16 || p.KVHeads != 2 ||
		p.Rope != RopeLlama3 || p.RopeFactor != 8 || p.RopeOriginalMax != 8192 || p.MaxPositions != 131072 || p.Tied {
		t.Fatalf("family %s params %+v", tm.Family, p)
	}
	raw, err := os.ReadFile(testfix.Path(t, "golden", "stripped-llama", "TENSORS.json"))
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Tensors []struct {
			Name, DType, SHA256 string
			Shape               []int
		}
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden.Tensors) != len(tm.Tensors) {
		t.Fatalf("%d tensors mapped, golden has %d", len(tm.Tensors), len(golden.Tensors))
	}
	for _, g := range golden.Tensors {
		ref, ok := tm.Tensors[g.Name]
		if !ok {
			t.Fatalf("missing %s", g.Name)
		}
		n := int64(ref.Rows) * (ref.T.NBytes / int64(ref.T.Shape[0]))
		sum := sha256.Sum256(ref.T.Bytes()[:n])
		if ref.T.DType != g.DType || !slices.Equal(ref.Shape(), g.Shape) || hex.EncodeToString(sum[:]) != g.SHA256 {
			t.Errorf("%s: %s %v sha %x, golden %s %v %s", g.Name, ref.T.DType, ref.Shape(), sum, g.DType, g.Shape, g.SHA256)
		}
	}
}

func TestFamilyFor(t *testing.T) {
	for mt, want := range map[string]string{"llama": "llama", "mllama": "mllama", "mllama_text_model": "mllama"} {
		f, err := FamilyFor(&hf.Config{ModelType: mt})
		if err != nil || f.Name() != want {
			t.Errorf("%s: %v %v", mt, f, err)
		}
	}
	_, err := FamilyFor(&hf.Config{ModelType: "mistral", Path: "config.json"})
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("mistral: %v", err)
	}
}

// TestSourceTensors: every tensor of the shards, in name order, with its
// shard's base name and the size its dtype and shape imply.
func TestSourceTensors(t *testing.T) {
	src, err := Open(testfix.Path(t, "tiny-mllama"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ts := src.Tensors()
	if len(ts) != len(src.Checkpoint.Tensors) || len(ts) != 216 {
		t.Fatalf("%d tensors, checkpoint has %d (fixture: 216)", len(ts), len(src.Checkpoint.Tensors))
	}
	var total int64
	for i, tt := range ts {
		if i > 0 && ts[i-1].Name >= tt.Name {
			t.Errorf("%s listed after %s", tt.Name, ts[i-1].Name)
		}
		n := int64(2) // the fixture is bfloat16
		for _, d := range tt.Shape {
			n *= int64(d)
		}
		if tt.DType != "BF16" || tt.Bytes != n || !strings.HasSuffix(tt.File, ".safetensors") || strings.Contains(tt.File, "/") {
			t.Errorf("%+v", tt)
		}
		total += tt.Bytes
	}
	if total != src.Checkpoint.TotalBytes() {
		t.Errorf("listed %d bytes, checkpoint %d", total, src.Checkpoint.TotalBytes())
	}
}
