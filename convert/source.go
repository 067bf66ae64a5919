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
			bad, exactF16 := decode(seg, ref, (lo-base)*cols)
			st.nonFinite += bad
			switch {
			case v.load == ct2.Float16 && ref.T.DType != "F16" && !exactF16:
				st.loss.Add(half.RoundF16(seg))
			case v.load == ct2.BFloat16 && ref.T.DType != "BF16":
				half.RoundBF16(seg)
			}
			out = dst[:len(out)+n]
		}
		base += rows
	}
	return st
}

// decode converts len(dst) elements of ref's tensor starting at element off.
// It returns how many are NaN or ±Inf and, for bf16 sources, whether every
// value is one float16 holds exactly (then the float16 load cast is a no-op
// and the per-element rounding pass is skipped).
func decode(dst []float32, ref Ref, off int) (nonFinite int64, exactF16 bool) {
	b := ref.T.Bytes()
	size := ref.T.ItemSize()
	b = b[off*size : (off+len(dst))*size]
	switch ref.T.DType {
	case "BF16":
		return decodeBF16(dst, u16s(b))
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
	return bad, false
}

// decodeBF16 widens bf16 to float32 in one branch-free pass that also counts
// NaN/Inf (biased exponent 255) and notes any value outside float16's normal
// range (exponent outside 113..142, i.e. |x| < 2^-14 or ≥ 2^16, zeros
// included to keep the test cheap): inside it a bf16 value is exact in float16.
func decodeBF16(dst []float32, src []uint16) (nonFinite int64, exactF16 bool) {
	src = src[:len(dst)]
	var bad uint32
	var outside int32
	for i, h := range src {
		u := uint32(h) << 16
		dst[i] = math.Float32frombits(u)
		e := u >> 23 & 0xff
		bad += (e + 1) >> 8 // 1 only for e == 255
		d := int32(e) - 113
		outside |= d | (29 - d) // negative iff d < 0 or d > 29
	}
	return int64(bad), outside >= 0
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
