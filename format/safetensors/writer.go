package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// WriteTensor is a tensor to write: its header entry and a function that
// streams exactly NBytes of payload.
type WriteTensor struct {
	Name   string
	DType  string
	Shape  []int
	NBytes int64
	Write  func(w io.Writer) error
}

// WriteFile writes a safetensors file: the 8-byte header length, the JSON
// header (padded with spaces to a multiple of 8, as the reference writer
// does), then the payloads in header order. Tensors are laid out sorted by
// name; payloads are streamed, never held whole.
func WriteFile(path string, tensors []WriteTensor, metadata map[string]string) error {
	sort.Slice(tensors, func(i, j int) bool { return tensors[i].Name < tensors[j].Name })
	header, err := encodeHeader(tensors, metadata)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	fail := func(err error) error {
		f.Close()
		if strings.Contains(err.Error(), path) { // an *os.PathError already names the file
			return err
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(header)))
	bw.Write(lenBuf[:])
	bw.Write(header)
	for _, t := range tensors {
		cw := &countingWriter{w: bw}
		if err := t.Write(cw); err != nil {
			return fail(fmt.Errorf("tensor %s: %w", t.Name, err))
		}
		if cw.n != t.NBytes {
			return fail(fmt.Errorf("tensor %s: wrote %d bytes, header says %d", t.Name, cw.n, t.NBytes))
		}
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	return f.Close()
}

func encodeHeader(tensors []WriteTensor, metadata map[string]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	comma := func() {
		if !first {
			b.WriteByte(',')
		}
		first = false
	}
	if len(metadata) > 0 {
		comma()
		m, err := json.Marshal(metadata)
		if err != nil {
			return nil, err
		}
		b.WriteString(`"__metadata__":`)
		b.Write(m)
	}
	var off int64
	for _, t := range tensors {
		comma()
		name, _ := json.Marshal(t.Name)
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		s, _ := json.Marshal(shape)
		fmt.Fprintf(&b, `%s:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`, name, t.DType, s, off, off+t.NBytes)
		off += t.NBytes
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes(), nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
