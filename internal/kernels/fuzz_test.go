package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// FuzzInt8Kernels draws shapes and contents from the fuzzer and checks every int8 kernel at
// every ISA level against an int64 oracle. The seed corpus runs with plain `go test`;
// `go test -fuzz FuzzInt8Kernels ./internal/kernels` explores further.
func FuzzInt8Kernels(f *testing.F) {
	for _, s := range []struct {
		rows, cols, n uint8
		seed          uint64
		mode          uint8
	}{{1, 1, 1, 1, 0}, {7, 65, 17, 2, 1}, {50, 130, 33, 3, 2}, {3, 255, 64, 4, 3}, {64, 4, 40, 5, 0}} {
		f.Add(s.rows, s.cols, s.n, s.seed, s.mode)
	}
	f.Fuzz(func(t *testing.T, rows8, cols8, n8 uint8, seed uint64, mode uint8) {
		rows, cols, n := int(rows8)%70+1, int(cols8)+1, int(n8)%70+1
		r := rand.New(rand.NewPCG(seed, 99))
		m := int8Modes[int(mode)%len(int8Modes)]
		w, x := randInt8(r, rows*cols, m), randInt8(r, n*cols, m)
		want := make([]int32, n*rows)
		for tk := 0; tk < n; tk++ {
			for row := 0; row < rows; row++ {
				var acc int64
				for k := 0; k < cols; k++ {
					acc += int64(w[row*cols+k]) * int64(x[tk*cols+k])
				}
				want[tk*rows+row] = int32(acc)
			}
		}
		prev := CurrentISA()
		defer SetISA(prev)
		for _, l := range ISAs() {
			SetISA(l)
			got := make([]int32, n*rows)
			GemmInt8(got, w, rows, cols, x, n)
			cmpInt32(t, l.String()+"/GemmInt8", got, want)
			var pk PackedInt8
			pk.Pack(x, n, cols)
			comp := make([]int32, rows)
			RowSumsInt8(comp, w, rows, cols)
			clear(got)
			GemmInt8Packed(got, rows, w, rows, &pk, comp)
			cmpInt32(t, l.String()+"/GemmInt8Packed", got, want)
			gv := make([]int32, rows)
			GemvInt8Comp(gv, w, rows, cols, x[(n-1)*cols:], comp)
			cmpInt32(t, l.String()+"/GemvInt8Comp", gv, want[(n-1)*rows:])
		}
	})
}

// FuzzExpKernels checks SiluF32 and ExpShiftedF32 at every ISA level bit for bit against the
// scalar math.Exp formulas, on slices built from fuzzed float32 bit patterns.
func FuzzExpKernels(f *testing.F) {
	f.Add(uint32(0x3f800000), uint32(0xc2b17218), uint32(0x7fc00000), uint32(0), uint8(17))
	f.Add(uint32(0x42b17218), uint32(0xff800000), uint32(0x00000001), uint32(0x3f000000), uint8(8))
	f.Fuzz(func(t *testing.T, a, b, c, mx uint32, n8 uint8) {
		n := int(n8) % 48
		in := make([]float32, n)
		x := a
		for i := range in {
			in[i] = math.Float32frombits(x)
			x = x*b + c // vary the lanes: the pattern mixes the fuzzed words
			if i%5 == 4 {
				x = a ^ uint32(i)
			}
		}
		prev := CurrentISA()
		defer SetISA(prev)
		for _, l := range ISAs() {
			SetISA(l)
			checkExpKernels(t, l.String(), in, math.Float32frombits(mx))
		}
	})
}
