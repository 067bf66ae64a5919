package verify

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/ct2go/ct2go/format/safetensors"
)

// RowsFunc computes the logits of every position of ids ([T][V]).
type RowsFunc func(ctx context.Context, ids []int) ([][]float32, error)

// WriteStats describes a written reference file.
type WriteStats struct {
	Prompts        int     `json:"prompts"`
	Positions      int     `json:"positions"`
	ComputeSeconds float64 `json:"compute_seconds"`
	Bytes          int64   `json:"bytes"`
	Compressed     bool    `json:"zstd"`
}

// WriteReferenceFile computes and writes a reference logits file (the format
// LoadReference reads: NAME.input_ids I64 [T], NAME.logits F32 [T, V],
// __metadata__) for prompts, V logits per position. Each prompt's logits are
// computed while its tensor is written, so memory holds one prompt at a time.
// A path ending in ".zst" is zstd-compressed. Everything is checked first
// (names, ids < V), the file is written to a temporary name beside path and
// renamed into place at the end: on any error (including NaN/Inf logits,
// which a reference must not hold) nothing is left at path.
func WriteReferenceFile(ctx context.Context, path string, prompts []NamedIDs, V int, rows RowsFunc, metadata map[string]string) (*WriteStats, error) {
	if len(prompts) == 0 {
		return nil, fmt.Errorf("no prompts")
	}
	seen := map[string]bool{}
	st := &WriteStats{Prompts: len(prompts), Compressed: strings.HasSuffix(path, ".zst")}
	for _, p := range prompts {
		switch {
		case p.Name == "" || strings.Contains(p.Name, "."):
			return nil, fmt.Errorf("prompt name %q: a reference prompt name must be non-empty without '.'", p.Name)
		case seen[p.Name]:
			return nil, fmt.Errorf("prompt %s appears twice", p.Name)
		case len(p.IDs) == 0:
			return nil, fmt.Errorf("prompt %s has no tokens", p.Name)
		}
		seen[p.Name] = true
		for i, id := range p.IDs {
			if id < 0 || id >= V {
				return nil, fmt.Errorf("prompt %s: token id %d at position %d is outside the model's vocabulary of %d", p.Name, id, i, V)
			}
		}
		st.Positions += len(p.IDs)
	}

	var ts []safetensors.WriteTensor
	for _, p := range prompts {
		ids := p.IDs
		ts = append(ts,
			safetensors.WriteTensor{Name: p.Name + ".input_ids", DType: "I64", Shape: []int{len(ids)}, NBytes: int64(8 * len(ids)),
				Write: func(w io.Writer) error {
					b := make([]byte, 8*len(ids))
					for i, id := range ids {
						binary.LittleEndian.PutUint64(b[8*i:], uint64(int64(id)))
					}
					_, err := w.Write(b)
					return err
				}},
			safetensors.WriteTensor{Name: p.Name + ".logits", DType: "F32", Shape: []int{len(ids), V}, NBytes: int64(4 * len(ids) * V),
				Write: func(w io.Writer) error {
					if err := ctx.Err(); err != nil {
						return err
					}
					t0 := time.Now()
					lg, err := rows(ctx, ids)
					if err != nil {
						return fmt.Errorf("prompt %s: %w", p.Name, err)
					}
					st.ComputeSeconds += time.Since(t0).Seconds()
					if len(lg) != len(ids) {
						return fmt.Errorf("prompt %s: %d logit rows for %d tokens", p.Name, len(lg), len(ids))
					}
					b := make([]byte, 4*V)
					for t, row := range lg {
						if len(row) < V {
							return fmt.Errorf("prompt %s: %d logits at position %d, want %d", p.Name, len(row), t, V)
						}
						for j, x := range row[:V] {
							bits := math.Float32bits(x)
							if bits>>23&0xff == 0xff {
								return fmt.Errorf("prompt %s: logit %v at position %d, token %d: a reference must be finite", p.Name, x, t, j)
							}
							binary.LittleEndian.PutUint32(b[4*j:], bits)
						}
						if _, err := w.Write(b); err != nil {
							return err
						}
					}
					return nil
				}})
	}

	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: cannot create the output: %w", path, err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName) // no-op once renamed
	if err := safetensors.WriteFile(tmpName, ts, metadata); err != nil {
		return nil, unTemp(err, tmpName, path)
	}
	final := tmpName
	if st.Compressed {
		zname, err := compressFile(tmpName, dir, base)
		if err != nil {
			return nil, err
		}
		defer os.Remove(zname)
		final = zname
	}
	fi, err := os.Stat(final)
	if err != nil {
		return nil, err
	}
	st.Bytes = fi.Size()
	// CreateTemp makes the file 0600; a reference is an ordinary output.
	if err := os.Chmod(final, 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(final, path); err != nil {
		return nil, err
	}
	return st, nil
}

// unTemp names the user's output in errors instead of the temporary file,
// keeping the error chain (an interrupted run stays context.Canceled).
func unTemp(err error, tmp, path string) error {
	if strings.Contains(err.Error(), tmp) {
		return renamedError{strings.ReplaceAll(err.Error(), tmp, path), err}
	}
	return fmt.Errorf("%s: %w", path, err)
}

type renamedError struct {
	msg string
	err error
}

func (e renamedError) Error() string { return e.msg }
func (e renamedError) Unwrap() error { return e.err }

// compressFile zstd-compresses src into a new temporary file beside the
// output and returns its name.
func compressFile(src, dir, base string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.CreateTemp(dir, "."+base+".zst-*")
	if err != nil {
		return "", err
	}
	name := out.Name()
	fail := func(err error) (string, error) {
		out.Close()
		os.Remove(name)
		return "", fmt.Errorf("%s: zstd: %w", filepath.Join(dir, base), err)
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	enc, err := zstd.NewWriter(bw, zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return fail(err)
	}
	if _, err := io.Copy(enc, bufio.NewReaderSize(in, 1<<20)); err != nil {
		enc.Close()
		return fail(err)
	}
	if err := enc.Close(); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	if err := out.Sync(); err != nil {
		return fail(err)
	}
	if err := out.Close(); err != nil {
		return fail(err)
	}
	return name, nil
}
