package runtime

import (
	"math"
	"sync"
)

// ropeTable holds cos/sin of position*inv_freq for the non-interleaved
// rotary of CTranslate2 (attention_layer.cc:252-330, RotaryEmbeddings::initialize),
// grown on demand. Only the first half is stored: emb = concat(freqs, freqs),
// so cos[i] == cos[i+hd/2].
type ropeTable struct {
	half    int
	invFreq []float32
	mu      sync.RWMutex
	cos     []float32 // [positions][half]
	sin     []float32
}

func newRopeTable(p rotaryParams, hd int) *ropeTable {
	half := hd / 2
	inv := make([]float32, half)
	for i := range inv {
		// 1.f / std::pow(base, float(i*2)/float(dim)): powf of float arguments
		// (libstdc++ float overload); float64 pow rounded once to float32 is the
		// correctly rounded powf.
		e := float32(2*i) / float32(hd)
		inv[i] = 1 / float32(math.Pow(float64(p.base), float64(e)))
	}
	if p.scalingType == RotaryScalingLlama3 {
		inv = llama3Freqs(inv, p.scalingFactor, p.lowFreq, p.highFreq, p.originalMaxPos)
	}
	return &ropeTable{half: half, invFreq: inv}
}

// llama3Freqs applies the llama3 frequency rule in float32 exactly as
// attention_layer.cc:270-296. With CT2's defaults (factor 1, old context 0)
// both thresholds are 0, every frequency takes the "low frequency" branch
// and is divided by 1: a no-op, as stock CTranslate2 behaves.
func llama3Freqs(inv []float32, factor, low, high float32, oldCtx int) []float32 {
	out := make([]float32, len(inv))
	copy(out, inv)
	old := float32(oldCtx)
	lowWavelen := old / low
	highWavelen := old / high
	for i, f := range inv {
		// 2.0f * M_PI is a double expression; the quotient is rounded to float.
		wavelen := float32(2.0 * math.Pi / float64(f))
		switch {
		case wavelen < highWavelen:
		case wavelen > lowWavelen:
			out[i] = f / factor
		default:
			smooth := (old/wavelen - low) / (high - low)
			// ((1 - smooth) * freq / factor + smooth * freq), each op rounded to float32.
			a := float32(float32((1-smooth)*f) / factor)
			b := float32(smooth * f)
			out[i] = a + b
		}
	}
	return out
}

// ensure grows the tables to cover positions [0, n).
func (r *ropeTable) ensure(n int) {
	r.mu.RLock()
	have := len(r.cos) / r.half
	r.mu.RUnlock()
	if n <= have {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	have = len(r.cos) / r.half
	if n <= have {
		return
	}
	// Grow geometrically; the values of a position do not depend on the table
	// size (CT2 grows by 2048 at a time, with the same per-position formula).
	n = max(n, 2*have)
	cos := make([]float32, n*r.half)
	sin := make([]float32, n*r.half)
	copy(cos, r.cos)
	copy(sin, r.sin)
	for t := have; t < n; t++ {
		for i, f := range r.invFreq {
			// freqs = t (float) x inv_freq, one float32 product (MatMul with k=1).
			a := float32(t) * f
			cos[t*r.half+i] = float32(math.Cos(float64(a)))
			sin[t*r.half+i] = float32(math.Sin(float64(a)))
		}
	}
	r.cos, r.sin = cos, sin
}

// at returns the cos/sin halves for position t (ensure must cover t).
func (r *ropeTable) at(t int) (cos, sin []float32) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cos[t*r.half : (t+1)*r.half], r.sin[t*r.half : (t+1)*r.half]
}

// apply rotates one head vector x[:2*half] in place (rotary_cpu.cc, non-interleaved):
// y[i] = x[i]*c[i] - x[i+h]*s[i], y[i+h] = x[i+h]*c[i] + x[i]*s[i].
func ropeApply(x, cos, sin []float32) {
	h := len(cos)
	for i := 0; i < h; i++ {
		a, b := x[i], x[i+h]
		c, s := cos[i], sin[i]
		// Each product rounded separately (no FMA), as the C++ loop compiled without -mfma.
		x[i] = float32(a*c) + float32(-b*s)
		x[i+h] = float32(b*c) + float32(a*s)
	}
}
