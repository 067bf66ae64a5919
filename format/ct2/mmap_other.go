//go:build !linux

package ct2

import "os"

// dropFileCache has no portable equivalent of POSIX_FADV_DONTNEED here; MADV_DONTNEED
// alone already unmaps the pages, the kernel reclaims the cache as it needs.
func dropFileCache(*os.File, int64, int64) error { return nil }
