//go:build linux

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// guarded returns n bytes that end exactly at an inaccessible page, so any read past the
// end crashes the test. Model weights are mmapped by the runtime, where an over-read at the
// end of the file would be a real fault.
func guarded(t *testing.T, n int) []byte {
	t.Helper()
	page := unix.Getpagesize()
	size := (n+page-1)/page*page + page
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { unix.Munmap(mem) })
	if err := unix.Mprotect(mem[size-page:], unix.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	return mem[size-page-n : size-page]
}

func guardedInt8(t *testing.T, src []int8) []int8 {
	b := guarded(t, len(src))
	s := unsafe.Slice((*int8)(unsafe.Pointer(&b[0])), len(src))
	copy(s, src)
	return s
}

func TestNoOverReadAtPageEnd(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	forEachISA(t, func(t *testing.T, l ISA) {
		for _, s := range int8Shapes {
			w := guardedInt8(t, randInt8(r, s.rows*s.cols, "random"))
			x := guardedInt8(t, randInt8(r, s.n*s.cols, "random"))
			want := make([]int32, s.n*s.rows)
			gemmInt8Generic(want, s.rows, w, s.rows, s.cols, x, s.n, nil)
			got := make([]int32, s.n*s.rows)
			GemmInt8(got, w, s.rows, s.cols, x, s.n)
			cmpInt32(t, "GemmInt8", got, want)
			// The last row of w and the last token of x end at the guard page.
			GemvInt8(got[:1], w[(s.rows-1)*s.cols:], 1, s.cols, x[(s.n-1)*s.cols:])
			if wv := dotInt8Generic(w[(s.rows-1)*s.cols:], x[(s.n-1)*s.cols:]); got[0] != wv {
				t.Fatalf("GemvInt8 last row: %d want %d", got[0], wv)
			}
			comp := make([]int32, s.rows)
			RowSumsInt8(comp, w, s.rows, s.cols)

			wf := make([]float32, s.rows*s.cols)
			for i, v := range w {
				wf[i] = float32(v)
			}
			gb := guarded(t, 4*len(wf))
			wg := unsafe.Slice((*float32)(unsafe.Pointer(&gb[0])), len(wf))
			copy(wg, wf)
			out := make([]float32, s.rows)
			GemvF32(out, wg, s.rows, s.cols, wf[:s.cols])
			DotF32(wg[len(wg)-s.cols:], wf[:s.cols])
			if s.cols > 1 { // strided rows of cols-1 floats: the last one ends at the guard page
				GemvF32Stride(out, wg[1:], s.cols, s.rows, s.cols-1, wf)
			}
		}
		for _, n := range []int{1, 7, 8, 9, 31, 32, 33, 1000} {
			hb := guarded(t, 2*n)
			h := unsafe.Slice((*uint16)(unsafe.Pointer(&hb[0])), n)
			dst := make([]float32, n)
			F16ToF32(dst, h)
			BF16ToF32(dst, h)
		}
	})
}

// TestGemmWritesStayInside: the GEMMs write dst[t*ld + r] for t < n, r < rows and nothing
// else. dst ends exactly at an inaccessible page (a store for a token past n faults) and
// the gaps between rows (ld > rows) hold a sentinel that must survive. The token counts
// leave partial 32-token tiles, whose stores the tile kernels skip token by token.
func TestGemmWritesStayInside(t *testing.T) {
	const sentinel = 0x5a5a5a5a
	forEachISA(t, func(t *testing.T, l ISA) {
		r := rand.New(rand.NewPCG(23, 24))
		for _, n := range []int{16, 17, 23, 31, 33, 48, 50, 63, 64, 81} {
			for _, c := range []struct{ rows, cols, gap int }{{64, 64, 0}, {48, 36, 8}, {72, 128, 3}, {64, 2100, 0}} {
				ld := c.rows + c.gap
				size := (n-1)*ld + c.rows
				check := func(name string, dst []uint32) {
					t.Helper()
					for tk := 0; tk < n; tk++ {
						end := min((tk+1)*ld, size)
						for i := tk*ld + c.rows; i < end; i++ {
							if dst[i] != sentinel {
								t.Fatalf("%s n=%d %+v: gap element %d overwritten", name, n, c, i)
							}
						}
					}
				}
				guardedU32 := func() []uint32 {
					b := guarded(t, 4*size)
					d := unsafe.Slice((*uint32)(unsafe.Pointer(&b[0])), size)
					for i := range d {
						d[i] = sentinel
					}
					return d
				}

				w, x := randInt8(r, c.rows*c.cols, "random"), randInt8(r, n*c.cols, "random")
				d := guardedU32()
				GemmInt8Stride(unsafe.Slice((*int32)(unsafe.Pointer(&d[0])), size), ld, w, c.rows, c.cols, x, n)
				check("GemmInt8Stride", d)
				var pk PackedInt8
				pk.Pack(x, n, c.cols)
				d = guardedU32()
				GemmInt8Packed(unsafe.Slice((*int32)(unsafe.Pointer(&d[0])), size), ld, w, c.rows, &pk, nil)
				check("GemmInt8Packed", d)

				wf, xf := randF32(r, c.rows*c.cols), randF32(r, n*c.cols)
				d = guardedU32()
				GemmF32Stride(unsafe.Slice((*float32)(unsafe.Pointer(&d[0])), size), ld, wf, c.rows, c.cols, xf, n)
				check("GemmF32Stride", d)
				var pf PackedF32
				pf.Pack(xf, n, c.cols)
				d = guardedU32()
				GemmF32Packed(unsafe.Slice((*float32)(unsafe.Pointer(&d[0])), size), ld, wf, c.rows, &pf)
				check("GemmF32Packed", d)
				wh := make([]uint16, c.rows*c.cols)
				for i := range wh {
					wh[i] = uint16(math.Float32bits(wf[i]) >> 16)
				}
				d = guardedU32()
				GemmHalfPacked(unsafe.Slice((*float32)(unsafe.Pointer(&d[0])), size), ld, wh, BF16, c.rows, &pf)
				check("GemmHalfPacked", d)
			}
		}
	})
}
