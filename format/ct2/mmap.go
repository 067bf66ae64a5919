package ct2

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/ct2go/ct2go/internal/fsutil"
)

// Mapped is a model.bin mapped read-only into memory: payloads are views into
// the mapping, never copies, so an 8B model costs page cache, not heap.
type Mapped struct {
	*Header
	data []byte
}

// Map opens and maps path, then parses its header.
func Map(path string) (*Mapped, error) {
	f, size, err := fsutil.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size == 0 {
		return nil, fmt.Errorf("%s: %w: empty file", path, ErrFormat)
	}
	data, err := fsutil.Map(f, size)
	if err != nil {
		return nil, err
	}
	h, err := ReadHeader(bytesReaderAt(data), size)
	if err != nil {
		fsutil.Unmap(data)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Mapped{Header: h, data: data}, nil
}

// Bytes returns the payload of v as a view into the mapping.
func (m *Mapped) Bytes(v *Variable) []byte { return m.data[v.Offset : v.Offset+v.NBytes] }

// Advise passes an madvise hint (e.g. unix.MADV_WILLNEED) for the whole file.
func (m *Mapped) Advise(advice int) error { return unix.Madvise(m.data, advice) }

// Close unmaps the file; views returned by Bytes become invalid.
func (m *Mapped) Close() error {
	if m.data == nil {
		return nil
	}
	err := fsutil.Unmap(m.data)
	m.data = nil
	return err
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(b)) {
		return 0, fmt.Errorf("%w: read past end", ErrFormat)
	}
	return copy(p, b[off:]), nil
}
