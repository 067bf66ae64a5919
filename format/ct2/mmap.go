package ct2

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Mapped is a model.bin mapped read-only into memory: payloads are views into
// the mapping, never copies, so an 8B model costs page cache, not heap.
type Mapped struct {
	*Header
	data []byte
}

// Map opens and maps path, then parses its header.
func Map(path string) (*Mapped, error) {
	if err := regularFile(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size == 0 {
		return nil, fmt.Errorf("%s: %w: empty file", path, ErrFormat)
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %s: %w", path, err)
	}
	h, err := ReadHeader(bytesReaderAt(data), size)
	if err != nil {
		unix.Munmap(data)
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
	err := unix.Munmap(m.data)
	m.data = nil
	return err
}

// regularFile refuses what is not a regular file (after symlinks): opening
// a FIFO would block forever, a device has no size to check against.
func regularFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file but %s", path, fileKind(fi.Mode()))
	}
	return nil
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(b)) {
		return 0, fmt.Errorf("%w: read past end", ErrFormat)
	}
	return copy(p, b[off:]), nil
}

// fileKind names a non-regular file type for an error message.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&(os.ModeDevice|os.ModeCharDevice) != 0:
		return "a device"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}
