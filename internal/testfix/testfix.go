// Package testfix locates the shared test fixtures (../shared/fixtures beside
// the repository root). Tests fail, never skip, when they are missing: CI
// always has them.
package testfix

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot walks up from the working directory to the directory holding go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testfix: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Dir returns the absolute path of ../shared/fixtures, failing the test when absent.
func Dir(t testing.TB) string {
	t.Helper()
	d := filepath.Join(filepath.Dir(RepoRoot(t)), "shared", "fixtures")
	if _, err := os.Stat(filepath.Join(d, "README.md")); err != nil {
		t.Fatalf("shared fixtures missing at %s (the repo expects ../shared/fixtures beside it): %v", d, err)
	}
	return d
}

// Path joins elem onto the fixtures directory.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{Dir(t)}, elem...)...)
}
