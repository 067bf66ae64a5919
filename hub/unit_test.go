package hub

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func httptestResponse(status int, code, msg string) *http.Response {
	h := http.Header{}
	if code != "" {
		h.Set("X-Error-Code", code)
	}
	h.Set("X-Error-Message", msg)
	u, _ := url.Parse("https://huggingface.co/x")
	return &http.Response{StatusCode: status, Header: h, Request: &http.Request{Method: "HEAD", URL: u}}
}

func TestParseRef(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		spec      string
		repo, rev string
		bad       bool
	}{
		{spec: "meta-llama/Llama-3.2-11B-Vision-Instruct", repo: "meta-llama/Llama-3.2-11B-Vision-Instruct", rev: "main"},
		{spec: "org/name@v1.0", repo: "org/name", rev: "v1.0"},
		{spec: "org/name@refs/pr/1", repo: "org/name", rev: "refs/pr/1"},
		{spec: "gpt2", repo: "gpt2", rev: "main"},
		{spec: "org/name@" + strings.Repeat("a", 40), repo: "org/name", rev: strings.Repeat("a", 40)},
		{spec: "org/na--me", bad: true},
		{spec: "org/../name", bad: true},
		{spec: "org/name/extra", bad: true},
		{spec: "org/name@", bad: true},
		{spec: "org/name@../../etc", bad: true},
		{spec: "org/name@/abs", bad: true},
		{spec: "-org/name", bad: true},
		{spec: "org/name.", bad: true},
		{spec: "org name/x", bad: true},
		{spec: strings.Repeat("a", 50) + "/" + strings.Repeat("b", 50), bad: true},
	} {
		r, err := ParseRef(tc.spec)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseRef(%q) = %+v, want error", tc.spec, r)
			}
			continue
		}
		if err != nil || r.Repo != tc.repo || r.Revision != tc.rev {
			t.Errorf("ParseRef(%q) = %+v, %v; want %s @ %s", tc.spec, r, err, tc.repo, tc.rev)
		}
	}
}

func TestCacheDirFromEnv(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"HF_HUB_CACHE wins", map[string]string{"HF_HUB_CACHE": "/a", "HF_HOME": "/b", "HOME": "/h"}, "/a"},
		{"legacy HUGGINGFACE_HUB_CACHE", map[string]string{"HUGGINGFACE_HUB_CACHE": "/l", "HF_HOME": "/b"}, "/l"},
		{"HF_HOME/hub", map[string]string{"HF_HOME": "/b", "XDG_CACHE_HOME": "/x"}, "/b/hub"},
		{"XDG_CACHE_HOME", map[string]string{"XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/x/huggingface/hub"},
		{"home default", map[string]string{"HOME": "/h"}, "/h/.cache/huggingface/hub"},
		{"tilde expanded", map[string]string{"HF_HOME": "~/hf", "HOME": "/h"}, "/h/hf/hub"},
	} {
		got, err := cacheDir(func(k string) string { return tc.env[k] })
		if err != nil || got != filepath.FromSlash(tc.want) {
			t.Errorf("%s: cacheDir = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestEnvDefaults(t *testing.T) {
	t.Parallel()
	env := map[string]string{"HF_ENDPOINT": "https://mirror.example/", "HF_TOKEN": "hf_x", "HF_HUB_OFFLINE": "yes", "HF_HOME": "/b"}
	c, err := newClient(Options{getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if c.endpoint != "https://mirror.example" || c.token != "hf_x" || !c.offline || c.cache != filepath.FromSlash("/b/hub") {
		t.Errorf("client from env: endpoint %q token %q offline %v cache %q", c.endpoint, c.token, c.offline, c.cache)
	}
	c, _ = newClient(Options{getenv: noEnv, CacheDir: "/c"})
	if c.endpoint != DefaultEndpoint || c.token != "" || c.offline || c.stall != 60*time.Second || c.metaTimeout != 30*time.Second {
		t.Errorf("defaults: endpoint %q token %q offline %v stall %v meta %v", c.endpoint, c.token, c.offline, c.stall, c.metaTimeout)
	}
	env = map[string]string{"HF_HUB_DOWNLOAD_TIMEOUT": "2.5", "HF_HUB_ETAG_TIMEOUT": "7", "HUGGING_FACE_HUB_TOKEN": "hf_legacy"}
	c, _ = newClient(Options{getenv: func(k string) string { return env[k] }, CacheDir: "/c"})
	if c.stall != 2500*time.Millisecond || c.metaTimeout != 7*time.Second || c.token != "hf_legacy" {
		t.Errorf("timeouts from env: stall %v meta %v token %q", c.stall, c.metaTimeout, c.token)
	}
	for v, want := range map[string]bool{"1": true, "ON": true, "true": true, "Yes": true, "0": false, "": false, "no": false} {
		if envTrue(v) != want {
			t.Errorf("envTrue(%q) = %v", v, !want)
		}
	}
}

func TestLinkTarget(t *testing.T) {
	t.Parallel()
	// huggingface_hub: os.path.relpath(blob, dirname(pointer)).
	for _, tc := range []struct{ file, want string }{
		{"config.json", "../../blobs/E"},
		{"sub/config.json", "../../../blobs/E"},
		{"a/b/c.json", "../../../../blobs/E"},
	} {
		if got := linkTarget(tc.file, "E"); got != tc.want {
			t.Errorf("linkTarget(%q) = %q, want %q", tc.file, got, tc.want)
		}
		storage := filepath.Join("/cache", "models--o--n")
		pointer := filepath.Join(storage, "snapshots", "C", filepath.FromSlash(tc.file))
		rel, _ := filepath.Rel(filepath.Dir(pointer), filepath.Join(storage, "blobs", "E"))
		if filepath.ToSlash(rel) != tc.want {
			t.Errorf("relpath for %q = %q, want %q", tc.file, rel, tc.want)
		}
	}
}

func TestNestedFileLayout(t *testing.T) {
	t.Parallel()
	h := newFakeHub(t)
	fx := fixture(t)
	files := map[string]*fakeFile{
		"config.json":                      newFakeFile(fx["config.json"], false),
		"model-00003-of-00003.safetensors": newFakeFile(fx["model-00003-of-00003.safetensors"], true),
		"extra/deep/tokenizer.json":        newFakeFile([]byte(`{"x":1}`), false),
		"original/params.json":             newFakeFile([]byte(`{}`), false),
	}
	h.addRepo("org/nested", &fakeRepo{refs: map[string]string{"main": commitA}, commits: map[string]map[string]*fakeFile{commitA: files}})
	cache := t.TempDir()
	opts := testOptions(h, cache)
	opts.Patterns = []string{"config.json", "*.safetensors", "extra/*/*.json", "original/*"}
	dir, err := Resolve(t.Context(), "org/nested", opts)
	if err != nil {
		t.Fatal(err)
	}
	want := pick(files, []string{"config.json", "model-00003-of-00003.safetensors", "extra/deep/tokenizer.json"})
	checkLayout(t, cache, hfLayout("org/nested", map[string]string{"main": commitA}, map[string]map[string]*fakeFile{commitA: want}))
	checkSnapshotContent(t, dir, want)
}

func TestSelectFiles(t *testing.T) {
	t.Parallel()
	siblings := []string{
		".gitattributes", "LICENSE", "LICENSE.txt", "NOTICE", "README.md", "USE_POLICY.md",
		"chat_template.jinja", "chat_template.json", "config.json", "consolidated.safetensors",
		"generation_config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
		"model.safetensors.index.json", "original/consolidated.00.pth", "original/params.json",
		"original/tokenizer.model", "preprocessor_config.json", "pytorch_model.bin", "model.gguf",
		"special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "sub/config.json", "weights.pt",
	}
	got, err := selectFiles(siblings, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "LICENSE,LICENSE.txt,NOTICE,README.md,USE_POLICY.md,chat_template.jinja,chat_template.json,config.json," +
		"consolidated.safetensors,generation_config.json,model-00001-of-00002.safetensors,model-00002-of-00002.safetensors," +
		"model.safetensors.index.json,special_tokens_map.json,tokenizer.json,tokenizer_config.json"
	if strings.Join(got, ",") != want {
		t.Errorf("selectFiles =\n%s\nwant\n%s", strings.Join(got, ","), want)
	}
	// Custom patterns never reach excluded paths.
	got, _ = selectFiles(siblings, []string{"original/*", "*.bin", "*.pt", "*.gguf", "*.pth"})
	if len(got) != 0 {
		t.Errorf("excluded files selected: %q", got)
	}
	// The index decides the shards: consolidated.safetensors is not downloaded.
	listed := map[string]bool{}
	for _, s := range siblings {
		listed[s] = true
	}
	shards, err := selectShards(map[string]string{"a": "model-00002-of-00002.safetensors", "b": "model-00001-of-00002.safetensors",
		"c": "model-00001-of-00002.safetensors"}, listed)
	if err != nil || strings.Join(shards, ",") != "model-00001-of-00002.safetensors,model-00002-of-00002.safetensors" {
		t.Errorf("selectShards = %q, %v", shards, err)
	}
	for _, bad := range []string{"missing.safetensors", "pytorch_model.bin", "../x.safetensors", "original/x.safetensors"} {
		if _, err := selectShards(map[string]string{"a": bad}, listed); err == nil {
			t.Errorf("selectShards accepted %q", bad)
		}
	}
}

func TestCheckRelPath(t *testing.T) {
	t.Parallel()
	for p, ok := range map[string]bool{
		"config.json": true, "a/b.json": true, "..a": true, "a..b/c": true,
		"": false, "/etc/passwd": false, "../x": false, "a/../../x": false, "a//b": false, "./a": false,
		`a\..\b`: false, "C:x": false, "a/": false, "a\x00b": false, "..": false,
	} {
		if err := checkRelPath(p); (err == nil) != ok {
			t.Errorf("checkRelPath(%q) = %v, want ok=%v", p, err, ok)
		}
	}
}

func TestNormalizeEtag(t *testing.T) {
	t.Parallel()
	// huggingface_hub _normalize_etag: both weak and strong forms.
	for in, want := range map[string]string{`"abc"`: "abc", `W/"abc"`: "abc", "abc": "abc", ` "abc" `: "abc"} {
		if got := normalizeEtag(in); got != want {
			t.Errorf("normalizeEtag(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBlobHashGolden anchors the hashes against `git hash-object` and `sha256sum` run on the
// fixture files (values recorded when the test was written).
func TestBlobHashGolden(t *testing.T) {
	t.Parallel()
	dir := fixtureDir(t)
	for _, tc := range []struct{ file, etag string }{
		{"config.json", "42fa2eccdfdfad5d3a18bcf19fe9286b670ffe50"},
		{"NOTICE", "1bce1ca84c0c5b50216b1e2c825753bc6f400ad4"},
		{"generation_config.json", "e6cbc295a86146854728783587588860524a1f2f"},
		{"config.json", "cae0f7984d5683f3d43ff87f8da2211e6af2bb494122da3e1853d29c8c5d7794"},
		{"model-00003-of-00003.safetensors", "a0630181508fdc12f20ba511fb973e39ae49fe7c8cc1d633016c85ad3a48964a"},
	} {
		b, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		h := newHasher(tc.etag, int64(len(b)))
		h.Write(b)
		if got := hex.EncodeToString(h.Sum(nil)); got != tc.etag {
			t.Errorf("%s: hash %s, want %s", tc.file, got, tc.etag)
		}
		if err := checkBlob(filepath.Join(dir, tc.file), tc.etag, int64(len(b)), true); err != nil {
			t.Errorf("checkBlob(%s): %v", tc.file, err)
		}
	}
	if err := checkBlob(filepath.Join(dir, "NOTICE"), "42fa2eccdfdfad5d3a18bcf19fe9286b670ffe50", -1, true); err == nil {
		t.Error("checkBlob accepted a file under another blob's name")
	}
}

func TestHTTPErrorClassification(t *testing.T) {
	t.Parallel()
	c, _ := newClient(Options{getenv: noEnv, CacheDir: "/c"})
	ref := Ref{Repo: "org/name", Revision: "main"}
	for _, tc := range []struct {
		status    int
		code, msg string
		kind      error
		contains  string
	}{
		{401, "GatedRepo", "Access to model org/name is restricted.", ErrGated, "accept its license at https://huggingface.co/org/name"},
		{403, "", "Access to model org/name is restricted and you are not in the authorized list.", ErrGated, "HF_TOKEN"},
		{401, "RepoNotFound", "Repository not found", ErrNotFound, "repository org/name (revision main) not found"},
		{404, "RevisionNotFound", "Invalid rev id: main", ErrNotFound, `revision "main" not found`},
		{404, "EntryNotFound", "Entry not found", ErrNotFound, "config.json: file not found"},
		{401, "", "Invalid credentials in Authorization header", nil, "HF_TOKEN was rejected"},
		{500, "", "boom", nil, "HTTP 500: boom"},
	} {
		err := c.httpError(httptestResponse(tc.status, tc.code, tc.msg), ref, "config.json")
		if err.Kind != tc.kind || !strings.Contains(err.Error(), tc.contains) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%d %s: %v (kind %v), want kind %v containing %q", tc.status, tc.code, err, err.Kind, tc.kind, tc.contains)
		}
	}
}
