//go:build linux

package kernels

import (
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
