package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// testCachedirTag is huggingface_hub CACHEDIR_TAG_CONTENT (_local_folder.py), copied here so the
// layout check does not trust the package's constant.
const testCachedirTag = "Signature: 8a477f597d28d172789f06886806bc55\n" +
	"# This file is a cache directory tag created by huggingface_hub.\n" +
	"# For information about cache directory tags, see:\n" +
	"#\thttps://bford.info/cachedir/\n"

func noEnv(string) string { return "" }

func testOptions(h *fakeHub, cache string) Options {
	return Options{CacheDir: cache, Endpoint: h.hub.URL, getenv: noEnv}
}

// entry is one non-directory path in a cache tree.
type entry struct {
	link    string // symlink target, or "" for a regular file
	content []byte // regular file content (nil for .lock files, whose content is not checked)
	lock    bool
}

func (e entry) String() string {
	switch {
	case e.link != "":
		return "-> " + e.link
	case e.lock:
		return "lock file"
	}
	return fmt.Sprintf("file %d bytes sha256 %s", len(e.content), testSHA256(e.content)[:12])
}

// hfLayout is the tree huggingface_hub (snapshot_download / hf_hub_download) leaves in the
// cache after fetching files of commit for revision rev:
//
//	CACHEDIR.TAG
//	.locks/models--org--name/<etag>.lock
//	models--org--name/refs/<rev>               = commit, no newline (only for branch/tag revs)
//	models--org--name/blobs/<etag>             = content
//	models--org--name/snapshots/<commit>/<f>   -> ../../blobs/<etag> (one more ../ per dir level)
func hfLayout(repo string, refs map[string]string, snaps map[string]map[string]*fakeFile) map[string]entry {
	folder := "models--" + strings.ReplaceAll(repo, "/", "--")
	out := map[string]entry{"CACHEDIR.TAG": {content: []byte(testCachedirTag)}}
	for rev, commit := range refs {
		out[folder+"/refs/"+rev] = entry{content: []byte(commit)}
	}
	for commit, files := range snaps {
		for name, f := range files {
			etag := f.etag()
			out[".locks/"+folder+"/"+etag+".lock"] = entry{lock: true}
			out[folder+"/blobs/"+etag] = entry{content: f.data}
			up := strings.Repeat("../", 2+strings.Count(name, "/"))
			out[folder+"/snapshots/"+commit+"/"+name] = entry{link: up + "blobs/" + etag}
		}
	}
	return out
}

// pick returns the named files of one commit.
func pick(files map[string]*fakeFile, names []string) map[string]*fakeFile {
	out := map[string]*fakeFile{}
	for _, n := range names {
		out[n] = files[n]
	}
	return out
}

// readTree lists every non-directory entry under root.
func readTree(t *testing.T, root string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			out[rel] = entry{link: target}
			return err
		}
		if strings.HasSuffix(rel, ".lock") {
			out[rel] = entry{lock: true}
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = entry{content: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkLayout compares the whole cache tree with want, byte for byte.
func checkLayout(t *testing.T, cache string, want map[string]entry) {
	t.Helper()
	got := readTree(t, cache)
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	bad := 0
	for _, k := range keys {
		w, wok := want[k]
		g, gok := got[k]
		switch {
		case !gok:
			t.Errorf("cache lacks %s (%v)", k, w)
		case !wok:
			t.Errorf("cache has unexpected %s (%v)", k, g)
		case w.link != g.link || w.lock != g.lock || !w.lock && !bytes.Equal(w.content, g.content):
			t.Errorf("cache %s: got %v, want %v", k, g, w)
		default:
			continue
		}
		if bad++; bad > 20 {
			t.Fatal("too many layout differences")
		}
	}
}

// checkSnapshotContent reads every wanted file through the returned directory.
func checkSnapshotContent(t *testing.T, dir string, files map[string]*fakeFile) {
	t.Helper()
	for name, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Errorf("read %s through snapshot: %v", name, err)
		} else if !bytes.Equal(b, f.data) {
			t.Errorf("%s through snapshot: content differs (%d bytes, want %d)", name, len(b), len(f.data))
		}
	}
}

func countRequests(log []reqRec, pred func(reqRec) bool) int {
	n := 0
	for _, r := range log {
		if pred(r) {
			n++
		}
	}
	return n
}

func isGET(r reqRec) bool { return r.method == "GET" }

// checkNothingExcluded asserts no request touched files conversion must never fetch.
func checkNothingExcluded(t *testing.T, log []reqRec, commits map[string]map[string]*fakeFile) {
	t.Helper()
	banned := map[string]bool{}
	for _, files := range commits {
		for _, name := range []string{"original/consolidated.pth", "original/params.json", "pytorch_model.bin", "model.gguf"} {
			if f := files[name]; f != nil && f.lfs {
				banned[f.sha256] = true
			}
		}
	}
	for _, r := range log {
		if strings.Contains(r.path, "original") || strings.Contains(r.path, ".pth") || strings.Contains(r.path, ".bin") ||
			strings.Contains(r.path, ".gguf") || strings.Contains(r.path, "onnx") || strings.Contains(r.path, ".gitattributes") ||
			banned[filepath.Base(r.path)] {
			t.Errorf("request for an excluded file: %s %s %s", r.server, r.method, r.path)
		}
	}
}

func TestFreshDownload(t *testing.T) {
	t.Parallel()
	h, commits := newTinyHub(t)
	cache := t.TempDir()
	opts := testOptions(h, cache)
	opts.Token = "hf_reader"
	var mu sync.Mutex
	last := map[string]Progress{}
	var final Progress
	opts.Progress = func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Done > p.Total || p.AllDone > p.AllTotal {
			t.Errorf("progress beyond total: %+v", p)
		}
		last[p.File] = p
		final = p
	}
	dir, err := Resolve(context.Background(), tinyRepo, opts)
	if err != nil {
		t.Fatal(err)
	}
	wantDir := filepath.Join(cache, "models--meta-llama--Tiny-Mllama", "snapshots", commitB)
	if dir != wantDir {
		t.Fatalf("dir = %s, want %s", dir, wantDir)
	}
	want := pick(commits[commitB], wantFiles)
	checkLayout(t, cache, hfLayout(tinyRepo, map[string]string{"main": commitB}, map[string]map[string]*fakeFile{commitB: want}))
	checkSnapshotContent(t, dir, want)
	log := h.requests()
	checkNothingExcluded(t, log, commits)

	var total int64
	for _, name := range wantFiles {
		total += int64(len(want[name].data))
		if p := last[name]; p.Done != p.Total || p.Total != int64(len(want[name].data)) {
			t.Errorf("last progress of %s = %+v, want done = total = %d", name, p, len(want[name].data))
		}
	}
	if final.AllDone != total || final.AllTotal != total {
		t.Errorf("final progress %d/%d, want %d/%d", final.AllDone, final.AllTotal, total, total)
	}
	for _, r := range log {
		if r.server == "cdn" && r.auth != "" {
			t.Errorf("token sent to the CDN: %s %s", r.method, r.path)
		}
		if r.server == "hub" && r.auth != "Bearer hf_reader" {
			t.Errorf("hub request without the token: %s %s", r.method, r.path)
		}
	}
	// Each wanted file is transferred exactly once: LFS ones from the CDN, others from resolve.
	if n := countRequests(log, func(r reqRec) bool { return r.method == "GET" && r.server == "cdn" }); n != 4 {
		t.Errorf("%d CDN GETs, want 4 (3 shards + tokenizer.json)", n)
	}
	if n := countRequests(log, func(r reqRec) bool { return r.method == "GET" && strings.Contains(r.path, "/resolve/") }); n != len(wantFiles)-4 {
		t.Errorf("%d resolve GETs, want %d", n, len(wantFiles)-4)
	}

	// A second online run finds everything: one listing + HEADs, no content transfer.
	h.resetLog()
	dir2, err := Resolve(context.Background(), tinyRepo, opts)
	if err != nil || dir2 != dir {
		t.Fatalf("second Resolve = %s, %v", dir2, err)
	}
	if n := countRequests(h.requests(), func(r reqRec) bool { return r.method == "GET" && !strings.Contains(r.path, "/api/") }); n != 0 {
		t.Errorf("second Resolve transferred %d files, want 0", n)
	}
}

func TestResumeAfterCutWithinOneRun(t *testing.T) {
	t.Parallel()
	h, commits := newTinyHub(t)
	shard := commits[commitB]["model-00001-of-00003.safetensors"]
	const cutAt = 5 << 20
	h.setCut(shard.sha256, cutAt)
	h.setCut("special_tokens_map.json", 100) // a regular (non-LFS) file cut too
	cache := t.TempDir()
	var warns []string
	opts := testOptions(h, cache)
	opts.Warn = func(s string) { warns = append(warns, s) }
	dir, err := Resolve(context.Background(), tinyRepo, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := pick(commits[commitB], wantFiles)
	checkLayout(t, cache, hfLayout(tinyRepo, map[string]string{"main": commitB}, map[string]map[string]*fakeFile{commitB: want}))
	checkSnapshotContent(t, dir, want)
	var ranges []string
	for _, r := range h.requests() {
		if r.method == "GET" && (strings.HasSuffix(r.path, shard.sha256) || strings.HasSuffix(r.path, "special_tokens_map.json")) {
			ranges = append(ranges, filepath.Base(r.path)+" "+r.rng)
		}
	}
	sort.Strings(ranges)
	wantRanges := []string{shard.sha256 + " ", shard.sha256 + fmt.Sprintf(" bytes=%d-", cutAt),
		"special_tokens_map.json ", "special_tokens_map.json bytes=100-"}
	sort.Strings(wantRanges)
	if strings.Join(ranges, "|") != strings.Join(wantRanges, "|") {
		t.Errorf("GETs after the cut = %q, want %q (continue with Range, not restart)", ranges, wantRanges)
	}
	if len(warns) != 2 {
		t.Errorf("warnings = %q, want one per cut", warns)
	}
}

func TestResumeIncompleteFromEarlierRun(t *testing.T) {
	t.Parallel()
	h, commits := newTinyHub(t)
	shard := commits[commitB]["model-00002-of-00003.safetensors"]
	const cutAt = 3<<20 + 12345
	h.setCut(shard.sha256, cutAt)
	cache := t.TempDir()
	opts := testOptions(h, cache)
	opts.Retries = -1 // first run gives up at the cut, like a killed process
	_, err := Resolve(context.Background(), tinyRepo, opts)
	if err == nil {
		t.Fatal("first run succeeded despite the cut and no retries")
	}
	inc := filepath.Join(cache, "models--meta-llama--Tiny-Mllama", "blobs", shard.sha256+".incomplete")
	fi, serr := os.Stat(inc)
	if serr != nil || fi.Size() != cutAt {
		t.Fatalf("after the cut: %s: %v, size %v, want %d bytes kept (first error: %v)", inc, serr, fi, cutAt, err)
	}
	if _, serr := os.Stat(filepath.Join(cache, "models--meta-llama--Tiny-Mllama", "blobs", shard.sha256)); serr == nil {
		t.Fatal("partial blob was renamed into place")
	}

	h.resetLog()
	var firstDone int64 = -1
	opts.Retries = 0
	opts.Progress = func(p Progress) {
		if p.File == "model-00002-of-00003.safetensors" && firstDone < 0 {
			firstDone = p.Done
		}
	}
	dir, err := Resolve(context.Background(), tinyRepo, opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range h.requests() {
		if r.method == "GET" && strings.HasSuffix(r.path, shard.sha256) {
			got = append(got, r.rng)
		}
	}
	if want := fmt.Sprintf("bytes=%d-", cutAt); len(got) != 1 || got[0] != want {
		t.Errorf("second run GETs of the shard with Range %q, want exactly one with %q", got, want)
	}
	if firstDone <= cutAt-1 || firstDone > int64(len(shard.data)) {
		t.Errorf("first progress of the resumed shard = %d, want above %d", firstDone, cutAt)
	}
	want := pick(commits[commitB], wantFiles)
	checkLayout(t, cache, hfLayout(tinyRepo, map[string]string{"main": commitB}, map[string]map[string]*fakeFile{commitB: want}))
	checkSnapshotContent(t, dir, want)
}

func TestResumedPrefixCorruptIsRestarted(t *testing.T) {
	t.Parallel()
	h, commits := newTinyHub(t)
	shard := commits[commitB]["model-00003-of-00003.safetensors"]
	cache := t.TempDir()
	blobs := filepath.Join(cache, "models--meta-llama--Tiny-Mllama", "blobs")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		t.Fatal(err)
	}
	// A prefix of the right length but wrong bytes: only the hash can tell.
	if err := os.WriteFile(filepath.Join(blobs, shard.sha256+".incomplete"), bytes.Repeat([]byte{0xAB}, 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	dir, err := Resolve(context.Background(), tinyRepo, testOptions(h, cache))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range h.requests() {
		if r.method == "GET" && strings.HasSuffix(r.path, shard.sha256) {
			got = append(got, r.rng)
		}
	}
	if strings.Join(got, "|") != "bytes=4096-|" {
		t.Errorf("GET ranges = %q, want a resume then a full download", got)
	}
	want := pick(commits[commitB], wantFiles)
	checkLayout(t, cache, hfLayout(tinyRepo, map[string]string{"main": commitB}, map[string]map[string]*fakeFile{commitB: want}))
	checkSnapshotContent(t, dir, want)
}

func TestRangeIgnoredByServer(t *testing.T) {
	t.Parallel()
	h, commits := newTinyHub(t)
	shard := commits[commitB]["model-00001-of-00003.safetensors"]
	h.setCut(shard.sha256, 1<<20)
	h.ignoreRange = true // like a CDN answering 200 to a Range request
	cache := t.TempDir()
	dir, err := Resolve(context.Background(), tinyRepo, testOptions(h, cache))
	if err != nil {
		t.Fatal(err)
	}
	want := pick(commits[commitB], wantFiles)
	checkLayout(t, cache, hfLayout(tinyRepo, map[string]string{"main": commitB}, map[string]map[string]*fakeFile{commitB: want}))
	checkSnapshotContent(t, dir, want)
}

func TestCorruptBlobRefetched(t *testing.T) {
	t.Parallel()
	h, commits := newTinyHub(t)
	cache := t.TempDir()
	opts := testOptions(h, cache)
	if _, err := Resolve(context.Background(), tinyRepo, opts); err != nil {
		t.Fatal(err)
	}
	want := pick(commits[commitB], wantFiles)
	layout := hfLayout(tinyRepo, map[string]string{"main": commitB}, map[string]map[string]*fakeFile{commitB: want})
	blobs := filepath.Join(cache, "models--meta-llama--Tiny-Mllama", "blobs")

	cases := []struct {
		name    string
		file    string
		corrupt func(p string) error
		verify  bool
	}{
		{"truncated LFS shard", "model-00002-of-00003.safetensors", func(p string) error { return os.Truncate(p, 1000) }, false},
		{"missing blob (dangling link)", "config.json", os.Remove, false},
		{"flipped byte, same size, LFS", "tokenizer.json", flipByte, true},
		{"flipped byte, same size, git blob", "tokenizer_config.json", flipByte, true},
	}
	for _, tc := range cases {
		f := want[tc.file]
		p := filepath.Join(blobs, f.etag())
		if err := tc.corrupt(p); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		h.resetLog()
		o := opts
		o.Verify = tc.verify
		dir, err := Resolve(context.Background(), tinyRepo, o)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		key := f.sha256
		if !f.lfs {
			key = "/" + tc.file
		}
		if n := countRequests(h.requests(), func(r reqRec) bool { return isGET(r) && strings.HasSuffix(r.path, key) }); n != 1 {
			t.Errorf("%s: %d GETs of %s, want 1 re-fetch", tc.name, n, tc.file)
		}
		if n := countRequests(h.requests(), func(r reqRec) bool { return isGET(r) && !strings.Contains(r.path, "/api/") }); n != 1 {
			t.Errorf("%s: %d content GETs, want only the corrupted file", tc.name, n)
		}
		checkLayout(t, cache, layout)
		checkSnapshotContent(t, dir, want)
	}
}

func flipByte(p string) error {
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	b[len(b)/2] ^= 0x01
	return os.WriteFile(p, b, 0o644)
}

func TestCorruptDownloadRejected(t *testing.T) {
	t.Parallel()
	h := newFakeHub(t)
	commits := tinyCommits(t)
	// The server announces the real etag but serves other bytes of the same size.
	bad := map[string]*fakeFile{}
	for k, v := range commits[commitA] {
		bad[k] = v
	}
	cfg := *bad["config.json"]
	cfg.data = bytes.ToUpper(cfg.data)
	bad["config.json"] = &cfg
	h.addRepo(tinyRepo, &fakeRepo{refs: map[string]string{"main": commitA}, commits: map[string]map[string]*fakeFile{commitA: bad}})
	cache := t.TempDir()
	_, err := Resolve(context.Background(), tinyRepo, testOptions(h, cache))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "config.json") {
		t.Fatalf("err = %v, want ErrCorrupt naming config.json", err)
	}
	tree := readTree(t, cache)
	for k := range tree {
		if strings.Contains(k, cfg.gitSHA1) && !strings.HasSuffix(k, ".lock") {
			t.Errorf("corrupt content left in the cache as %s", k)
		}
	}
}

func TestGatedRepo(t *testing.T) {
	t.Parallel()
	h := newFakeHub(t)
	commits := tinyCommits(t)
	h.addRepo(gatedRepo, &fakeRepo{refs: map[string]string{"main": commitA}, commits: map[string]map[string]*fakeFile{commitA: commits[commitA]},
		gated: true, granted: "hf_granted"})
	for _, tc := range []struct {
		name, token, status string
	}{
		{"no token", "", "HTTP 401"},
		{"token without access", "hf_other", "HTTP 403"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache := t.TempDir()
			opts := testOptions(h, cache)
			opts.Token = tc.token
			_, err := Resolve(context.Background(), gatedRepo, opts)
			if !errors.Is(err, ErrGated) {
				t.Fatalf("err = %v, want ErrGated", err)
			}
			msg := err.Error()
			for _, want := range []string{gatedRepo + " is a gated model", "accept its license at " + h.hub.URL + "/" + gatedRepo, "HF_TOKEN", tc.status} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("message is not one line: %q", msg)
			}
			if _, err := os.Stat(filepath.Join(cache, "models--meta-llama--Gated-Tiny", "snapshots")); err == nil {
				t.Errorf("snapshot written for a refused repo")
			}
		})
	}
	t.Run("granted token", func(t *testing.T) {
		cache := t.TempDir()
		opts := testOptions(h, cache)
		opts.Token = "hf_granted"
		dir, err := Resolve(context.Background(), gatedRepo, opts)
		if err != nil {
			t.Fatal(err)
		}
		checkSnapshotContent(t, dir, pick(commits[commitA], wantFiles))
	})
	t.Run("default page is huggingface.co", func(t *testing.T) {
		// The message names the public page when the endpoint is the default one.
		c, _ := newClient(Options{getenv: noEnv, CacheDir: t.TempDir()})
		rec := httptestResponse(401, "GatedRepo", "Access to model "+gatedRepo+" is restricted.")
		msg := c.httpError(rec, Ref{Repo: gatedRepo, Revision: "main"}, "config.json").Error()
		if !strings.Contains(msg, "https://huggingface.co/"+gatedRepo+" ") {
			t.Errorf("message %q lacks the model page", msg)
		}
	})
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	h, _ := newTinyHub(t)
	for _, tc := range []struct{ spec, want string }{
		{"nobody/nothing", "repository nobody/nothing (revision main) not found"},
		{tinyRepo + "@no-such-branch", `revision "no-such-branch" not found in repository ` + tinyRepo},
		{tinyRepo + "@" + strings.Repeat("0", 40), "not found"},
	} {
		_, err := Resolve(context.Background(), tc.spec, testOptions(h, t.TempDir()))
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want ErrNotFound containing %q", tc.spec, err, tc.want)
		}
	}
}

func TestOfflineMiss(t *testing.T) {
	t.Parallel()
	h, commits := newTinyHub(t)
	cache := t.TempDir()
	opts := testOptions(h, cache)
	opts.Offline = true
	_, err := Resolve(context.Background(), tinyRepo, opts)
	if !errors.Is(err, ErrOffline) {
		t.Fatalf("err = %v, want ErrOffline", err)
	}
	for _, want := range []string{tinyRepo + "@main", "offline", filepath.Join("refs", "main")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}

	// A cache that lacks one shard (e.g. a download killed midway), offline through the env.
	want := pick(commits[commitB], wantFiles)
	materialize(t, cache, hfLayout(tinyRepo, map[string]string{"main": commitB}, map[string]map[string]*fakeFile{commitB: want}))
	shardLink := filepath.Join(cache, "models--meta-llama--Tiny-Mllama", "snapshots", commitB, "model-00002-of-00003.safetensors")
	if err := os.Remove(shardLink); err != nil {
		t.Fatal(err)
	}
	opts = testOptions(h, cache)
	opts.getenv = func(k string) string {
		if k == "HF_HUB_OFFLINE" {
			return "1"
		}
		return ""
	}
	_, err = Resolve(context.Background(), tinyRepo, opts)
	if !errors.Is(err, ErrOffline) {
		t.Fatalf("err = %v, want ErrOffline", err)
	}
	for _, want := range []string{tinyRepo + "@main", "model-00002-of-00003.safetensors"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	var he *Error
	if !errors.As(err, &he) || he.File != "model-00002-of-00003.safetensors" || he.Repo != tinyRepo || he.Revision != "main" {
		t.Errorf("error fields = %+v", he)
	}
	if n := len(h.requests()); n != 0 {
		t.Errorf("offline mode made %d requests", n)
	}
}

// materialize writes a cache tree as huggingface_hub would have (used to pre-build caches
// without the package's own download code).
func materialize(t *testing.T, root string, tree map[string]entry) {
	t.Helper()
	for rel, e := range tree {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case e.link != "":
			err = os.Symlink(e.link, p)
		default:
			err = os.WriteFile(p, e.content, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestOfflineHitPrebuiltCache(t *testing.T) {
	t.Parallel()
	h, commits := newTinyHub(t)
	cache := t.TempDir()
	snaps := map[string]map[string]*fakeFile{
		commitB: pick(commits[commitB], wantFiles),
		commitA: pick(commits[commitA], wantFiles),
	}
	// Python-written cache: refs for main and a tag, two snapshots sharing most blobs.
	tree := hfLayout(tinyRepo, map[string]string{"main": commitB, "v1": commitA}, snaps)
	materialize(t, cache, tree)
	for _, tc := range []struct{ spec, commit string }{
		{tinyRepo, commitB},
		{tinyRepo + "@main", commitB},
		{tinyRepo + "@v1", commitA},
		{tinyRepo + "@" + commitA, commitA},
	} {
		opts := testOptions(h, cache)
		opts.Offline = true
		opts.Verify = true
		dir, err := Resolve(context.Background(), tc.spec, opts)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		if want := filepath.Join(cache, "models--meta-llama--Tiny-Mllama", "snapshots", tc.commit); dir != want {
			t.Errorf("%s: dir = %s, want %s", tc.spec, dir, want)
		}
		checkSnapshotContent(t, dir, snaps[tc.commit])
	}
	if n := len(h.requests()); n != 0 {
		t.Errorf("offline mode made %d requests", n)
	}
	checkLayout(t, cache, tree) // nothing written

	// Verify catches a corrupted blob offline and names the file.
	if err := flipByte(filepath.Join(cache, "models--meta-llama--Tiny-Mllama", "blobs", snaps[commitB]["config.json"].etag())); err != nil {
		t.Fatal(err)
	}
	opts := testOptions(h, cache)
	opts.Offline, opts.Verify = true, true
	_, err := Resolve(context.Background(), tinyRepo, opts)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("err = %v, want ErrCorrupt naming config.json", err)
	}
}

func TestRevisionPinning(t *testing.T) {
	t.Parallel()
	h, commits := newTinyHub(t)
	cache := t.TempDir()
	opts := testOptions(h, cache)
	folder := filepath.Join(cache, "models--meta-llama--Tiny-Mllama")

	// @<commit>: snapshot of that commit, no ref written.
	dir, err := Resolve(context.Background(), tinyRepo+"@"+commitA, opts)
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(folder, "snapshots", commitA) {
		t.Fatalf("dir = %s", dir)
	}
	snaps := map[string]map[string]*fakeFile{commitA: pick(commits[commitA], wantFiles)}
	checkLayout(t, cache, hfLayout(tinyRepo, nil, snaps))
	checkSnapshotContent(t, dir, snaps[commitA])

	// A complete pinned commit needs no network at all.
	h.resetLog()
	if _, err := Resolve(context.Background(), tinyRepo+"@"+commitA, opts); err != nil {
		t.Fatal(err)
	}
	if n := len(h.requests()); n != 0 {
		t.Errorf("pinned complete snapshot made %d requests", n)
	}

	// @v1 (tag -> A): refs/v1 written, nothing re-downloaded.
	h.resetLog()
	if dir, err = Resolve(context.Background(), tinyRepo+"@v1", opts); err != nil || dir != filepath.Join(folder, "snapshots", commitA) {
		t.Fatalf("@v1: %s, %v", dir, err)
	}
	if n := countRequests(h.requests(), func(r reqRec) bool { return isGET(r) && !strings.Contains(r.path, "/api/") }); n != 0 {
		t.Errorf("@v1 transferred %d files already cached", n)
	}
	checkLayout(t, cache, hfLayout(tinyRepo, map[string]string{"v1": commitA}, snaps))

	// @main (branch -> B): only the changed files are transferred; blobs are shared.
	h.resetLog()
	if dir, err = Resolve(context.Background(), tinyRepo+"@main", opts); err != nil || dir != filepath.Join(folder, "snapshots", commitB) {
		t.Fatalf("@main: %s, %v", dir, err)
	}
	var fetched []string
	for _, r := range h.requests() {
		if isGET(r) && !strings.Contains(r.path, "/api/") {
			fetched = append(fetched, filepath.Base(r.path))
		}
	}
	sort.Strings(fetched)
	if strings.Join(fetched, ",") != "README.md,generation_config.json" {
		t.Errorf("@main transferred %q, want only the files that changed", fetched)
	}
	snaps[commitB] = pick(commits[commitB], wantFiles)
	checkLayout(t, cache, hfLayout(tinyRepo, map[string]string{"v1": commitA, "main": commitB}, snaps))
	checkSnapshotContent(t, dir, snaps[commitB])
	a, _ := os.ReadFile(filepath.Join(folder, "snapshots", commitA, "generation_config.json"))
	b, _ := os.ReadFile(filepath.Join(folder, "snapshots", commitB, "generation_config.json"))
	if bytes.Equal(a, b) {
		t.Error("both snapshots show the same generation_config.json")
	}
}

func TestConcurrentResolvers(t *testing.T) {
	t.Parallel()
	h, commits := newTinyHub(t)
	cache := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opts := testOptions(h, cache)
			opts.Workers = 2
			_, errs[i] = Resolve(context.Background(), tinyRepo, opts)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("resolver %d: %v", i, err)
		}
	}
	// Each resolver takes the per-blob flock on its own descriptor (flock(2) treats separate
	// open()s independently, as separate processes), so each blob is transferred once.
	for _, name := range wantFiles {
		f := commits[commitB][name]
		key := f.sha256
		if !f.lfs {
			key = "/" + name
		}
		if n := countRequests(h.requests(), func(r reqRec) bool { return isGET(r) && strings.HasSuffix(r.path, key) }); n != 1 {
			t.Errorf("%s transferred %d times by 3 concurrent resolvers, want 1", name, n)
		}
	}
	want := pick(commits[commitB], wantFiles)
	checkLayout(t, cache, hfLayout(tinyRepo, map[string]string{"main": commitB}, map[string]map[string]*fakeFile{commitB: want}))
}

func TestRenamedRepoRelativeRedirect(t *testing.T) {
	t.Parallel()
	h, commits := newTinyHub(t)
	h.addRepo("old-org/Tiny-Mllama", &fakeRepo{renamed: tinyRepo})
	cache := t.TempDir()
	dir, err := Resolve(context.Background(), "old-org/Tiny-Mllama", testOptions(h, cache))
	if err != nil {
		t.Fatal(err)
	}
	// Cached under the id the user asked for, as huggingface_hub does.
	want := pick(commits[commitB], wantFiles)
	checkLayout(t, cache, hfLayout("old-org/Tiny-Mllama", map[string]string{"main": commitB}, map[string]map[string]*fakeFile{commitB: want}))
	checkSnapshotContent(t, dir, want)
}

func TestUnsafeServerPaths(t *testing.T) {
	t.Parallel()
	fx := fixture(t)
	base := func() map[string]*fakeFile {
		return map[string]*fakeFile{
			"config.json":                      newFakeFile(fx["config.json"], false),
			"model-00003-of-00003.safetensors": newFakeFile(fx["model-00003-of-00003.safetensors"], true),
		}
	}
	withIndex := func(shard string) map[string]*fakeFile {
		m := base()
		m[indexFile] = newFakeFile([]byte(`{"metadata":{},"weight_map":{"a":"`+shard+`"}}`), false)
		return m
	}
	for _, tc := range []struct {
		name  string
		files map[string]*fakeFile
		extra map[string]string
	}{
		{"dotdot sibling", func() map[string]*fakeFile {
			m := base()
			m["../../../../escaped.safetensors"] = newFakeFile([]byte("x"), true)
			return m
		}(), nil},
		{"absolute sibling", func() map[string]*fakeFile {
			m := base()
			m["/tmp/escaped.json"] = newFakeFile([]byte("x"), false)
			return m
		}(), nil},
		{"backslash sibling", func() map[string]*fakeFile {
			m := base()
			m[`..\escaped.safetensors`] = newFakeFile([]byte("x"), true)
			return m
		}(), nil},
		{"dotdot shard in index", withIndex("../escaped.safetensors"), nil},
		{"absolute shard in index", withIndex("/tmp/escaped.safetensors"), nil},
		{"etag with a path", base(), map[string]string{"ETag": `"../../../escaped"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHub(t)
			h.addRepo("evil/repo", &fakeRepo{refs: map[string]string{"main": commitA},
				commits: map[string]map[string]*fakeFile{commitA: tc.files}, extra: tc.extra})
			root := t.TempDir()
			cache := filepath.Join(root, "cache")
			_, err := Resolve(context.Background(), "evil/repo", testOptions(h, cache))
			if !errors.Is(err, ErrUnsafePath) {
				t.Fatalf("err = %v, want ErrUnsafePath", err)
			}
			ents, _ := os.ReadDir(root)
			if len(ents) > 1 || len(ents) == 1 && ents[0].Name() != "cache" {
				t.Errorf("files written outside the cache: %v", ents)
			}
			if len(ents) == 0 {
				return // refused before touching the cache
			}
			for k := range readTree(t, cache) {
				if strings.Contains(k, "escaped") {
					t.Errorf("escaped file written: %s", k)
				}
			}
		})
	}
}

func TestLocalDirectorySpec(t *testing.T) {
	t.Parallel()
	dir := fixtureDir(t)
	got, err := Resolve(context.Background(), dir, Options{getenv: noEnv, Offline: true})
	if err != nil || got != dir {
		t.Fatalf("existing dir: %s, %v", got, err)
	}
	for _, tc := range []struct{ spec, want string }{
		{filepath.Join(dir, "config.json"), "is a file"},
		{"./no-such-model", "model directory does not exist"},
		{"/no/such/model", "model directory does not exist"},
		{"not a repo!", "is not a Hugging Face model id"},
		{"", "empty"},
	} {
		_, err := Resolve(context.Background(), tc.spec, Options{getenv: noEnv, Offline: true, CacheDir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.spec, err, tc.want)
		}
	}
}
