package ct2

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/ct2go/ct2go/internal/fsutil"
)

// Caps for reading the small JSON files of a CTranslate2 model directory
// (the same as format/hf's for a checkpoint's): a FIFO or /dev/zero in their
// place must not hang or exhaust a reader.
const (
	MaxConfigSize     = 16 << 20
	MaxVocabularySize = 256 << 20
)

// VarSummary is one variable of a model.bin: dtype name, shape ([] for a
// scalar), payload size and, for scalars, the value (ScalarValue).
type VarSummary struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
	Bytes int64  `json:"nbytes"`
	Value any    `json:"value,omitempty"`
}

// Summary describes a CTranslate2 model: model.bin's header with its scalar
// values, and the config.json and vocabulary.json next to it.
type Summary struct {
	Path          string
	BinaryVersion uint32
	Spec          string
	Revision      uint32
	Variables     []VarSummary
	Aliases       []Alias
	PayloadBytes  int64
	// Config is config.json as a generic map; nil when the file is absent.
	Config map[string]any
	// VocabularySize is the number of tokens in vocabulary.json, -1 when the
	// file is absent.
	VocabularySize int
	// Llama3Unscaled lists the layers Llama3Unscaled reports.
	Llama3Unscaled []int
}

// Describe reads the model.bin at bin and the config.json and
// vocabulary.json of its directory (both optional).
func Describe(bin string) (*Summary, error) {
	m, err := Map(bin)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	s := &Summary{Path: bin, BinaryVersion: m.Version, Spec: m.Spec, Revision: m.Revision,
		Variables: make([]VarSummary, 0, len(m.Variables)), Aliases: m.Aliases, VocabularySize: -1}
	for i := range m.Variables {
		v := &m.Variables[i]
		vs := VarSummary{Name: v.Name, DType: v.DType.String(), Shape: v.Shape, Bytes: v.NBytes}
		if vs.Shape == nil {
			vs.Shape = []int{}
		}
		if v.IsScalar() {
			vs.Value = ScalarValue(v.DType, m.Bytes(v))
		}
		s.PayloadBytes += v.NBytes
		s.Variables = append(s.Variables, vs)
	}
	dir := filepath.Dir(bin)
	cfgPath := filepath.Join(dir, "config.json")
	if raw, err := fsutil.ReadCapped(cfgPath, MaxConfigSize); err == nil {
		if err := json.Unmarshal(raw, &s.Config); err != nil {
			return nil, fmt.Errorf("%s: not valid JSON: %w", cfgPath, err)
		}
	} else if !os.IsNotExist(err) {
		return nil, err
	}
	vocabPath := filepath.Join(dir, "vocabulary.json")
	if raw, err := fsutil.ReadCapped(vocabPath, MaxVocabularySize); err == nil {
		var toks []string
		if err := json.Unmarshal(raw, &toks); err != nil {
			return nil, fmt.Errorf("%s: not a JSON list of tokens: %w", vocabPath, err)
		}
		s.VocabularySize = len(toks)
	} else if !os.IsNotExist(err) {
		return nil, err
	}
	s.Llama3Unscaled = Llama3Unscaled(m)
	return s, nil
}

// ScalarValue decodes a scalar payload: int8, int16 and int32 as those Go
// types, float32, float16 and bfloat16 as float64 (exactly); nil for other
// dtypes.
func ScalarValue(dt DType, b []byte) any {
	switch dt {
	case Int8:
		return int8(b[0])
	case Int16:
		return int16(binary.LittleEndian.Uint16(b))
	case Int32:
		return int32(binary.LittleEndian.Uint32(b))
	case Float32:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case Float16:
		return f16ToFloat64(binary.LittleEndian.Uint16(b))
	case BFloat16:
		return float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16))
	}
	return nil
}

// f16ToFloat64 decodes an IEEE 754 binary16 exactly.
func f16ToFloat64(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, frac := int(h>>10&0x1f), float64(h&0x3ff)
	switch exp {
	case 0: // zero or subnormal: frac * 2^-24
		return sign * math.Ldexp(frac, -24)
	case 0x1f:
		if frac != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	}
	return sign * math.Ldexp(1024+frac, exp-25)
}

// Llama3Unscaled returns, in order, the decoder layers whose
// rotary_scaling_type is llama3 but which lack a Llama3Omitted scalar: the
// stock CTranslate2 converter's output, which CTranslate2 (and ct2go's
// runtime, reading the same defaults) runs with plain RoPE
// (shared/docs/ctranslate2-format.md §6). It is the one check behind
// inspect's warning and runtime.Config.Llama3ScalarsMissing.
func Llama3Unscaled(m *Mapped) []int {
	var layers []int
	for i := range m.Variables {
		v := &m.Variables[i]
		n, rest, ok := LayerOf(v.Name)
		if !ok || rest != RotaryScalingType.Name || !v.IsScalar() {
			continue
		}
		if x, ok := scalarFloat(v.DType, m.Bytes(v)); !ok || x != RotaryScalingLlama3 {
			continue
		}
		for _, s := range Llama3Omitted {
			if _, ok := m.Lookup(LayerPrefix(n) + s.Name); !ok {
				layers = append(layers, n)
				break
			}
		}
	}
	sort.Ints(layers)
	return layers
}

// scalarFloat is ScalarValue as a float64.
func scalarFloat(dt DType, b []byte) (float64, bool) {
	switch x := ScalarValue(dt, b).(type) {
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}
