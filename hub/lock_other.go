//go:build !unix

package hub

import (
	"context"
	"os"
	"path/filepath"
)

// lockFile only creates the lock file on platforms without flock: blobs are still renamed
// atomically, but two processes may download the same blob twice into one .incomplete.
func lockFile(ctx context.Context, p string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o664)
	if err != nil {
		return nil, err
	}
	return func() { f.Close() }, nil
}

// freeSpace is unknown on these platforms.
func freeSpace(string) int64 { return -1 }
