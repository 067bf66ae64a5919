// Package safetensors opens Hugging Face safetensors checkpoints (single file
// or sharded with model.safetensors.index.json) for streaming reads.
//
// Shards are memory-mapped read-only. The header JSON is decoded by
// github.com/nlpodyssey/safetensors; the layout rules (100 MB header cap,
// header length within the file, offsets contiguous and in range,
// dtype × shape = byte length, no bytes past the last tensor) are checked
// here, each against the real file size before anything is trusted, so
// that every error names the file and the tensor and says plainly what is
// wrong. Tensor payloads are views into the mapping; callers release pages
// they are done with through Release so resident memory does not grow with
// the model.
package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	st "github.com/nlpodyssey/safetensors"
	"golang.org/x/sys/unix"

	"github.com/ct2go/ct2go/internal/fsutil"
)

// MaxHeaderSize is the safetensors specification's header limit (100 MB),
// the same bound the reference implementation enforces.
const MaxHeaderSize = 100_000_000

// ErrFormat marks a file that is not a valid safetensors file.
var ErrFormat = errors.New("invalid safetensors file")

// Tensor is one tensor of a shard: its metadata and where its bytes live.
type Tensor struct {
	Name   string
	DType  string // safetensors dtype name: "BF16", "F16", "F32", ...
	Shape  []int
	File   *File
	Offset int64 // absolute byte offset of the payload in File
	NBytes int64
}

// NumElements is the product of the dimensions.
func (t *Tensor) NumElements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= int64(d)
	}
	return n
}

// Bytes returns the payload as a view into the shard's mapping.
func (t *Tensor) Bytes() []byte { return t.File.data[t.Offset : t.Offset+t.NBytes] }

// ItemSize is the byte size of one element.
func (t *Tensor) ItemSize() int {
	if t.NumElements() == 0 {
		return 0
	}
	return int(t.NBytes / t.NumElements())
}

// File is one mapped .safetensors file.
type File struct {
	Path     string
	Size     int64
	Metadata map[string]string
	Tensors  []*Tensor // in payload order
	data     []byte
}

// Open maps path and validates its header and offsets against the file size.
func Open(path string) (*File, error) {
	f, size, err := fsutil.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size < 8 {
		return nil, fmt.Errorf("%s: %w: %d bytes, shorter than the 8-byte header length", path, ErrFormat, size)
	}
	// The claimed header length is checked against the real size before
	// anything is mapped or allocated.
	var lenBuf [8]byte
	if _, err := f.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := checkHeaderLen(binary.LittleEndian.Uint64(lenBuf[:]), size); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	data, err := fsutil.Map(f, size)
	if err != nil {
		return nil, err
	}
	file, err := parseBytes(path, data)
	if err != nil {
		fsutil.Unmap(data)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return file, nil
}

// checkHeaderLen rejects a header length the file cannot hold.
func checkHeaderLen(hlen uint64, size int64) error {
	if hlen > MaxHeaderSize {
		return fmt.Errorf("%w: header length %d exceeds the 100 MB limit", ErrFormat, hlen)
	}
	if hlen+8 > uint64(size) {
		return fmt.Errorf("%w: header length %d is larger than the file (%d bytes): truncated download?", ErrFormat, hlen, size)
	}
	return nil
}

// parseBytes validates a whole safetensors file held in data (the mapping,
// or any buffer in tests and fuzzing) and returns its tensors as views into
// data. Errors do not carry the path; Open adds it.
func parseBytes(path string, data []byte) (*File, error) {
	size := int64(len(data))
	if size < 8 {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the 8-byte header length", ErrFormat, size)
	}
	hlen := binary.LittleEndian.Uint64(data[:8])
	if err := checkHeaderLen(hlen, size); err != nil {
		return nil, err
	}
	file := &File{Path: path, Size: size, data: data}
	if err := file.parse(hlen); err != nil {
		return nil, err
	}
	return file, nil
}

// parse decodes the header JSON with the library's decoder (dtype names,
// exactly dtype/shape/data_offsets per tensor, natural numbers) and then
// checks the layout itself so that every error names the tensor: offsets
// in order, contiguous and inside the file, dtype × shape = byte length,
// and the data section ending exactly at the end of the file (the same
// rules as the library's ReadMetadata and the reference implementation).
func (f *File) parse(hlen uint64) error {
	var meta st.Metadata
	if err := json.Unmarshal(f.data[8:8+hlen], &meta); err != nil {
		return explainJSON(err)
	}
	f.Metadata = meta.Metadata()
	base := int64(8 + hlen)
	dataLen := uint64(f.Size) - 8 - hlen
	type span struct {
		t          *Tensor
		start, end uint64
	}
	spans := make([]span, 0, len(meta.Tensors()))
	for name, info := range meta.Tensors() {
		if name == "" {
			return fmt.Errorf("%w: tensor with an empty name", ErrFormat)
		}
		s, e := info.DataOffsets[0], info.DataOffsets[1]
		if e < s {
			return fmt.Errorf("%w: tensor %s: data_offsets [%d, %d] end before they start", ErrFormat, printable(name), s, e)
		}
		if e > dataLen {
			return fmt.Errorf("%w: tensor %s: data_offsets [%d, %d] run past the end of the file (%d bytes of data after the header): truncated file?", ErrFormat, printable(name), s, e, dataLen)
		}
		nb := e - s
		shape := make([]int, len(info.Shape))
		elems := uint64(1)
		for i, d := range info.Shape {
			// A tensor with data has no dimension larger than its element
			// count, hence than the file; an empty one ([0, n]) gets the same
			// bound, so no dimension wraps to a negative int.
			if d > uint64(f.Size) {
				return fmt.Errorf("%w: tensor %s: dimension %d of shape %v is larger than the file (%d bytes)", ErrFormat, printable(name), d, info.Shape, f.Size)
			}
			shape[i] = int(d)
			switch {
			case d == 0:
				elems = 0
			case elems > nb/d:
				elems = nb + 1 // more elements than bytes: a mismatch, kept without overflowing
			default:
				elems *= d
			}
		}
		item := info.DType.Size()
		if elems > nb/item || elems*item != nb {
			return fmt.Errorf("%w: tensor %s: %s × shape %v needs %s bytes, data_offsets [%d, %d] hold %d", ErrFormat, printable(name), info.DType, info.Shape, needBytes(info.Shape, item), s, e, nb)
		}
		spans = append(spans, span{&Tensor{
			Name:   name,
			DType:  info.DType.String(),
			Shape:  shape,
			File:   f,
			Offset: base + int64(s),
			NBytes: int64(e - s),
		}, s, e})
	}
	sort.Slice(spans, func(i, j int) bool {
		a, b := spans[i], spans[j]
		if a.start != b.start {
			return a.start < b.start
		}
		if a.end != b.end {
			return a.end < b.end
		}
		return a.t.Name < b.t.Name
	})
	var pos uint64
	prev := ""
	for _, sp := range spans {
		switch {
		case sp.start < pos:
			return fmt.Errorf("%w: tensor %s (data_offsets [%d, %d]) overlaps tensor %s, which ends at %d", ErrFormat, printable(sp.t.Name), sp.start, sp.end, printable(prev), pos)
		case sp.start > pos:
			return fmt.Errorf("%w: %d unused bytes before tensor %s (data_offsets [%d, %d]): offsets must be contiguous", ErrFormat, sp.start-pos, printable(sp.t.Name), sp.start, sp.end)
		}
		pos, prev = sp.end, sp.t.Name
		f.Tensors = append(f.Tensors, sp.t)
	}
	if pos != dataLen {
		return fmt.Errorf("%w: tensor data ends at byte %d of the data section but the file has %d bytes after the header: padded or corrupted file", ErrFormat, pos, dataLen)
	}
	return nil
}

// printable returns s, or s quoted when it holds control characters or
// invalid UTF-8: tensor names from a hostile header go into one-line error
// messages and must not break the line or drive the terminal.
func printable(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// needBytes spells dtype size × shape exactly, even when it overflows 64 bits.
func needBytes(shape []uint64, item uint64) string {
	n := new(big.Int).SetUint64(item)
	for _, d := range shape {
		n.Mul(n, new(big.Int).SetUint64(d))
	}
	return n.String()
}

// explainJSON turns the library's header decoding errors into one line a
// user can act on.
func explainJSON(err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "failed to unmarshal Metadata: ")
	if i := strings.Index(msg, "failed to JSON-decode tensor "); i >= 0 {
		msg = "tensor " + msg[i+len("failed to JSON-decode tensor "):]
	}
	if strings.Contains(msg, "invalid DType string value") {
		msg = strings.Replace(msg, "invalid DType string value", "unknown dtype", 1)
		return fmt.Errorf("%w: %s (supported by the reader: BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64; FP8 checkpoints cannot be read)", ErrFormat, msg)
	}
	return fmt.Errorf("%w: header is not valid safetensors JSON: %s", ErrFormat, strings.Join(strings.Fields(msg), " "))
}

// Release tells the kernel this process no longer needs the pages of
// [off, off+n): resident memory drops, the page cache keeps them. Only whole
// pages inside the range: a neighbouring tensor may still be in use.
func (f *File) Release(off, n int64) {
	if start, end, ok := f.pages(off, n, true); ok {
		_ = unix.Madvise(f.data[start:end], unix.MADV_DONTNEED)
	}
}

// WillNeed starts read-ahead for [off, off+n).
func (f *File) WillNeed(off, n int64) {
	if start, end, ok := f.pages(off, n, false); ok {
		_ = unix.Madvise(f.data[start:end], unix.MADV_WILLNEED)
	}
}

// pages is the page-aligned part of the mapping for [off, off+n), clipped to
// the file: the pages wholly inside the range (inner), else from the page
// holding off to the end of the range.
func (f *File) pages(off, n int64, inner bool) (start, end int64, ok bool) {
	if f.data == nil || n <= 0 {
		return 0, 0, false
	}
	page := int64(os.Getpagesize())
	start = off / page * page
	end = min(off+n, f.Size)
	if inner {
		if start < off {
			start += page
		}
		end = end / page * page
	}
	return start, end, end > start
}

// Close unmaps the file.
func (f *File) Close() error {
	if f.data == nil {
		return nil
	}
	err := fsutil.Unmap(f.data)
	f.data = nil
	return err
}
