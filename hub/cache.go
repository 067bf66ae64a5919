package hub

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// repoFolderName is huggingface_hub repo_folder_name: "models--org--name"
// (file_download.py; REPO_ID_SEPARATOR "--" in constants.py).
func repoFolderName(repo string) string {
	return "models--" + strings.ReplaceAll(repo, "/", "--")
}

func (c *client) storage(ref Ref) string { return filepath.Join(c.cache, repoFolderName(ref.Repo)) }

// lockPath is <cache>/.locks/models--org--name/<etag>.lock, the path huggingface_hub
// _hf_hub_download_to_cache_dir locks (file_download.py), so Python and ct2go exclude each
// other while writing the same blob.
func (c *client) lockPath(ref Ref, etag string) string {
	return filepath.Join(c.cache, ".locks", repoFolderName(ref.Repo), etag+".lock")
}

// pointerPath is snapshots/<commit>/<file>, checked to stay inside snapshots/<commit>
// (huggingface_hub _get_pointer_path makes the same check).
func pointerPath(storage, commit, file string) (string, error) {
	if err := checkRelPath(file); err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrUnsafePath, file, err)
	}
	base := filepath.Join(storage, "snapshots", commit)
	p := filepath.Join(base, filepath.FromSlash(file))
	if rel, err := filepath.Rel(base, p); err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("%w: %q escapes the snapshot directory", ErrUnsafePath, file)
	}
	return p, nil
}

// linkTarget is the relative symlink target of snapshots/<commit>/<file>: "../../blobs/<etag>"
// plus one "../" per directory level in file, i.e. os.path.relpath(blob, dirname(pointer)) as in
// huggingface_hub _create_symlink.
func linkTarget(file, etag string) string {
	return strings.Repeat("../", 2+strings.Count(file, "/")) + "blobs/" + etag
}

// etagRe bounds what a server-sent etag may be before it becomes a file name under blobs/.
// Real values are 40-hex (git blob sha1) or 64-hex (LFS sha256).
var etagRe = regexp.MustCompile(`^[0-9A-Za-z_\-]{1,128}$`)

// normalizeEtag is huggingface_hub _normalize_etag: strip a weak "W/" prefix and the quotes.
func normalizeEtag(v string) string {
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(v, "W/")
	return strings.Trim(v, `"`)
}

func tmpSuffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// readRef returns the commit stored in refs/<rev> (huggingface_hub writes it without newline;
// tolerate one written by hand).
func readRef(storage, rev string) (string, error) {
	b, err := os.ReadFile(filepath.Join(storage, "refs", filepath.FromSlash(rev)))
	if err != nil {
		return "", err
	}
	commit := strings.TrimSpace(string(b))
	if !commitRe.MatchString(commit) {
		return "", fmt.Errorf("refs/%s: %q is not a commit hash", rev, commit)
	}
	return commit, nil
}

// writeRef stores refs/<rev> = commit atomically (tmp + rename, as huggingface_hub
// _cache_commit_hash_for_specific_revision), only when it changed.
func writeRef(storage, rev, commit string) error {
	if rev == commit {
		return nil
	}
	p := filepath.Join(storage, "refs", filepath.FromSlash(rev))
	if old, err := os.ReadFile(p); err == nil && string(old) == commit {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("refs/%s: %w", rev, err)
	}
	tmp := p + "." + tmpSuffix() + ".tmp"
	if err := os.WriteFile(tmp, []byte(commit), 0o644); err != nil {
		return fmt.Errorf("refs/%s: %w", rev, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("refs/%s: %w", rev, err)
	}
	return nil
}

// makeLink points pointer at target, replacing a different link atomically (symlink to a
// temp name, then rename over).
func makeLink(pointer, target string) error {
	if cur, err := os.Readlink(pointer); err == nil && cur == target {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(pointer), 0o755); err != nil {
		return err
	}
	tmp := pointer + "." + tmpSuffix() + ".tmp"
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, pointer); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// cachedirTag is huggingface_hub CACHEDIR_TAG_CONTENT (_local_folder.py), written once into
// the cache root so backup tools skip it (https://bford.info/cachedir/).
const cachedirTag = "Signature: 8a477f597d28d172789f06886806bc55\n" +
	"# This file is a cache directory tag created by huggingface_hub.\n" +
	"# For information about cache directory tags, see:\n" +
	"#\thttps://bford.info/cachedir/\n"

func writeCachedirTag(cache string) {
	p := filepath.Join(cache, "CACHEDIR.TAG")
	if _, err := os.Lstat(p); err == nil {
		return
	}
	_ = os.WriteFile(p, []byte(cachedirTag), 0o644) // best effort, like huggingface_hub
}

// newHasher returns the hash that must equal etag for content of the given size:
// sha256 for a 64-hex (LFS) etag, git's blob sha1 ("blob <size>\x00" + content) for a
// 40-hex etag; nil when the etag has another form and only the size can be checked.
func newHasher(etag string, size int64) hash.Hash {
	switch {
	case len(etag) == 64 && isLowerHex(etag):
		return sha256.New()
	case len(etag) == 40 && isLowerHex(etag):
		h := sha1.New()
		h.Write([]byte("blob " + strconv.FormatInt(size, 10) + "\x00"))
		return h
	}
	return nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// checkBlob verifies a blob file: size (when size >= 0) and, if full, its content hash.
// It returns a descriptive error wrapping ErrCorrupt or fs.ErrNotExist.
func checkBlob(p, etag string, size int64, full bool) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: blob %s is not a regular file", ErrCorrupt, etag)
	}
	if size >= 0 && fi.Size() != size {
		return fmt.Errorf("%w: blob %s has %d bytes, want %d", ErrCorrupt, etag, fi.Size(), size)
	}
	if !full {
		return nil
	}
	h := newHasher(etag, fi.Size())
	if h == nil {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("blob %s: %w", etag, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != etag {
		return fmt.Errorf("%w: blob %s hashes to %s", ErrCorrupt, etag, got)
	}
	return nil
}

// errMissing names the first file a local snapshot lacks.
type errMissing struct{ file string }

func (e errMissing) Error() string { return e.file + " is not in the cache" }

// treeListing reads storage/trees/<commit>.json, the per-commit listing recent huggingface_hub
// versions cache beside the snapshots (_tree_cache.py, format_version 1:
// {"files": {path: {size, blob_id, lfs_sha256?, lfs_size?, xet_hash?}}}). It maps each path
// to its blob name (lfs_sha256 for LFS files, else the git blob id) and size; nil when absent
// or in another format, as huggingface_hub itself ignores such files.
func treeListing(storage, commit string) map[string]fileMeta {
	b, err := os.ReadFile(filepath.Join(storage, "trees", commit+".json"))
	if err != nil {
		return nil
	}
	var tree struct {
		FormatVersion int `json:"format_version"`
		Files         map[string]struct {
			Size      int64  `json:"size"`
			BlobID    string `json:"blob_id"`
			LFSSHA256 string `json:"lfs_sha256"`
			LFSSize   int64  `json:"lfs_size"`
		} `json:"files"`
	}
	if json.Unmarshal(b, &tree) != nil || tree.FormatVersion != 1 || tree.Files == nil {
		return nil
	}
	out := map[string]fileMeta{}
	for p, f := range tree.Files {
		m := fileMeta{file: p, etag: f.BlobID, size: f.Size}
		if f.LFSSHA256 != "" {
			m.etag, m.size = f.LFSSHA256, f.LFSSize
		}
		out[p] = m
	}
	return out
}

// checkSnapshot decides whether snapshots/<commit> is usable without the network:
// config.json and the complete weight set (every shard of model.safetensors.index.json, or
// at least one top-level *.safetensors) must resolve to blobs. When huggingface_hub left a
// tree listing for the commit, every file the selection (patterns) would fetch must also be
// linked to the blob the listing names, with its size. Every link present must resolve; with
// full, every blob is re-hashed against its name.
func checkSnapshot(storage, commit string, patterns []string, full bool) error {
	snap := filepath.Join(storage, "snapshots", commit)
	if fi, err := os.Stat(snap); err != nil || !fi.IsDir() {
		return errMissing{file: "config.json"}
	}
	if tree := treeListing(storage, commit); tree != nil {
		if err := checkAgainstTree(snap, tree, patterns); err != nil {
			return err
		}
	}
	need := []string{"config.json"}
	if b, err := os.ReadFile(filepath.Join(snap, indexFile)); err == nil {
		var idx struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := json.Unmarshal(b, &idx); err != nil {
			return fmt.Errorf("%s: %w", indexFile, err)
		}
		seen := map[string]bool{}
		for _, f := range idx.WeightMap {
			if err := checkRelPath(f); err != nil {
				return fmt.Errorf("%w: %s names shard %q: %v", ErrUnsafePath, indexFile, f, err)
			}
			if !seen[f] {
				seen[f] = true
				need = append(need, f)
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", indexFile, err)
	} else if m, _ := filepath.Glob(filepath.Join(snap, "*.safetensors")); len(m) == 0 {
		need = append(need, "model.safetensors")
	}
	for _, f := range need {
		if _, err := os.Stat(filepath.Join(snap, filepath.FromSlash(f))); err != nil {
			return errMissing{file: f}
		}
	}
	return filepath.WalkDir(snap, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(snap, p)
		rel = filepath.ToSlash(rel)
		if rel != "." && excluded(rel) {
			// Files conversion never reads (e.g. original/ fetched by a Python tool): do not
			// judge or hash them.
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if _, err := os.Stat(p); err != nil {
			return errMissing{file: rel}
		}
		if d.Type()&fs.ModeSymlink == 0 || !full {
			return nil
		}
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		etag := filepath.Base(target)
		if err := checkBlob(p, etag, -1, true); err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		return nil
	})
}

// checkAgainstTree requires every selected file of a cached tree listing in snap, linked to
// the listed blob with the listed size. Shards follow the index when the listing has one.
func checkAgainstTree(snap string, tree map[string]fileMeta, patterns []string) error {
	names := make([]string, 0, len(tree))
	for p := range tree {
		names = append(names, p)
	}
	files, err := selectFiles(names, patterns)
	if err != nil {
		return err
	}
	_, hasIndex := tree[indexFile]
	hasIndex = hasIndex && contains(files, indexFile)
	for _, f := range files {
		if hasIndex && isWeight(f) {
			continue // the index check in checkSnapshot covers the shards it names
		}
		if optional(f) {
			continue // a Python download with allow_patterns may well have skipped these
		}
		m := tree[f]
		p := filepath.Join(snap, filepath.FromSlash(f))
		fi, err := os.Stat(p)
		if err != nil {
			return errMissing{file: f}
		}
		if target, err := os.Readlink(p); err == nil && filepath.Base(target) != m.etag {
			return fmt.Errorf("%w: %s links to blob %s, the cached listing says %s", ErrCorrupt, f, filepath.Base(target), m.etag)
		}
		if fi.Size() != m.size {
			return fmt.Errorf("%w: %s has %d bytes, the cached listing says %d", ErrCorrupt, f, fi.Size(), m.size)
		}
	}
	return nil
}
