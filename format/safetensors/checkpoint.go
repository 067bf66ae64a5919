package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ct2go/ct2go/internal/fsutil"
)

// IndexFile is the name of the shard index Hugging Face writes for sharded checkpoints.
const IndexFile = "model.safetensors.index.json"

// SingleFile is the name of an unsharded checkpoint.
const SingleFile = "model.safetensors"

// Index is model.safetensors.index.json.
type Index struct {
	Metadata  map[string]any    `json:"metadata"`
	WeightMap map[string]string `json:"weight_map"`
}

// MaxIndexSize bounds model.safetensors.index.json: a real index is tens of
// kilobytes (about 1 MB for a 405B model); anything larger is not read.
const MaxIndexSize = 64 << 20

// ReadIndex parses an index file and checks that every shard name is a plain
// file name: the index is untrusted input, so "../x", "a/b" or "/etc/x" are
// refused rather than opened.
func ReadIndex(path string) (*Index, error) {
	raw, err := fsutil.ReadCapped(path, MaxIndexSize)
	if err != nil {
		return nil, err
	}
	idx, err := ParseIndex(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return idx, nil
}

// ParseIndex decodes index JSON and checks every shard name.
func ParseIndex(raw []byte) (*Index, error) {
	var idx Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%q holds a JSON %s where %s is expected", te.Field, te.Value, te.Type)
		}
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if idx.WeightMap == nil {
		return nil, fmt.Errorf("no \"weight_map\"")
	}
	for name, shard := range idx.WeightMap {
		if err := checkShardName(shard); err != nil {
			return nil, fmt.Errorf("weight_map[%q]: %w", name, err)
		}
	}
	return &idx, nil
}

func checkShardName(s string) error {
	switch {
	case s == "" || s == "." || s == "..":
		return fmt.Errorf("invalid shard name %q", s)
	case strings.ContainsAny(s, `/\`) || filepath.IsAbs(s) || strings.ContainsRune(s, 0):
		return fmt.Errorf("shard name %q is not a plain file name in the checkpoint directory", s)
	}
	return nil
}

// Checkpoint is every tensor of a (possibly sharded) safetensors checkpoint.
type Checkpoint struct {
	Dir     string
	Files   []*File // in shard-name order
	Tensors map[string]*Tensor
	Index   *Index // nil for a single model.safetensors
}

// ErrNoWeights means the directory holds neither an index nor model.safetensors.
var ErrNoWeights = errors.New("no model.safetensors or model.safetensors.index.json")

// OpenCheckpoint opens dir/model.safetensors.index.json and its shards, or
// dir/model.safetensors. Every problem found (bad shard, tensor listed in the
// index but absent from its shard, a tensor in two shards, a tensor present
// but not indexed) is reported together.
func OpenCheckpoint(dir string) (*Checkpoint, error) {
	c := &Checkpoint{Dir: dir, Tensors: map[string]*Tensor{}}
	idxPath := filepath.Join(dir, IndexFile)
	var shards []string
	if _, err := os.Stat(idxPath); err == nil {
		idx, err := ReadIndex(idxPath)
		if err != nil {
			return nil, err
		}
		c.Index = idx
		seen := map[string]bool{}
		for _, s := range idx.WeightMap {
			if !seen[s] {
				seen[s] = true
				shards = append(shards, s)
			}
		}
		sort.Strings(shards)
	} else if _, err := os.Stat(filepath.Join(dir, SingleFile)); err == nil {
		shards = []string{SingleFile}
	} else {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoWeights)
	}

	var problems []string
	for _, s := range shards {
		f, err := Open(filepath.Join(dir, s))
		if err != nil {
			if os.IsNotExist(err) {
				problems = append(problems, fmt.Sprintf("shard %s named in %s is missing", printable(s), IndexFile))
			} else {
				problems = append(problems, err.Error())
			}
			continue
		}
		c.Files = append(c.Files, f)
		for _, t := range f.Tensors {
			if prev, dup := c.Tensors[t.Name]; dup {
				problems = append(problems, fmt.Sprintf("tensor %s is in both %s and %s", printable(t.Name), filepath.Base(prev.File.Path), s))
				continue
			}
			c.Tensors[t.Name] = t
			if c.Index != nil {
				if want, ok := c.Index.WeightMap[t.Name]; !ok {
					problems = append(problems, fmt.Sprintf("tensor %s in %s is not listed in %s", printable(t.Name), s, IndexFile))
				} else if want != s {
					problems = append(problems, fmt.Sprintf("tensor %s is in %s but %s says %s", printable(t.Name), s, IndexFile, want))
				}
			}
		}
	}
	if c.Index != nil && len(problems) == 0 {
		var missing []string
		for name, s := range c.Index.WeightMap {
			if _, ok := c.Tensors[name]; !ok {
				missing = append(missing, fmt.Sprintf("tensor %s listed in %s is missing from %s", printable(name), IndexFile, s))
			}
		}
		sort.Strings(missing)
		problems = append(problems, missing...)
	}
	if len(problems) > 0 {
		c.Close()
		return nil, &ProblemsError{Dir: dir, Problems: problems}
	}
	return c, nil
}

// Names returns all tensor names, sorted.
func (c *Checkpoint) Names() []string {
	names := make([]string, 0, len(c.Tensors))
	for n := range c.Tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// TotalBytes is the sum of all tensor payloads.
func (c *Checkpoint) TotalBytes() int64 {
	var n int64
	for _, t := range c.Tensors {
		n += t.NBytes
	}
	return n
}

// Close unmaps every shard.
func (c *Checkpoint) Close() error {
	var first error
	for _, f := range c.Files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// ProblemsError lists everything wrong with a checkpoint at once.
type ProblemsError struct {
	Dir      string
	Problems []string
}

// Error is one line, like every ct2go error: the directory, then the problems.
func (e *ProblemsError) Error() string {
	if len(e.Problems) == 1 {
		if strings.HasPrefix(e.Problems[0], e.Dir) { // a shard's own error already names its path
			return e.Problems[0]
		}
		return fmt.Sprintf("%s: %s", e.Dir, e.Problems[0])
	}
	return fmt.Sprintf("%s: %d problems: %s", e.Dir, len(e.Problems), strings.Join(e.Problems, "; "))
}
