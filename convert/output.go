package convert

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// checkOutput refuses an existing output unless replace allows it (and,
// for ReplaceOutput, it holds only files ours(name) accepts), and an output
// that is the input or inside it (the input is never modified).
func checkOutput(in, out string, replace Replace, ours func(name string) bool) error {
	ai, err1 := resolved(in)
	ao, err2 := resolved(out)
	if err1 == nil && err2 == nil {
		if rel, err := filepath.Rel(ai, ao); err == nil && (rel == "." || filepath.IsLocal(rel)) {
			return fmt.Errorf("output directory %s is inside the input checkpoint %s: choose another place", out, in)
		}
		if rel, err := filepath.Rel(ao, ai); err == nil && (rel == "." || filepath.IsLocal(rel)) && replace != KeepExisting {
			return &OutputHoldsInputError{Out: out, In: in}
		}
	}
	return checkExisting(out, replace, ours)
}

// CheckOutput reports whether Convert would refuse the existing output out
// (OutputExistsError, ForeignOutputError) under replace, with copyFiles the
// extra files asked for; nil when out is free or may be replaced.
func CheckOutput(out string, replace Replace, copyFiles []string) error {
	return checkExisting(out, replace, func(name string) bool { return isCT2OutputFile(name, copyFiles) })
}

func checkExisting(out string, replace Replace, ours func(name string) bool) error {
	fi, err := os.Lstat(out)
	switch {
	case err != nil:
		return nil
	case replace == KeepExisting:
		return &OutputExistsError{Path: out}
	case replace == ReplaceAnything:
		return nil
	case !fi.IsDir():
		return &ForeignOutputError{Path: out}
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("read existing output %s: %w", out, err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !ours(e.Name()) {
			return &ForeignOutputError{Path: out, File: e.Name()}
		}
	}
	return nil
}

// resolved is the absolute path of p with symlinks resolved in its longest
// existing prefix, so an output reached through a link into the input (or
// an input reached through a link) is recognised for what it is.
func resolved(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	for dir := abs; ; dir = filepath.Dir(dir) {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(r, rest), nil
		}
		if filepath.Dir(dir) == dir {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}

// writeAtomically builds the output in a temporary directory beside outDir
// (same filesystem) and renames it into place only when fill succeeded, so
// an interrupted or failed run leaves nothing half-written behind. With
// force, an existing outDir is replaced only after the new one is complete.
func writeAtomically(outDir string, replace Replace, fill func(tmp string) error) (err error) {
	parent := filepath.Dir(outDir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(outDir)+".partial-")
	if err != nil {
		return fmt.Errorf("create temporary output in %s: %w", parent, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err = os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	unlock, err := lockPartial(tmp)
	if err != nil {
		return err
	}
	defer unlock() // idempotent; on success it already ran before the rename
	if err = fill(tmp); err != nil {
		return err
	}
	unlock()
	if err = syncDir(tmp); err != nil {
		return err
	}
	var old string
	if _, statErr := os.Lstat(outDir); statErr == nil {
		if replace == KeepExisting {
			return &OutputExistsError{Path: outDir}
		}
		old = tmp + ".old"
		if err = os.Rename(outDir, old); err != nil {
			return fmt.Errorf("move existing %s aside: %w", outDir, err)
		}
	}
	if err = os.Rename(tmp, outDir); err != nil {
		if old != "" {
			os.Rename(old, outDir)
		}
		return fmt.Errorf("rename %s to %s: %w", tmp, outDir, err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return syncDir(parent)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

func writeFile(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// streamWriter writes model.bin from its own goroutine, so quantization
// workers never wait on a write syscall, and keeps the output out of the
// page cache as it goes: every window is handed to writeback at once
// (sync_file_range WRITE) and, once on disk, dropped (FADV_DONTNEED). Without
// that, gigabytes of dirty pages pile up, the kernel throttles the writer and
// reclaims memory inside write() — measured as most of the CPU time of a
// warm 8B conversion.
type streamWriter struct {
	f    *os.File
	buf  []byte
	full chan []byte
	free chan []byte
	done chan error
	err  error

	mu     sync.Mutex
	failed error // set by the writer goroutine, seen by Write without waiting for Close
}

const (
	streamBuf    = 8 << 20  // bytes per write syscall
	streamWindow = 64 << 20 // writeback granularity
)

func newStreamWriter(f *os.File) *streamWriter {
	w := &streamWriter{f: f, full: make(chan []byte, 4), free: make(chan []byte, 5), done: make(chan error, 1)}
	for i := 0; i < cap(w.free); i++ {
		w.free <- make([]byte, 0, streamBuf)
	}
	w.buf = <-w.free
	go w.loop()
	return w
}

func (w *streamWriter) loop() {
	var err error
	var written, started, flushed int64 // bytes written; handed to writeback; on disk and dropped
	fd := int(w.f.Fd())
	for b := range w.full {
		if err == nil {
			var n int
			n, err = w.f.Write(b)
			written += int64(n)
			if err != nil {
				w.mu.Lock()
				w.failed = err
				w.mu.Unlock()
			}
			if written-started >= streamWindow {
				// Best effort: not every filesystem supports these; correctness
				// never depends on them (the final fsync does).
				_ = unix.SyncFileRange(fd, started, written-started, unix.SYNC_FILE_RANGE_WRITE)
				if started > flushed {
					_ = unix.SyncFileRange(fd, flushed, started-flushed, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
					_ = unix.Fadvise(fd, flushed, started-flushed, unix.FADV_DONTNEED)
					flushed = started
				}
				started = written
			}
		}
		w.free <- b[:0]
	}
	w.done <- err
}

func (w *streamWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if w.err != nil {
			return 0, w.err
		}
		c := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf = w.buf[:len(w.buf)+c]
		p = p[c:]
		if len(w.buf) == cap(w.buf) {
			w.send()
		}
	}
	return n, nil
}

func (w *streamWriter) send() {
	w.full <- w.buf
	w.buf = <-w.free
	w.mu.Lock()
	w.err = w.failed
	w.mu.Unlock()
}

// Close writes what is buffered and waits for the writer goroutine; it does
// not close or sync the file.
func (w *streamWriter) Close() error {
	if len(w.buf) > 0 {
		w.full <- w.buf
	}
	close(w.full)
	err := <-w.done
	if w.err != nil {
		return w.err
	}
	return err
}
