package hub

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// netError is a failure to talk to the server at all (DNS, connect, reset, timeout).
type netError struct {
	what string
	err  error
}

func (e *netError) Error() string { return e.what + ": " + e.err.Error() }
func (e *netError) Unwrap() error { return e.err }

// snapshot resolves ref to snapshots/<commit>, downloading as needed.
func (c *client) snapshot(ctx context.Context, ref Ref) (string, error) {
	if c.offline {
		dir, err := c.local(ref)
		if err != nil {
			return "", c.offlineError(ref, err)
		}
		return dir, nil
	}
	// A commit is immutable: a complete snapshot needs no network (huggingface_hub
	// hf_hub_download returns the pointer path directly in that case).
	if commitRe.MatchString(ref.Revision) {
		if dir, err := c.local(ref); err == nil {
			return dir, nil
		}
	}
	dir, err := c.online(ctx, ref)
	if err != nil && ctx.Err() == nil && fallbackable(err) {
		// As huggingface_hub (_snapshot_download.py): when the Hub cannot be asked (no
		// connection, 5xx, or a 401/403 for a repo cached earlier), use a complete cached copy.
		if d, lerr := c.local(ref); lerr == nil {
			c.warn("%s: using the cached snapshot (%v)", ref, err)
			return d, nil
		} else if _, isNet := errors.AsType[*netError](err); isNet {
			return "", fmt.Errorf("%w; the cache has no complete copy of %s (%v)", err, ref, lerr)
		}
	}
	return dir, err
}

func fallbackable(err error) bool {
	if _, ok := errors.AsType[*netError](err); ok {
		return true
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Status >= 500 || e.Status == 401 || e.Status == 403 || e.Status == 429
	}
	return false
}

// local returns the cached snapshot dir for ref without any network access.
func (c *client) local(ref Ref) (string, error) {
	storage := c.storage(ref)
	commit := ref.Revision
	if !commitRe.MatchString(commit) {
		var err error
		if commit, err = readRef(storage, ref.Revision); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("revision %s was never downloaded (no %s)", ref.Revision,
					filepath.Join(storage, "refs", filepath.FromSlash(ref.Revision)))
			}
			return "", err
		}
	}
	if err := checkSnapshot(storage, commit, c.opts.Patterns, c.opts.Verify); err != nil {
		return "", err
	}
	return filepath.Join(storage, "snapshots", commit), nil
}

func (c *client) offlineError(ref Ref, err error) error {
	e := &Error{Kind: ErrOffline, Repo: ref.Repo, Revision: ref.Revision}
	if errors.Is(err, ErrCorrupt) {
		e.Kind = ErrCorrupt
	}
	if m, ok := errors.AsType[errMissing](err); ok {
		e.File = m.file
		e.Msg = fmt.Sprintf("%s: offline mode (HF_HUB_OFFLINE) and %s is not in the cache %s", ref, m.file, c.storage(ref))
		return e
	}
	e.Msg = fmt.Sprintf("%s: offline mode (HF_HUB_OFFLINE) and %v", ref, err)
	return e
}

type modelInfo struct {
	SHA      string `json:"sha"`
	Siblings []struct {
		RFilename string `json:"rfilename"`
	} `json:"siblings"`
}

func (c *client) newRequest(ctx context.Context, method, u string, auth bool) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "ct2go")
	// identity: the sizes in the headers must be the real file sizes (huggingface_hub
	// get_hf_file_metadata sets the same).
	req.Header.Set("Accept-Encoding", "identity")
	if auth && c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// modelInfo is GET {endpoint}/api/models/{repo}/revision/{rev} (huggingface_hub
// HfApi.model_info, hf_api.py; the revision is quoted with no safe characters).
func (c *client) modelInfo(ctx context.Context, ref Ref) (*modelInfo, error) {
	u := c.endpoint + "/api/models/" + ref.Repo + "/revision/" + url.PathEscape(ref.Revision)
	ctx, cancel := context.WithTimeout(ctx, c.metaTimeout)
	defer cancel()
	req, err := c.newRequest(ctx, http.MethodGet, u, true)
	if err != nil {
		return nil, err
	}
	resp, err := c.httpGet.Do(req)
	if err != nil {
		return nil, &netError{what: "list " + ref.String() + " on " + c.endpoint, err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, c.httpError(resp, ref, "")
	}
	var info modelInfo
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&info); err != nil {
		return nil, fmt.Errorf("%s: model info from %s: %w", ref, c.endpoint, err)
	}
	if !commitRe.MatchString(info.SHA) {
		return nil, fmt.Errorf("%s: model info from %s has no commit sha (got %q)", ref, c.endpoint, info.SHA)
	}
	if commitRe.MatchString(ref.Revision) && info.SHA != ref.Revision {
		return nil, fmt.Errorf("%s: the Hub resolved commit %s to %s", ref, ref.Revision, info.SHA)
	}
	return &info, nil
}

// online lists the repository at ref, fetches the selected files into the cache and returns
// snapshots/<commit>. Files are fetched by commit, not by branch name, so a branch moving
// mid-download cannot mix two commits (as huggingface_hub snapshot_download does).
func (c *client) online(ctx context.Context, ref Ref) (string, error) {
	info, err := c.modelInfo(ctx, ref)
	if err != nil {
		return "", err
	}
	commit := info.SHA
	names := make([]string, 0, len(info.Siblings))
	listed := map[string]bool{}
	for _, s := range info.Siblings {
		names = append(names, s.RFilename)
		listed[s.RFilename] = true
	}
	files, err := selectFiles(names, c.opts.Patterns)
	if err != nil {
		return "", fmt.Errorf("%s: %w", ref, err)
	}
	if c.opts.Patterns == nil && !listed["config.json"] {
		return "", &Error{Kind: ErrNotFound, Repo: ref.Repo, Revision: ref.Revision, File: "config.json",
			Msg: fmt.Sprintf("%s: the repository has no config.json (not a transformers checkpoint)", ref)}
	}
	storage := c.storage(ref)
	if err := os.MkdirAll(filepath.Join(storage, "blobs"), 0o755); err != nil {
		return "", fmt.Errorf("hub cache: %w", err)
	}
	writeCachedirTag(c.cache)
	if err := writeRef(storage, ref.Revision, commit); err != nil {
		return "", fmt.Errorf("%s: %w", storage, err)
	}

	// Small files (and the index) first, then the weights the index names: a snapshot whose
	// weights are complete therefore also has its small files (checkSnapshot relies on it).
	hasIndex := listed[indexFile] && contains(files, indexFile)
	var small, weights []string
	for _, f := range files {
		switch {
		case !isWeight(f):
			small = append(small, f)
		case !hasIndex:
			weights = append(weights, f)
		}
	}
	if err := c.fetchAll(ctx, ref, storage, commit, small); err != nil {
		return "", err
	}
	if hasIndex {
		b, err := os.ReadFile(filepath.Join(storage, "snapshots", commit, indexFile))
		if err != nil {
			return "", fmt.Errorf("%s: %w", indexFile, err)
		}
		var idx struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := json.Unmarshal(b, &idx); err != nil {
			return "", fmt.Errorf("%s@%s: %s: %w", ref.Repo, commit, indexFile, err)
		}
		if weights, err = selectShards(idx.WeightMap, listed); err != nil {
			return "", fmt.Errorf("%s: %w", ref, err)
		}
	}
	if c.opts.Patterns == nil && len(weights) == 0 {
		return "", &Error{Kind: ErrNotFound, Repo: ref.Repo, Revision: ref.Revision, File: "*.safetensors",
			Msg: fmt.Sprintf("%s: the repository has no *.safetensors weights (.bin/.pth checkpoints are not read)", ref)}
	}
	if err := c.fetchAll(ctx, ref, storage, commit, weights); err != nil {
		return "", err
	}
	return filepath.Join(storage, "snapshots", commit), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fileMeta is huggingface_hub HfFileMetadata plus the file name.
type fileMeta struct {
	file     string
	commit   string
	etag     string
	size     int64
	location string // where to GET the content (CDN URL for LFS files)
}

// fetchAll makes snapshots/<commit>/<f> valid for every f: HEAD all (parallel), then download
// what the cache lacks (parallel), announcing the byte total before the first byte.
func (c *client) fetchAll(ctx context.Context, ref Ref, storage, commit string, files []string) error {
	metas := make([]fileMeta, len(files))
	if err := parallel(ctx, c.workers, len(files), func(ctx context.Context, i int) error {
		m, err := c.head(ctx, ref, commit, files[i])
		metas[i] = m
		return err
	}); err != nil {
		return err
	}
	var todo []fileMeta
	var need int64
	for _, m := range metas {
		pointer, err := pointerPath(storage, commit, m.file)
		if err != nil {
			return fmt.Errorf("%s: %w", ref, err)
		}
		blob := filepath.Join(storage, "blobs", m.etag)
		cur, lerr := os.Readlink(pointer)
		if lerr == nil && cur == linkTarget(m.file, m.etag) && checkBlob(blob, m.etag, m.size, c.opts.Verify) == nil {
			continue
		}
		todo = append(todo, m)
		var have int64
		if fi, err := os.Stat(blob + ".incomplete"); err == nil && fi.Size() <= m.size {
			have = fi.Size()
		}
		c.addTotal(m.size, have)
		need += m.size - have
	}
	if free := freeSpace(filepath.Join(storage, "blobs")); free >= 0 && need > free {
		c.warn("%s: %d MB to download but only %d MB free in %s", ref, need>>20, free>>20, c.cache)
	}
	return parallel(ctx, c.workers, len(todo), func(ctx context.Context, i int) error {
		return c.fetchFile(ctx, ref, storage, todo[i])
	})
}

// parallel runs fn(0..n-1) with at most workers at once; the first error cancels the rest.
func parallel(ctx context.Context, workers, n int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
loop:
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}(i)
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// resolveURL is {endpoint}/{repo}/resolve/{revision}/{file} (huggingface_hub hf_hub_url:
// revision quoted with no safe characters, filename with safe='/').
func (c *client) resolveURL(repo, rev, file string) string {
	parts := strings.Split(file, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return c.endpoint + "/" + repo + "/resolve/" + url.PathEscape(rev) + "/" + strings.Join(parts, "/")
}

// head reads file metadata from the first non-relative-redirect response to HEAD resolve,
// as huggingface_hub get_hf_file_metadata (file_download.py): commit from X-Repo-Commit,
// etag from X-Linked-Etag else ETag (normalised), size from X-Linked-Size else (when not a
// redirect) Content-Length, location from Location (the CDN) else the URL itself. Relative
// redirects (renamed repos) are followed, absolute ones (CDN) are not
// (_httpx_follow_relative_redirects_with_backoff, utils/_http.py).
func (c *client) head(ctx context.Context, ref Ref, commit, file string) (fileMeta, error) {
	m := fileMeta{file: file}
	u := c.resolveURL(ref.Repo, commit, file)
	ctx, cancel := context.WithTimeout(ctx, c.metaTimeout)
	defer cancel()
	for hops := 0; ; hops++ {
		if hops > 10 {
			return m, fmt.Errorf("%s: %s: too many redirects", ref, file)
		}
		req, err := c.newRequest(ctx, http.MethodHead, u, true)
		if err != nil {
			return m, err
		}
		resp, err := c.httpHead.Do(req)
		if err != nil {
			return m, &netError{what: "HEAD " + ref.String() + " " + file, err: err}
		}
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			return m, c.httpError(resp, ref, file)
		}
		redirect := resp.StatusCode >= 300 && resp.StatusCode < 400
		m.location = u
		if redirect {
			loc := resp.Header.Get("Location")
			target, err := req.URL.Parse(loc)
			if loc == "" || err != nil {
				return m, fmt.Errorf("%s: %s: redirect without a valid Location (%q)", ref, file, loc)
			}
			if lu, _ := url.Parse(loc); lu != nil && lu.Host == "" {
				u = target.String()
				continue
			}
			m.location = target.String()
		}
		h := resp.Header
		m.commit = h.Get("X-Repo-Commit")
		etag := h.Get("X-Linked-Etag")
		if etag == "" {
			etag = h.Get("ETag")
		}
		m.etag = normalizeEtag(etag)
		sz := h.Get("X-Linked-Size")
		if sz == "" && !redirect {
			sz = h.Get("Content-Length")
		}
		switch {
		case m.commit == "":
			return m, fmt.Errorf("%s: %s: no X-Repo-Commit header from %s (not a Hugging Face Hub, or a proxy strips it)", ref, file, c.endpoint)
		case m.commit != commit:
			return m, fmt.Errorf("%s: %s: the Hub served commit %s, want %s", ref, file, m.commit, commit)
		case m.etag == "":
			return m, fmt.Errorf("%s: %s: no ETag from %s", ref, file, c.endpoint)
		case !etagRe.MatchString(m.etag):
			return m, fmt.Errorf("%w: %s: %s: etag %q is not a blob name", ErrUnsafePath, ref, file, m.etag)
		}
		n, err := strconv.ParseInt(sz, 10, 64)
		if err != nil || n < 0 {
			return m, fmt.Errorf("%s: %s: no valid size from %s (X-Linked-Size/Content-Length %q)", ref, file, c.endpoint, sz)
		}
		m.size = n
		return m, nil
	}
}

// fetchFile downloads m into blobs/<etag> (unless another process did meanwhile) and links it.
func (c *client) fetchFile(ctx context.Context, ref Ref, storage string, m fileMeta) error {
	pointer, err := pointerPath(storage, m.commit, m.file)
	if err != nil {
		return fmt.Errorf("%s: %w", ref, err)
	}
	blob := filepath.Join(storage, "blobs", m.etag)
	unlock, err := lockFile(ctx, c.lockPath(ref, m.etag))
	if err != nil {
		return fmt.Errorf("%s: lock %s: %w", ref, m.file, err)
	}
	defer unlock()
	if checkBlob(blob, m.etag, m.size, c.opts.Verify) != nil {
		if err := c.fetchBlob(ctx, ref, m, blob); err != nil {
			return err
		}
	} else {
		// Already there (another process, or only the link was missing): count it as done.
		c.progress(m.file, m.size, m.size, m.size-c.incompleteSize(blob, m.size))
	}
	if err := makeLink(pointer, linkTarget(m.file, m.etag)); err != nil {
		return fmt.Errorf("%s: link %s: %w", ref, m.file, err)
	}
	return nil
}

func (c *client) incompleteSize(blob string, size int64) int64 {
	if fi, err := os.Stat(blob + ".incomplete"); err == nil && fi.Size() <= size {
		return fi.Size()
	}
	return 0
}

// fetchBlob fills blob+".incomplete" up to m.size, resuming from what it already holds with
// Range requests (also after a cut midway), checks the hash, then renames it to blob.
func (c *client) fetchBlob(ctx context.Context, ref Ref, m fileMeta, blob string) error {
	inc := blob + ".incomplete"
	f, err := os.OpenFile(inc, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", ref, m.file, err)
	}
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", inc, err)
	}
	off := fi.Size()
	if off > m.size { // not ours to continue
		c.progress(m.file, 0, m.size, 0)
		off = 0
	}
	h := newHasher(m.etag, m.size)
	if h != nil && off > 0 {
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, off)); err != nil {
			return fmt.Errorf("%s: %w", inc, err)
		}
	}
	fromDisk := off > 0 // a prefix left by an earlier run: if the hash fails, redo it once
	restart := func() {
		c.progress(m.file, 0, m.size, -off)
		off = 0
		h = newHasher(m.etag, m.size)
	}
	retries := c.retries
	for {
		for off < m.size {
			n, err := c.getFrom(ctx, ref, m, f, off, &h, restart)
			off += n
			if err == nil {
				continue
			}
			if _, transient := errors.AsType[*netError](err); !transient || ctx.Err() != nil {
				return err
			}
			if n > 0 {
				retries = c.retries // progress refills the budget, as huggingface_hub http_get
			}
			if retries <= 0 {
				return fmt.Errorf("%s@%s: %s: download failed at byte %d of %d (resumable: run again): %w", ref.Repo, m.commit, m.file, off, m.size, err)
			}
			retries--
			if n == 0 {
				if err := sleepCtx(ctx, time.Second); err != nil {
					return err
				}
			}
			c.warn("%s: %v; resuming at byte %d", m.file, err, off)
		}
		if err := f.Truncate(m.size); err != nil { // drop any stale tail beyond the size
			return fmt.Errorf("%s: %w", inc, err)
		}
		if h == nil {
			break
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != m.etag {
			if fromDisk {
				fromDisk = false
				c.warn("%s: resumed download does not match %s; downloading again", m.file, m.etag)
				restart()
				continue
			}
			os.Remove(inc)
			return &Error{Kind: ErrCorrupt, Repo: ref.Repo, Revision: ref.Revision, File: m.file,
				Msg: fmt.Sprintf("%s: %s: downloaded content hashes to %s, want %s", ref, m.file, got, m.etag)}
		}
		break
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("%s: %w", inc, err)
	}
	err = f.Close()
	f = nil
	if err != nil {
		return fmt.Errorf("%s: %w", inc, err)
	}
	if err := os.Rename(inc, blob); err != nil {
		return fmt.Errorf("%s: %w", blob, err)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// getFrom GETs m.location from byte off (Range) and writes what arrives at off in f, feeding
// *h. It returns the bytes written; a connection failure is a *netError (resumable). If the
// server ignores the Range (200), it calls restart and writes from 0 (as huggingface_hub).
func (c *client) getFrom(ctx context.Context, ref Ref, m fileMeta, f *os.File, off int64, h *hash.Hash, restart func()) (int64, error) {
	// Only the endpoint gets the token; a CDN URL is signed (huggingface_hub drops the
	// authorization header when the location's host differs).
	// A stalled connection is cut after c.stall without data and resumed like a reset one
	// (huggingface_hub uses a read timeout, HF_HUB_DOWNLOAD_TIMEOUT, for the same purpose).
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	watchdog := time.AfterFunc(c.stall, cancel)
	defer watchdog.Stop()
	req, err := c.newRequest(rctx, http.MethodGet, m.location, sameHost(m.location, c.endpoint))
	if err != nil {
		return 0, err
	}
	if off > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
	}
	resp, err := c.httpGet.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, &netError{what: "GET " + m.file, err: err}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent && off > 0:
		start, ok := contentRangeStart(resp.Header.Get("Content-Range"))
		if !ok || start != off {
			return 0, fmt.Errorf("%s: asked for bytes %d-, server sent Content-Range %q", m.file, off, resp.Header.Get("Content-Range"))
		}
	case resp.StatusCode == http.StatusOK:
		if off > 0 {
			restart()
			off = 0
		}
	default:
		return 0, c.httpError(resp, ref, m.file)
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	buf := make([]byte, 1<<20)
	var n int64
	for {
		k, rerr := resp.Body.Read(buf)
		watchdog.Reset(c.stall)
		if k > 0 {
			if off+n+int64(k) > m.size {
				return n, &Error{Kind: ErrCorrupt, Repo: ref.Repo, Revision: ref.Revision, File: m.file,
					Msg: fmt.Sprintf("%s: %s: server sent more than the %d bytes announced", ref, m.file, m.size)}
			}
			if _, err := f.Write(buf[:k]); err != nil {
				return n, fmt.Errorf("%s: %w", f.Name(), err)
			}
			if *h != nil {
				(*h).Write(buf[:k])
			}
			n += int64(k)
			c.progress(m.file, off+n, m.size, int64(k))
		}
		if rerr == io.EOF {
			if off+n < m.size {
				return n, &netError{what: "GET " + m.file, err: io.ErrUnexpectedEOF}
			}
			return n, nil
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			if rctx.Err() != nil {
				rerr = fmt.Errorf("no data for %v", c.stall)
			}
			return n, &netError{what: "GET " + m.file, err: rerr}
		}
	}
}

func contentRangeStart(v string) (int64, bool) {
	v, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return 0, false
	}
	s, _, ok := strings.Cut(v, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Host, ub.Host)
}
