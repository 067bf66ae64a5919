package verify

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/runtime"
)

// The llama3 RoPE values assumed when a model lacks them (format/ct2's
// Llama table: Llama 3.1/3.2 Vision's rope_scaling).
const (
	AssumedLlama3Factor      = ct2.Llama3Factor
	AssumedLlama3OriginalMax = ct2.Llama3OriginalMaxPositionEmbeddings
)

// RopeAngleError is the largest rotation-angle error (radians) at position pos
// between plain RoPE and llama3-scaled RoPE (base, head dim hd, factor, low/high
// frequency factors, original context), i.e. max_i pos·|f_i − f'_i| with the
// llama3 rule of transformers' _compute_llama3_parameters / CT2
// attention_layer.cc:270-296, in float64.
func RopeAngleError(base float64, hd int, factor, low, high float64, oldCtx, pos int) float64 {
	old := float64(oldCtx)
	var worst float64
	for i := 0; i < hd/2; i++ {
		f := 1 / math.Pow(base, float64(2*i)/float64(hd))
		wavelen := 2 * math.Pi / f
		g := f
		switch {
		case wavelen < old/high:
		case wavelen > old/low:
			g = f / factor
		default:
			smooth := (old/wavelen - low) / (high - low)
			g = (1-smooth)*f/factor + smooth*f
		}
		worst = max(worst, float64(pos)*math.Abs(f-g))
	}
	return worst
}

// RopeWarning returns a warning when the model is llama3-scaled but lacks
// rotary_scaling_factor / original_max_position_embeddings (so it runs as
// plain RoPE: the stock CTranslate2 converter's output), with the drift seen
// in rep (max |Δ| by prompt length) and the angle error the missing scaling
// causes; "" when the model is fine.
func RopeWarning(cfg runtime.Config, dir string, rep *Report) string {
	if !cfg.Llama3ScalarsMissing {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "warning: %s: rotary_scaling_type is llama3 but model.bin lacks rotary_scaling_factor / original_max_position_embeddings, so CTranslate2 (and ct2go) run plain RoPE: outputs drift from the original model, increasingly with position.\n", dir)
	if rep != nil && len(rep.Prompts) > 0 {
		ps := append([]PromptReport(nil), rep.Prompts...)
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Tokens < ps[j].Tokens })
		if len(ps) > 8 { // shortest, longest and evenly spaced ones between
			pick := make([]PromptReport, 8)
			for k := range pick {
				pick[k] = ps[k*(len(ps)-1)/7]
			}
			ps = pick
		}
		var parts []string
		for _, p := range ps {
			parts = append(parts, fmt.Sprintf("T=%d %.2g", p.Tokens, p.MaxAbs))
		}
		fmt.Fprintf(&b, "  drift in this run, max |Δlogit| by prompt length: %s\n", strings.Join(parts, ", "))
	}
	longest := 1
	if rep != nil {
		for _, p := range rep.Prompts {
			longest = max(longest, p.Tokens)
		}
	}
	low, high := float64(cfg.RotaryLowFreqFactor), float64(cfg.RotaryHighFreqFactor)
	errAt := func(pos int) float64 {
		return RopeAngleError(float64(cfg.RotaryBase), cfg.HeadDim, AssumedLlama3Factor, low, high, AssumedLlama3OriginalMax, pos)
	}
	fmt.Fprintf(&b, "  RoPE angle error (assuming factor %d, original context %d): %.2g rad at position %d, %.2g at %d, %.2g at %d\n",
		AssumedLlama3Factor, AssumedLlama3OriginalMax, errAt(longest-1), longest-1,
		errAt(AssumedLlama3OriginalMax-1), AssumedLlama3OriginalMax-1, errAt(16*AssumedLlama3OriginalMax-1), 16*AssumedLlama3OriginalMax-1)
	fmt.Fprintf(&b, "  fix: ct2go fix-rope --model %s --from-config ORIGINAL_HF_CONFIG.json (or --factor %d --original-max-position-embeddings %d)",
		dir, AssumedLlama3Factor, AssumedLlama3OriginalMax)
	return b.String()
}
