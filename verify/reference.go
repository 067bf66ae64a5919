package verify

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/ct2go/ct2go/format/safetensors"
)

// DefaultMaxDecompressed caps what a .safetensors.zst reference may expand to
// (a guard against decompression bombs and full disks): 64 GiB holds about
// 130k positions of a 128k-token vocabulary.
const DefaultMaxDecompressed int64 = 64 << 30

// zstdMagic starts every zstd frame (RFC 8878 §3.1.1).
var zstdMagic = []byte{0x28, 0xB5, 0x2F, 0xFD}

// Prompt is one reference prompt: its ids and the reference logits of every
// position, row t predicting token t+1.
type Prompt struct {
	Name string
	IDs  []int
	T, V int

	logits *safetensors.Tensor // F32 [T, V], a view into the mapped file
}

// Logits decodes the reference logits ([T*V], row-major) into a new slice.
func (p *Prompt) Logits() []float32 {
	if p.logits == nil {
		return nil
	}
	b := p.logits.Bytes()
	out := make([]float32, p.T*p.V)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// Reference is a loaded reference logits file.
type Reference struct {
	Path     string
	Source   string            // __metadata__["source"], if any
	Metadata map[string]string // the whole __metadata__
	Prompts  []*Prompt         // in natural name order (prompt2 before prompt10)
	V        int               // logits per position, equal for every prompt
	file     *safetensors.File
}

// Close unmaps the file.
func (r *Reference) Close() error {
	if r.file == nil {
		return nil
	}
	return r.file.Close()
}

// LoadOptions tune LoadReference.
type LoadOptions struct {
	// MaxDecompressed caps the size a zstd-compressed file may expand to;
	// 0 means DefaultMaxDecompressed.
	MaxDecompressed int64
}

// LoadReference opens a reference logits file (.safetensors, or zstd-compressed
// .safetensors.zst, detected by its magic bytes) and checks it completely: every
// NAME has NAME.input_ids (I64 [T], T >= 1, ids >= 0) and NAME.logits (F32 [T, V]) with
// the same V everywhere, no other tensors, and all logits finite. Errors name
// the file and the prompt.
func LoadReference(path string, opt LoadOptions) (*Reference, error) {
	open := path
	compressed, err := isZstd(path)
	if err != nil {
		return nil, err
	}
	if compressed {
		limit := opt.MaxDecompressed
		if limit <= 0 {
			limit = DefaultMaxDecompressed
		}
		tmp, err := decompress(path, limit)
		if err != nil {
			return nil, err
		}
		// The mapping outlives the name: unlink right after opening.
		defer os.Remove(tmp)
		open = tmp
	}
	f, err := safetensors.Open(open)
	if err != nil {
		if compressed {
			// Name the user's file, not the temporary one.
			return nil, fmt.Errorf("%s (decompressed): %s", path, strings.ReplaceAll(err.Error(), open+": ", ""))
		}
		return nil, err
	}
	r, err := parseReference(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func isZstd(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var head [4]byte
	n, err := io.ReadFull(f, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return n == 4 && string(head[:]) == string(zstdMagic), nil
}

// decompress streams path through a zstd decoder into a temporary file,
// failing as soon as more than max bytes come out.
func decompress(path string, limit int64) (string, error) {
	in, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer in.Close()
	dec, err := zstd.NewReader(bufio.NewReaderSize(in, 1<<20), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return "", fmt.Errorf("%s: zstd: %w", path, err)
	}
	defer dec.Close()
	out, err := os.CreateTemp("", "ct2go-reference-*.safetensors")
	if err != nil {
		return "", err
	}
	name := out.Name()
	fail := func(err error) (string, error) {
		out.Close()
		os.Remove(name)
		return "", err
	}
	n, err := io.Copy(out, io.LimitReader(dec, limit+1))
	if err != nil {
		return fail(fmt.Errorf("%s: zstd: %w", path, err))
	}
	if n > limit {
		return fail(fmt.Errorf("%s: decompresses to more than %d bytes (the cap): not a reference logits file, or raise the cap", path, limit))
	}
	if err := out.Close(); err != nil {
		return fail(err)
	}
	return name, nil
}

func parseReference(path string, f *safetensors.File) (*Reference, error) {
	r := &Reference{Path: path, Metadata: f.Metadata, Source: f.Metadata["source"], file: f}
	type pair struct{ ids, logits *safetensors.Tensor }
	byName := map[string]*pair{}
	for _, t := range f.Tensors {
		name, kind, ok := cutLast(t.Name)
		if !ok || (kind != "input_ids" && kind != "logits") || name == "" {
			return nil, fmt.Errorf("%s: unexpected tensor %q (want NAME.input_ids and NAME.logits per prompt)", path, t.Name)
		}
		p := byName[name]
		if p == nil {
			p = &pair{}
			byName[name] = p
		}
		if kind == "input_ids" {
			p.ids = t
		} else {
			p.logits = t
		}
	}
	if len(byName) == 0 {
		return nil, fmt.Errorf("%s: no prompts (want NAME.input_ids and NAME.logits tensors)", path)
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return naturalLess(names[i], names[j]) })
	for _, name := range names {
		p := byName[name]
		switch {
		case p.ids == nil:
			return nil, fmt.Errorf("%s: prompt %s has logits but no %s.input_ids", path, name, name)
		case p.logits == nil:
			return nil, fmt.Errorf("%s: prompt %s has input_ids but no %s.logits", path, name, name)
		}
		if p.ids.DType != "I64" || len(p.ids.Shape) != 1 {
			return nil, fmt.Errorf("%s: %s.input_ids is %s %v, want I64 [T]", path, name, p.ids.DType, p.ids.Shape)
		}
		T := p.ids.Shape[0]
		if T < 1 {
			return nil, fmt.Errorf("%s: prompt %s has no tokens", path, name)
		}
		if p.logits.DType != "F32" || len(p.logits.Shape) != 2 {
			return nil, fmt.Errorf("%s: %s.logits is %s %v, want F32 [T, vocab]", path, name, p.logits.DType, p.logits.Shape)
		}
		if p.logits.Shape[0] != T {
			return nil, fmt.Errorf("%s: %s.logits has %d rows but %s.input_ids has %d tokens", path, name, p.logits.Shape[0], name, T)
		}
		V := p.logits.Shape[1]
		if V < 1 {
			return nil, fmt.Errorf("%s: %s.logits has an empty vocabulary dimension", path, name)
		}
		if r.V == 0 {
			r.V = V
		} else if V != r.V {
			return nil, fmt.Errorf("%s: %s.logits has %d columns, %s has %d: every prompt must cover the same vocabulary", path, name, V, r.Prompts[0].Name, r.V)
		}
		b := p.ids.Bytes()
		ids := make([]int, T)
		for i := range ids {
			v := int64(binary.LittleEndian.Uint64(b[8*i:]))
			if v < 0 || v > math.MaxInt32 {
				return nil, fmt.Errorf("%s: prompt %s: input id %d at position %d is not a token id", path, name, v, i)
			}
			ids[i] = int(v)
		}
		lb := p.logits.Bytes()
		for i := 0; i < T*V; i++ {
			// All-ones exponent = NaN or ±Inf: a bit test scans gigabytes quickly.
			if bits := binary.LittleEndian.Uint32(lb[4*i:]); bits>>23&0xff == 0xff {
				x := math.Float32frombits(bits)
				return nil, fmt.Errorf("%s: prompt %s: reference logit %v at position %d, token %d: the reference itself is broken", path, name, x, i/V, i%V)
			}
		}
		r.Prompts = append(r.Prompts, &Prompt{Name: name, IDs: ids, T: T, V: V, logits: p.logits})
	}
	return r, nil
}

// CheckModel checks the reference against a model's vocabulary size: every
// id must be a row of the model's embeddings and the logits must cover the
// model's vocabulary.
func (r *Reference) CheckModel(vocab int) error {
	for _, p := range r.Prompts {
		for i, id := range p.IDs {
			if id >= vocab {
				return fmt.Errorf("%s: prompt %s: input id %d at position %d is outside the model's vocabulary of %d tokens (reference made for another model?)", r.Path, p.Name, id, i, vocab)
			}
		}
	}
	if r.V != vocab {
		return fmt.Errorf("%s: reference logits cover %d tokens, the model has %d (reference made for another model?)", r.Path, r.V, vocab)
	}
	return nil
}

// cutLast splits "a.b.c" into "a.b" and "c".
func cutLast(s string) (before, after string, ok bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// naturalLess orders names with embedded numbers numerically ("p2" < "p10").
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			if da != db { // same value, fewer leading zeros first
				return da < db
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// WritePrompt is one prompt for WriteReference.
type WritePrompt struct {
	Name   string
	IDs    []int
	Logits []float32 // [len(IDs) * V]
}

// WriteReference writes prompts in the reference format (for `ct2go verify
// --save-reference` style tooling and tests); metadata goes to __metadata__.
func WriteReference(path string, prompts []WritePrompt, V int, metadata map[string]string) error {
	var ts []safetensors.WriteTensor
	for _, p := range prompts {
		if strings.Contains(p.Name, ".") || p.Name == "" {
			return fmt.Errorf("prompt name %q must be non-empty without '.'", p.Name)
		}
		if len(p.Logits) != len(p.IDs)*V {
			return fmt.Errorf("prompt %s: %d logits for %d tokens × %d", p.Name, len(p.Logits), len(p.IDs), V)
		}
		ids, lg := p.IDs, p.Logits
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
			safetensors.WriteTensor{Name: p.Name + ".logits", DType: "F32", Shape: []int{len(ids), V}, NBytes: int64(4 * len(lg)),
				Write: func(w io.Writer) error {
					b := make([]byte, 4*len(lg))
					for i, x := range lg {
						binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
					}
					_, err := w.Write(b)
					return err
				}})
	}
	return safetensors.WriteFile(path, ts, metadata)
}
