package runtime

import (
	"fmt"
	"math"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"

	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/internal/kernels"
)

// Options configure Load.
type Options struct {
	Compute Compute
	// Threads is the number of goroutines that split each matrix product by
	// output rows (and attention by heads); <= 0 means runtime.NumCPU().
	Threads int
	// Weights places the decode weights: the model.bin mapping, an anonymous
	// huge-page copy, or (default) whichever a load-time probe reads faster.
	Weights Weights
}

type layer struct {
	attnNorm, ffnNorm []float32
	qkv, out          *matrix // self_attention/linear_0, linear_1
	// q, k, v replace qkv for a checkpoint (separate HF tensors, never fused
	// into a copy); forward writes each into its column range of the qkv rows.
	q, k, v        *matrix
	gate, up, down *matrix // ffn/linear_0 (SiLU), linear_0_noact, linear_1
}

// weightStore is the memory the weights are mapped from: model.bin
// (*ct2.Mapped) or a checkpoint's shards.
type weightStore interface {
	Advise(advice int) error
	Close() error
}

// Model is a loaded CTranslate2 Llama decoder. It is safe for concurrent use
// by several Sessions (weights are read-only), but each Session is not.
type Model struct {
	cfg     Config
	dir     string
	weights weightStore // the mapping(s) every weight view points into
	vocab   []string
	embed   *matrix
	layers  []layer
	norm    []float32
	proj    *matrix
	rope    *ropeTable
	pool    *pool
	threads int
	place   placement // where the linears live (placement.go)

	tokOnce  sync.Once
	tokIndex map[string]int
}

// Load opens a CTranslate2 model directory (model.bin, config.json,
// vocabulary.json). model.bin is memory-mapped; weights are not copied.
func Load(dir string, opts Options) (*Model, error) {
	if err := kernelLevelError(); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "model.bin")
	mp, err := ct2.Map(path)
	if err != nil {
		return nil, err
	}
	m, err := build(mp, dir, path, opts)
	if err != nil {
		mp.Close()
		return nil, err
	}
	if err := m.placeWeights(opts.Weights); err != nil {
		m.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// kernelLevelError refuses to load when CT2GO_ISA named a kernel level that could not be
// applied: the model would silently run (and bench would measure) another level.
func kernelLevelError() error { return kernels.EnvError() }

func build(mp *ct2.Mapped, dir, path string, opts Options) (*Model, error) {
	cfg := Config{Spec: mp.Spec, Revision: mp.Revision}
	// Only the decoder-only spec (transformer_spec.py:744) is a language model CT2's Generator runs.
	if mp.Spec != ct2.DecoderSpecName {
		return nil, fmt.Errorf("%s: %w: spec %q, want %s (a decoder-only language model)", path, ErrUnsupported, mp.Spec, ct2.DecoderSpecName)
	}
	nLayers, err := checkNames(mp, path)
	if err != nil {
		return nil, err
	}
	cfg.Layers = nLayers
	s := scalars{m: mp, path: path}

	// Decoder flags with CT2's defaults (layers/transformer.cc:486-530).
	if on, err := s.flagOf("", ct2.Alibi); err != nil {
		return nil, err
	} else if on {
		return nil, fmt.Errorf("%s: %w: %s is set (ALiBi attention is not Llama)", path, ErrUnsupported, ct2.Alibi.Name)
	}
	if pre, err := s.flagOf("", ct2.PreNorm); err != nil {
		return nil, err
	} else if !pre {
		return nil, fmt.Errorf("%s: %w: %s is 0 (post-norm is not Llama)", path, ErrUnsupported, ct2.PreNorm.Name)
	}
	// activation defaults to ReLU (0) when absent; Llama needs SWISH (2, common_spec.py:7-16).
	if act, _, err := s.intOf("", ct2.Activation); err != nil {
		return nil, err
	} else if act != ct2.ActivationSwish {
		return nil, fmt.Errorf("%s: %w: %s = %d, want %d (SiLU/SWISH gated FFN)", path, ErrUnsupported, ct2.Activation.Name, act, ct2.ActivationSwish)
	}
	// An absent scale_embeddings is taken as false here, although the spec
	// default (ct2.ScaleEmbeddings) is true: kept as before this refactor.
	for _, f := range []string{ct2.ScaleEmbeddings.Name, ct2.StartFromZeroEmbedding.Name} {
		if on, err := s.flag(f, false); err != nil {
			return nil, err
		} else if on {
			return nil, fmt.Errorf("%s: %w: %s is set (Llama uses plain embeddings)", path, ErrUnsupported, f)
		}
	}
	for _, f := range []string{ct2.DecoderSlidingWindow.Name, ct2.FinalLogitSoftcapping.Name} {
		if x, _, err := s.get(f); err != nil {
			return nil, err
		} else if x != 0 {
			return nil, fmt.Errorf("%s: %w: %s = %v is not supported", path, ErrUnsupported, f, x)
		}
	}
	if cfg.Heads, _, err = s.intOf("", ct2.NumHeads); err != nil {
		return nil, err
	}
	if cfg.Heads <= 0 {
		return nil, fmt.Errorf("%s: %s = %d", path, ct2.NumHeads.Name, cfg.Heads)
	}

	// Shapes from the embeddings and the first layer; every layer is checked against them.
	ev, ok := mp.Lookup(ct2.VarEmbeddings)
	if !ok {
		return nil, fmt.Errorf("%s: missing variable %s", path, ct2.VarEmbeddings)
	}
	if len(ev.Shape) != 2 || ev.Shape[0] <= 0 || ev.Shape[1] <= 0 {
		return nil, fmt.Errorf("%s: variable %s has shape %v, want [vocab, hidden]", path, ct2.VarEmbeddings, ev.Shape)
	}
	cfg.Vocab, cfg.Hidden = ev.Shape[0], ev.Shape[1]
	H := cfg.Hidden
	out0 := ct2.LayerPrefix(0) + ct2.AttnOut + ct2.Weight
	ov, ok := mp.Lookup(out0)
	if !ok {
		return nil, fmt.Errorf("%s: missing variable %s", path, out0)
	}
	if len(ov.Shape) != 2 || ov.Shape[0] != H {
		return nil, fmt.Errorf("%s: variable %s has shape %v, want [%d, heads*head_dim]", path, out0, ov.Shape, H)
	}
	gate0 := ct2.LayerPrefix(0) + ct2.FFNGate + ct2.Weight
	fv, ok := mp.Lookup(gate0)
	if !ok {
		return nil, fmt.Errorf("%s: missing variable %s", path, gate0)
	}
	if len(fv.Shape) != 2 || fv.Shape[0] <= 0 {
		return nil, fmt.Errorf("%s: variable %s has shape %v, want [inter, %d]", path, gate0, fv.Shape, H)
	}
	cfg.Inter = fv.Shape[0]
	if err := readConfigJSON(dir, &cfg); err != nil {
		return nil, err
	}

	m := &Model{cfg: cfg, dir: dir, weights: mp}
	var rp0 rotaryParams
	for i := 0; i < nLayers; i++ {
		p := ct2.LayerPrefix(i)
		sc := p + strings.TrimSuffix(ct2.Attention, "/") // for messages
		// d_model = linear_1 output size; d_head = head_dim or d_model/num_heads (attention_layer.cc:118-121).
		hd, _, err := s.int(p+ct2.HeadDim.Name, H/cfg.Heads)
		if err != nil {
			return nil, err
		}
		if hd <= 0 || hd%2 != 0 {
			return nil, fmt.Errorf("%s: head dimension %d (from %s or hidden/num_heads) must be positive and even", path, hd, p+ct2.HeadDim.Name)
		}
		kv, _, err := s.int(p+ct2.NumHeadsKV.Name, cfg.Heads)
		if err != nil {
			return nil, err
		}
		if kv <= 0 || cfg.Heads%kv != 0 {
			return nil, fmt.Errorf("%s: %s = %d does not divide %s = %d", path, p+ct2.NumHeadsKV.Name, kv, ct2.NumHeads.Name, cfg.Heads)
		}
		if mq, err := s.flagOf(p, ct2.MultiQuery); err != nil {
			return nil, err
		} else if mq {
			kv = 1
		}
		if x, _, err := s.get(p + ct2.SlidingWindow.Name); err != nil {
			return nil, err
		} else if x != 0 {
			return nil, fmt.Errorf("%s: %w: %s = %v", path, ErrUnsupported, p+ct2.SlidingWindow.Name, x)
		}
		qs, _, err := s.float(p+ct2.QueriesScale.Name, float32(1/math.Sqrt(float64(float32(hd)))))
		if err != nil {
			return nil, err
		}
		rp, ok, err := readRotary(s, p)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%s: %w: missing variable %s (no rotary embeddings: not a Llama model)", path, ErrUnsupported, p+ct2.RotaryDim.Name)
		}
		if rp.interleave {
			return nil, fmt.Errorf("%s: %w: %s is set (only the non-interleaved half-split rotary of Llama is supported)", path, ErrUnsupported, p+ct2.RotaryInterleave.Name)
		}
		if rp.dim != 0 && rp.dim != hd {
			return nil, fmt.Errorf("%s: %w: %s = %d (partial rotary; only 0 = full head dim %d is supported)", path, ErrUnsupported, p+ct2.RotaryDim.Name, rp.dim, hd)
		}
		switch rp.scalingType {
		case RotaryScalingNone, RotaryScalingLlama3:
		default:
			return nil, fmt.Errorf("%s: %w: %s = %d (supported: none, %d = llama3)", path, ErrUnsupported, p+ct2.RotaryScalingType.Name, rp.scalingType, ct2.RotaryScalingLlama3)
		}
		// With both set and no llama3 type, CT2 rescales sin/cos (attention_layer.cc:325-336).
		if rp.scalingType != RotaryScalingLlama3 && rp.originalMaxPos != 0 && rp.maxPos != 0 {
			return nil, fmt.Errorf("%s: %w: %s with original_max_position_embeddings (su-style sin/cos scaling)", path, ErrUnsupported, p+ct2.MaxPositionEmbeddings.Name)
		}
		rp.dim = hd
		if i == 0 {
			rp0 = rp
			cfg.HeadDim, cfg.KVHeads, cfg.QueriesScale = hd, kv, qs
		} else {
			if rp != rp0 {
				return nil, fmt.Errorf("%s: %w: rotary scalars of %s differ from layer 0", path, ErrUnsupported, sc)
			}
			if hd != cfg.HeadDim || kv != cfg.KVHeads || qs != cfg.QueriesScale {
				return nil, fmt.Errorf("%s: %w: %s has head_dim %d / num_heads_kv %d, layer 0 has %d / %d", path, ErrUnsupported, sc, hd, kv, cfg.HeadDim, cfg.KVHeads)
			}
		}
	}
	cfg.RotaryBase = rp0.base
	cfg.RotaryScalingType = rp0.scalingType
	cfg.RotaryScalingFactor = rp0.scalingFactor
	cfg.RotaryLowFreqFactor, cfg.RotaryHighFreqFactor = rp0.lowFreq, rp0.highFreq
	cfg.OriginalMaxPositionEmbeddings = rp0.originalMaxPos
	// Every layer's rotary scalars equal layer 0's (checked above), so this is
	// layer 0's state; format/ct2 owns the check (inspect uses it too).
	cfg.Llama3ScalarsMissing = len(ct2.Llama3Unscaled(mp)) > 0
	if ov.Shape[1] != cfg.Heads*cfg.HeadDim {
		return nil, fmt.Errorf("%s: variable %s has shape %v, want [%d %d] (num_heads %d x head_dim %d)", path, out0, ov.Shape, H, cfg.Heads*cfg.HeadDim, cfg.Heads, cfg.HeadDim)
	}

	nQKV := (cfg.Heads + 2*cfg.KVHeads) * cfg.HeadDim
	m.layers = make([]layer, nLayers)
	for i := range m.layers {
		l := &m.layers[i]
		p := ct2.LayerPrefix(i)
		if l.attnNorm, err = loadVector(mp, path, p+ct2.AttnNorm, H); err != nil {
			return nil, err
		}
		if l.ffnNorm, err = loadVector(mp, path, p+ct2.FFNNorm, H); err != nil {
			return nil, err
		}
		if l.qkv, err = loadMatrix(mp, path, p+ct2.AttnQKV+ct2.Weight, nQKV, H); err != nil {
			return nil, err
		}
		if l.out, err = loadMatrix(mp, path, p+ct2.AttnOut+ct2.Weight, H, cfg.Heads*cfg.HeadDim); err != nil {
			return nil, err
		}
		if l.gate, err = loadMatrix(mp, path, p+ct2.FFNGate+ct2.Weight, cfg.Inter, H); err != nil {
			return nil, err
		}
		if l.up, err = loadMatrix(mp, path, p+ct2.FFNUp+ct2.Weight, cfg.Inter, H); err != nil {
			return nil, err
		}
		if l.down, err = loadMatrix(mp, path, p+ct2.FFNDown+ct2.Weight, H, cfg.Inter); err != nil {
			return nil, err
		}
	}
	if m.norm, err = loadVector(mp, path, ct2.VarFinalNorm, H); err != nil {
		return nil, err
	}
	if m.embed, err = loadMatrix(mp, path, ct2.VarEmbeddings, cfg.Vocab, H); err != nil {
		return nil, err
	}
	if m.proj, err = loadMatrix(mp, path, ct2.VarProjection, cfg.Vocab, H); err != nil {
		return nil, err
	}
	cfg.WeightDType = m.proj.dtype

	// Compute type resolution on CPU (types.cc:156-295, ctranslate2-runtime.md §2).
	switch opts.Compute {
	case ComputeDefault:
		if cfg.WeightDType == ct2.Int8 || cfg.WeightDType == ct2.Int16 {
			cfg.Compute = ComputeInt8
		} else {
			cfg.Compute = ComputeFloat32
		}
	case ComputeFloat32, ComputeInt8:
		cfg.Compute = opts.Compute
	default:
		return nil, fmt.Errorf("unknown compute type %v", opts.Compute)
	}
	if m.vocab, err = readVocabulary(dir, cfg.Vocab); err != nil {
		return nil, err
	}

	m.threads = opts.Threads
	if m.threads <= 0 {
		m.threads = goruntime.NumCPU()
	}
	m.pool = newPool(m.threads)

	if cfg.Compute == ComputeInt8 {
		// Every linear becomes int8 (model.cc ensure_dtype); the embeddings stay as
		// stored and are quantized per looked-up row, which gives the same values.
		mats := m.linears()
		m.pool.run(len(mats), func(_, lo, hi int) {
			for _, w := range mats[lo:hi] {
				w.toInt8()
				w.comp = make([]int32, w.rows)
				kernels.RowSumsInt8(w.comp, w.i8, w.rows, w.cols)
			}
		})
	}
	m.rope = newRopeTable(rp0, cfg.HeadDim)
	m.cfg = cfg
	return m, nil
}

// linears lists every matrix a forward pass multiplies by, projection last.
func (m *Model) linears() []*matrix {
	var out []*matrix
	for i := range m.layers {
		l := &m.layers[i]
		if l.qkv != nil {
			out = append(out, l.qkv)
		} else {
			out = append(out, l.q, l.k, l.v)
		}
		out = append(out, l.out, l.gate, l.up, l.down)
	}
	return append(out, m.proj)
}

// Config returns what Load read and resolved.
func (m *Model) Config() Config { return m.cfg }

// VocabSize is the number of logits per position.
func (m *Model) VocabSize() int { return m.cfg.Vocab }

// Vocabulary returns the tokens of vocabulary.json (index = id). Do not modify.
func (m *Model) Vocabulary() []string { return m.vocab }

// Threads is the worker count in use.
func (m *Model) Threads() int { return m.threads }

// WeightBytesPerToken is the number of weight bytes one decode step reads:
// every linear (with its scales) plus one embedding row.
func (m *Model) WeightBytesPerToken() int64 {
	var n int64
	for _, w := range m.linears() {
		n += w.bytes()
	}
	return n + int64(m.cfg.Hidden*m.embed.dtype.Size())
}

// Close unmaps model.bin; the Model and its Sessions must not be used after.
func (m *Model) Close() error {
	m.pool.close()
	err := m.weights.Close()
	if perr := m.place.close(); err == nil {
		err = perr
	}
	return err
}
