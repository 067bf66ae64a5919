package verify

import (
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/ct2go/ct2go/format/safetensors"
)

func writeRef(t *testing.T, prompts []WritePrompt, V int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ref.safetensors")
	if err := WriteReference(path, prompts, V, map[string]string{"source": "unit test"}); err != nil {
		t.Fatal(err)
	}
	return path
}

func seq(n int, f func(i int) float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func TestReferenceRoundTrip(t *testing.T) {
	t.Parallel()
	const V = 7
	in := []WritePrompt{
		{Name: "prompt10", IDs: []int{1, 2, 3}, Logits: seq(3*V, func(i int) float32 { return float32(i) * 0.5 })},
		{Name: "prompt2", IDs: []int{6}, Logits: seq(V, func(i int) float32 { return -float32(i) })},
		{Name: "alpha", IDs: []int{0, 0}, Logits: seq(2*V, func(i int) float32 { return float32(i % 3) })},
	}
	path := writeRef(t, in, V)
	for _, compressed := range []bool{false, true} {
		p := path
		if compressed {
			p = compress(t, path)
		}
		r, err := LoadReference(p, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Source != "unit test" || r.V != V {
			t.Errorf("source %q V %d", r.Source, r.V)
		}
		var names []string
		for _, pr := range r.Prompts {
			names = append(names, pr.Name)
		}
		if got := strings.Join(names, " "); got != "alpha prompt2 prompt10" {
			t.Errorf("order %q, want natural order alpha prompt2 prompt10", got)
		}
		want := map[string]WritePrompt{}
		for _, w := range in {
			want[w.Name] = w
		}
		for _, pr := range r.Prompts {
			w := want[pr.Name]
			if len(pr.IDs) != len(w.IDs) || pr.T != len(w.IDs) {
				t.Fatalf("%s: ids %v, want %v", pr.Name, pr.IDs, w.IDs)
			}
			for i := range w.IDs {
				if pr.IDs[i] != w.IDs[i] {
					t.Errorf("%s: ids %v, want %v", pr.Name, pr.IDs, w.IDs)
				}
			}
			lg := pr.Logits()
			for i := range w.Logits {
				if lg[i] != w.Logits[i] {
					t.Fatalf("%s: logit %d = %g, want %g", pr.Name, i, lg[i], w.Logits[i])
				}
			}
		}
		if err := r.CheckModel(V); err != nil {
			t.Error(err)
		}
		r.Close()
	}
}

func compress(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	out := path + ".zst"
	if err := os.WriteFile(out, enc.EncodeAll(data, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReferenceZstdCap(t *testing.T) {
	t.Parallel()
	path := writeRef(t, []WritePrompt{{Name: "p", IDs: []int{1}, Logits: make([]float32, 1000)}}, 1000)
	z := compress(t, path)
	_, err := LoadReference(z, LoadOptions{MaxDecompressed: 1024})
	if err == nil || !strings.Contains(err.Error(), "more than 1024 bytes") || !strings.Contains(err.Error(), z) {
		t.Errorf("err = %v, want a cap error naming %s", err, z)
	}
	// A corrupt frame is a clear error too.
	data, _ := os.ReadFile(z)
	bad := filepath.Join(t.TempDir(), "bad.safetensors.zst")
	os.WriteFile(bad, data[:len(data)/2], 0o644)
	if _, err := LoadReference(bad, LoadOptions{}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("truncated zstd: err = %v", err)
	}
}

// raw writes tensors with arbitrary dtypes and shapes.
type rawTensor struct {
	name, dtype string
	shape       []int
	data        []byte
}

func writeRaw(t *testing.T, ts []rawTensor) string {
	t.Helper()
	var w []safetensors.WriteTensor
	for _, x := range ts {
		d := x.data
		w = append(w, safetensors.WriteTensor{Name: x.name, DType: x.dtype, Shape: x.shape, NBytes: int64(len(d)),
			Write: func(w io.Writer) error { _, err := w.Write(d); return err }})
	}
	path := filepath.Join(t.TempDir(), "ref.safetensors")
	if err := safetensors.WriteFile(path, w, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

func i64s(v ...int64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return b
}

func f32s(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func TestReferenceErrors(t *testing.T) {
	t.Parallel()
	nan := float32(math.NaN())
	cases := []struct {
		name string
		ts   []rawTensor
		want string
	}{
		{"no logits", []rawTensor{{"a.input_ids", "I64", []int{1}, i64s(1)}}, "prompt a has input_ids but no a.logits"},
		{"no ids", []rawTensor{{"a.logits", "F32", []int{1, 2}, f32s(1, 2)}}, "prompt a has logits but no a.input_ids"},
		{"stray tensor", []rawTensor{{"weights", "F32", []int{1}, f32s(1)}}, `unexpected tensor "weights"`},
		{"other suffix", []rawTensor{{"a.scores", "F32", []int{1}, f32s(1)}}, `unexpected tensor "a.scores"`},
		{"ids dtype", []rawTensor{{"a.input_ids", "I32", []int{1}, []byte{1, 0, 0, 0}}, {"a.logits", "F32", []int{1, 2}, f32s(1, 2)}}, "a.input_ids is I32 [1], want I64 [T]"},
		{"logits dtype", []rawTensor{{"a.input_ids", "I64", []int{1}, i64s(1)}, {"a.logits", "F16", []int{1, 2}, []byte{0, 0, 0, 0}}}, "a.logits is F16 [1 2], want F32 [T, vocab]"},
		{"rows", []rawTensor{{"a.input_ids", "I64", []int{2}, i64s(1, 1)}, {"a.logits", "F32", []int{1, 2}, f32s(1, 2)}}, "a.logits has 1 rows but a.input_ids has 2 tokens"},
		{"empty prompt", []rawTensor{{"a.input_ids", "I64", []int{0}, nil}, {"a.logits", "F32", []int{0, 2}, nil}}, "prompt a has no tokens"},
		{"vocab differs", []rawTensor{
			{"a.input_ids", "I64", []int{1}, i64s(1)}, {"a.logits", "F32", []int{1, 2}, f32s(1, 2)},
			{"b.input_ids", "I64", []int{1}, i64s(1)}, {"b.logits", "F32", []int{1, 3}, f32s(1, 2, 3)}}, "b.logits has 3 columns, a has 2"},
		{"negative id", []rawTensor{{"a.input_ids", "I64", []int{1}, i64s(-5)}, {"a.logits", "F32", []int{1, 2}, f32s(1, 2)}}, "prompt a: input id -5 at position 0"},
		{"NaN", []rawTensor{{"a.input_ids", "I64", []int{2}, i64s(1, 1)}, {"a.logits", "F32", []int{2, 2}, f32s(1, 2, 3, nan)}}, "prompt a: reference logit NaN at position 1, token 1"},
		{"Inf", []rawTensor{{"a.input_ids", "I64", []int{1}, i64s(1)}, {"a.logits", "F32", []int{1, 2}, f32s(float32(math.Inf(-1)), 2)}}, "prompt a: reference logit -Inf at position 0, token 0"},
		{"nothing", nil, "no prompts"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := writeRaw(t, c.ts)
			r, err := LoadReference(path, LoadOptions{})
			if err == nil {
				r.Close()
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %q, want one line naming the file and containing %q", err, c.want)
			}
		})
	}
	if _, err := LoadReference(filepath.Join(t.TempDir(), "missing.safetensors"), LoadOptions{}); err == nil {
		t.Error("missing file: no error")
	}
	notST := filepath.Join(t.TempDir(), "x.safetensors")
	os.WriteFile(notST, []byte("hello world, not safetensors"), 0o644)
	if _, err := LoadReference(notST, LoadOptions{}); err == nil || !strings.Contains(err.Error(), notST) {
		t.Errorf("garbage file: err = %v", err)
	}
}

func TestCheckModel(t *testing.T) {
	t.Parallel()
	path := writeRef(t, []WritePrompt{
		{Name: "ok", IDs: []int{1, 2}, Logits: make([]float32, 2*5)},
		{Name: "big", IDs: []int{1, 9}, Logits: make([]float32, 2*5)},
	}, 5)
	r, err := LoadReference(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	err = r.CheckModel(5)
	if err == nil || !strings.Contains(err.Error(), "prompt big: input id 9 at position 1 is outside the model's vocabulary of 5 tokens") {
		t.Errorf("err = %v", err)
	}
	if err := r.CheckModel(10); err == nil || !strings.Contains(err.Error(), "cover 5 tokens, the model has 10") {
		t.Errorf("vocab size mismatch: err = %v", err)
	}
}

func TestNaturalLess(t *testing.T) {
	t.Parallel()
	ordered := []string{"a", "a1", "a2", "a02", "a10", "b", "prompt0", "prompt1", "prompt9", "prompt10", "prompt10x"}
	for i := range ordered {
		for j := range ordered {
			if got := naturalLess(ordered[i], ordered[j]); got != (i < j) {
				t.Errorf("naturalLess(%q, %q) = %v", ordered[i], ordered[j], got)
			}
		}
	}
}
