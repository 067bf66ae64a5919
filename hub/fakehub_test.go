package hub

// An in-process Hugging Face Hub speaking the protocol huggingface_hub relies on
// (file_download.py get_hf_file_metadata / http_get, hf_api.py model_info, utils/_http.py
// hf_raise_for_status): model info with siblings and sha; HEAD/GET resolve URLs with
// X-Repo-Commit, ETag (git blob sha1) for regular files and a 302 to a separate CDN server
// with X-Linked-Etag (sha256) / X-Linked-Size for LFS files; Range; X-Error-Code errors for
// gated, missing repos, revisions and entries; connections cut midway on demand.

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ct2go/ct2go/internal/testfix"
)

type fakeFile struct {
	data    []byte
	lfs     bool
	sha256  string
	gitSHA1 string // git blob id of the content (regular files) or of the LFS pointer (LFS files)
}

// testGitBlobSHA1 is git's object id of a blob, written independently of the package's hasher.
func testGitBlobSHA1(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func testSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func newFakeFile(data []byte, lfs bool) *fakeFile {
	f := &fakeFile{data: data, lfs: lfs, sha256: testSHA256(data)}
	if lfs {
		// The git blob of an LFS file is its pointer (git-lfs spec); the Hub's plain ETag for
		// it is that pointer's id, which is why clients must prefer X-Linked-Etag.
		ptr := fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", f.sha256, len(data))
		f.gitSHA1 = testGitBlobSHA1([]byte(ptr))
	} else {
		f.gitSHA1 = testGitBlobSHA1(data)
	}
	return f
}

// etag is the blob name huggingface_hub stores the file under.
func (f *fakeFile) etag() string {
	if f.lfs {
		return f.sha256
	}
	return f.gitSHA1
}

type fakeRepo struct {
	refs    map[string]string               // branch/tag -> commit
	commits map[string]map[string]*fakeFile // commit -> path -> file
	gated   bool
	granted string            // token that may read a gated repo
	renamed string            // non-empty: this id redirects (307, relative) to renamed
	extra   map[string]string // extra headers on resolve responses (tests of bad servers)
}

type reqRec struct {
	server, method, path, rng, auth string
}

type fakeHub struct {
	hub, cdn *httptest.Server

	mu          sync.Mutex
	repos       map[string]*fakeRepo
	blobs       map[string]*fakeFile // sha256 -> LFS file, served by the CDN
	log         []reqRec
	cut         map[string]int64 // path (relative to repo for regular files, sha256 for LFS) -> bytes before the cut, once
	stall       map[string]int64 // same keys -> bytes before the response hangs (until the client gives up), once
	ignoreRange bool
}

func newFakeHub(t testing.TB) *fakeHub {
	t.Helper()
	h := &fakeHub{repos: map[string]*fakeRepo{}, blobs: map[string]*fakeFile{}, cut: map[string]int64{}, stall: map[string]int64{}}
	h.hub = httptest.NewServer(http.HandlerFunc(h.serveHub))
	h.cdn = httptest.NewServer(http.HandlerFunc(h.serveCDN))
	t.Cleanup(func() { h.hub.Close(); h.cdn.Close() })
	return h
}

func (h *fakeHub) addRepo(id string, r *fakeRepo) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.repos[id] = r
	for _, files := range r.commits {
		for _, f := range files {
			if f.lfs {
				h.blobs[f.sha256] = f
			}
		}
	}
}

func (h *fakeHub) record(server string, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.log = append(h.log, reqRec{server: server, method: r.Method, path: r.URL.EscapedPath(),
		rng: r.Header.Get("Range"), auth: r.Header.Get("Authorization")})
}

func (h *fakeHub) requests() []reqRec {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]reqRec(nil), h.log...)
}

func (h *fakeHub) resetLog() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.log = nil
}

func (h *fakeHub) setCut(key string, n int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cut[key] = n
}

func hubError(w http.ResponseWriter, status int, code, msg string) {
	if code != "" {
		w.Header().Set("X-Error-Code", code)
	}
	w.Header().Set("X-Error-Message", msg)
	http.Error(w, msg, status)
}

// lookupRev resolves a branch, tag or full commit.
func (r *fakeRepo) lookupRev(rev string) (string, bool) {
	if _, ok := r.commits[rev]; ok {
		return rev, true
	}
	c, ok := r.refs[rev]
	return c, ok
}

func (h *fakeHub) serveHub(w http.ResponseWriter, req *http.Request) {
	h.record("hub", req)
	p := req.URL.EscapedPath()
	if rest, ok := strings.CutPrefix(p, "/api/models/"); ok {
		repoID, rawRev, ok := strings.Cut(rest, "/revision/")
		if !ok {
			http.NotFound(w, req)
			return
		}
		h.serveInfo(w, req, repoID, rawRev)
		return
	}
	repoID, rest, ok := strings.Cut(strings.TrimPrefix(p, "/"), "/resolve/")
	if !ok {
		http.NotFound(w, req)
		return
	}
	rawRev, rawFile, ok := strings.Cut(rest, "/")
	if !ok {
		http.NotFound(w, req)
		return
	}
	rev, err1 := url.PathUnescape(rawRev)
	file, err2 := url.PathUnescape(rawFile)
	if err1 != nil || err2 != nil {
		http.Error(w, "bad escape", 400)
		return
	}
	h.mu.Lock()
	repo := h.repos[repoID]
	h.mu.Unlock()
	if repo == nil {
		hubError(w, 401, "RepoNotFound", "Repository not found")
		return
	}
	if repo.renamed != "" {
		w.Header().Set("Location", "/"+repo.renamed+"/resolve/"+rawRev+"/"+rawFile)
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	if repo.gated {
		auth := req.Header.Get("Authorization")
		switch {
		case auth == "":
			hubError(w, 401, "GatedRepo", "Access to model "+repoID+" is restricted. You must have access to it and be authenticated to access it. Please log in.")
			return
		case auth != "Bearer "+repo.granted:
			hubError(w, 403, "GatedRepo", "Access to model "+repoID+" is restricted and you are not in the authorized list. Visit https://huggingface.co/"+repoID+" to ask for access.")
			return
		}
	}
	commit, ok := repo.lookupRev(rev)
	if !ok {
		hubError(w, 404, "RevisionNotFound", "Invalid rev id: "+rev)
		return
	}
	f := repo.commits[commit][file]
	w.Header().Set("X-Repo-Commit", commit)
	if f == nil {
		hubError(w, 404, "EntryNotFound", "Entry not found")
		return
	}
	w.Header().Set("ETag", `"`+f.gitSHA1+`"`)
	for k, v := range repo.extra {
		w.Header().Set(k, v)
	}
	if f.lfs {
		w.Header().Set("X-Linked-Etag", `"`+f.sha256+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(f.data)))
		w.Header().Set("Location", h.cdn.URL+"/repos/"+f.sha256[:2]+"/"+f.sha256+"?X-Amz-Signature=fake&response-content-disposition=inline")
		w.WriteHeader(http.StatusFound)
		return
	}
	h.serveBytes(w, req, file, f.data)
}

func (h *fakeHub) serveInfo(w http.ResponseWriter, req *http.Request, repoID, rawRev string) {
	rev, err := url.PathUnescape(rawRev)
	if err != nil {
		http.Error(w, "bad escape", 400)
		return
	}
	h.mu.Lock()
	repo := h.repos[repoID]
	h.mu.Unlock()
	if repo == nil {
		hubError(w, 401, "RepoNotFound", "Repository not found")
		return
	}
	if repo.renamed != "" {
		w.Header().Set("Location", "/api/models/"+repo.renamed+"/revision/"+rawRev)
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	commit, ok := repo.lookupRev(rev)
	if !ok {
		hubError(w, 404, "RevisionNotFound", "Invalid rev id: "+rev)
		return
	}
	type sib struct {
		RFilename string `json:"rfilename"`
	}
	var names []string
	for n := range repo.commits[commit] {
		names = append(names, n)
	}
	sort.Strings(names)
	sibs := []sib{}
	for _, n := range names {
		sibs = append(sibs, sib{n})
	}
	gated := any(false)
	if repo.gated {
		gated = "manual"
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"_id": "fake", "id": repoID, "modelId": repoID, "private": false, "gated": gated,
		"sha": commit, "siblings": sibs, "library_name": "transformers",
	})
}

func (h *fakeHub) serveCDN(w http.ResponseWriter, req *http.Request) {
	h.record("cdn", req)
	sha := filepath.Base(req.URL.Path)
	h.mu.Lock()
	f := h.blobs[sha]
	h.mu.Unlock()
	if f == nil || req.URL.Query().Get("X-Amz-Signature") == "" {
		http.Error(w, "AccessDenied", 403)
		return
	}
	w.Header().Set("ETag", `"`+sha+`"`)
	h.serveBytes(w, req, sha, f.data)
}

// serveBytes answers GET (with an optional "bytes=N-" Range) or HEAD for data, cutting the
// connection after the configured number of bytes once.
func (h *fakeHub) serveBytes(w http.ResponseWriter, req *http.Request, key string, data []byte) {
	start := 0
	status := http.StatusOK
	h.mu.Lock()
	ignore := h.ignoreRange
	cut, doCut := h.cut[key]
	if doCut && req.Method == http.MethodGet {
		delete(h.cut, key)
	}
	stall, doStall := h.stall[key]
	if doStall && req.Method == http.MethodGet {
		delete(h.stall, key)
	}
	h.mu.Unlock()
	if rng := req.Header.Get("Range"); rng != "" && !ignore {
		s, ok := strings.CutPrefix(rng, "bytes=")
		s, ok2 := strings.CutSuffix(s, "-")
		n, err := strconv.Atoi(s)
		if !ok || !ok2 || err != nil || n < 0 || n >= len(data) {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", len(data)))
			http.Error(w, "bad range", http.StatusRequestedRangeNotSatisfiable)
			return
		}
		start, status = n, http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", n, len(data)-1, len(data)))
	}
	body := data[start:]
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Accept-Ranges", "bytes")
	w.WriteHeader(status)
	if req.Method == http.MethodHead {
		return
	}
	if doStall && stall < int64(len(body)) {
		w.Write(body[:stall])
		w.(http.Flusher).Flush()
		<-req.Context().Done() // hang until the client drops the connection
		return
	}
	if doCut && cut < int64(len(body)) {
		w.Write(body[:cut])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // closes the connection mid-body
	}
	w.Write(body)
}

// ---- fixture repository ----

var (
	fixtureOnce  sync.Once
	fixtureFiles map[string][]byte
	fixtureErr   error
)

// fixtureDir is ../shared/fixtures/tiny-mllama; the test fails when it is missing.
func fixtureDir(t testing.TB) string {
	t.Helper()
	return testfix.Path(t, "tiny-mllama")
}

func fixture(t testing.TB) map[string][]byte {
	t.Helper()
	dir := fixtureDir(t)
	fixtureOnce.Do(func() {
		ents, err := os.ReadDir(dir)
		if err != nil {
			fixtureErr = err
			return
		}
		fixtureFiles = map[string][]byte{}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				fixtureErr = err
				return
			}
			fixtureFiles[e.Name()] = b
		}
	})
	if fixtureErr != nil {
		t.Fatalf("read fixture: %v", fixtureErr)
	}
	if len(fixtureFiles) < 10 || fixtureFiles["config.json"] == nil || fixtureFiles[indexFile] == nil {
		t.Fatalf("fixture %s is incomplete (%d files)", dir, len(fixtureFiles))
	}
	return fixtureFiles
}

const (
	tinyRepo  = "meta-llama/Tiny-Mllama"
	gatedRepo = "meta-llama/Gated-Tiny"
)

var (
	commitA = testGitBlobSHA1([]byte("commit A"))
	commitB = testGitBlobSHA1([]byte("commit B"))
)

// isLFS follows the real repo's .gitattributes: weights and tokenizer.json are LFS.
func isLFSName(name string) bool {
	return strings.HasSuffix(name, ".safetensors") || strings.HasSuffix(name, ".pth") ||
		strings.HasSuffix(name, ".bin") || strings.HasSuffix(name, ".gguf") || name == "tokenizer.json"
}

// tinyCommits returns commit A (the fixture plus files conversion must not fetch) and commit
// B (A with a new generation_config.json and README.md): main -> B, tag v1 -> A.
func tinyCommits(t testing.TB) map[string]map[string]*fakeFile {
	fx := fixture(t)
	a := map[string]*fakeFile{}
	for name, data := range fx {
		a[name] = newFakeFile(data, isLFSName(name))
	}
	extra := map[string][]byte{
		".gitattributes":            []byte("*.safetensors filter=lfs diff=lfs merge=lfs -text\ntokenizer.json filter=lfs diff=lfs merge=lfs -text\n"),
		"README.md":                 []byte("---\nlicense: llama3.2\n---\n# Tiny-Mllama\n"),
		"USE_POLICY.md":             []byte("# Llama 3.2 Acceptable Use Policy (test copy)\n"),
		"original/consolidated.pth": []byte(strings.Repeat("pickled weights ", 64)),
		"original/params.json":      []byte(`{"dim": 64}`),
		"pytorch_model.bin":         []byte(strings.Repeat("bin", 100)),
		"model.gguf":                []byte("GGUF...."),
		"onnx/model.onnx":           []byte("onnx"),
	}
	for name, data := range extra {
		a[name] = newFakeFile(data, isLFSName(name))
	}
	b := map[string]*fakeFile{}
	for k, v := range a {
		b[k] = v
	}
	b["generation_config.json"] = newFakeFile([]byte(strings.Replace(string(fx["generation_config.json"]), "0.6", "0.7", 1)), false)
	b["README.md"] = newFakeFile([]byte("---\nlicense: llama3.2\n---\n# Tiny-Mllama (v2)\n"), false)
	return map[string]map[string]*fakeFile{commitA: a, commitB: b}
}

// wantFiles is what conversion needs from the tiny repo (written out, not derived from
// DefaultPatterns, so a selection bug shows up).
var wantFiles = []string{
	"LICENSE", "NOTICE", "README.md", "USE_POLICY.md", "chat_template.json", "config.json",
	"generation_config.json", "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
	"model-00003-of-00003.safetensors", "model.safetensors.index.json", "special_tokens_map.json",
	"tokenizer.json", "tokenizer_config.json",
}

func newTinyHub(t testing.TB) (*fakeHub, map[string]map[string]*fakeFile) {
	h := newFakeHub(t)
	commits := tinyCommits(t)
	h.addRepo(tinyRepo, &fakeRepo{refs: map[string]string{"main": commitB, "v1": commitA}, commits: commits})
	return h, commits
}
