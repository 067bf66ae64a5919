// Package synthmodel writes random-weight CTranslate2 Llama models of any
// shape for tests and benchmarks (the runtime never reads it).
package synthmodel

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/ct2go/ct2go/format/ct2"
)

// Shape describes a random-weight Llama decoder for benchmarks.
type Shape struct {
	Layers, Hidden, Inter, Heads, KVHeads, Vocab int
	// DType of the linear weights, embeddings and projection: ct2.Int8
	// (int8_float32: float32 gammas, per-row scales), ct2.BFloat16 or ct2.Float32.
	DType ct2.DType
}

// Llama8B is Llama-3.1-8B's geometry (the performance anchor of
// ctranslate2-runtime.md §7); set Layers lower to extrapolate per layer.
var Llama8B = Shape{Layers: 32, Hidden: 4096, Inter: 14336, Heads: 32, KVHeads: 8, Vocab: 128256, DType: ct2.Int8}

// Write writes a CTranslate2 model directory (model.bin,
// config.json, vocabulary.json) with uniformly random weights of shape s.
// Weights are scaled so every matrix product keeps activations near unit
// size (|w| <= sqrt(3/cols)); the model means nothing but runs like a real one.
func Write(dir string, s Shape, seed uint64) error {
	if s.Layers < 1 || s.Hidden < 2 || s.Inter < 1 || s.Heads < 1 || s.KVHeads < 1 || s.Vocab < 1 ||
		s.Hidden%s.Heads != 0 || (s.Hidden/s.Heads)%2 != 0 || s.Heads%s.KVHeads != 0 {
		return fmt.Errorf("synthetic model: inconsistent shape %+v", s)
	}
	switch s.DType {
	case ct2.Int8, ct2.BFloat16, ct2.Float32:
	default:
		return fmt.Errorf("synthetic model: weight dtype %s not supported (int8, bfloat16, float32)", s.DType)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	hd := s.Hidden / s.Heads
	type gen struct {
		name  string
		shape []int
		dtype ct2.DType
		fill  func(w *bufio.Writer) error
	}
	var vars []gen
	rng := seed | 1
	next := func() uint64 { // xorshift64*
		rng ^= rng >> 12
		rng ^= rng << 25
		rng ^= rng >> 27
		return rng * 2685821657736338717
	}
	le := binary.LittleEndian
	scalar := func(name string, sc ct2.Scalar, v float64) {
		vars = append(vars, gen{name, nil, sc.DType, func(w *bufio.Writer) error {
			_, err := w.Write(sc.Encode(v))
			return err
		}})
	}
	weight := func(name string, rows, cols int) {
		amp := math.Sqrt(3 / float64(cols))
		switch s.DType {
		case ct2.Int8:
			vars = append(vars, gen{name, []int{rows, cols}, ct2.Int8, func(w *bufio.Writer) error {
				row := make([]byte, cols+8)
				for r := 0; r < rows; r++ {
					for k := 0; k < cols; k += 8 {
						le.PutUint64(row[k:], next())
					}
					for k, b := range row[:cols] {
						if b == 0x80 { // keep int8 in [-127, 127] like CT2's quantizer
							row[k] = 0x81
						}
					}
					if _, err := w.Write(row[:cols]); err != nil {
						return err
					}
				}
				return nil
			}})
			scale := float32(127 / amp)
			vars = append(vars, gen{name + ct2.ScaleSuffix, []int{rows}, ct2.Float32, func(w *bufio.Writer) error {
				var b [4]byte
				le.PutUint32(b[:], math.Float32bits(scale))
				for r := 0; r < rows; r++ {
					if _, err := w.Write(b[:]); err != nil {
						return err
					}
				}
				return nil
			}})
		default:
			dt := s.DType
			vars = append(vars, gen{name, []int{rows, cols}, dt, func(w *bufio.Writer) error {
				var b [4]byte
				for i := 0; i < rows*cols; i++ {
					u := float64(next()>>11)/(1<<53)*2 - 1
					f := math.Float32bits(float32(u * amp))
					if dt == ct2.BFloat16 {
						le.PutUint16(b[:], uint16(f>>16))
						if _, err := w.Write(b[:2]); err != nil {
							return err
						}
						continue
					}
					le.PutUint32(b[:], f)
					if _, err := w.Write(b[:]); err != nil {
						return err
					}
				}
				return nil
			}})
		}
	}
	gamma := func(name string) {
		vars = append(vars, gen{name, []int{s.Hidden}, ct2.Float32, func(w *bufio.Writer) error {
			var b [4]byte
			le.PutUint32(b[:], math.Float32bits(1))
			for i := 0; i < s.Hidden; i++ {
				if _, err := w.Write(b[:]); err != nil {
					return err
				}
			}
			return nil
		}})
	}
	for _, c := range ct2.LlamaDecoderConstants {
		scalar(c.Name, c.Scalar, c.Value)
	}
	scalar(ct2.NumHeads.Name, ct2.NumHeads, float64(s.Heads))
	weight(ct2.VarEmbeddings, s.Vocab, s.Hidden)
	weight(ct2.VarProjection, s.Vocab, s.Hidden)
	gamma(ct2.VarFinalNorm)
	for i := 0; i < s.Layers; i++ {
		p := ct2.LayerPrefix(i)
		gamma(p + ct2.AttnNorm)
		gamma(p + ct2.FFNNorm)
		weight(p+ct2.AttnQKV+ct2.Weight, (s.Heads+2*s.KVHeads)*hd, s.Hidden)
		weight(p+ct2.AttnOut+ct2.Weight, s.Hidden, s.Hidden)
		weight(p+ct2.FFNGate+ct2.Weight, s.Inter, s.Hidden)
		weight(p+ct2.FFNUp+ct2.Weight, s.Inter, s.Hidden)
		weight(p+ct2.FFNDown+ct2.Weight, s.Hidden, s.Inter)
		layer := func(sc ct2.Scalar, v float64) { scalar(p+sc.Name, sc, v) }
		if s.KVHeads != s.Heads {
			layer(ct2.NumHeadsKV, float64(s.KVHeads))
		}
		layer(ct2.RotaryBase, 500000)
		layer(ct2.RotaryDim, ct2.LlamaRotaryDim)
		layer(ct2.RotaryInterleave, ct2.LlamaRotaryInterleave)
		layer(ct2.RotaryScalingType, ct2.RotaryScalingLlama3)
		layer(ct2.RotaryLowFreqFactor, ct2.Llama3LowFreqFactor)
		layer(ct2.RotaryHighFreqFactor, ct2.Llama3HighFreqFactor)
		layer(ct2.RotaryScalingFactor, ct2.Llama3Factor)
		layer(ct2.OriginalMaxPositionEmbeddings, ct2.Llama3OriginalMaxPositionEmbeddings)
	}
	sort.Slice(vars, func(i, j int) bool { return vars[i].name < vars[j].name })

	path := filepath.Join(dir, "model.bin")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := ct2.NewWriter(f, ct2.DecoderSpecName, ct2.DecoderSpecRevision, len(vars))
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	for _, v := range vars {
		if err := bw.Flush(); err != nil {
			return err
		}
		if err := w.Begin(v.name, v.shape, v.dtype); err != nil {
			return err
		}
		if err := v.fill(bw); err != nil {
			return fmt.Errorf("%s: %s: %w", path, v.name, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := w.Close(nil); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	cfg, err := ct2.ConfigJSON(map[string]any{
		"bos_token": "<s>", "eos_token": "</s>", "layer_norm_epsilon": 1e-05,
		"multi_query_attention": true, "unk_token": "",
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		return err
	}
	toks := make([]string, s.Vocab)
	for i := range toks {
		toks[i] = fmt.Sprintf("tok%d", i)
	}
	vb, err := ct2.VocabularyJSON(toks)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "vocabulary.json"), vb, 0o644)
}
