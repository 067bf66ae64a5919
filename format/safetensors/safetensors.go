// Package safetensors opens Hugging Face safetensors checkpoints (single file
// or sharded with model.safetensors.index.json) for streaming reads.
//
// Shards are memory-mapped read-only; the header is validated by
// github.com/nlpodyssey/safetensors (100 MB header cap, contiguous offsets,
// dtype×shape = byte length, no bytes past the last tensor), with our own
// pre-checks first so that every error names the file and says plainly what
// is wrong. Tensor payloads are views into the mapping; callers release pages
// they are done with through Release so resident memory does not grow with
// the model.
package safetensors

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	st "github.com/nlpodyssey/safetensors"
	"golang.org/x/sys/unix"
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
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	size := fi.Size()
	// Pre-checks with plain-language errors before handing the buffer over.
	if size < 8 {
		return nil, fmt.Errorf("%s: %w: %d bytes, shorter than the 8-byte header length", path, ErrFormat, size)
	}
	var lenBuf [8]byte
	if _, err := f.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	hlen := binary.LittleEndian.Uint64(lenBuf[:])
	if hlen > MaxHeaderSize {
		return nil, fmt.Errorf("%s: %w: header length %d exceeds the 100 MB limit", path, ErrFormat, hlen)
	}
	if hlen+8 > uint64(size) {
		return nil, fmt.Errorf("%s: %w: header length %d is larger than the file (%d bytes): truncated download?", path, ErrFormat, hlen, size)
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %s: %w", path, err)
	}
	file := &File{Path: path, Size: size, data: data}
	if err := file.parse(hlen); err != nil {
		unix.Munmap(data)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return file, nil
}

func (f *File) parse(hlen uint64) error {
	// The library checks the header JSON, offsets and that the data section
	// ends exactly at the end of the file.
	_, meta, err := st.ReadMetadata(f.data)
	if err != nil {
		return f.explain(hlen, err)
	}
	f.Metadata = meta.Metadata()
	base := int64(8 + hlen)
	for name, info := range meta.Tensors() {
		switch name {
		case "":
			return fmt.Errorf("%w: tensor with an empty name", ErrFormat)
		}
		shape := make([]int, len(info.Shape))
		for i, d := range info.Shape {
			shape[i] = int(d)
		}
		f.Tensors = append(f.Tensors, &Tensor{
			Name:   name,
			DType:  info.DType.String(),
			Shape:  shape,
			File:   f,
			Offset: base + int64(info.DataOffsets[0]),
			NBytes: int64(info.DataOffsets[1] - info.DataOffsets[0]),
		})
	}
	sort.Slice(f.Tensors, func(i, j int) bool { return f.Tensors[i].Offset < f.Tensors[j].Offset })
	return nil
}

// explain turns the library's terse errors into ones a user can act on.
func (f *File) explain(hlen uint64, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "incomplete buffer"):
		return fmt.Errorf("%w: tensor data does not end at the end of the file (%d bytes): truncated or padded file", ErrFormat, f.Size)
	case strings.Contains(msg, "offset"):
		return fmt.Errorf("%w: %s (offsets must be contiguous, in range and match dtype × shape)", ErrFormat, msg)
	case strings.Contains(msg, "unmarshal") || strings.Contains(msg, "deserialization"):
		return fmt.Errorf("%w: header is not valid safetensors JSON: %s", ErrFormat, msg)
	}
	return fmt.Errorf("%w: %s", ErrFormat, msg)
}

// Release tells the kernel this process no longer needs the pages of
// [off, off+n): resident memory drops, the page cache keeps them.
func (f *File) Release(off, n int64) {
	if f.data == nil || n <= 0 {
		return
	}
	page := int64(os.Getpagesize())
	start := off / page * page
	end := off + n
	if end > f.Size {
		end = f.Size
	}
	// Only whole pages inside the range: a neighbouring tensor may still be in use.
	if start < off {
		start += page
	}
	end = end / page * page
	if end <= start {
		return
	}
	_ = unix.Madvise(f.data[start:end], unix.MADV_DONTNEED)
}

// WillNeed starts read-ahead for [off, off+n).
func (f *File) WillNeed(off, n int64) {
	if f.data == nil || n <= 0 {
		return
	}
	page := int64(os.Getpagesize())
	start := off / page * page
	end := off + n
	if end > f.Size {
		end = f.Size
	}
	_ = unix.Madvise(f.data[start:end], unix.MADV_WILLNEED)
}

// Close unmaps the file.
func (f *File) Close() error {
	if f.data == nil {
		return nil
	}
	err := unix.Munmap(f.data)
	f.data = nil
	return err
}
