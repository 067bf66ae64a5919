package runtime

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/format/hf"
	"github.com/ct2go/ct2go/internal/fsutil"
	"github.com/x448/float16"
)

// ErrUnsupported marks a model that is valid CTranslate2 but not a Llama-style
// decoder this runtime implements (alibi, post-norm, interleaved rotary, ...).
var ErrUnsupported = errors.New("unsupported model")

// Compute selects the numeric path.
type Compute int

const (
	// ComputeDefault picks what CTranslate2 picks on CPU (types.cc:156-295):
	// int8* and int16 models -> int8, float16/bfloat16/float32 -> float32.
	ComputeDefault Compute = iota
	// ComputeFloat32 runs every weight as float32 (the exactness path).
	ComputeFloat32
	// ComputeInt8 is CTranslate2's int8_float32.
	ComputeInt8
)

func (c Compute) String() string {
	switch c {
	case ComputeDefault:
		return "default"
	case ComputeFloat32:
		return "float32"
	case ComputeInt8:
		return "int8"
	}
	return fmt.Sprintf("Compute(%d)", int(c))
}

// ParseCompute maps "default", "float32", "int8" (and CT2's "int8_float32",
// "auto") to a Compute.
func ParseCompute(s string) (Compute, error) {
	switch s {
	case "", "default", "auto":
		return ComputeDefault, nil
	case "float32":
		return ComputeFloat32, nil
	case "int8", "int8_float32":
		return ComputeInt8, nil
	}
	return 0, fmt.Errorf("unknown compute type %q (supported: default, float32, int8)", s)
}

// Rotary scaling types (attention_layer.h RotaryScalingType).
const (
	RotaryScalingNone   = -1
	RotaryScalingLinear = 0
	RotaryScalingSu     = 1
	RotaryScalingLlama3 = 2
)

// Config is what Load read from model.bin scalars, shapes and config.json.
type Config struct {
	Spec     string
	Revision uint32

	Layers  int
	Hidden  int // H
	Heads   int // nH
	KVHeads int // nKV
	HeadDim int // hd
	Inter   int // FFN width I
	Vocab   int // V (embedding rows)

	Epsilon      float32 // config.json layer_norm_epsilon (CT2 default 1e-6 for RMSNorm)
	QueriesScale float32 // 1/sqrt(hd) unless the queries_scale scalar says otherwise

	RotaryBase                    float32
	RotaryScalingType             int // RotaryScaling*
	RotaryScalingFactor           float32
	RotaryLowFreqFactor           float32
	RotaryHighFreqFactor          float32
	OriginalMaxPositionEmbeddings int
	// Llama3ScalarsMissing is true when rotary_scaling_type is llama3 but
	// rotary_scaling_factor / original_max_position_embeddings are absent:
	// CTranslate2 (and this runtime, which reads the same defaults) then runs
	// plain RoPE, the silent drift of stock converter output
	// (ctranslate2-format.md §6). verify should warn.
	Llama3ScalarsMissing bool

	// Checkpoint is the checkpoint family ("mllama", "llama") when the model
	// was loaded with LoadCheckpoint, "" for a CTranslate2 model.bin.
	Checkpoint string
	// MaxPositions is config max_position_embeddings for a checkpoint (0 if
	// unknown, and for model.bin, which does not record it).
	MaxPositions int

	// WeightDType is the stored dtype of the linear weights (projection).
	WeightDType ct2.DType
	// Compute is the resolved path (never ComputeDefault).
	Compute Compute

	BOSToken, EOSToken, UNKToken string
}

// scalars reads rank-0 variables with CTranslate2's defaults
// (Model::get_attribute_with_default).
type scalars struct {
	m    *ct2.Mapped
	path string
}

func (s scalars) get(name string) (float64, bool, error) {
	v, ok := s.m.Lookup(name)
	if !ok {
		return 0, false, nil
	}
	if !v.IsScalar() {
		return 0, false, fmt.Errorf("%s: variable %s should be a scalar, has shape %v", s.path, name, v.Shape)
	}
	b := s.m.Bytes(v)
	var x float64
	switch v.DType {
	case ct2.Float32:
		x = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case ct2.Int8:
		x = float64(int8(b[0]))
	case ct2.Int16:
		x = float64(int16(binary.LittleEndian.Uint16(b)))
	case ct2.Int32:
		x = float64(int32(binary.LittleEndian.Uint32(b)))
	case ct2.Float16:
		x = float64(float16.Frombits(binary.LittleEndian.Uint16(b)).Float32())
	case ct2.BFloat16:
		x = float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16))
	default:
		return 0, false, fmt.Errorf("%s: variable %s has dtype %s", s.path, name, v.DType)
	}
	return x, true, nil
}

func (s scalars) float(name string, def float32) (float32, bool, error) {
	x, ok, err := s.get(name)
	if err != nil || !ok {
		return def, ok, err
	}
	return float32(x), true, nil
}

func (s scalars) int(name string, def int) (int, bool, error) {
	x, ok, err := s.get(name)
	if err != nil || !ok {
		return def, ok, err
	}
	if x != math.Trunc(x) || math.Abs(x) > 1<<31 {
		return 0, true, fmt.Errorf("%s: variable %s = %v is not an integer", s.path, name, x)
	}
	return int(x), true, nil
}

func (s scalars) flag(name string, def bool) (bool, error) {
	x, ok, err := s.get(name)
	if err != nil || !ok {
		return def, err
	}
	return x != 0, nil
}

// intOf, floatOf and flagOf read the table scalar sc after prefix with the
// spec's default.
func (s scalars) intOf(prefix string, sc ct2.Scalar) (int, bool, error) {
	return s.int(prefix+sc.Name, int(sc.Default))
}

func (s scalars) floatOf(prefix string, sc ct2.Scalar) (float32, bool, error) {
	return s.float(prefix+sc.Name, float32(sc.Default))
}

func (s scalars) flagOf(prefix string, sc ct2.Scalar) (bool, error) {
	return s.flag(prefix+sc.Name, sc.Default != 0)
}

// rotaryParams are the per-layer rotary scalars (attention_layer.cc:68-107).
type rotaryParams struct {
	dim                  int
	interleave           bool
	base                 float32
	scalingType          int
	scalingFactor        float32
	lowFreq, highFreq    float32
	originalMaxPos       int
	maxPos               int
	hasFactor, hasOrigin bool
}

// readRotary reads layer scalars after prefix (ct2.LayerPrefix) with the
// spec's defaults.
func readRotary(s scalars, prefix string) (rotaryParams, bool, error) {
	var p rotaryParams
	var ok bool
	var err error
	// rotary_dim < 0 (the default) means no rotary embeddings at all.
	if p.dim, ok, err = s.intOf(prefix, ct2.RotaryDim); err != nil {
		return p, false, err
	}
	if !ok || p.dim < 0 {
		return p, false, nil
	}
	if p.interleave, err = s.flagOf(prefix, ct2.RotaryInterleave); err != nil {
		return p, true, err
	}
	if p.base, _, err = s.floatOf(prefix, ct2.RotaryBase); err != nil {
		return p, true, err
	}
	if p.scalingType, _, err = s.intOf(prefix, ct2.RotaryScalingType); err != nil {
		return p, true, err
	}
	if p.scalingFactor, p.hasFactor, err = s.floatOf(prefix, ct2.RotaryScalingFactor); err != nil {
		return p, true, err
	}
	if p.originalMaxPos, p.hasOrigin, err = s.intOf(prefix, ct2.OriginalMaxPositionEmbeddings); err != nil {
		return p, true, err
	}
	if p.maxPos, _, err = s.intOf(prefix, ct2.MaxPositionEmbeddings); err != nil {
		return p, true, err
	}
	if p.highFreq, _, err = s.floatOf(prefix, ct2.RotaryHighFreqFactor); err != nil {
		return p, true, err
	}
	if p.lowFreq, _, err = s.floatOf(prefix, ct2.RotaryLowFreqFactor); err != nil {
		return p, true, err
	}
	return p, true, nil
}

// Variable names this runtime understands (format/ct2's Llama table);
// anything else under decoder/ is refused so that a model needing more
// (biases, q_norm, alibi tables, ...) is never silently run wrong.
var (
	decoderScalars = scalarNames(ct2.Activation, ct2.Alibi, ct2.AlibiUsePositivePositions,
		ct2.AlignmentHeads, ct2.AlignmentLayer, ct2.NumHeads, ct2.PreNorm, ct2.ScaleAlibi,
		ct2.ScaleEmbeddings, ct2.StartFromZeroEmbedding, ct2.DecoderSlidingWindow,
		ct2.FinalLogitSoftcapping)
	// After ct2.LayerPrefix.
	layerScalars = scalarNames(ct2.NumHeadsKV, ct2.RotaryDim, ct2.RotaryInterleave,
		ct2.RotaryBase, ct2.RotaryScalingType, ct2.RotaryScalingFactor,
		ct2.RotaryLowFreqFactor, ct2.RotaryHighFreqFactor,
		ct2.OriginalMaxPositionEmbeddings, ct2.MaxPositionEmbeddings,
		ct2.HeadDim, ct2.QueriesScale, ct2.MultiQuery, ct2.SlidingWindow)
	layerRE = regexp.MustCompile(`^` + regexp.QuoteMeta(ct2.LayerNamePrefix) + `(\d+)/(.+)$`)
)

func scalarNames(ss ...ct2.Scalar) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s.Name] = true
	}
	return m
}

func isWeight(rest string) bool {
	for _, t := range ct2.LayerWeights {
		if rest == t || rest == t+ct2.ScaleSuffix {
			return true
		}
	}
	return false
}

// checkNames refuses unknown variables and returns the number of layers
// (layers must be numbered 0..L-1 without gaps).
func checkNames(m *ct2.Mapped, path string) (int, error) {
	seen := map[int]bool{}
	maxLayer := -1
	for i := range m.Variables {
		name := m.Variables[i].Name
		if sm := layerRE.FindStringSubmatch(name); sm != nil {
			n, err := strconv.Atoi(sm[1])
			if err != nil || n > 1<<16 || strconv.Itoa(n) != sm[1] {
				return 0, fmt.Errorf("%s: variable %s: bad layer index", path, name)
			}
			rest := sm[2]
			if !isWeight(rest) && !layerScalars[rest] {
				return 0, fmt.Errorf("%s: %w: unexpected variable %s (not part of a Llama decoder layer)", path, ErrUnsupported, name)
			}
			seen[n] = true
			if n > maxLayer {
				maxLayer = n
			}
			continue
		}
		switch name {
		case ct2.VarEmbeddings, ct2.VarEmbeddings + ct2.ScaleSuffix,
			ct2.VarFinalNorm,
			ct2.VarProjection, ct2.VarProjection + ct2.ScaleSuffix:
			continue
		}
		if decoderScalars[name] {
			continue
		}
		return 0, fmt.Errorf("%s: %w: unexpected variable %s (not part of a Llama decoder)", path, ErrUnsupported, name)
	}
	if maxLayer < 0 {
		return 0, fmt.Errorf("%s: no %sN variables", path, ct2.LayerNamePrefix)
	}
	for i := 0; i <= maxLayer; i++ {
		if !seen[i] {
			return 0, fmt.Errorf("%s: missing all variables of %s%d (layers 0..%d expected)", path, ct2.LayerNamePrefix, i, maxLayer)
		}
	}
	return maxLayer + 1, nil
}

// readConfigJSON reads the keys the runtime needs from config.json.
func readConfigJSON(dir string, cfg *Config) error {
	path := filepath.Join(dir, "config.json")
	b, err := fsutil.ReadCapped(path, hf.MaxJSONSize)
	if err != nil {
		return err
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// CT2 LayerNorm: missing or null epsilon -> 1e-6 for RMSNorm (layers/common.cc:449-453);
	// the value is read as a C++ float.
	cfg.Epsilon = 1e-6
	if e, ok := raw["layer_norm_epsilon"]; ok && e != nil {
		f, ok := e.(float64)
		if !ok || !(f >= 0) {
			return fmt.Errorf("%s: layer_norm_epsilon is %v, want a non-negative number", path, e)
		}
		cfg.Epsilon = float32(f)
	}
	str := func(key string) (string, error) {
		v, ok := raw[key]
		if !ok || v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("%s: %s is %v, want a string", path, key, v)
		}
		return s, nil
	}
	if cfg.BOSToken, err = str("bos_token"); err != nil {
		return err
	}
	if cfg.EOSToken, err = str("eos_token"); err != nil {
		return err
	}
	if cfg.UNKToken, err = str("unk_token"); err != nil {
		return err
	}
	return nil
}

func readVocabulary(dir string, want int) ([]string, error) {
	path := filepath.Join(dir, "vocabulary.json")
	b, err := fsutil.ReadCapped(path, hf.MaxJSONSize)
	if err != nil {
		return nil, err
	}
	var toks []string
	if err := json.Unmarshal(b, &toks); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// model_spec.py:602-610 requires one token per embedding row.
	if len(toks) != want {
		return nil, fmt.Errorf("%s: %d tokens but %s has %d rows", path, len(toks), ct2.VarEmbeddings, want)
	}
	return toks, nil
}
