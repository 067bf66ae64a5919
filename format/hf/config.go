// Package hf reads the JSON files of a Hugging Face checkpoint: config.json
// (Llama, and Mllama with its text_config/vision_config, in both the
// transformers-4 and transformers-5 spellings), tokenizer.json's vocabulary
// and the special tokens of tokenizer_config.json / special_tokens_map.json.
package hf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/ct2go/ct2go/internal/fsutil"
)

// Config is config.json: the raw map (for fields we pass through, e.g. when
// writing a stripped checkpoint) and the decoded text model parameters.
type Config struct {
	Path          string
	Raw           map[string]any
	ModelType     string
	Architectures []string
	TorchDType    string
	// Text is the language model's configuration: the top level for Llama
	// and MllamaForCausalLM (mllama_text_model), text_config for Mllama.
	Text    TextConfig
	TextRaw map[string]any
	// Vision is vision_config for Mllama, nil otherwise.
	Vision map[string]any
}

// TextConfig holds the fields of a Llama-style text config that conversion
// needs. Pointers distinguish "absent" from zero.
type TextConfig struct {
	ModelType             string         `json:"model_type"`
	HiddenSize            int            `json:"hidden_size"`
	IntermediateSize      int            `json:"intermediate_size"`
	NumHiddenLayers       int            `json:"num_hidden_layers"`
	NumAttentionHeads     int            `json:"num_attention_heads"`
	NumKeyValueHeads      *int           `json:"num_key_value_heads"`
	HeadDim               *int           `json:"head_dim"`
	VocabSize             int            `json:"vocab_size"`
	RMSNormEps            float64        `json:"rms_norm_eps"`
	RopeTheta             *float64       `json:"rope_theta"`
	RopeScaling           map[string]any `json:"rope_scaling"`
	RopeParameters        map[string]any `json:"rope_parameters"` // transformers 5
	MaxPositionEmbeddings int            `json:"max_position_embeddings"`
	TieWordEmbeddings     *bool          `json:"tie_word_embeddings"`
	HiddenAct             string         `json:"hidden_act"`
	AttentionBias         bool           `json:"attention_bias"`
	MLPBias               bool           `json:"mlp_bias"`
	CrossAttentionLayers  []int          `json:"cross_attention_layers"`
	TorchDType            string         `json:"torch_dtype"`
	DType                 string         `json:"dtype"` // transformers 5 spelling
	BosTokenID            any            `json:"bos_token_id"`
	EosTokenID            any            `json:"eos_token_id"`
	PadTokenID            any            `json:"pad_token_id"`
	PretrainingTP         *int           `json:"pretraining_tp"`
	InitializerRange      *float64       `json:"initializer_range"`
	AttentionDropout      *float64       `json:"attention_dropout"`
	UseCache              *bool          `json:"use_cache"`
}

// ReadConfig parses dir/config.json.
func ReadConfig(dir string) (*Config, error) {
	path := filepath.Join(dir, "config.json")
	raw, err := fsutil.ReadCapped(path, maxConfigSize)
	if err != nil {
		return nil, err
	}
	c, err := ParseConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

// Size caps for the JSON files read whole: far above real ones (config.json
// is a few KB, Llama 3's tokenizer.json 9 MB), so only a file that is not
// what it claims to be is refused.
const (
	maxConfigSize    = 16 << 20
	maxTokenizerSize = 256 << 20
	// MaxJSONSize is the cap for the small JSON files of a model directory
	// (config.json, vocabulary.json, generation_config.json, ...).
	MaxJSONSize = maxConfigSize
	// MaxTokenizerSize is the cap for tokenizer.json.
	MaxTokenizerSize = maxTokenizerSize
)

// ParseConfig decodes config.json bytes.
func ParseConfig(raw []byte) (*Config, error) {
	c := &Config{}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&c.Raw); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if c.Raw == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	c.ModelType, _ = c.Raw["model_type"].(string)
	if archs, ok := c.Raw["architectures"].([]any); ok {
		for _, a := range archs {
			if s, ok := a.(string); ok {
				c.Architectures = append(c.Architectures, s)
			}
		}
	}
	c.TorchDType = dtypeField(c.Raw)
	textRaw := c.Raw
	if tc, ok := c.Raw["text_config"]; ok {
		m, ok := tc.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("text_config is not an object")
		}
		textRaw = m
		if vc, ok := c.Raw["vision_config"].(map[string]any); ok {
			c.Vision = vc
		}
	}
	c.TextRaw = textRaw
	b, _ := json.Marshal(textRaw)
	if err := json.Unmarshal(b, &c.Text); err != nil {
		field := ""
		if te, ok := err.(*json.UnmarshalTypeError); ok {
			field = te.Field
			return nil, fmt.Errorf("field %q: expected %s, got a JSON %s", field, te.Type, te.Value)
		}
		return nil, err
	}
	if c.Text.TorchDType == "" {
		c.Text.TorchDType = c.Text.DType
	}
	return c, nil
}

func dtypeField(m map[string]any) string {
	for _, k := range []string{"torch_dtype", "dtype"} {
		if s, ok := m[k].(string); ok {
			return s
		}
	}
	return ""
}

// RopeTheta returns the rotary base: rope_theta, or rope_parameters.rope_theta
// (transformers 5), or def.
func (t *TextConfig) RopeThetaOr(def float64) float64 {
	if t.RopeTheta != nil {
		return *t.RopeTheta
	}
	if v, ok := number(t.RopeParameters["rope_theta"]); ok {
		return v
	}
	return def
}

// Scaling returns the RoPE scaling dictionary: rope_scaling, or
// rope_parameters (transformers 5); nil when there is none.
func (t *TextConfig) Scaling() map[string]any {
	if len(t.RopeScaling) > 0 {
		return t.RopeScaling
	}
	if len(t.RopeParameters) > 0 {
		return t.RopeParameters
	}
	return nil
}

// KVHeads is num_key_value_heads, defaulting to num_attention_heads.
func (t *TextConfig) KVHeads() int {
	if t.NumKeyValueHeads != nil {
		return *t.NumKeyValueHeads
	}
	return t.NumAttentionHeads
}

// HeadDimOr is head_dim, defaulting to hidden_size / num_attention_heads.
func (t *TextConfig) HeadDimOr() int {
	if t.HeadDim != nil && *t.HeadDim > 0 {
		return *t.HeadDim
	}
	if t.NumAttentionHeads == 0 {
		return 0
	}
	return t.HiddenSize / t.NumAttentionHeads
}

// Number converts a decoded JSON number (json.Number or float64) to float64.
func Number(v any) (float64, bool) { return number(v) }

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case int:
		return float64(x), true
	}
	return 0, false
}
