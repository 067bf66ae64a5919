package ct2

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Writer streams a model.bin: the header, then variables one by one in sorted
// order with their payloads, then the alias table. Nothing is buffered beyond
// a write buffer, so a payload may be fed in any number of Write calls.
//
// Layout (model_spec.py:382-414): u32 version, string spec, u32 revision,
// u32 count, then per variable: string name, u8 rank, rank×u32 dims,
// u8 dtype, u32 num_bytes, payload; then u32 alias count and string pairs.
type Writer struct {
	bw        *bufio.Writer
	remaining int   // variables still to come
	left      int64 // payload bytes still owed for the current variable
	last      string
	started   bool
	err       error
}

// NewWriter writes the file header for nVariables variables.
func NewWriter(w io.Writer, spec string, revision uint32, nVariables int) (*Writer, error) {
	wr := &Writer{bw: bufio.NewWriterSize(w, 1<<20), remaining: nVariables}
	wr.u32(BinaryVersion)
	wr.str(spec)
	wr.u32(revision)
	wr.u32(uint32(nVariables))
	return wr, wr.err
}

func (w *Writer) u32(v uint32) {
	if w.err == nil {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], v)
		_, w.err = w.bw.Write(b[:])
	}
}

func (w *Writer) str(s string) {
	if len(s)+1 > math.MaxUint16 {
		w.fail(fmt.Errorf("string of %d bytes is too long for model.bin", len(s)))
		return
	}
	if w.err == nil {
		var b [2]byte
		binary.LittleEndian.PutUint16(b[:], uint16(len(s)+1))
		w.bw.Write(b[:])
		w.bw.WriteString(s)
		w.err = w.bw.WriteByte(0)
	}
}

func (w *Writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// Begin starts a variable; exactly NBytes(shape, dt) payload bytes must follow.
func (w *Writer) Begin(name string, shape []int, dt DType) error {
	if w.err != nil {
		return w.err
	}
	switch {
	case w.left != 0:
		w.fail(fmt.Errorf("variable %s: previous variable %s is %d bytes short", name, w.last, w.left))
	case w.remaining == 0:
		w.fail(fmt.Errorf("variable %s: more variables than announced", name))
	case w.started && name <= w.last:
		w.fail(fmt.Errorf("variable %s: not after %s in sorted order", name, w.last))
	case !dt.Valid():
		w.fail(fmt.Errorf("variable %s: invalid dtype %d", name, dt))
	case len(shape) > maxRank:
		w.fail(fmt.Errorf("variable %s: rank %d", name, len(shape)))
	}
	if w.err != nil {
		return w.err
	}
	n := int64(dt.Size())
	for _, d := range shape {
		if d < 0 || d > math.MaxUint32 {
			w.fail(fmt.Errorf("variable %s: dimension %d out of range", name, d))
			return w.err
		}
		n *= int64(d)
	}
	// num_bytes is a u32 in the format: one tensor must stay under 4 GiB.
	if n > math.MaxUint32 {
		w.fail(fmt.Errorf("variable %s: %d bytes exceed model.bin's 4 GiB per-variable limit", name, n))
		return w.err
	}
	w.str(name)
	if w.err == nil {
		w.err = w.bw.WriteByte(uint8(len(shape)))
	}
	for _, d := range shape {
		w.u32(uint32(d))
	}
	if w.err == nil {
		w.err = w.bw.WriteByte(uint8(dt))
	}
	w.u32(uint32(n))
	w.remaining--
	w.left = n
	w.last = name
	w.started = true
	return w.err
}

// Write appends payload bytes of the current variable.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if int64(len(p)) > w.left {
		w.fail(fmt.Errorf("variable %s: payload longer than its shape", w.last))
		return 0, w.err
	}
	n, err := w.bw.Write(p)
	w.left -= int64(n)
	w.fail(err)
	return n, w.err
}

// WriteVariable writes a whole variable at once.
func (w *Writer) WriteVariable(name string, shape []int, dt DType, payload []byte) error {
	if err := w.Begin(name, shape, dt); err != nil {
		return err
	}
	_, err := w.Write(payload)
	if err == nil && w.left != 0 {
		w.fail(fmt.Errorf("variable %s: payload is %d bytes short", name, w.left))
	}
	return w.err
}

// ErrIncomplete is returned by Close when fewer variables were written than announced.
var ErrIncomplete = errors.New("model.bin incomplete")

// Close writes the alias table (sorted by alias name, as the converter does)
// and flushes. It does not close the underlying writer.
func (w *Writer) Close(aliases []Alias) error {
	if w.err != nil {
		return w.err
	}
	if w.left != 0 || w.remaining != 0 {
		return fmt.Errorf("%w: %d variables and %d payload bytes missing", ErrIncomplete, w.remaining, w.left)
	}
	w.u32(uint32(len(aliases)))
	for _, a := range aliases {
		w.str(a.Name)
		w.str(a.Target)
	}
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	return w.err
}
