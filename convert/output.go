package convert

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// checkOutput refuses an existing output without force, and an output that
// is the input or inside it (the input is never modified).
func checkOutput(in, out string, force bool) error {
	ai, err1 := resolved(in)
	ao, err2 := resolved(out)
	if err1 == nil && err2 == nil {
		if rel, err := filepath.Rel(ai, ao); err == nil && (rel == "." || filepath.IsLocal(rel)) {
			return fmt.Errorf("output directory %s is inside the input checkpoint %s: choose another place", out, in)
		}
		if rel, err := filepath.Rel(ao, ai); err == nil && (rel == "." || filepath.IsLocal(rel)) && force {
			return fmt.Errorf("--force would replace %s, which contains the input checkpoint %s", out, in)
		}
	}
	if _, err := os.Lstat(out); err == nil && !force {
		return fmt.Errorf("%s: %w", out, ErrOutputExists)
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
func writeAtomically(outDir string, force bool, fill func(tmp string) error) (err error) {
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
	if err = fill(tmp); err != nil {
		return err
	}
	if err = syncDir(tmp); err != nil {
		return err
	}
	var old string
	if _, statErr := os.Lstat(outDir); statErr == nil {
		if !force {
			return fmt.Errorf("%s: %w", outDir, ErrOutputExists)
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
