package convert

import (
	"fmt"
	"sort"

	"github.com/ct2go/ct2go/format/ct2"
)

type varKind int

const (
	kindScalar varKind = iota
	kindWeight         // quantizable: LinearSpec.weight, EmbeddingsSpec.weight
	kindFloat          // other float tensors: gammas, biases
	kindScale          // the "_scale" companion of a quantized weight
)

// Var is one variable of the model.bin to write.
type Var struct {
	Name  string
	Shape []int
	DType ct2.DType
	Kind  varKind

	scalar []byte // kindScalar payload
	srcs   []Ref  // kindWeight/kindFloat: concatenated on dim 0 (fused QKV)
	load   ct2.DType
	weight *Var // kindScale: its weight
}

// NBytes is the payload size.
func (v *Var) NBytes() int64 {
	n := int64(v.DType.Size())
	for _, d := range v.Shape {
		n *= int64(d)
	}
	return n
}

// Plan is the full content of the model directory, known from the headers.
type Plan struct {
	Vars    []*Var // sorted by name, aliases removed
	Aliases []ct2.Alias
	Config  map[string]any
	Vocab   []string
	Notes   []string
	quant   quant
	text    *TextModel
}

// OutputBytes is the size model.bin will have, give or take its header.
func (p *Plan) OutputBytes() int64 {
	var n int64
	for _, v := range p.Vars {
		n += v.NBytes()
	}
	return n
}

// InputBytes is how many checkpoint bytes the conversion reads.
func (p *Plan) InputBytes() int64 {
	var n int64
	for _, v := range p.Vars {
		if v.Kind == kindWeight || v.Kind == kindFloat {
			n += srcBytes(v)
		}
	}
	return n
}

// llamaVars lists the unquantized variables LlamaLoader sets
// (converters/transformers.py:1698-1843, specs/*_spec.py): weights before
// quantization (their dtype is set by plan()), gammas, biases and scalars.
// Names, dtypes and fixed values come from format/ct2's Llama table.
func llamaVars(tm *TextModel, compat bool) []*Var {
	p := tm.Params
	var vars []*Var
	// scalar adds s under prefix ("" for decoder scalars, the layer's prefix
	// for layer scalars).
	scalar := func(prefix string, s ct2.Scalar, v float64) {
		vars = append(vars, &Var{Name: prefix + s.Name, DType: s.DType, Kind: kindScalar, scalar: s.Encode(v)})
	}
	tensor := func(name string, kind varKind, refs ...Ref) {
		shape := refs[0].Shape()
		for _, r := range refs[1:] {
			shape[0] += r.Rows
		}
		vars = append(vars, &Var{Name: name, Shape: shape, Kind: kind, srcs: refs})
	}
	get := func(name string) Ref { return tm.Tensors[name] }

	scalar("", ct2.NumHeads, float64(p.Heads))
	for _, c := range ct2.LlamaDecoderConstants {
		scalar("", c.Scalar, c.Value)
	}
	tensor(ct2.VarEmbeddings, kindWeight, get("model.embed_tokens.weight"))
	tensor(ct2.VarFinalNorm, kindFloat, get("model.norm.weight"))
	tensor(ct2.VarProjection, kindWeight, get("lm_head.weight"))

	for i := 0; i < p.Layers; i++ {
		src := func(s string) Ref { return get(fmt.Sprintf("model.layers.%d.%s", i, s)) }
		l := ct2.LayerPrefix(i)
		tensor(l+ct2.AttnNorm, kindFloat, src("input_layernorm.weight"))
		tensor(l+ct2.FFNNorm, kindFloat, src("post_attention_layernorm.weight"))
		tensor(l+ct2.AttnQKV+ct2.Weight, kindWeight, src("self_attn.q_proj.weight"), src("self_attn.k_proj.weight"), src("self_attn.v_proj.weight"))
		tensor(l+ct2.AttnOut+ct2.Weight, kindWeight, src("self_attn.o_proj.weight"))
		tensor(l+ct2.FFNGate+ct2.Weight, kindWeight, src("mlp.gate_proj.weight"))
		tensor(l+ct2.FFNUp+ct2.Weight, kindWeight, src("mlp.up_proj.weight"))
		tensor(l+ct2.FFNDown+ct2.Weight, kindWeight, src("mlp.down_proj.weight"))
		if p.AttnBias {
			tensor(l+ct2.AttnQKV+ct2.Bias, kindFloat, src("self_attn.q_proj.bias"), src("self_attn.k_proj.bias"), src("self_attn.v_proj.bias"))
			tensor(l+ct2.AttnOut+ct2.Bias, kindFloat, src("self_attn.o_proj.bias"))
		}
		if p.MLPBias {
			tensor(l+ct2.FFNGate+ct2.Bias, kindFloat, src("mlp.gate_proj.bias"))
			tensor(l+ct2.FFNUp+ct2.Bias, kindFloat, src("mlp.up_proj.bias"))
			tensor(l+ct2.FFNDown+ct2.Bias, kindFloat, src("mlp.down_proj.bias"))
		}
		scalar(l, ct2.RotaryDim, ct2.LlamaRotaryDim)
		scalar(l, ct2.RotaryInterleave, ct2.LlamaRotaryInterleave)
		scalar(l, ct2.RotaryBase, p.RopeTheta)
		if p.KVHeads != p.Heads {
			scalar(l, ct2.NumHeadsKV, float64(p.KVHeads))
		}
		switch p.Rope {
		case ropeLinear:
			scalar(l, ct2.RotaryScalingType, ct2.RotaryScalingLinear)
			scalar(l, ct2.RotaryScalingFactor, p.RopeFactor)
		case ropeLlama3:
			scalar(l, ct2.RotaryScalingType, ct2.RotaryScalingLlama3)
			scalar(l, ct2.RotaryLowFreqFactor, p.RopeLowFreq)
			scalar(l, ct2.RotaryHighFreqFactor, p.RopeHighFreq)
			if !compat {
				// The fix: the two scalars CTranslate2's converter omits (ct2.Llama3Omitted).
				scalar(l, ct2.RotaryScalingFactor, p.RopeFactor)
				scalar(l, ct2.OriginalMaxPositionEmbeddings, float64(p.RopeOriginalMax))
			}
		}
	}
	sort.Slice(vars, func(i, j int) bool { return vars[i].Name < vars[j].Name })
	return vars
}

// loadDType is the dtype transformers holds a tensor in after
// from_pretrained: float16 when the converter asks for it, else the config's
// torch_dtype (float32 when unset, the source dtype for "auto").
func loadDType(q quant, p Params, src string) ct2.DType {
	if q.loadFloat16 {
		return ct2.Float16
	}
	switch p.LoadDType {
	case "bfloat16":
		return ct2.BFloat16
	case "float16":
		return ct2.Float16
	case "auto":
		switch src {
		case "BF16":
			return ct2.BFloat16
		case "F16":
			return ct2.Float16
		}
	}
	return ct2.Float32
}

// finalize sets each tensor's output dtype and adds the _scale companions,
// following LayerSpec._quantize (model_spec.py:191-273).
func finalize(vars []*Var, q quant, p Params) []*Var {
	out := make([]*Var, 0, len(vars)+len(vars)/2)
	for _, v := range vars {
		if v.Kind == kindScalar {
			out = append(out, v)
			continue
		}
		v.load = loadDType(q, p, v.srcs[0].T.DType)
		switch v.Kind {
		case kindWeight:
			v.DType = q.weight
			out = append(out, v)
			switch q.weight {
			case ct2.Int8:
				out = append(out, &Var{Name: v.Name + ct2.ScaleSuffix, Shape: []int{v.Shape[0]}, DType: ct2.Float32, Kind: kindScale, weight: v})
			case ct2.Int16:
				out = append(out, &Var{Name: v.Name + ct2.ScaleSuffix, DType: ct2.Float32, Kind: kindScale, weight: v})
			}
		case kindFloat:
			v.DType = q.other
			if q.keepOther {
				v.DType = v.load
			}
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
