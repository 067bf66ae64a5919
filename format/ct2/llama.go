package ct2

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
)

// The Llama decoder as CTranslate2 names it: TransformerDecoderModelSpec with
// the attributes LlamaLoader sets (python/ctranslate2/specs/transformer_spec.py,
// attention_spec.py, common_spec.py; converters/transformers.py LlamaLoader;
// shared/docs/ctranslate2-format.md §2). As transformer_spec.py is the one
// place CTranslate2 spells these names, this file is ct2go's: readers and
// writers of a Llama model.bin take the names, dtypes and values from here.

// Spec name and revision model.bin carries (transformer_spec.py:744-749).
const (
	DecoderSpecName     = "TransformerDecoderSpec"
	DecoderSpecRevision = 8
)

// Decoder-level tensors.
const (
	VarEmbeddings = "decoder/embeddings/weight"
	VarFinalNorm  = "decoder/layer_norm/gamma"
	VarProjection = "decoder/projection/weight"
)

// LayerNamePrefix starts every decoder layer variable; LayerPrefix(i) adds
// the layer number and a slash.
const LayerNamePrefix = "decoder/layer_"

// LayerPrefix is the prefix of decoder layer i's variables, "decoder/layer_i/".
func LayerPrefix(i int) string { return LayerNamePrefix + strconv.Itoa(i) + "/" }

// LayerOf splits a layer variable name into its layer number and the part
// after LayerPrefix; ok is false for other names and non-canonical numbers
// ("decoder/layer_01/...").
func LayerOf(name string) (layer int, rest string, ok bool) {
	after, found := strings.CutPrefix(name, LayerNamePrefix)
	if !found {
		return 0, "", false
	}
	num, rest, found := strings.Cut(after, "/")
	n, err := strconv.Atoi(num)
	if !found || err != nil || n < 0 || strconv.Itoa(n) != num {
		return 0, "", false
	}
	return n, rest, true
}

// Layer parts, after LayerPrefix. Linear parts hold Weight and, with biases,
// Bias; a quantized weight has a ScaleSuffix companion.
const (
	Attention   = "self_attention/"
	AttnNorm    = "self_attention/layer_norm/gamma"
	AttnQKV     = "self_attention/linear_0" // q, k, v fused on dim 0 (converters/utils.py fuse_linear)
	AttnOut     = "self_attention/linear_1"
	FFNNorm     = "ffn/layer_norm/gamma"
	FFNGate     = "ffn/linear_0" // activation applied (SiLU for Llama)
	FFNUp       = "ffn/linear_0_noact"
	FFNDown     = "ffn/linear_1"
	Weight      = "/weight"
	Bias        = "/bias"
	ScaleSuffix = "_scale" // int8: one float32 per row; int16: one float32 scalar (LayerSpec._quantize)
)

// Scalar is a scalar attribute: its name (decoder scalars in full, layer
// scalars after LayerPrefix), its dtype in model.bin (bools are int8), and
// the value CTranslate2 assumes when model.bin lacks it (the spec's default,
// which the C++ runtime reads with get_attribute_with_default).
type Scalar struct {
	Name    string
	DType   DType
	Default float64
}

// Decoder scalars (TransformerDecoderSpec, transformer_spec.py:215-279);
// defaults as src/layers/transformer.cc TransformerDecoder reads them
// (CTranslate2 @014770c): an absent scale_embeddings scales by sqrt(d_model),
// an absent activation is enum value 0.
var (
	NumHeads                  = Scalar{"decoder/num_heads", Int16, 8}
	PreNorm                   = Scalar{"decoder/pre_norm", Int8, 1}
	Activation                = Scalar{"decoder/activation", Int8, 0} // common_spec.py Activation: RELU = 0
	AlignmentLayer            = Scalar{"decoder/alignment_layer", Int16, -1}
	AlignmentHeads            = Scalar{"decoder/alignment_heads", Int16, 1}
	ScaleEmbeddings           = Scalar{"decoder/scale_embeddings", Int8, 1}
	Alibi                     = Scalar{"decoder/alibi", Int8, 0}
	AlibiUsePositivePositions = Scalar{"decoder/alibi_use_positive_positions", Int8, 1}
	ScaleAlibi                = Scalar{"decoder/scale_alibi", Int8, 0}
	StartFromZeroEmbedding    = Scalar{"decoder/start_from_zero_embedding", Int8, 0}
)

// ActivationSwish is common_spec.py's Activation.SWISH (SiLU), Llama's.
const ActivationSwish = 2

// LlamaDecoderConstants are the decoder scalars LlamaLoader.set_decoder
// writes with the same value for every Llama; num_heads comes from the
// config.
var LlamaDecoderConstants = []struct {
	Scalar
	Value float64
}{
	{PreNorm, 1},
	{Activation, ActivationSwish},
	{AlignmentLayer, -1},
	{AlignmentHeads, 1},
	{ScaleEmbeddings, 0}, // LlamaLoader sets False
	{Alibi, 0},
	{AlibiUsePositivePositions, 0},
	{ScaleAlibi, 0},
	{StartFromZeroEmbedding, 0},
}

// Self-attention scalars of every layer, after LayerPrefix
// (MultiHeadAttentionSpec, attention_spec.py; defaults as its constructor's
// and src/layers/attention_layer.cc:81-106).
var (
	// RotaryDim 0 means the full head dimension; absent means no rotary
	// embeddings at all.
	RotaryDim        = Scalar{"self_attention/rotary_dim", Int32, -1}
	RotaryInterleave = Scalar{"self_attention/rotary_interleave", Int8, 1}
	RotaryBase       = Scalar{"self_attention/rotary_base", Float32, 10000}
	// NumHeadsKV is written only when it differs from num_heads (GQA).
	NumHeadsKV                    = Scalar{"self_attention/num_heads_kv", Int32, 0}
	RotaryScalingType             = Scalar{"self_attention/rotary_scaling_type", Int8, -1}
	RotaryScalingFactor           = Scalar{"self_attention/rotary_scaling_factor", Float32, 1}
	RotaryLowFreqFactor           = Scalar{"self_attention/rotary_low_freq_factor", Float32, 1}
	RotaryHighFreqFactor          = Scalar{"self_attention/rotary_high_freq_factor", Float32, 4}
	OriginalMaxPositionEmbeddings = Scalar{"self_attention/original_max_position_embeddings", Int32, 0}
)

// Scalars LlamaLoader never writes but the C++ runtime would honour; a
// reader of Llama models looks for them to refuse a model that sets them
// (attention_spec.py, transformer_spec.py; read in attention_layer.cc:68-121
// and transformer.cc). Defaults marked "derived" are computed by the reader:
// head_dim = d_model/num_heads, queries_scale = 1/sqrt(head_dim).
var (
	DecoderSlidingWindow  = Scalar{"decoder/sliding_window", Int32, 0}
	FinalLogitSoftcapping = Scalar{"decoder/final_logit_softcapping", Float32, 0}
	HeadDim               = Scalar{"self_attention/head_dim", Int32, 0}        // derived
	QueriesScale          = Scalar{"self_attention/queries_scale", Float32, 0} // derived
	MultiQuery            = Scalar{"self_attention/multi_query", Int8, 0}      // one KV head when set
	SlidingWindow         = Scalar{"self_attention/sliding_window", Int32, 0}  // 0: none
	MaxPositionEmbeddings = Scalar{"self_attention/max_position_embeddings", Int32, 0}
)

// LayerWeights are the weight tensors of a Llama decoder layer (without
// biases), after LayerPrefix; shared/docs/ctranslate2-format.md §2.
var LayerWeights = []string{
	AttnNorm,
	AttnQKV + Weight,
	AttnOut + Weight,
	FFNNorm,
	FFNGate + Weight,
	FFNUp + Weight,
	FFNDown + Weight,
}

// Llama's fixed rotary layout: full head dimension, GPT-NeoX half split (no
// q/k permutation), LlamaLoader's values for RotaryDim and RotaryInterleave.
const (
	LlamaRotaryDim        = 0
	LlamaRotaryInterleave = 0
)

// RotaryScalingType values (attention_spec.py RotaryScalingType, matching
// include/ctranslate2/layers/attention.h).
const (
	RotaryScalingLinear = 0
	RotaryScalingSu     = 1
	RotaryScalingLlama3 = 2
)

// The llama3 rope_scaling of Llama 3.1 8B/70B and Llama 3.2 11B/90B Vision
// (their config.json; mllama-checkpoint.md §1; Llama 3.2 1B/3B use factor
// 32): what a reader assumes for a model that lacks the values and has no
// checkpoint config at hand.
const (
	Llama3Factor                        = 8
	Llama3LowFreqFactor                 = 1
	Llama3HighFreqFactor                = 4
	Llama3OriginalMaxPositionEmbeddings = 8192
)

// Llama3Omitted are the two llama3 RoPE scalars CTranslate2's runtime reads
// but its converter never writes, which leaves their defaults (factor 1,
// original context 0) in force and makes llama3 scaling a silent no-op
// (shared/docs/ctranslate2-format.md §6). ct2go writes them unless
// --ct2-compat; fix-rope adds them to a stock conversion.
var Llama3Omitted = []Scalar{RotaryScalingFactor, OriginalMaxPositionEmbeddings}

// Encode returns v as s's little-endian payload (integers truncated toward
// zero, float32 rounded to nearest).
func (s Scalar) Encode(v float64) []byte {
	b := make([]byte, s.DType.Size())
	switch s.DType {
	case Int8:
		b[0] = byte(int8(v))
	case Int16:
		binary.LittleEndian.PutUint16(b, uint16(int16(v)))
	case Int32:
		binary.LittleEndian.PutUint32(b, uint32(int32(v)))
	case Float32:
		binary.LittleEndian.PutUint32(b, math.Float32bits(float32(v)))
	default:
		panic("ct2: scalar " + s.Name + " has no scalar dtype") // the table above is wrong
	}
	return b
}
