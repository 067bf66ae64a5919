package convert

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// A run builds its output in ".NAME.partial-XXXX" beside the target. A
// process killed with SIGKILL (or a power cut) cannot remove it, so the
// directory carries a lock file holding its owner's pid and an flock(2)
// the owner keeps for its whole life; the kernel drops the lock when the
// owner dies, which is what tells a later run the directory is stale.

// PartialLock is the lock file inside a partial output directory.
const PartialLock = ".ct2go-partial.lock"

// lockPartial creates and locks tmp's lock file. The file is locked under
// a temporary name and only then renamed to PartialLock, so another run
// never sees an unlocked lock file of a live owner. unlock removes it (the
// finished output must not carry it) and drops the lock.
func lockPartial(tmp string) (unlock func(), err error) {
	f, err := os.CreateTemp(tmp, ".lock-")
	if err != nil {
		return nil, fmt.Errorf("lock temporary output: %w", err)
	}
	fail := func(err error) (func(), error) {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("lock temporary output %s: %w", tmp, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return fail(err)
	}
	if _, err := fmt.Fprintf(f, "%d\n", os.Getpid()); err != nil {
		return fail(err)
	}
	lock := filepath.Join(tmp, PartialLock)
	if err := os.Rename(f.Name(), lock); err != nil {
		return fail(err)
	}
	done := false
	return func() {
		if !done {
			done = true
			os.Remove(lock)
			f.Close()
		}
	}, nil
}

// StalePartial is a partial output directory whose owner is gone.
type StalePartial struct {
	Dir string // the directory's path
	PID int    // its dead owner, 0 if unknown
}

// RemoveStalePartials deletes the partial output directories in parent
// whose owner died without cleaning up (lock file present, lock not held)
// and returns what it removed. Directories of live runs, and those without
// a lock file (a run between creating and locking it, or renaming it into
// place), are left alone.
func RemoveStalePartials(parent string) ([]StalePartial, error) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var removed []StalePartial
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, ".") || !strings.Contains(name, ".partial-") {
			continue
		}
		dir := filepath.Join(parent, name)
		f, err := os.Open(filepath.Join(dir, PartialLock))
		if err != nil {
			continue
		}
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
			f.Close() // its owner is alive
			continue
		}
		buf := make([]byte, 32)
		n, _ := f.Read(buf)
		pid, _ := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
		err = os.RemoveAll(dir)
		f.Close()
		if err != nil {
			return removed, fmt.Errorf("remove stale %s: %w", dir, err)
		}
		removed = append(removed, StalePartial{Dir: dir, PID: pid})
	}
	return removed, nil
}
