package runtime

import "github.com/ct2go/ct2go/internal/kernels"

// PrefillFLOPs is the floating-point work (multiply and add counted
// separately) of one prefill of T tokens from position 0 with the logits of
// every position: 2·T·(every linear's rows·cols, lm_head included) plus the
// two attention products, 2·2·heads·head_dim·(1+2+…+T) per layer. Norms,
// rotary, softmax and SiLU are O(T·H) and left out. Figures such as the
// fraction of the machine's FMA peak divide it by the measured time.
func (m *Model) PrefillFLOPs(T int) float64 {
	params := float64(m.layerMACsPerToken() + int64(m.proj.rows)*int64(m.proj.cols))
	c := &m.cfg
	attn := 4 * float64(c.Layers) * float64(c.Heads*c.HeadDim) * float64(T) * float64(T+1) / 2
	return 2*float64(T)*params + attn
}

// layerMACsPerToken is the multiply-accumulates of the decoder layers' linears
// for one token (every linear but the lm_head).
func (m *Model) layerMACsPerToken() int64 {
	var n int64
	for _, w := range m.linears() {
		if w != m.proj {
			n += int64(w.rows) * int64(w.cols)
		}
	}
	return n
}

// PeakFMA is the float32 FMA throughput of this machine at the current ISA
// level on threads threads, in GFLOPS (kernels.PeakFMA): the ceiling a
// float32 prefill's PrefillFLOPs per second is compared with.
func PeakFMA(threads int) float64 { return kernels.PeakFMA(threads) }
