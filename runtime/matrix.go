package runtime

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/internal/kernels"
)

// matrix is one [rows, cols] weight as the compute path needs it. Exactly one
// storage field is set; slices are views into the model.bin mapping unless
// the load converted them (int16 -> int8, float -> int8 for int8 compute).
type matrix struct {
	name       string
	rows, cols int
	dtype      ct2.DType // storage dtype of the fields below
	f32        []float32
	u16        []uint16 // float16 or bfloat16 bits
	i8         []int8
	i16        []int16
	scale      []float32 // int8: per-row weight scale (q = w*scale)
	scale16    float32   // int16: one scale per tensor
	comp       []int32   // int8 compute: 128*row sums for the VNNI kernels
}

// Views reinterpret mapped bytes. model.bin has no alignment, so these may be
// unaligned; that is fine on amd64/arm64 and allowed by checkptr for
// pointer-free element types.
func viewF32(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

func viewU16(b []byte) []uint16 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), len(b)/2)
}

func viewI16(b []byte) []int16 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int16)(unsafe.Pointer(&b[0])), len(b)/2)
}

func viewI8(b []byte) []int8 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(&b[0])), len(b))
}

// loadMatrix wraps variable name (and its _scale when quantized) without copying.
func loadMatrix(m *ct2.Mapped, path, name string, rows, cols int) (*matrix, error) {
	v, ok := m.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("%s: missing variable %s", path, name)
	}
	if len(v.Shape) != 2 || v.Shape[0] != rows || v.Shape[1] != cols {
		return nil, fmt.Errorf("%s: variable %s has shape %v, want [%d %d]", path, name, v.Shape, rows, cols)
	}
	w := &matrix{name: name, rows: rows, cols: cols, dtype: v.DType}
	b := m.Bytes(v)
	switch v.DType {
	case ct2.Float32:
		w.f32 = viewF32(b)
	case ct2.Float16, ct2.BFloat16:
		w.u16 = viewU16(b)
	case ct2.Int8, ct2.Int16:
		sv, ok := m.Lookup(name + ct2.ScaleSuffix)
		if !ok {
			return nil, fmt.Errorf("%s: missing variable %s_scale (required for %s weights)", path, name, v.DType)
		}
		if sv.DType != ct2.Float32 {
			return nil, fmt.Errorf("%s: variable %s_scale has dtype %s, want float32", path, name, sv.DType)
		}
		sb := viewF32(m.Bytes(sv))
		if v.DType == ct2.Int8 {
			if len(sv.Shape) != 1 || sv.Shape[0] != rows {
				return nil, fmt.Errorf("%s: variable %s_scale has shape %v, want [%d]", path, name, sv.Shape, rows)
			}
			w.i8 = viewI8(b)
			w.scale = sb
			for r, s := range sb {
				// A zero, negative or non-finite scale would make dequantization meaningless.
				if !(s > 0) || math.IsInf(float64(s), 0) {
					return nil, fmt.Errorf("%s: variable %s_scale[%d] = %v is not a positive finite scale", path, name, r, s)
				}
			}
		} else {
			if !sv.IsScalar() {
				return nil, fmt.Errorf("%s: variable %s_scale has shape %v, want a scalar (int16 uses one scale per tensor)", path, name, sv.Shape)
			}
			w.i16 = viewI16(b)
			w.scale16 = sb[0]
			if !(w.scale16 > 0) || math.IsInf(float64(w.scale16), 0) {
				return nil, fmt.Errorf("%s: variable %s_scale = %v is not a positive finite scale", path, name, w.scale16)
			}
		}
	default:
		return nil, fmt.Errorf("%s: variable %s has dtype %s, not a weight type", path, name, v.DType)
	}
	return w, nil
}

// rowF32 writes row r as float32 into dst[:cols] with CTranslate2's
// conversions: f16/bf16 widened exactly, int8 and int16 dequantized as
// float(q) * (1/scale) (ops::Dequantize, dequantize_cpu.cc).
func (w *matrix) rowF32(dst []float32, r int) {
	c := w.cols
	switch w.dtype {
	case ct2.Float32:
		copy(dst[:c], w.f32[r*c:(r+1)*c])
	case ct2.Float16:
		kernels.F16ToF32(dst[:c], w.u16[r*c:(r+1)*c])
	case ct2.BFloat16:
		kernels.BF16ToF32(dst[:c], w.u16[r*c:(r+1)*c])
	case ct2.Int8:
		inv := 1 / w.scale[r]
		for k, q := range w.i8[r*c : (r+1)*c] {
			dst[k] = float32(q) * inv
		}
	case ct2.Int16:
		inv := 1 / w.scale16
		for k, q := range w.i16[r*c : (r+1)*c] {
			dst[k] = float32(q) * inv
		}
	}
}

// toInt8 converts w in place of its storage to per-row int8 with the
// converter's recipe (model.cc ensure_dtype -> ops::Quantize: scale = 127/amax,
// q = round-half-even(x*scale)), starting from the float32 value of each row
// (int16 rows are first dequantized, as CT2 does). It allocates rows*cols bytes.
func (w *matrix) toInt8() {
	if w.dtype == ct2.Int8 {
		return
	}
	q := make([]int8, w.rows*w.cols)
	s := make([]float32, w.rows)
	row := make([]float32, w.cols)
	for r := 0; r < w.rows; r++ {
		w.rowF32(row, r)
		s[r] = kernels.QuantizeRowInt8(q[r*w.cols:(r+1)*w.cols], row)
	}
	*w = matrix{name: w.name, rows: w.rows, cols: w.cols, dtype: ct2.Int8, i8: q, scale: s}
}

// rowInt8Dequant writes CTranslate2's int8 embedding lookup of row r:
// float(q) * (1/scale[r]) (Embeddings::operator(), dequantize_cpu.cc). For
// non-int8 storage the row is quantized on the fly first; the recipe is per
// row, so this equals quantizing the whole table at load.
func (w *matrix) rowInt8Dequant(dst []float32, r int, tmpQ []int8) {
	c := w.cols
	var q []int8
	var scale float32
	if w.dtype == ct2.Int8 {
		q, scale = w.i8[r*c:(r+1)*c], w.scale[r]
	} else {
		w.rowF32(dst, r)
		scale = kernels.QuantizeRowInt8(tmpQ[:c], dst[:c])
		q = tmpQ[:c]
	}
	inv := 1 / scale
	for k, v := range q {
		dst[k] = float32(v) * inv
	}
}

func (w *matrix) bytes() int64 {
	n := int64(w.rows) * int64(w.cols) * int64(w.dtype.Size())
	if w.dtype == ct2.Int8 {
		n += int64(w.rows) * 4
	}
	return n
}

// vector loads a float vector (a gamma) as float32; f16/bf16 widen exactly,
// as CTranslate2 converts non-weight floats to the compute float type at load.
func loadVector(m *ct2.Mapped, path, name string, n int) ([]float32, error) {
	v, ok := m.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("%s: missing variable %s", path, name)
	}
	if len(v.Shape) != 1 || v.Shape[0] != n {
		return nil, fmt.Errorf("%s: variable %s has shape %v, want [%d]", path, name, v.Shape, n)
	}
	b := m.Bytes(v)
	out := make([]float32, n)
	switch v.DType {
	case ct2.Float32:
		copy(out, viewF32(b))
	case ct2.Float16:
		kernels.F16ToF32(out, viewU16(b))
	case ct2.BFloat16:
		kernels.BF16ToF32(out, viewU16(b))
	default:
		return nil, fmt.Errorf("%s: variable %s has dtype %s, want a float type", path, name, v.DType)
	}
	return out, nil
}
