package hub

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
)

// DefaultPatterns is what conversion needs, matched with path.Match against the full
// repository path ('*' does not cross '/', so only top-level files match).
var DefaultPatterns = []string{
	"config.json", "generation_config.json",
	"*.safetensors", "model.safetensors.index.json",
	"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
	"chat_template.json", "chat_template.jinja",
	"LICENSE*", "NOTICE*", "USE_POLICY.md", "README.md",
}

// excluded paths are never downloaded: Meta's original consolidated checkpoints and
// pickled / GGUF weights (unsafe to load and not what ct2go reads).
func excluded(p string) bool {
	if p == "original" || strings.HasPrefix(p, "original/") {
		return true
	}
	switch path.Ext(p) {
	case ".pth", ".bin", ".pt", ".gguf":
		return true
	}
	return false
}

const indexFile = "model.safetensors.index.json"

// optional files are fetched when online but not required of an offline snapshot: conversion
// copies them along when present and works without them.
func optional(p string) bool {
	return strings.HasPrefix(p, "LICENSE") || strings.HasPrefix(p, "NOTICE") || p == "USE_POLICY.md" || p == "README.md"
}

// checkRelPath rejects a server-provided name that could escape its base directory:
// absolute or drive paths, backslashes, '..' or empty components, control characters
// (the same cases as huggingface_hub _validate_relative_filename, _local_folder.py).
func checkRelPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case strings.HasPrefix(p, "/"):
		return errors.New("absolute path")
	case strings.ContainsRune(p, '\\'):
		return errors.New("backslash in path")
	case len(p) >= 2 && p[1] == ':':
		return errors.New("drive path")
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return errors.New("control character in path")
		}
	}
	for _, part := range strings.Split(p, "/") {
		switch part {
		case "":
			return errors.New("empty path component")
		case ".", "..":
			return fmt.Errorf("%q component", part)
		}
	}
	return nil
}

// selectFiles picks the repository files to fetch, sorted, plus whether an index is among them.
// Weight shards are decided later from the index when there is one (selectShards).
func selectFiles(siblings []string, patterns []string) ([]string, error) {
	if patterns == nil {
		patterns = DefaultPatterns
	}
	var out []string
	for _, s := range siblings {
		// A listing with a hostile name is refused as a whole: git never stores such paths,
		// so the server is not a Hub.
		if err := checkRelPath(s); err != nil {
			return nil, fmt.Errorf("%w: repository lists %q: %v", ErrUnsafePath, s, err)
		}
		if excluded(s) {
			continue
		}
		for _, pat := range patterns {
			if ok, err := path.Match(pat, s); err != nil {
				return nil, fmt.Errorf("bad file pattern %q: %w", pat, err)
			} else if ok {
				out = append(out, s)
				break
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// isWeight reports files whose set is decided by the index when one exists.
func isWeight(p string) bool { return strings.HasSuffix(p, ".safetensors") }

// selectShards returns the shard files named by the index's weight_map, checking each is a
// safe top-level-relative path present in the listing. Repos sometimes ship extra
// safetensors beside the shards (e.g. Mistral's consolidated.safetensors); those are skipped.
func selectShards(weightMap map[string]string, listed map[string]bool) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, f := range weightMap {
		if seen[f] {
			continue
		}
		seen[f] = true
		if err := checkRelPath(f); err != nil {
			return nil, fmt.Errorf("%w: %s names shard %q: %v", ErrUnsafePath, indexFile, f, err)
		}
		if excluded(f) || !isWeight(f) {
			return nil, fmt.Errorf("%s: weight_map names %q, not a .safetensors file", indexFile, f)
		}
		if !listed[f] {
			return nil, fmt.Errorf("%s: weight_map names %q, which the repository does not contain", indexFile, f)
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: empty weight_map", indexFile)
	}
	sort.Strings(out)
	return out, nil
}
