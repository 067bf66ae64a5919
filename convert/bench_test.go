package convert

import (
	"context"
	"encoding/binary"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/format/safetensors"
)

// benchTensor writes one bf16 [rows, cols] tensor of N(0, 0.02) values to a
// temporary safetensors file and returns it mapped.
func benchTensor(b *testing.B, rows, cols int) *safetensors.Tensor {
	b.Helper()
	path := filepath.Join(b.TempDir(), "w.safetensors")
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 2*rows*cols)
	for i := 0; i < rows*cols; i++ {
		binary.LittleEndian.PutUint16(data[2*i:], uint16(math.Float32bits(float32(r.NormFloat64()*0.02))>>16))
	}
	err := safetensors.WriteFile(path, []safetensors.WriteTensor{{Name: "w", DType: "BF16", Shape: []int{rows, cols}, NBytes: int64(len(data)),
		Write: func(w io.Writer) error { _, err := w.Write(data); return err }}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	f, err := safetensors.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f.Tensors[0]
}

// BenchmarkStreamTensor measures the whole per-tensor path (decode bf16,
// float16 load cast, int8 quantization, ordered write) on one 14336×4096
// MLP weight, in MB/s of bf16 input, on 1 and all threads.
func BenchmarkStreamTensor(b *testing.B) {
	t := benchTensor(b, 14336, 4096)
	for _, c := range []struct {
		name    string
		dt, ld  ct2.DType
		threads int
	}{
		{"int8_float16/1", ct2.Int8, ct2.Float16, 1},
		{"int8_float16/all", ct2.Int8, ct2.Float16, 0},
		{"float16/1", ct2.Float16, ct2.Float16, 1},
		{"float32/1", ct2.Float32, ct2.BFloat16, 1},
	} {
		b.Run(c.name, func(b *testing.B) {
			v := &Var{Name: "w", Shape: []int{14336, 4096}, DType: c.dt, Kind: kindWeight, load: c.ld, srcs: []Ref{{T: t, Rows: 14336}}}
			threads := c.threads
			if threads == 0 {
				threads = 2
			}
			b.SetBytes(t.NBytes)
			for b.Loop() {
				if _, _, err := streamTensor(context.Background(), io.Discard, v, threads, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
