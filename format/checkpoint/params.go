package checkpoint

import (
	"fmt"
	"math"

	"github.com/ct2go/ct2go/format/hf"
)

// RoPE scaling types understood by CTranslate2 for Llama (transformers.py:42-47,
// attention_spec.py RotaryScalingType). Su/longrope is Phi-3's and needs
// tensors a Llama checkpoint does not have, so it is not offered here.
const (
	RopeNone   = ""
	RopeLinear = "linear"
	RopeLlama3 = "llama3"
)

// Upper bounds for config sizes, checked before anything is sized from
// them: the largest Llama (405B) has 126 layers, hidden 16384 and a 128256
// vocabulary; 2^24 keeps every shape product far inside int64.
const (
	maxLayers = 4096
	maxDim    = 1 << 24
)

// Params are the validated hyper-parameters of a Llama text model.
type Params struct {
	Hidden, Intermediate, Layers int
	Heads, KVHeads, HeadDim      int
	Vocab                        int
	Eps                          float64
	RopeTheta                    float64
	Rope                         string // RopeNone, RopeLinear, RopeLlama3
	RopeFactor                   float64
	RopeLowFreq, RopeHighFreq    float64
	RopeOriginalMax              int
	Tied                         bool
	// MaxPositions is max_position_embeddings (0 when the config has none).
	MaxPositions      int
	AttnBias, MLPBias bool
	// LoadDType is config torch_dtype as transformers loads it: bfloat16,
	// float16, float32 ("" or null loads float32 in transformers 4.x), or
	// "auto" (keep each tensor's own dtype).
	LoadDType string
}

// ParamsFrom validates a text config and returns every problem at once.
func ParamsFrom(t *hf.TextConfig, torchDType string) (Params, []string) {
	var probs []string
	p := Params{
		Hidden: t.HiddenSize, Intermediate: t.IntermediateSize, Layers: t.NumHiddenLayers,
		Heads: t.NumAttentionHeads, KVHeads: t.KVHeads(), HeadDim: t.HeadDimOr(),
		Vocab: t.VocabSize, Eps: t.RMSNormEps, RopeTheta: t.RopeThetaOr(10000),
		AttnBias: t.AttentionBias, MLPBias: t.MLPBias, RopeFactor: 1,
		MaxPositions: t.MaxPositionEmbeddings,
	}
	if t.TieWordEmbeddings != nil {
		p.Tied = *t.TieWordEmbeddings
	}
	for _, f := range []struct {
		name string
		v    int
		max  int
	}{{"hidden_size", p.Hidden, maxDim}, {"intermediate_size", p.Intermediate, maxDim}, {"num_hidden_layers", p.Layers, maxLayers},
		{"num_attention_heads", p.Heads, maxDim}, {"num_key_value_heads", p.KVHeads, maxDim}, {"vocab_size", p.Vocab, maxDim}} {
		switch {
		case f.v <= 0:
			probs = append(probs, fmt.Sprintf("config: %s must be a positive integer (got %d)", f.name, f.v))
		case f.v > f.max:
			// Sizes are bounded before anything is sized from them (loops
			// over layers, shape products): real models are far below.
			probs = append(probs, fmt.Sprintf("config: %s %d is implausibly large (at most %d)", f.name, f.v, f.max))
		}
	}
	if p.HeadDim > maxDim {
		probs = append(probs, fmt.Sprintf("config: head_dim %d is implausibly large (at most %d)", p.HeadDim, maxDim))
	}
	if p.Heads > 0 && p.KVHeads > 0 && p.Heads%p.KVHeads != 0 {
		probs = append(probs, fmt.Sprintf("config: num_attention_heads %d is not a multiple of num_key_value_heads %d", p.Heads, p.KVHeads))
	}
	if p.HeadDim <= 0 {
		probs = append(probs, "config: head_dim is not positive")
	} else if t.HeadDim == nil && p.Heads > 0 && p.Hidden%p.Heads != 0 {
		probs = append(probs, fmt.Sprintf("config: hidden_size %d is not divisible by num_attention_heads %d (and no head_dim)", p.Hidden, p.Heads))
	}
	if p.HeadDim%2 != 0 {
		probs = append(probs, fmt.Sprintf("config: head_dim %d is odd; rotary embeddings need an even head dimension", p.HeadDim))
	}
	if !(p.Eps > 0) || math.IsInf(p.Eps, 0) {
		probs = append(probs, fmt.Sprintf("config: rms_norm_eps must be positive (got %v)", p.Eps))
	}
	// rope_theta and the RoPE factors are stored as float32 scalars in model.bin.
	if !(p.RopeTheta > 0) || p.RopeTheta > math.MaxFloat32 {
		probs = append(probs, fmt.Sprintf("config: rope_theta must be a positive float32 (got %v)", p.RopeTheta))
	}
	if t.HiddenAct != "" && t.HiddenAct != "silu" {
		probs = append(probs, fmt.Sprintf("config: hidden_act %q is not supported (Llama uses silu)", t.HiddenAct))
	}
	if sc := t.Scaling(); sc != nil {
		typ, _ := sc["rope_type"].(string)
		if s, ok := sc["type"].(string); ok && s != "" {
			typ = s
		}
		num := func(key string) (float64, bool) {
			v, ok := hf.Number(sc[key])
			return v, ok
		}
		if f, ok := num("factor"); ok {
			p.RopeFactor = f
		}
		switch typ {
		case "", "default":
			// transformers 5 writes rope_parameters with rope_type "default" for plain RoPE.
		case RopeLinear:
			p.Rope = RopeLinear
		case RopeLlama3:
			p.Rope = RopeLlama3
			var ok1, ok2, ok3 bool
			p.RopeLowFreq, ok1 = num("low_freq_factor")
			p.RopeHighFreq, ok2 = num("high_freq_factor")
			var om float64
			om, ok3 = num("original_max_position_embeddings")
			if !ok1 || !ok2 || !ok3 {
				probs = append(probs, "config: rope_scaling llama3 needs low_freq_factor, high_freq_factor and original_max_position_embeddings")
			}
			// Written as an int32 scalar: anything else would be stored as a different number.
			if ok3 && (om != math.Trunc(om) || om < 1 || om > math.MaxInt32) {
				probs = append(probs, fmt.Sprintf("config: rope_scaling original_max_position_embeddings must be a positive int32 (got %v)", om))
			} else {
				p.RopeOriginalMax = int(om)
			}
			for _, f := range []struct {
				name string
				v    float64
				ok   bool
			}{{"low_freq_factor", p.RopeLowFreq, ok1}, {"high_freq_factor", p.RopeHighFreq, ok2}} {
				if f.ok && !(f.v > 0 && f.v <= math.MaxFloat32) {
					probs = append(probs, fmt.Sprintf("config: rope_scaling %s must be a positive float32 (got %v)", f.name, f.v))
				}
			}
			if ok1 && ok2 && p.RopeHighFreq <= p.RopeLowFreq {
				probs = append(probs, fmt.Sprintf("config: rope_scaling high_freq_factor %v must exceed low_freq_factor %v", p.RopeHighFreq, p.RopeLowFreq))
			}
		default:
			probs = append(probs, fmt.Sprintf("config: rope_scaling type %q is not supported (supported: default, linear, llama3)", typ))
		}
		if p.Rope != RopeNone && !(p.RopeFactor > 0 && p.RopeFactor <= math.MaxFloat32) {
			probs = append(probs, fmt.Sprintf("config: rope_scaling factor must be a positive float32 (got %v)", p.RopeFactor))
		}
	}
	switch torchDType {
	case "bfloat16", "float16", "float32", "auto", "":
		p.LoadDType = torchDType
	default:
		probs = append(probs, fmt.Sprintf("config: torch_dtype %q is not supported (bfloat16, float16, float32)", torchDType))
	}
	return p, probs
}
