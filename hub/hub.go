package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultEndpoint is the Hub used when neither Options.Endpoint nor HF_ENDPOINT is set.
const DefaultEndpoint = "https://huggingface.co"

// Options controls Resolve. The zero value reads everything from the environment the
// way huggingface_hub does (constants.py): HF_HUB_CACHE / HF_HOME / XDG_CACHE_HOME,
// HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE.
type Options struct {
	// CacheDir overrides the hub cache directory (the directory holding models--org--name).
	CacheDir string
	// Endpoint overrides HF_ENDPOINT, e.g. "https://huggingface.co".
	Endpoint string
	// Token overrides HF_TOKEN. Sent as "Authorization: Bearer <token>" to the endpoint
	// only, never to the CDN a download is redirected to.
	Token string
	// Offline forbids any network access (also set by HF_HUB_OFFLINE=1).
	Offline bool
	// Verify re-hashes blobs already in the cache (sha256 / git sha1) before trusting them.
	// Without it a cached blob is trusted when its size matches the hub's (online) or when
	// it exists (offline / pinned commit already complete).
	Verify bool
	// Patterns replaces the default file selection (see DefaultPatterns). Excluded paths
	// (original/, *.pth, *.bin, *.pt, *.gguf) are never downloaded whatever the patterns.
	Patterns []string
	// Workers bounds parallel HEAD requests and downloads (default 4).
	Workers int
	// Retries is how many times a download cut midway is resumed with a Range request
	// before giving up; the budget is refilled whenever bytes arrive (default 5, as
	// huggingface_hub http_get). Negative means no retry.
	Retries int
	// HTTPClient is used for all requests (default: a client without overall timeout).
	HTTPClient *http.Client
	// Progress, if set, is called (never concurrently) as bytes arrive.
	Progress func(Progress)
	// Warn, if set, receives one-line notices (e.g. falling back to the cache when the
	// Hub cannot be reached).
	Warn func(msg string)

	// getenv replaces os.Getenv in tests.
	getenv func(string) string
	// stall overrides the no-data timeout of a download (tests).
	stall time.Duration
}

// Progress reports download progress of one file and of the whole Resolve call.
type Progress struct {
	File  string // repository path, e.g. "model-00001-of-00005.safetensors"
	Done  int64  // bytes of File on disk (a resumed download starts above 0)
	Total int64  // size of File
	// AllDone and AllTotal cover every file this call downloads; AllTotal grows when the
	// weight shards are planned after the index has been read.
	AllDone, AllTotal int64
}

// Ref is a parsed hub model id.
type Ref struct {
	Repo     string // "org/name" (or a legacy single "name")
	Revision string // branch, tag or 40-hex commit; "main" when not given
}

func (r Ref) String() string { return r.Repo + "@" + r.Revision }

// repoIDRe follows huggingface_hub validate_repo_id (utils/_validators.py): word characters,
// '-', '.', optionally one namespace; "--" and ".." are rejected separately.
var repoIDRe = regexp.MustCompile(`^(?:[\w\-.]+/)?[\w\-.]+$`)

// commitRe is huggingface_hub REGEX_COMMIT_HASH (file_download.py).
var commitRe = regexp.MustCompile(`^[0-9a-f]{40}$`)

// ParseRef parses "org/name[@revision]".
func ParseRef(spec string) (Ref, error) {
	repo, rev, hasRev := strings.Cut(spec, "@")
	if !hasRev {
		rev = "main"
	}
	if len(repo) > 96 || !repoIDRe.MatchString(repo) || strings.Contains(repo, "--") ||
		strings.Contains(repo, "..") || strings.HasPrefix(repo, "-") || strings.HasPrefix(repo, ".") ||
		strings.HasSuffix(repo, ".") || strings.HasSuffix(repo, "-") {
		return Ref{}, fmt.Errorf("%q is not a Hugging Face model id (org/name[@revision])", spec)
	}
	if err := checkRevision(rev); err != nil {
		return Ref{}, fmt.Errorf("%q: %w", spec, err)
	}
	return Ref{Repo: repo, Revision: rev}, nil
}

// checkRevision rejects revisions that would escape refs/ when used as a path there
// (branch names may contain '/', e.g. refs/pr/1).
func checkRevision(rev string) error {
	if rev == "" {
		return errors.New("empty revision")
	}
	if err := checkRelPath(rev); err != nil {
		return fmt.Errorf("bad revision %q: %w", rev, err)
	}
	return nil
}

// Resolve returns a local directory holding the checkpoint named by spec: spec itself if it
// is an existing directory, else the cache snapshot of the hub id spec, downloading what is
// missing. Errors are one line and wrap ErrGated, ErrNotFound, ErrOffline or ErrCorrupt
// where that applies.
func Resolve(ctx context.Context, spec string, opts Options) (string, error) {
	if spec == "" {
		return "", errors.New("empty model id")
	}
	if fi, err := os.Stat(spec); err == nil {
		if !fi.IsDir() {
			return "", fmt.Errorf("%s: is a file, want a model directory or a hub id", spec)
		}
		return spec, nil
	}
	if looksLikePath(spec) {
		return "", fmt.Errorf("%s: model directory does not exist", spec)
	}
	ref, err := ParseRef(spec)
	if err != nil {
		return "", fmt.Errorf("%w, and no directory %s exists", err, spec)
	}
	c, err := newClient(opts)
	if err != nil {
		return "", err
	}
	return c.snapshot(ctx, ref)
}

// looksLikePath reports specs that can only be meant as file system paths.
func looksLikePath(spec string) bool {
	return filepath.IsAbs(spec) || strings.HasPrefix(spec, ".") || strings.HasPrefix(spec, "~") ||
		strings.ContainsRune(spec, '\\') || strings.Count(spec, "/") > 1 && !strings.Contains(spec, "@")
}

// cacheDir is the hub cache directory huggingface_hub would use (constants.py):
// HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE (legacy), else $HF_HOME/hub, else
// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
func cacheDir(getenv func(string) string) (string, error) {
	if d := getenv("HF_HUB_CACHE"); d != "" {
		return expandHome(d, getenv)
	}
	if d := getenv("HUGGINGFACE_HUB_CACHE"); d != "" {
		return expandHome(d, getenv)
	}
	if d := getenv("HF_HOME"); d != "" {
		d, err := expandHome(d, getenv)
		return filepath.Join(d, "hub"), err
	}
	if d := getenv("XDG_CACHE_HOME"); d != "" {
		d, err := expandHome(d, getenv)
		return filepath.Join(d, "huggingface", "hub"), err
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("hub cache: no HF_HUB_CACHE, HF_HOME or home directory: %w", err)
		}
		home = h
	}
	return filepath.Join(home, ".cache", "huggingface", "hub"), nil
}

// expandHome mirrors os.path.expanduser for a leading "~/" (Python applies it to these vars).
func expandHome(p string, getenv func(string) string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p, nil
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("expand %s: %w", p, err)
		}
		home = h
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~")), nil
}

// envTrue is huggingface_hub constants._is_true: "1", "ON", "YES", "TRUE", any case.
func envTrue(v string) bool {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}

type client struct {
	opts     Options
	cache    string
	endpoint string
	token    string
	offline  bool
	httpGet  *http.Client // follows redirects (content)
	httpHead *http.Client // never follows redirects (metadata of the first response)
	workers  int
	retries  int
	stall    time.Duration // a download without data for this long is cut and resumed
	// metaTimeout bounds the listing and each HEAD (huggingface_hub: 10 s etag timeout).
	metaTimeout time.Duration

	pmu               sync.Mutex // serialises Progress calls and the totals below
	allDone, allTotal int64
}

func newClient(opts Options) (*client, error) {
	getenv := opts.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	c := &client{opts: opts, cache: opts.CacheDir, endpoint: opts.Endpoint, token: opts.Token}
	if c.cache == "" {
		d, err := cacheDir(getenv)
		if err != nil {
			return nil, err
		}
		c.cache = d
	}
	if c.endpoint == "" {
		c.endpoint = getenv("HF_ENDPOINT")
	}
	if c.endpoint == "" {
		c.endpoint = DefaultEndpoint
	}
	c.endpoint = strings.TrimRight(c.endpoint, "/")
	if c.token == "" {
		c.token = getenv("HF_TOKEN")
	}
	if c.token == "" {
		c.token = getenv("HUGGING_FACE_HUB_TOKEN") // legacy name, still read by huggingface_hub
	}
	c.offline = opts.Offline || envTrue(getenv("HF_HUB_OFFLINE")) || envTrue(getenv("TRANSFORMERS_OFFLINE"))
	base := opts.HTTPClient
	if base == nil {
		base = &http.Client{} // no overall timeout: shards take minutes; stalls are watched per read
	}
	// huggingface_hub's knobs (constants.py) are honoured when set, in seconds; the defaults
	// are more patient than its 10 s because a stall is resumed, not fatal.
	c.stall = opts.stall
	if c.stall <= 0 {
		c.stall = envSeconds(getenv("HF_HUB_DOWNLOAD_TIMEOUT"), 60*time.Second)
	}
	c.metaTimeout = envSeconds(getenv("HF_HUB_ETAG_TIMEOUT"), 30*time.Second)
	c.httpGet = base
	h := *base
	h.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.httpHead = &h
	c.workers = opts.Workers
	if c.workers <= 0 {
		c.workers = 4
	}
	c.retries = opts.Retries
	if c.retries == 0 {
		c.retries = 5
	}
	if c.retries < 0 {
		c.retries = 0
	}
	return c, nil
}

func (c *client) warn(format string, args ...any) {
	if c.opts.Warn != nil {
		c.opts.Warn(fmt.Sprintf(format, args...))
	}
}

// addTotal grows the overall byte total announced to Progress.
func (c *client) addTotal(n, done int64) {
	c.pmu.Lock()
	c.allTotal += n
	c.allDone += done
	c.pmu.Unlock()
}

// progress records delta new bytes of file and calls the callback.
func (c *client) progress(file string, done, total, delta int64) {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	c.allDone += delta
	if c.opts.Progress != nil {
		c.opts.Progress(Progress{File: file, Done: done, Total: total, AllDone: c.allDone, AllTotal: c.allTotal})
	}
}

// envSeconds parses a positive number of seconds (fractions allowed), else returns def.
func envSeconds(v string, def time.Duration) time.Duration {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f <= 0 || f > 1e6 {
		return def
	}
	return time.Duration(f * float64(time.Second))
}
