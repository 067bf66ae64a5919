package ct2

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ct2go/ct2go/internal/fsutil"
)

// Mapped is a model.bin mapped read-only into memory: payloads are views into
// the mapping, never copies, so an 8B model costs page cache, not heap.
type Mapped struct {
	*Header
	data []byte
	f    *os.File // kept open for Release's fadvise
}

// Map opens and maps path, then parses its header.
func Map(path string) (*Mapped, error) {
	f, size, err := fsutil.Open(path)
	if err != nil {
		return nil, err
	}
	if size == 0 {
		f.Close()
		return nil, fmt.Errorf("%s: %w: empty file", path, ErrFormat)
	}
	data, err := fsutil.Map(f, size)
	if err != nil {
		f.Close()
		return nil, err
	}
	h, err := ReadHeader(bytesReaderAt(data), size)
	if err != nil {
		fsutil.Unmap(data)
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Mapped{Header: h, data: data, f: f}, nil
}

// Bytes returns the payload of v as a view into the mapping.
func (m *Mapped) Bytes(v *Variable) []byte { return m.data[v.Offset : v.Offset+v.NBytes] }

// Advise passes an madvise hint (e.g. unix.MADV_WILLNEED) for the whole file.
func (m *Mapped) Advise(advice int) error { return unix.Madvise(m.data, advice) }

// Contains reports whether b is a view into the mapping (as Bytes returns).
func (m *Mapped) Contains(b []byte) bool {
	if len(b) == 0 || len(m.data) == 0 {
		return false
	}
	base := uintptr(unsafe.Pointer(&m.data[0]))
	p := uintptr(unsafe.Pointer(&b[0]))
	return p >= base && p+uintptr(len(b)) <= base+uintptr(len(m.data))
}

// Release gives back the memory of the pages that lie wholly inside b, a view
// into the mapping, once the caller has copied b elsewhere: the pages leave
// this mapping (MADV_DONTNEED) and, as far as no other process maps them, the
// page cache (POSIX_FADV_DONTNEED), so a copy never coexists with its source.
// b stays readable: a later access faults the pages back in from the file.
func (m *Mapped) Release(b []byte) error {
	if !m.Contains(b) {
		return fmt.Errorf("release: %d bytes not inside the mapping", len(b))
	}
	pg := uintptr(os.Getpagesize())
	base := uintptr(unsafe.Pointer(&m.data[0]))
	lo := (uintptr(unsafe.Pointer(&b[0])) - base + pg - 1) &^ (pg - 1)
	hi := (uintptr(unsafe.Pointer(&b[0])) - base + uintptr(len(b))) &^ (pg - 1)
	if hi <= lo {
		return nil
	}
	if err := unix.Madvise(m.data[lo:hi], unix.MADV_DONTNEED); err != nil {
		return fmt.Errorf("madvise %s: %w", m.f.Name(), err)
	}
	if err := dropFileCache(m.f, int64(lo), int64(hi-lo)); err != nil {
		return fmt.Errorf("fadvise %s: %w", m.f.Name(), err)
	}
	return nil
}

// Close unmaps the file; views returned by Bytes become invalid.
func (m *Mapped) Close() error {
	if m.data == nil {
		return nil
	}
	err := fsutil.Unmap(m.data)
	m.data = nil
	if m.f != nil {
		m.f.Close()
		m.f = nil
	}
	return err
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(b)) {
		return 0, fmt.Errorf("%w: read past end", ErrFormat)
	}
	return copy(p, b[off:]), nil
}
