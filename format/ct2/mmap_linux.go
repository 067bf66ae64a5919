package ct2

import (
	"os"

	"golang.org/x/sys/unix"
)

// dropFileCache evicts the clean, unmapped pages of f in [off, off+n) from the page cache.
func dropFileCache(f *os.File, off, n int64) error {
	return unix.Fadvise(int(f.Fd()), off, n, unix.FADV_DONTNEED)
}
