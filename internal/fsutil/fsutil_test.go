package fsutil

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestRefusesWhatIsNotARegularFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, kind string }{
		{dir, "a directory"}, {fifo, "a named pipe"}, {"/dev/null", "a device"}, {link, "a device"},
	} {
		want := c.path + ": not a regular file but " + c.kind
		if _, err := Regular(c.path); err == nil || err.Error() != want {
			t.Errorf("Regular(%s) = %v, want %q", c.path, err, want)
		}
		// Open and ReadCapped must refuse before opening: on the FIFO an open would block.
		if _, _, err := Open(c.path); err == nil || err.Error() != want {
			t.Errorf("Open(%s) = %v, want %q", c.path, err, want)
		}
		if _, err := ReadCapped(c.path, 1<<20); err == nil || err.Error() != want {
			t.Errorf("ReadCapped(%s) = %v, want %q", c.path, err, want)
		}
	}
	if _, err := ReadCapped(filepath.Join(dir, "missing"), 10); !os.IsNotExist(err) {
		t.Errorf("missing file: %v, want a not-exist error", err)
	}
}

func TestReadCapped(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		max  int64
		want string // "" = reads the file
	}{
		{10, ""}, {1 << 20, ""}, {9, p + ": 10 bytes, more than the 0 MiB such a file can plausibly need"},
	} {
		got, err := ReadCapped(p, c.max)
		switch {
		case c.want == "" && (err != nil || string(got) != "0123456789"):
			t.Errorf("max %d: %q, %v", c.max, got, err)
		case c.want != "" && (err == nil || err.Error() != c.want):
			t.Errorf("max %d: %v, want %q", c.max, err, c.want)
		}
	}
}

func TestOpenAndMap(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "model.bin")
	if err := os.WriteFile(p, []byte("weights"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, size, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if size != 7 {
		t.Fatalf("size %d, want 7", size)
	}
	data, err := Map(f, size)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "weights" {
		t.Errorf("mapped %q", data)
	}
	if err := Unmap(data); err != nil {
		t.Error(err)
	}
	if _, err := Map(f, 0); err == nil || !strings.HasPrefix(err.Error(), "mmap "+p+": ") {
		t.Errorf("mapping 0 bytes: %v, want an error naming the file", err)
	}
}
