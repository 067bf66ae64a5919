package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
)

// rawFile builds a safetensors file from a literal header and a data section.
func rawFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

// lenOnly is an 8-byte header length claim followed by pad bytes.
func lenOnly(hlen uint64, pad int) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, hlen), make([]byte, pad)...)
}

// writeSmall writes a valid file with a few tensors through WriteFile and returns its bytes.
func writeSmall(t testing.TB) []byte {
	t.Helper()
	payload := func(n int) func(io.Writer) error {
		return func(w io.Writer) error {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(i*7 + 1)
			}
			_, err := w.Write(b)
			return err
		}
	}
	p := filepath.Join(t.TempDir(), "small.safetensors")
	err := WriteFile(p, []WriteTensor{
		{Name: "a.weight", DType: "BF16", Shape: []int{2, 3}, NBytes: 12, Write: payload(12)},
		{Name: "b.bias", DType: "F32", Shape: []int{3}, NBytes: 12, Write: payload(12)},
		{Name: "c.scalar", DType: "F16", Shape: []int{}, NBytes: 2, Write: payload(2)},
		{Name: "d.empty", DType: "F32", Shape: []int{0, 4}, NBytes: 0, Write: payload(0)},
	}, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureSample rewrites the smallest tensors of a real fixture shard
// (names, dtypes, shapes, bytes and metadata as they are) into a small valid
// file, and returns it with the real header cut after 2 KB (a truncated
// file): real structure at a size the fuzzer mutates quickly.
func fixtureSample(t testing.TB, shard string) (sample, cut []byte) {
	t.Helper()
	f, err := Open(testfix.Path(t, "tiny-mllama", shard))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var wts []WriteTensor
	for _, ten := range f.Tensors {
		if ten.NBytes <= 256 && len(wts) < 8 {
			b := append([]byte(nil), ten.Bytes()...)
			wts = append(wts, WriteTensor{Name: ten.Name, DType: ten.DType, Shape: ten.Shape, NBytes: ten.NBytes,
				Write: func(w io.Writer) error { _, err := w.Write(b); return err }})
		}
	}
	p := filepath.Join(t.TempDir(), "sample.safetensors")
	if err := WriteFile(p, wts, f.Metadata); err != nil {
		t.Fatal(err)
	}
	if sample, err = os.ReadFile(p); err != nil {
		t.Fatal(err)
	}
	return sample, append([]byte(nil), f.data[:min(2048, len(f.data))]...)
}

// hostileFiles are hand-made edge cases, each expected to be rejected.
var hostileFiles = map[string][]byte{
	"empty":                  {},
	"seven bytes":            {1, 2, 3, 4, 5, 6, 7},
	"header length 2^60":     lenOnly(1<<60, 8),
	"header length 2^64-1":   lenOnly(^uint64(0), 8),
	"header past end":        lenOnly(100, 10),
	"header not JSON":        rawFile("{oops    ", nil),
	"header a list":          rawFile("[]      ", nil),
	"unknown dtype":          rawFile(`{"x":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}`, make([]byte, 2)),
	"offsets out of range":   rawFile(`{"x":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}`, make([]byte, 2)),
	"offsets reversed":       rawFile(`{"x":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}`, make([]byte, 4)),
	"offsets overlap":        rawFile(`{"x":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"y":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}`, make([]byte, 4)),
	"offsets gap":            rawFile(`{"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"y":{"dtype":"U8","shape":[2],"data_offsets":[3,5]}}`, make([]byte, 5)),
	"dtype x shape mismatch": rawFile(`{"x":{"dtype":"BF16","shape":[3],"data_offsets":[0,4]}}`, make([]byte, 4)),
	"shape overflows":        rawFile(`{"x":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,0]}}`, nil),
	"zero dim with 2^64-1":   rawFile(`{"x":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,0]}}`, nil),
	"negative dim":           rawFile(`{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, make([]byte, 4)),
	"trailing bytes":         rawFile(`{"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}`, make([]byte, 3)),
	"empty name":             rawFile(`{"":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, make([]byte, 1)),
	"extra key":              rawFile(`{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"z":1}}`, make([]byte, 1)),
	"metadata not strings":   rawFile(`{"__metadata__":{"a":1}}`, nil),
	"duplicate name":         rawFile(`{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"x":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, make([]byte, 2)),
}

// checkParsed states what a successfully parsed file guarantees to its users.
func checkParsed(t *testing.T, f *File, data []byte) {
	t.Helper()
	hlen := int64(binary.LittleEndian.Uint64(data[:8]))
	pos := 8 + hlen
	for _, ten := range f.Tensors {
		if ten.Name == "" {
			t.Fatal("empty tensor name accepted")
		}
		if ten.Offset != pos {
			t.Fatalf("tensor %s at %d, want contiguous at %d", ten.Name, ten.Offset, pos)
		}
		if ten.NBytes < 0 || ten.Offset+ten.NBytes > int64(len(data)) {
			t.Fatalf("tensor %s [%d, +%d) outside the %d-byte file", ten.Name, ten.Offset, ten.NBytes, len(data))
		}
		for _, d := range ten.Shape {
			if d < 0 {
				t.Fatalf("tensor %s has negative dimension in %v", ten.Name, ten.Shape)
			}
		}
		if n := ten.NumElements(); n < 0 || (n > 0 && n*int64(ten.ItemSize()) != ten.NBytes) || (n == 0 && ten.NBytes != 0) {
			t.Fatalf("tensor %s: %d elements of %d bytes vs %d bytes", ten.Name, n, ten.ItemSize(), ten.NBytes)
		}
		if !bytes.Equal(ten.Bytes(), data[ten.Offset:ten.Offset+ten.NBytes]) {
			t.Fatalf("tensor %s: Bytes is not its payload", ten.Name)
		}
		pos += ten.NBytes
	}
	if pos != int64(len(data)) {
		t.Fatalf("tensors end at %d, file has %d bytes", pos, len(data))
	}
}

// checkErr: an error is an ErrFormat with one line of text.
func checkErr(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrFormat) {
		t.Fatalf("error does not wrap ErrFormat: %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("multi-line error: %q", err)
	}
}

// FuzzParse feeds arbitrary bytes, as a whole file, to the header and offset
// parser Open uses after mapping: it must return tensors that keep every
// promise of checkParsed, or an ErrFormat, never panic, and never allocate
// from a claimed size it has not checked against the real one.
func FuzzParse(f *testing.F) {
	f.Add(writeSmall(f))
	sample, cut := fixtureSample(f, "model-00003-of-00003.safetensors")
	f.Add(sample)
	f.Add(cut)
	f.Add(append(binary.LittleEndian.AppendUint64(nil, 2), "{}"...)) // a valid empty file
	for _, b := range hostileFiles {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parseBytes("fuzz.safetensors", data)
		if err != nil {
			checkErr(t, err)
			return
		}
		checkParsed(t, file, data)
	})
}

// TestHostileFiles: every hand-made bad file is refused by Open with an
// error naming the file, and the claimed sizes cost no memory.
func TestHostileFiles(t *testing.T) {
	dir := t.TempDir()
	want := map[string]string{
		"header length 2^60":     "exceeds the 100 MB limit",
		"header past end":        "larger than the file",
		"unknown dtype":          `unknown dtype "F8_E4M3"`,
		"offsets out of range":   "run past the end of the file",
		"offsets overlap":        "overlaps tensor x",
		"offsets gap":            "1 unused bytes before tensor y",
		"dtype x shape mismatch": "BF16 × shape [3] needs 6 bytes",
		"shape overflows":        "larger than the file",
		"zero dim with 2^64-1":   "larger than the file",
		"trailing bytes":         "padded or corrupted",
		"empty name":             "empty name",
		"duplicate name":         "unused bytes before tensor x",
	}
	for name, data := range hostileFiles {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".safetensors")
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			f, err := Open(p)
			runtime.ReadMemStats(&after)
			if err == nil {
				f.Close()
				t.Fatal("accepted")
			}
			checkErr(t, err)
			if !strings.HasPrefix(err.Error(), p+": ") {
				t.Errorf("error does not start with the file name: %v", err)
			}
			if w := want[name]; w != "" && !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("rejecting a %d-byte file allocated %d bytes", len(data), n)
			}
		})
	}
}

// TestOpenFiles: symlinks are followed (the Hugging Face cache stores shards
// as snapshots/<rev>/x -> ../../blobs/<hash>); a symlink to something that
// is not a safetensors file is an ordinary error.
func TestOpenFiles(t *testing.T) {
	dir := t.TempDir()
	blobs, snap := filepath.Join(dir, "blobs"), filepath.Join(dir, "snapshots", "rev")
	os.MkdirAll(blobs, 0o755)
	os.MkdirAll(snap, 0o755)
	good := writeSmall(t)
	os.WriteFile(filepath.Join(blobs, "abc"), good, 0o644)
	os.WriteFile(filepath.Join(blobs, "txt"), []byte("not a safetensors file at all"), 0o644)
	os.Symlink("../../blobs/abc", filepath.Join(snap, "good.safetensors"))
	os.Symlink("../../blobs/txt", filepath.Join(snap, "text.safetensors"))
	os.Symlink("../../blobs", filepath.Join(snap, "dir.safetensors"))
	os.Symlink("../../blobs/none", filepath.Join(snap, "dangling.safetensors"))

	f, err := Open(filepath.Join(snap, "good.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	checkParsed(t, f, good)
	if len(f.Tensors) != 4 || f.Metadata["format"] != "pt" {
		t.Errorf("tensors %d, metadata %v", len(f.Tensors), f.Metadata)
	}
	f.Close()
	for name, want := range map[string]string{
		"text.safetensors":     "header length",
		"dir.safetensors":      "not a regular file",
		"dangling.safetensors": "no such file",
	} {
		_, err := Open(filepath.Join(snap, name))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v, want an error naming the file and saying %q", name, err, want)
		}
	}
}

// FuzzParseIndex: any index either parses with plain shard names only or
// fails with one line; no name that could leave the directory gets through.
func FuzzParseIndex(f *testing.F) {
	real, err := os.ReadFile(testfix.Path(f, "tiny-mllama", IndexFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(real)
	for _, s := range []string{
		`{"weight_map":{"a":"model.safetensors"}}`,
		`{"weight_map":{"a":"../model.safetensors"}}`,
		`{"weight_map":{"a":"sub/model.safetensors"}}`,
		`{"weight_map":{"a":"/etc/passwd"}}`,
		`{"weight_map":{"a":"..\\x"}}`,
		`{"weight_map":{"a":".."}}`,
		`{"weight_map":{"a":"x\u0000y"}}`,
		`{"weight_map":{"a":1}}`,
		`{"weight_map":null}`,
		`{"metadata":{"total_size":1}}`,
		`[]`, `null`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		idx, err := ParseIndex(raw)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		if idx.WeightMap == nil {
			t.Fatal("nil weight_map accepted")
		}
		for name, s := range idx.WeightMap {
			if s == "" || s == "." || s == ".." || filepath.Base(s) != s || strings.ContainsAny(s, `/\`+"\x00") || filepath.IsAbs(s) || !filepath.IsLocal(s) {
				t.Fatalf("weight_map[%q] = %q accepted", name, s)
			}
		}
	})
}

// TestReadIndexHostile: hostile indexes are refused with the index named.
func TestReadIndexHostile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, IndexFile)
	for body, want := range map[string]string{
		`{"weight_map":{"w":"../../etc/passwd"}}`:   "not a plain file name",
		`{"weight_map":{"w":"/abs/x.safetensors"}}`: "not a plain file name",
		`{"weight_map":{"w":"a/b.safetensors"}}`:    "not a plain file name",
		`{"weight_map":{"w":"a\\b.safetensors"}}`:   "not a plain file name",
		`{"weight_map":{"w":3}}`:                    `"weight_map" holds a JSON number where string is expected`,
		`{"metadata":{}}`:                           `no "weight_map"`,
		`{oops`:                                     "not valid JSON",
	} {
		os.WriteFile(p, []byte(body), 0o644)
		_, err := ReadIndex(p)
		if err == nil || !strings.HasPrefix(err.Error(), p+": ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
	// A huge file is refused from its size, without being read.
	f, _ := os.Create(p)
	f.Truncate(MaxIndexSize + 1)
	f.Close()
	if _, err := ReadIndex(p); err == nil || !strings.Contains(err.Error(), "plausibly") {
		t.Errorf("huge index: %v", err)
	}
}
