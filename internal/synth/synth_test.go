package synth

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ct2go/ct2go/convert"
	"github.com/ct2go/ct2go/format/safetensors"
	"github.com/ct2go/ct2go/internal/testfix"
)

// TestPresetStructure checks the full-size presets against the real
// checkpoints' published structure without writing anything.
func TestPresetStructure(t *testing.T) {
	for _, c := range []struct {
		preset  string
		tensors int
		total   int64
		shards  int
	}{
		{"llama-3.2-11b-vision", 906, 21_340_441_670, 5},
		{"llama-3.1-8b", 291, 16_060_522_496, 4},
	} {
		p := Presets[c.preset]
		if n := len(p.Tensors()); n != c.tensors {
			t.Errorf("%s: %d tensors, want %d", c.preset, n, c.tensors)
		}
		if b := p.TotalBytes(); b != c.total {
			t.Errorf("%s: total_size %d, want %d", c.preset, b, c.total)
		}
		if s := len(p.Shards()); s != c.shards {
			t.Errorf("%s: %d shards, want %d", c.preset, s, c.shards)
		}
	}
}

// small is the 11B-Vision structure at toy widths.
func small() Preset {
	p := Presets["llama-3.2-11b-vision"]
	p.Hidden, p.Intermediate, p.Heads, p.KVHeads, p.Layers = 64, 128, 4, 2, 10
	p.CrossLayers = []int{3, 8}
	p.Vocab = 128256
	p.VisionHidden, p.VisionIntermediate, p.VisionLayers, p.VisionGlobalLayers = 32, 64, 3, 2
	p.ImageSize, p.VisionOutputDim, p.MaxShardBytes = 28, 96, 8_000_000
	return p
}

// TestWriteConvertDeterministic writes a small synthetic Mllama checkpoint
// twice with one seed (and different thread counts), checks the bytes are
// identical, the value statistics plausible, and that it converts.
func TestWriteConvertDeterministic(t *testing.T) {
	tok := testfix.Path(t, "tiny-mllama")
	p := small()
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	if err := Write(context.Background(), p, a, Options{Seed: 7, Tokenizer: tok, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	if err := Write(context.Background(), p, b, Options{Seed: 7, Tokenizer: tok, Threads: 3}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(a, "*.safetensors"))
	if len(files) < 2 {
		t.Fatalf("expected a sharded checkpoint, got %v", files)
	}
	for _, f := range append(files, filepath.Join(a, safetensors.IndexFile), filepath.Join(a, "config.json")) {
		x, _ := os.ReadFile(f)
		y, _ := os.ReadFile(filepath.Join(b, filepath.Base(f)))
		if sha256.Sum256(x) != sha256.Sum256(y) {
			t.Errorf("%s differs between runs with the same seed", filepath.Base(f))
		}
	}
	ck, err := safetensors.OpenCheckpoint(a)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	stats := func(name string) (mean, std float64) {
		data := ck.Tensors[name].Bytes()
		n := len(data) / 2
		var s, ss float64
		for i := 0; i < n; i++ {
			v := float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(data[2*i:])) << 16))
			s += v
			ss += v * v
		}
		mean = s / float64(n)
		return mean, math.Sqrt(ss/float64(n) - mean*mean)
	}
	if m, s := stats("language_model.model.embed_tokens.weight"); math.Abs(m) > 1e-3 || math.Abs(s-0.02) > 2e-3 {
		t.Errorf("embedding mean %v std %v, want ≈ 0 and 0.02", m, s)
	}
	if m, s := stats("language_model.model.norm.weight"); math.Abs(m-1) > 0.05 || s > 0.1 {
		t.Errorf("norm gamma mean %v std %v, want ≈ 1", m, s)
	}
	out := filepath.Join(t.TempDir(), "ct2")
	sum, err := convert.Convert(context.Background(), a, out, convert.Options{Quantization: "int8_float16"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Variables != 183 { // 8 layers: 167 plus 2 llama3 scalars per layer
		t.Errorf("%d variables", sum.Variables)
	}
}
