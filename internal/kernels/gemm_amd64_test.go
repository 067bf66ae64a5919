//go:build amd64

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// TestGemmInt8Superblocks shrinks packBudget so the tile path splits the tokens into several
// superblocks (and reuses the row sums it computed in the first one).
// It also shrinks the AVX2 path's row block so its block loop runs several times.
func TestGemmInt8Superblocks(t *testing.T) {
	prevB, prevR := packBudget, avx2RowBlockBytes
	defer func() { packBudget, avx2RowBlockBytes = prevB, prevR }()
	forEachISA(t, func(t *testing.T, l ISA) { testSuperblocks(t) })
}

func testSuperblocks(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, budget := range []int{1, 4096, 3 * 32 * 64} {
		packBudget = budget
		avx2RowBlockBytes = budget
		for _, s := range []struct{ rows, cols, n int }{{9, 64, 100}, {17, 130, 97}, {8, 256, 64}, {56, 64, 100}, {49, 130, 70}} {
			name := fmt.Sprintf("budget=%d/%v", budget, s)
			w, x := randInt8(r, s.rows*s.cols, "random"), randInt8(r, s.n*s.cols, "extreme")
			want := make([]int32, s.n*s.rows)
			gemmInt8Generic(want, s.rows, w, s.rows, s.cols, x, s.n, nil)
			got := make([]int32, s.n*s.rows)
			GemmInt8(got, w, s.rows, s.cols, x, s.n)
			cmpInt32(t, name+"/nil comp", got, want)
			comp := make([]int32, s.rows)
			RowSumsInt8(comp, w, s.rows, s.cols)
			clear(got)
			GemmInt8Comp(got, s.rows, w, s.rows, s.cols, x, s.n, comp)
			cmpInt32(t, name+"/comp", got, want)
			var pk PackedInt8
			pk.Pack(x, s.n, s.cols)
			clear(got)
			GemmInt8Packed(got, s.rows, w, s.rows, &pk, nil)
			cmpInt32(t, name+"/packed", got, want)

			wf, xf := randF32(r, s.rows*s.cols), randF32(r, s.n*s.cols)
			gf := make([]float32, s.n*s.rows)
			GemmF32(gf, wf, s.rows, s.cols, xf, s.n)
			var pf PackedF32
			pf.Pack(xf, s.n, s.cols)
			gpf := make([]float32, s.n*s.rows)
			GemmF32Packed(gpf, s.rows, wf, s.rows, &pf)
			wh := randHalf(r, s.rows*s.cols, BF16)
			gh := make([]float32, s.n*s.rows)
			GemmHalfPacked(gh, s.rows, wh, BF16, s.rows, &pf)
			whf := widenAll(wh, BF16)
			for tk := 0; tk < s.n; tk++ {
				for row := 0; row < s.rows; row++ {
					wr, xt := whf[row*s.cols:(row+1)*s.cols], xf[tk*s.cols:(tk+1)*s.cols]
					if d := math.Abs(float64(gh[tk*s.rows+row]) - float64(dotF32Generic(wr, xt))); d > dotBound(wr, xt) {
						t.Fatalf("%s GemmHalfPacked t=%d r=%d", name, tk, row)
					}
					wr = wf[row*s.cols : (row+1)*s.cols]
					ref, bound := dotF32Generic(wr, xt), dotBound(wr, xt)
					if d := math.Abs(float64(gf[tk*s.rows+row]) - float64(ref)); d > bound {
						t.Fatalf("%s GemmF32 t=%d r=%d: %g vs %g", name, tk, row, gf[tk*s.rows+row], ref)
					}
					if d := math.Abs(float64(gpf[tk*s.rows+row]) - float64(ref)); d > bound {
						t.Fatalf("%s GemmF32Packed t=%d r=%d: %g vs %g", name, tk, row, gpf[tk*s.rows+row], ref)
					}
				}
			}
		}
	}
}

// TestPackTokens compares the assembly packing (transposing for full blocks, then gathers
// for partial blocks and the kq%16 tail) with the pure-Go one (only the nt valid token slots
// are compared: the kernels never store the others).
func TestPackTokens(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512")
	}
	r := rand.New(rand.NewPCG(29, 30))
	for _, c := range []struct{ rowStride, kq, nt int }{{4, 1, 1}, {64, 16, 32}, {132, 33, 17}, {4100, 1025, 31}, {40, 10, 16},
		{4100, 1025, 32}, {132, 33, 32}, {68, 17, 32}, {200, 48, 32}, {16384, 4096, 32}, {60, 15, 32}} {
		x := randInt8(r, (c.nt-1)*c.rowStride+c.kq*4, "random")
		xb := unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), len(x))
		want := make([]byte, c.kq*tileToks*4)
		got := make([]byte, c.kq*tileToks*4+1)
		for _, xor := range []uint32{0, 0x80808080} {
			packTokensGo(want, xb, c.rowStride, c.kq, c.nt, xor)
			got[len(got)-1] = 7
			packTokens(got, xb, c.rowStride, c.kq, c.nt, xor)
			if got[len(got)-1] != 7 {
				t.Fatalf("%+v: wrote past the block", c)
			}
			for g := 0; g < c.kq; g++ {
				o := g * tileToks * 4
				if string(got[o:o+4*c.nt]) != string(want[o:o+4*c.nt]) {
					t.Fatalf("%+v xor=%#x: group %d differs", c, xor, g)
				}
			}
		}
	}
}

// TestCPUFeatures: the list names what the levels the dispatch enabled need.
func TestCPUFeatures(t *testing.T) {
	f := " " + CPUFeatures() + " "
	for _, c := range []struct {
		has  bool
		name string
	}{{hasAVX2, "avx2"}, {hasAVX2, "fma"}, {hasAVXVNNI, "avx-vnni"}, {hasAVX512, "avx512-vnni"}, {hasAVX512, "avx512bw"}} {
		if c.has && !strings.Contains(f, " "+c.name+" ") {
			t.Errorf("CPUFeatures() = %q lacks %s, which a level in use needs", f, c.name)
		}
	}
}
