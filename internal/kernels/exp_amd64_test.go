//go:build amd64

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExpF64Core checks the float64 exp core of the assembly against math.Exp bit for bit on
// [-700, 700]. The float32 tests alone could miss a core that is off by an ulp or two in
// float64 (narrowing to float32 hides that except near rounding boundaries); this one
// cannot.
func TestExpF64Core(t *testing.T) {
	if !hasExpFMA {
		t.Skip("no AVX+FMA: math.Exp does not take its FMA branch here")
	}
	n := 1 << 20
	if testing.Short() {
		n = 1 << 14
	}
	r := rand.New(rand.NewPCG(6, 6))
	in := make([]float64, 0, 3*n+64)
	for i := 0; i < n; i++ {
		in = append(in, r.Float64()*1400-700) // uniform over the whole clamp range
		in = append(in, float64(float32(r.Float64()*240-120)))
		m := math.Exp2(r.Float64()*59.4 - 50) // log-uniform magnitudes up to 675, small ones included
		if r.IntN(2) == 0 {
			m = -m
		}
		in = append(in, m)
	}
	in = append(in, 0, math.Copysign(0, -1), 700, -700, 1, -1, math.Ln2, -math.Ln2, 0.5*math.Ln2,
		-0.5*math.Ln2, 1.5*math.Ln2, 88.72283935546875, -103.97208, 5e-324, -5e-324)
	for len(in)%32 != 24 { // whole blocks of 8, not of 32: both loops of the AVX-512 code
		in = append(in, 0.25)
	}
	type core struct {
		name string
		ok   bool
		f    func(dst, src *float64, n int)
	}
	for _, c := range []core{{"avx2", hasAVX2, expF64AVX2Asm}, {"avx512", hasAVX512, expF64AVX512Asm}} {
		if !c.ok {
			continue
		}
		got := make([]float64, len(in))
		c.f(&got[0], &in[0], len(in))
		bad := 0
		for i, a := range in {
			if want := math.Exp(a); math.Float64bits(got[i]) != math.Float64bits(want) {
				if bad++; bad <= 5 {
					t.Errorf("%s: exp(%v) = %v, math.Exp = %v", c.name, a, got[i], want)
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d mismatches", c.name, bad, len(in))
		}
	}
}
