package ct2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/ct2go/ct2go/internal/fsutil"
)

// BinaryVersion is the model.bin version CTranslate2 4.x writes (model_spec.py:25).
const BinaryVersion = 6

// maxRank bounds tensor rank; CTranslate2 stores it in a u8 but real specs stop at 4.
const maxRank = 8

// Variable describes one entry of model.bin. Offset is where its payload starts
// in the file; Shape is empty for scalars.
type Variable struct {
	Name   string
	Shape  []int
	DType  DType
	Offset int64
	NBytes int64
}

// NumElements is the product of the dimensions (1 for a scalar).
func (v *Variable) NumElements() int64 {
	n := int64(1)
	for _, d := range v.Shape {
		n *= int64(d)
	}
	return n
}

// IsScalar reports whether v is a rank-0 variable.
func (v *Variable) IsScalar() bool { return len(v.Shape) == 0 }

// Alias records that Name is stored as Target (model_spec.py:169-189).
type Alias struct {
	Name   string
	Target string
}

// Header is the parsed table of contents of a model.bin: everything but the payloads.
type Header struct {
	Version   uint32
	Spec      string
	Revision  uint32
	Variables []Variable // file order (sorted by name when written by a converter)
	Aliases   []Alias
	Size      int64 // file size the header was checked against

	index map[string]int
}

// ErrFormat marks a model.bin that is truncated or inconsistent.
var ErrFormat = errors.New("invalid model.bin")

// cursor reads little-endian fields from a ReaderAt, never past size.
type cursor struct {
	r    io.ReaderAt
	off  int64
	size int64
	buf  [8]byte
}

func (c *cursor) read(n int) ([]byte, error) {
	if n < 0 || c.off+int64(n) > c.size {
		return nil, fmt.Errorf("%w: truncated at byte %d (file has %d)", ErrFormat, c.off, c.size)
	}
	var b []byte
	if n <= len(c.buf) {
		b = c.buf[:n]
	} else {
		b = make([]byte, n)
	}
	if _, err := c.r.ReadAt(b, c.off); err != nil {
		return nil, fmt.Errorf("read at byte %d: %w", c.off, err)
	}
	c.off += int64(n)
	return b, nil
}

func (c *cursor) u8() (uint8, error) {
	b, err := c.read(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (c *cursor) u16() (uint16, error) {
	b, err := c.read(2)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(b), nil
}

func (c *cursor) u32() (uint32, error) {
	b, err := c.read(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

// str reads a u16 length (including the trailing NUL), the bytes and the NUL (model.cc:80-89).
func (c *cursor) str() (string, error) {
	n, err := c.u16()
	if err != nil {
		return "", err
	}
	if n == 0 {
		return "", fmt.Errorf("%w: zero-length string at byte %d", ErrFormat, c.off-2)
	}
	b, err := c.read(int(n))
	if err != nil {
		return "", err
	}
	if b[n-1] != 0 {
		return "", fmt.Errorf("%w: string at byte %d is not NUL-terminated", ErrFormat, c.off-int64(n))
	}
	return string(b[:n-1]), nil
}

// printable returns s, or s quoted when it holds control characters or
// invalid UTF-8: names read from a hostile file go into one-line error
// messages and must not break the line or drive the terminal.
func printable(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// ReadHeader parses the table of contents of a model.bin of the given size,
// checking every claimed size against the file before trusting it.
func ReadHeader(r io.ReaderAt, size int64) (*Header, error) {
	c := &cursor{r: r, size: size}
	h := &Header{Size: size}
	var err error
	if h.Version, err = c.u32(); err != nil {
		return nil, err
	}
	if h.Version < 5 || h.Version > BinaryVersion {
		return nil, fmt.Errorf("%w: binary version %d (supported: 5-%d)", ErrFormat, h.Version, BinaryVersion)
	}
	if h.Spec, err = c.str(); err != nil {
		return nil, err
	}
	if h.Revision, err = c.u32(); err != nil {
		return nil, err
	}
	n, err := c.u32()
	if err != nil {
		return nil, err
	}
	// A variable takes at least 9 bytes (name len 2 + 1 char NUL, rank, dtype, nbytes).
	if int64(n) > (size-c.off)/9 {
		return nil, fmt.Errorf("%w: claims %d variables, more than the file can hold", ErrFormat, n)
	}
	h.Variables = make([]Variable, 0, n)
	h.index = make(map[string]int, n)
	for i := 0; i < int(n); i++ {
		var v Variable
		if v.Name, err = c.str(); err != nil {
			return nil, fmt.Errorf("variable %d: %w", i, err)
		}
		rank, err := c.u8()
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", printable(v.Name), err)
		}
		if rank > maxRank {
			return nil, fmt.Errorf("%w: variable %s has rank %d", ErrFormat, printable(v.Name), rank)
		}
		v.Shape = make([]int, rank)
		elems := uint64(1)
		for d := range v.Shape {
			dim, err := c.u32()
			if err != nil {
				return nil, fmt.Errorf("variable %s: %w", printable(v.Name), err)
			}
			v.Shape[d] = int(dim)
			if dim != 0 && elems > math.MaxUint64/uint64(dim) {
				return nil, fmt.Errorf("%w: variable %s shape %v overflows", ErrFormat, printable(v.Name), v.Shape)
			}
			elems *= uint64(dim)
		}
		dt, err := c.u8()
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", printable(v.Name), err)
		}
		v.DType = DType(dt)
		if !v.DType.Valid() {
			return nil, fmt.Errorf("%w: variable %s has unknown dtype id %d", ErrFormat, printable(v.Name), dt)
		}
		nb, err := c.u32()
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", printable(v.Name), err)
		}
		v.NBytes = int64(nb)
		// The same check as the C++ reader (model.cc:659).
		if elems > math.MaxInt64/8 || int64(elems)*int64(v.DType.Size()) != v.NBytes {
			return nil, fmt.Errorf("%w: variable %s: %d bytes for shape %v of %s", ErrFormat, printable(v.Name), v.NBytes, v.Shape, v.DType)
		}
		v.Offset = c.off
		if v.Offset+v.NBytes > size {
			return nil, fmt.Errorf("%w: variable %s: payload ends at byte %d, past the end of the file (%d bytes)", ErrFormat, printable(v.Name), v.Offset+v.NBytes, size)
		}
		c.off += v.NBytes
		if _, dup := h.index[v.Name]; dup {
			return nil, fmt.Errorf("%w: duplicate variable %s", ErrFormat, printable(v.Name))
		}
		h.index[v.Name] = len(h.Variables)
		h.Variables = append(h.Variables, v)
	}
	na, err := c.u32()
	if err != nil {
		return nil, fmt.Errorf("alias count: %w", err)
	}
	if int64(na) > (size-c.off)/6 {
		return nil, fmt.Errorf("%w: claims %d aliases, more than the file can hold", ErrFormat, na)
	}
	for i := 0; i < int(na); i++ {
		var a Alias
		if a.Name, err = c.str(); err != nil {
			return nil, fmt.Errorf("alias %d: %w", i, err)
		}
		if a.Target, err = c.str(); err != nil {
			return nil, fmt.Errorf("alias %s: %w", printable(a.Name), err)
		}
		if _, ok := h.index[a.Target]; !ok {
			return nil, fmt.Errorf("%w: alias %s points to missing variable %s", ErrFormat, printable(a.Name), printable(a.Target))
		}
		h.Aliases = append(h.Aliases, a)
	}
	if c.off != size {
		return nil, fmt.Errorf("%w: %d trailing bytes after the alias table", ErrFormat, size-c.off)
	}
	return h, nil
}

// Lookup finds a variable by name, following aliases as CTranslate2 does
// (an alias also covers its "_scale" companion, model.cc:766-775).
func (h *Header) Lookup(name string) (*Variable, bool) {
	if i, ok := h.index[name]; ok {
		return &h.Variables[i], true
	}
	for _, a := range h.Aliases {
		target := ""
		switch name {
		case a.Name:
			target = a.Target
		case a.Name + ScaleSuffix:
			target = a.Target + ScaleSuffix
		}
		if target != "" {
			if i, ok := h.index[target]; ok {
				return &h.Variables[i], true
			}
		}
	}
	return nil, false
}

// ReadHeaderFile opens path and parses its header.
func ReadHeaderFile(path string) (*Header, error) {
	f, size, err := fsutil.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := ReadHeader(f, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}
