package quantize

import (
	"math"
	"testing"
)

func TestInt8Rows(t *testing.T) {
	// Hand-computed: row 0 amax 2 → scale 63.5; 0.5*63.5 = 31.75 → 32; -1*63.5 = -63.5 → -64 (tie to even);
	// 1.0/63.5... row 1 all zero → scale 1 (127/127), q 0; row 2 amax 127 → scale 1, 2.5 → 2, 3.5 → 4.
	src := []float32{2, 0.5, -1, 0, 0, 0, 0, 0, 127, 2.5, 3.5, -0.5}
	dst := make([]int8, len(src))
	scales := make([]float32, 3)
	Int8Rows(dst, scales, src, 4)
	wantQ := []int8{127, 32, -64, 0, 0, 0, 0, 0, 127, 2, 4, 0}
	wantS := []float32{63.5, 1, 1}
	for i := range wantQ {
		if dst[i] != wantQ[i] {
			t.Errorf("q[%d] = %d, want %d", i, dst[i], wantQ[i])
		}
	}
	for i := range wantS {
		if scales[i] != wantS[i] {
			t.Errorf("scale[%d] = %v, want %v", i, scales[i], wantS[i])
		}
	}
}

func TestInt16(t *testing.T) {
	src := []float32{0.5, -2, 1.0 / 1024}
	s := Int16Scale(AbsMax(src))
	if s != 512 {
		t.Fatalf("scale %v, want 512", s)
	}
	dst := make([]int16, 3)
	Int16(dst, src, s)
	if dst[0] != 256 || dst[1] != -1024 || dst[2] != 0 { // 0.5 → tie to even 0
		t.Errorf("q = %v", dst)
	}
	Int16(dst, []float32{100, -100, 0}, 1000)
	if dst[0] != math.MaxInt16 || dst[1] != math.MinInt16 {
		t.Errorf("clip: %v", dst)
	}
}

func TestAbsMaxNaN(t *testing.T) {
	if v := AbsMax([]float32{1, float32(math.NaN()), 3}); v == v {
		t.Errorf("AbsMax with NaN = %v, want NaN", v)
	}
	if v := AbsMax([]float32{-3, 2}); v != 3 {
		t.Errorf("AbsMax = %v", v)
	}
}
