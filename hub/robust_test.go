package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStalledDownloadResumed(t *testing.T) {
	t.Parallel()
	h, commits := newTinyHub(t)
	shard := commits[commitB]["model-00002-of-00003.safetensors"]
	const stallAt = 2 << 20
	h.mu.Lock()
	h.stall[shard.sha256] = stallAt
	h.mu.Unlock()
	cache := t.TempDir()
	opts := testOptions(h, cache)
	opts.stall = 300 * time.Millisecond
	dir, err := Resolve(context.Background(), tinyRepo, opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range h.requests() {
		if isGET(r) && strings.HasSuffix(r.path, shard.sha256) {
			got = append(got, r.rng)
		}
	}
	if want := fmt.Sprintf("|bytes=%d-", stallAt); strings.Join(got, "|") != want {
		t.Errorf("GET ranges %q, want %q", strings.Join(got, "|"), want)
	}
	want := pick(commits[commitB], wantFiles)
	checkLayout(t, cache, hfLayout(tinyRepo, map[string]string{"main": commitB}, map[string]map[string]*fakeFile{commitB: want}))
	checkSnapshotContent(t, dir, want)
}

func TestCancelKeepsIncompleteForResume(t *testing.T) {
	t.Parallel()
	h, commits := newTinyHub(t)
	const file = "model-00001-of-00003.safetensors"
	shard := commits[commitB][file]
	cache := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := testOptions(h, cache)
	opts.Workers = 1
	opts.Progress = func(p Progress) {
		if p.File == file && p.Done >= 2<<20 {
			cancel()
		}
	}
	_, err := Resolve(ctx, tinyRepo, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	blobs := filepath.Join(cache, "models--meta-llama--Tiny-Mllama", "blobs")
	fi, err := os.Stat(filepath.Join(blobs, shard.sha256+".incomplete"))
	if err != nil || fi.Size() < 2<<20 || fi.Size() >= int64(len(shard.data)) {
		t.Fatalf("incomplete after cancel: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(blobs, shard.sha256)); err == nil {
		t.Fatal("cancelled blob renamed into place")
	}
	h.resetLog()
	dir, err := Resolve(context.Background(), tinyRepo, testOptions(h, cache))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range h.requests() {
		if isGET(r) && strings.HasSuffix(r.path, shard.sha256) && r.rng != fmt.Sprintf("bytes=%d-", fi.Size()) {
			t.Errorf("after cancel the shard was fetched with Range %q, want bytes=%d-", r.rng, fi.Size())
		}
	}
	want := pick(commits[commitB], wantFiles)
	checkLayout(t, cache, hfLayout(tinyRepo, map[string]string{"main": commitB}, map[string]map[string]*fakeFile{commitB: want}))
	checkSnapshotContent(t, dir, want)
}

func TestNetworkDownFallsBackToCache(t *testing.T) {
	t.Parallel()
	h, commits := newTinyHub(t)
	cache := t.TempDir()
	want := pick(commits[commitB], wantFiles)
	materialize(t, cache, hfLayout(tinyRepo, map[string]string{"main": commitB}, map[string]map[string]*fakeFile{commitB: want}))
	down := testOptions(h, cache)
	down.Endpoint = "http://127.0.0.1:1" // nothing listens there
	var warns []string
	down.Warn = func(s string) { warns = append(warns, s) }
	dir, err := Resolve(context.Background(), tinyRepo, down)
	if err != nil || dir != filepath.Join(cache, "models--meta-llama--Tiny-Mllama", "snapshots", commitB) {
		t.Fatalf("Resolve with the Hub down = %s, %v", dir, err)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "using the cached snapshot") {
		t.Errorf("warnings %q", warns)
	}
	// Not cached: the error says both what failed and that the cache has nothing.
	_, err = Resolve(context.Background(), "other/model", down)
	if err == nil || !strings.Contains(err.Error(), "other/model@main") || !strings.Contains(err.Error(), "no complete copy") {
		t.Errorf("err = %v", err)
	}
}

// TestStdlibOnly keeps the package a leaf: it imports the standard library only.
func TestStdlibOnly(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s; package hub must import only the standard library", f, p)
			}
		}
	}
}

// BenchmarkResolveFresh downloads the 34 MB fixture repo from the loopback fake hub into an
// empty cache (HEADs, transfer, sha256/sha1 verification, fsync, links).
func BenchmarkResolveFresh(b *testing.B) {
	h, commits := newTinyHub(b)
	var total int64
	for _, n := range wantFiles {
		total += int64(len(commits[commitB][n].data))
	}
	b.SetBytes(total)
	for b.Loop() {
		cache := b.TempDir()
		if _, err := Resolve(context.Background(), tinyRepo, testOptions(h, cache)); err != nil {
			b.Fatal(err)
		}
	}
}

// writeTreeListing writes storage/trees/<commit>.json the way huggingface_hub _tree_cache.py does.
func writeTreeListing(t *testing.T, storage, commit string, files map[string]*fakeFile) {
	t.Helper()
	type ent struct {
		Size      int    `json:"size"`
		BlobID    string `json:"blob_id"`
		LFSSHA256 string `json:"lfs_sha256,omitempty"`
		LFSSize   int    `json:"lfs_size,omitempty"`
	}
	out := map[string]ent{}
	for name, f := range files {
		e := ent{Size: len(f.data), BlobID: f.gitSHA1}
		if f.lfs {
			e.Size = 134 // the pointer's size, as the /tree endpoint reports it
			e.LFSSHA256, e.LFSSize = f.sha256, len(f.data)
		}
		out[name] = e
	}
	b, err := json.MarshalIndent(map[string]any{"format_version": 1, "files": out}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(storage, "trees"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(storage, "trees", commit+".json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOfflineWithPythonTreeListing(t *testing.T) {
	t.Parallel()
	h, commits := newTinyHub(t)
	for _, tc := range []struct {
		name   string
		change func(snap string) error
		err    error
		file   string
	}{
		{"complete", func(string) error { return nil }, nil, ""},
		{"tokenizer.json missing", func(snap string) error { return os.Remove(filepath.Join(snap, "tokenizer.json")) }, ErrOffline, "tokenizer.json"},
		{"README.md missing is fine", func(snap string) error { return os.Remove(filepath.Join(snap, "README.md")) }, nil, ""},
		{"link to another blob", func(snap string) error {
			p := filepath.Join(snap, "generation_config.json")
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.Symlink("../../blobs/"+commits[commitB]["tokenizer_config.json"].etag(), p)
		}, ErrCorrupt, "generation_config.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache := t.TempDir()
			materialize(t, cache, hfLayout(tinyRepo, map[string]string{"main": commitB},
				map[string]map[string]*fakeFile{commitB: pick(commits[commitB], wantFiles)}))
			storage := filepath.Join(cache, "models--meta-llama--Tiny-Mllama")
			writeTreeListing(t, storage, commitB, commits[commitB])
			if err := tc.change(filepath.Join(storage, "snapshots", commitB)); err != nil {
				t.Fatal(err)
			}
			opts := testOptions(h, cache)
			opts.Offline = true
			_, err := Resolve(context.Background(), tinyRepo, opts)
			if tc.err == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.file) {
				t.Fatalf("err = %v, want %v naming %s", err, tc.err, tc.file)
			}
		})
	}
	if n := len(h.requests()); n != 0 {
		t.Errorf("offline checks made %d requests", n)
	}
}

// A Python download of the whole repo (original/ included) is accepted offline without
// judging files conversion never reads, even when one of them is broken.
func TestOfflineIgnoresExcludedFiles(t *testing.T) {
	t.Parallel()
	h, commits := newTinyHub(t)
	cache := t.TempDir()
	materialize(t, cache, hfLayout(tinyRepo, map[string]string{"main": commitB},
		map[string]map[string]*fakeFile{commitB: commits[commitB]}))
	storage := filepath.Join(cache, "models--meta-llama--Tiny-Mllama")
	if err := flipByte(filepath.Join(storage, "blobs", commits[commitB]["original/consolidated.pth"].etag())); err != nil {
		t.Fatal(err)
	}
	opts := testOptions(h, cache)
	opts.Offline, opts.Verify = true, true
	dir, err := Resolve(context.Background(), tinyRepo, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkSnapshotContent(t, dir, pick(commits[commitB], wantFiles))
	// The same corruption in a file conversion reads is caught.
	if err := flipByte(filepath.Join(storage, "blobs", commits[commitB]["tokenizer.json"].etag())); err != nil {
		t.Fatal(err)
	}
	if _, err := Resolve(context.Background(), tinyRepo, opts); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "tokenizer.json") {
		t.Errorf("err = %v, want ErrCorrupt naming tokenizer.json", err)
	}
}
