package ct2

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
)

// miniGolden rewrites the golden int8_float16 model.bin with the same
// variable names, dtypes and ranks, every dimension cut to at most 2 and
// the same aliases: a real header's structure in a few kilobytes.
func miniGolden(t testing.TB) []byte {
	t.Helper()
	h, err := ReadHeaderFile(testfix.Path(t, "golden", "ct2go", "int8_float16", "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w, err := NewWriter(&b, h.Spec, h.Revision, len(h.Variables))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range h.Variables {
		shape := make([]int, len(v.Shape))
		n := v.DType.Size()
		for i, d := range v.Shape {
			shape[i] = min(d, 2)
			n *= shape[i]
		}
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(i + len(v.Name))
		}
		if err := w.WriteVariable(v.Name, shape, v.DType, p); err != nil {
			t.Fatal(err)
		}
	}
	aliases := h.Aliases
	if len(aliases) == 0 {
		aliases = []Alias{{Name: "decoder/projection/weight_alias", Target: h.Variables[0].Name}}
	}
	if err := w.Close(aliases); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tinyModel is a hand-written model.bin with a scalar, a matrix and an alias.
func tinyModel(t testing.TB) []byte {
	var b bytes.Buffer
	w, _ := NewWriter(&b, "TransformerDecoderSpec", 8, 3)
	w.WriteVariable("a/scalar", nil, Int8, []byte{7})
	w.WriteVariable("b/weight", []int{2, 3}, Float16, make([]byte, 12))
	w.WriteVariable("b/weight_scale", []int{2}, Float32, make([]byte, 8))
	if err := w.Close([]Alias{{Name: "c/weight", Target: "b/weight"}}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// claims builds a header prefix (version 6, spec "S", revision 1) followed by
// a variable count, for allocation tests.
func claims(count uint32, tail ...byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, BinaryVersion)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = append(b, 'S', 0)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint32(b, count)
	return append(b, tail...)
}

// FuzzReadHeader feeds arbitrary bytes as a whole model.bin. ReadHeader must
// fail with ErrFormat or return a table of contents whose every entry lies
// inside the file and agrees with its shape; a sorted v6 file must come back
// byte for byte through Writer.
func FuzzReadHeader(f *testing.F) {
	mini := miniGolden(f)
	tiny := tinyModel(f)
	f.Add(mini)
	f.Add(tiny)
	f.Add(mini[:len(mini)/2])
	golden, err := os.Open(testfix.Path(f, "golden", "ct2go", "int8_float16", "model.bin"))
	if err != nil {
		f.Fatal(err)
	}
	head := make([]byte, 4096)
	golden.ReadAt(head, 0)
	golden.Close()
	f.Add(head) // a real header, truncated inside the first payload
	f.Add(claims(^uint32(0)))
	f.Add(claims(1, 2, 0, 'x', 0, 255))                                             // rank 255
	f.Add(claims(1, 2, 0, 'x', 0, 2, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0)) // 2^64-ish elements
	f.Add(claims(0, 255, 255, 255, 255))                                            // 2^32-1 aliases
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadHeader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error is not ErrFormat: %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		sorted := h.Version == BinaryVersion
		for i := range h.Variables {
			v := &h.Variables[i]
			if v.Offset < 0 || v.NBytes < 0 || v.Offset+v.NBytes > int64(len(data)) {
				t.Fatalf("variable %q [%d, +%d) outside %d bytes", v.Name, v.Offset, v.NBytes, len(data))
			}
			if v.NumElements()*int64(v.DType.Size()) != v.NBytes || len(v.Shape) > maxRank {
				t.Fatalf("variable %q: shape %v of %s vs %d bytes", v.Name, v.Shape, v.DType, v.NBytes)
			}
			if got, ok := h.Lookup(v.Name); !ok || got.Name != v.Name {
				t.Fatalf("Lookup(%q) = %v, %v", v.Name, got, ok)
			}
			if i > 0 && v.Name <= h.Variables[i-1].Name {
				sorted = false
			}
		}
		for _, a := range h.Aliases {
			if _, ok := h.Lookup(a.Target); !ok {
				t.Fatalf("alias %q -> missing %q accepted", a.Name, a.Target)
			}
		}
		if !sorted {
			return
		}
		var out bytes.Buffer
		w, err := NewWriter(&out, h.Spec, h.Revision, len(h.Variables))
		if err != nil {
			t.Fatal(err)
		}
		for i := range h.Variables {
			v := &h.Variables[i]
			if err := w.WriteVariable(v.Name, v.Shape, v.DType, data[v.Offset:v.Offset+v.NBytes]); err != nil {
				t.Fatalf("rewrite %q: %v", v.Name, err)
			}
		}
		if err := w.Close(h.Aliases); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("read/write round trip changed the bytes")
		}
	})
}

// TestHostileHeaders: claimed counts and sizes are checked against the file
// before anything is allocated for them.
func TestHostileHeaders(t *testing.T) {
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"2^32-1 variables": {claims(^uint32(0)), "claims 4294967295 variables"},
		"2^32-1 aliases":   {claims(0, 255, 255, 255, 255), "claims 4294967295 aliases"},
		"rank 255":         {claims(1, 2, 0, 'x', 0, 255, 0, 0, 0, 0, 0, 0, 0, 0), "rank 255"},
		"name past end":    {claims(1, 255, 255, 'x', 0, 0, 0, 0, 0, 0), "truncated"},
		"payload past end": {claims(1, 2, 0, 'x', 0, 1, 1, 0, 0, 0, 0, 4, 0, 0, 0), "past the end of the file"},
		"elements overflow": {claims(1, 2, 0, 'x', 0, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0),
			"overflows"},
	} {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := ReadHeader(bytes.NewReader(c.data), int64(len(c.data)))
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want ErrFormat saying %q", err, c.want)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("rejecting a %d-byte header allocated %d bytes", len(c.data), n)
			}
		})
	}
	// Map names the file.
	p := filepath.Join(t.TempDir(), "model.bin")
	os.WriteFile(p, claims(^uint32(0)), 0o644)
	if _, err := Map(p); err == nil || !strings.HasPrefix(err.Error(), p+": ") {
		t.Errorf("Map: %v", err)
	}
}
