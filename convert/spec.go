package convert

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"

	"github.com/ct2go/ct2go/format/ct2"
)

// Spec name and revision of TransformerDecoderModelSpec
// (python/ctranslate2/specs/transformer_spec.py:744-749).
const (
	specName     = "TransformerDecoderSpec"
	specRevision = 8
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
func llamaVars(tm *TextModel, compat bool) []*Var {
	p := tm.Params
	var vars []*Var
	scalar := func(name string, dt ct2.DType, v float64) {
		b := make([]byte, dt.Size())
		switch dt {
		case ct2.Int8:
			b[0] = byte(int8(v))
		case ct2.Int16:
			binary.LittleEndian.PutUint16(b, uint16(int16(v)))
		case ct2.Int32:
			binary.LittleEndian.PutUint32(b, uint32(int32(v)))
		case ct2.Float32:
			binary.LittleEndian.PutUint32(b, math.Float32bits(float32(v)))
		}
		vars = append(vars, &Var{Name: name, DType: dt, Kind: kindScalar, scalar: b})
	}
	tensor := func(name string, kind varKind, refs ...Ref) {
		shape := refs[0].Shape()
		for _, r := range refs[1:] {
			shape[0] += r.Rows
		}
		vars = append(vars, &Var{Name: name, Shape: shape, Kind: kind, srcs: refs})
	}
	get := func(name string) Ref { return tm.Tensors[name] }

	// TransformerDecoderSpec attributes (transformer_spec.py:215-279); bools become int8.
	scalar("decoder/num_heads", ct2.Int16, float64(p.Heads))
	scalar("decoder/pre_norm", ct2.Int8, 1)
	scalar("decoder/activation", ct2.Int8, 2) // Activation.SWISH (common_spec.py:7-16)
	scalar("decoder/alignment_layer", ct2.Int16, -1)
	scalar("decoder/alignment_heads", ct2.Int16, 1)
	scalar("decoder/scale_embeddings", ct2.Int8, 0) // LlamaLoader.set_decoder sets False
	scalar("decoder/alibi", ct2.Int8, 0)
	scalar("decoder/alibi_use_positive_positions", ct2.Int8, 0)
	scalar("decoder/scale_alibi", ct2.Int8, 0)
	scalar("decoder/start_from_zero_embedding", ct2.Int8, 0)
	tensor("decoder/embeddings/weight", kindWeight, get("model.embed_tokens.weight"))
	tensor("decoder/layer_norm/gamma", kindFloat, get("model.norm.weight"))
	tensor("decoder/projection/weight", kindWeight, get("lm_head.weight"))

	for i := 0; i < p.Layers; i++ {
		src := func(s string) Ref { return get(fmt.Sprintf("model.layers.%d.%s", i, s)) }
		sa := fmt.Sprintf("decoder/layer_%d/self_attention/", i)
		ffn := fmt.Sprintf("decoder/layer_%d/ffn/", i)
		tensor(sa+"layer_norm/gamma", kindFloat, src("input_layernorm.weight"))
		tensor(ffn+"layer_norm/gamma", kindFloat, src("post_attention_layernorm.weight"))
		// q, k, v fused on dim 0 (converters/utils.py fuse_linear).
		tensor(sa+"linear_0/weight", kindWeight, src("self_attn.q_proj.weight"), src("self_attn.k_proj.weight"), src("self_attn.v_proj.weight"))
		tensor(sa+"linear_1/weight", kindWeight, src("self_attn.o_proj.weight"))
		tensor(ffn+"linear_0/weight", kindWeight, src("mlp.gate_proj.weight"))
		tensor(ffn+"linear_0_noact/weight", kindWeight, src("mlp.up_proj.weight"))
		tensor(ffn+"linear_1/weight", kindWeight, src("mlp.down_proj.weight"))
		if p.AttnBias {
			tensor(sa+"linear_0/bias", kindFloat, src("self_attn.q_proj.bias"), src("self_attn.k_proj.bias"), src("self_attn.v_proj.bias"))
			tensor(sa+"linear_1/bias", kindFloat, src("self_attn.o_proj.bias"))
		}
		if p.MLPBias {
			tensor(ffn+"linear_0/bias", kindFloat, src("mlp.gate_proj.bias"))
			tensor(ffn+"linear_0_noact/bias", kindFloat, src("mlp.up_proj.bias"))
			tensor(ffn+"linear_1/bias", kindFloat, src("mlp.down_proj.bias"))
		}
		// MultiHeadAttentionSpec rotary attributes (attention_spec.py).
		scalar(sa+"rotary_dim", ct2.Int32, 0)
		scalar(sa+"rotary_interleave", ct2.Int8, 0)
		scalar(sa+"rotary_base", ct2.Float32, p.RopeTheta)
		if p.KVHeads != p.Heads {
			scalar(sa+"num_heads_kv", ct2.Int32, float64(p.KVHeads))
		}
		switch p.Rope {
		case ropeLinear:
			scalar(sa+"rotary_scaling_type", ct2.Int8, 0)
			scalar(sa+"rotary_scaling_factor", ct2.Float32, p.RopeFactor)
		case ropeLlama3:
			scalar(sa+"rotary_scaling_type", ct2.Int8, 2)
			scalar(sa+"rotary_low_freq_factor", ct2.Float32, p.RopeLowFreq)
			scalar(sa+"rotary_high_freq_factor", ct2.Float32, p.RopeHighFreq)
			if !compat {
				// The fix: CTranslate2's runtime reads these two (attention_layer.cc:81-106)
				// but its converter never writes them, which silently disables llama3 scaling.
				scalar(sa+"rotary_scaling_factor", ct2.Float32, p.RopeFactor)
				scalar(sa+"original_max_position_embeddings", ct2.Int32, float64(p.RopeOriginalMax))
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
				out = append(out, &Var{Name: v.Name + "_scale", Shape: []int{v.Shape[0]}, DType: ct2.Float32, Kind: kindScale, weight: v})
			case ct2.Int16:
				out = append(out, &Var{Name: v.Name + "_scale", DType: ct2.Float32, Kind: kindScale, weight: v})
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
