package convert

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/format/half"
)

// rowStats is what reading rows observed.
type rowStats struct {
	loss      half.F16Loss
	nonFinite int64
}

func (s *rowStats) add(o rowStats) { s.loss.Add(o.loss); s.nonFinite += o.nonFinite }

// cols is the row length of a variable (a 1-D tensor is one row).
func (v *Var) cols() int {
	if len(v.Shape) < 2 {
		if len(v.Shape) == 1 {
			return v.Shape[0]
		}
		return 1
	}
	n := 1
	for _, d := range v.Shape[1:] {
		n *= d
	}
	return n
}

// rows is the number of rows (1 for a 1-D tensor).
func (v *Var) rows() int {
	if len(v.Shape) < 2 {
		return 1
	}
	return v.Shape[0]
}

// readRows decodes rows [r0, r1) of v's (possibly concatenated) sources into
// dst as float32, then rounds them to v's load dtype exactly as
// from_pretrained(dtype=...) would have stored them.
func (v *Var) readRows(dst []float32, r0, r1 int) rowStats {
	var st rowStats
	cols := v.cols()
	out := dst[:0]
	base := 0
	for _, ref := range v.srcs {
		rows := ref.Rows
		if len(v.Shape) < 2 {
			rows = 1
		}
		lo, hi := max(r0, base), min(r1, base+rows)
		if lo < hi {
			n := (hi - lo) * cols
			seg := dst[len(out) : len(out)+n]
			toF16 := v.load == ct2.Float16 && ref.T.DType != "F16"
			bad, loss := decode(seg, ref, (lo-base)*cols, toF16)
			st.nonFinite += bad
			st.loss.Add(loss)
			if v.load == ct2.BFloat16 && ref.T.DType != "BF16" {
				half.RoundBF16(seg)
			}
			out = dst[:len(out)+n]
		}
		base += rows
	}
	return st
}

// decode converts len(dst) elements of ref's tensor starting at element off
// and returns how many are NaN or ±Inf. With toF16 the values are also
// rounded to float16 (the load_as_float16 cast) and the losses counted.
func decode(dst []float32, ref Ref, off int, toF16 bool) (nonFinite int64, loss half.F16Loss) {
	b := ref.T.Bytes()
	size := ref.T.ItemSize()
	b = b[off*size : (off+len(dst))*size]
	switch ref.T.DType {
	case "BF16":
		return decodeBF16(dst, u16s(b), toF16)
	case "F16":
		half.F16ToF32(dst, u16s(b))
	case "F32":
		if uintptr(unsafe.Pointer(unsafe.SliceData(b)))%4 == 0 {
			copy(dst, unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(dst)))
		} else {
			for i := range dst {
				dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		}
	}
	var bad int64
	for _, x := range dst {
		if x-x != 0 { // NaN or ±Inf
			bad++
		}
	}
	if toF16 {
		loss = half.RoundF16(dst)
	}
	return bad, loss
}

// decodeBF16 widens bf16 to float32 and counts NaN/Inf (biased exponent
// 255). With toF16 it also applies the float16 load cast in the same pass: a
// bf16 value with exponent 113..142 (2^-14 ≤ |x| < 2^16) is exact in
// float16, so only the rare values outside that range (and zeros, exact
// anyway) take the careful per-element path.
func decodeBF16(dst []float32, src []uint16, toF16 bool) (nonFinite int64, loss half.F16Loss) {
	src = src[:len(dst)]
	var bad uint32
	for i, h := range src {
		u := uint32(h) << 16
		dst[i] = math.Float32frombits(u)
		e := u >> 23 & 0xff
		bad += (e + 1) >> 8 // 1 only for e == 255
		if toF16 && e-113 > 142-113 {
			loss.Add(half.RoundF16(dst[i : i+1]))
		}
	}
	return int64(bad), loss
}

// u16s views little-endian 16-bit data as []uint16 without a copy when
// aligned (amd64 is little-endian), copying otherwise.
func u16s(b []byte) []uint16 {
	n := len(b) / 2
	if n == 0 {
		return nil
	}
	if uintptr(unsafe.Pointer(unsafe.SliceData(b)))%2 == 0 {
		return unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(b))), n)
	}
	out := make([]uint16, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return out
}
