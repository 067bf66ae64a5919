// Package fsutil is the one place input files are opened: every reader of a
// checkpoint, model directory or reference file goes through the same
// regular-file check, the same capped read and the same read-only mapping,
// so a FIFO (whose open blocks), a device such as /dev/zero (endless) or a
// directory named as a file is a one-line error everywhere, never a hang.
//
// It imports only the standard library and golang.org/x/sys, so the format
// packages may use it (internal/deps).
package fsutil

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Kind names a non-regular file type for an error message ("a directory").
func Kind(m os.FileMode) string {
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

// Regular stats path (following symlinks) and refuses anything but a
// regular file: "PATH: not a regular file but a named pipe". Stat errors
// come back as they are (they name the path).
func Regular(path string) (os.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file but %s", path, Kind(fi.Mode()))
	}
	return fi, nil
}

// Open opens a regular file for reading; the check comes before the open,
// which would block on a FIFO. The returned size is the opened file's, so a
// file swapped for something else between the check and the open is
// refused too.
func Open(path string) (*os.File, int64, error) {
	if _, err := Regular(path); err != nil {
		return nil, 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%s: not a regular file but %s", path, Kind(fi.Mode()))
	}
	return f, fi.Size(), nil
}

// ReadCapped reads a whole regular file of at most max bytes. A larger file
// is refused from its size before reading, one that grows while being read
// as soon as it passes max.
func ReadCapped(path string, max int64) ([]byte, error) {
	f, size, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > max {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d MiB such a file can plausibly need", path, size, max>>20)
	}
	raw, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(raw)) > max {
		return nil, fmt.Errorf("%s: more than the %d MiB such a file can plausibly need", path, max>>20)
	}
	return raw, nil
}

// Map maps the first size bytes of f read-only and shared: the page cache
// backs the bytes, nothing is copied onto the heap. size must be positive.
// Release the mapping with Unmap.
func Map(f *os.File, size int64) ([]byte, error) {
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %s: %w", f.Name(), err)
	}
	return data, nil
}

// Unmap releases a mapping made by Map.
func Unmap(data []byte) error { return unix.Munmap(data) }
