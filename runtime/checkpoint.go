package runtime

import (
	"errors"
	"fmt"
	"math"
	"os"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ct2go/ct2go/format/checkpoint"
	"github.com/ct2go/ct2go/format/ct2"
	"github.com/ct2go/ct2go/format/hf"
	"github.com/ct2go/ct2go/format/safetensors"
)

// ErrNonFinite marks a checkpoint whose weights hold NaN or ±Inf.
var ErrNonFinite = errors.New("non-finite weights")

// LoadCheckpoint runs a Hugging Face checkpoint directory directly (the
// inputs convert accepts: Mllama in the hub, transformers-5 and
// MllamaForCausalLM key layouts, plain Llama incl. tied embeddings; BF16, F16
// or F32 tensors), through format/checkpoint's canonical Llama view.
//
// The shards are memory-mapped and every weight is a view in its stored
// dtype: no converted copy on disk, no float32 copy in RAM (bf16/f16 rows
// are widened exactly per block as they are multiplied, as for a bfloat16
// model.bin). Mllama runs text-only: its cross-attention layers are skipped,
// exactly what transformers computes without pixel_values and what the
// converted model computes. Compute is float32 (ComputeDefault resolves to
// it); int8 compute is refused. RMSNorm epsilon, rope_theta and the llama3
// RoPE scalars come from config.json.
//
// Every weight the forward pass can read is scanned for NaN/±Inf at load, in
// parallel (a bit test; the pages it touches are the ones the first forward
// needs anyway), so a broken checkpoint fails before computing with an error
// naming the tensor and its shard.
func LoadCheckpoint(dir string, opts Options) (*Model, error) {
	if err := kernelLevelError(); err != nil {
		return nil, err
	}
	switch opts.Compute {
	case ComputeDefault, ComputeFloat32:
	case ComputeInt8:
		return nil, fmt.Errorf("%s: %w: int8 compute runs CTranslate2 int8 models; a checkpoint runs float32 (convert it to an int8 type such as int8_float16 for int8 compute)", dir, ErrUnsupported)
	default:
		return nil, fmt.Errorf("unknown compute type %v", opts.Compute)
	}
	src, err := checkpoint.Open(dir)
	if err != nil {
		return nil, err
	}
	m, err := buildCheckpoint(src, opts)
	if err != nil {
		src.Close()
		return nil, err
	}
	return m, nil
}

// shardWeights adapts the mapped shards to what Model needs from its storage.
type shardWeights struct{ ck *safetensors.Checkpoint }

func (w shardWeights) Advise(advice int) error {
	if advice == unix.MADV_WILLNEED {
		for _, f := range w.ck.Files {
			f.WillNeed(0, f.Size)
		}
	}
	return nil
}

func (w shardWeights) Close() error { return w.ck.Close() }

func buildCheckpoint(src *checkpoint.Source, opts Options) (*Model, error) {
	tm := src.Text
	p := tm.Params
	dir := src.Dir
	if p.AttnBias || p.MLPBias {
		return nil, fmt.Errorf("%s: %w: attention_bias / mlp_bias (Llama 3 has no linear biases)", dir, ErrUnsupported)
	}
	cfg := Config{
		Spec:       "checkpoint",
		Checkpoint: tm.Family,
		Layers:     p.Layers, Hidden: p.Hidden, Heads: p.Heads, KVHeads: p.KVHeads, HeadDim: p.HeadDim,
		Inter: p.Intermediate, Vocab: p.Vocab,
		// transformers LlamaRMSNorm: variance + eps in float32.
		Epsilon:      float32(p.Eps),
		QueriesScale: float32(1 / math.Sqrt(float64(float32(p.HeadDim)))),
		RotaryBase:   float32(p.RopeTheta),
		MaxPositions: p.MaxPositions,
		Compute:      ComputeFloat32,
	}
	rp := rotaryParams{dim: p.HeadDim, base: float32(p.RopeTheta), scalingType: RotaryScalingNone, scalingFactor: 1, lowFreq: 1, highFreq: 4}
	switch p.Rope {
	case checkpoint.RopeNone:
	case checkpoint.RopeLinear:
		// Applied below: transformers' linear scaling divides inv_freq by the
		// factor (modeling_rope_utils.py _compute_linear_scaling_rope_parameters).
	case checkpoint.RopeLlama3:
		rp.scalingType = RotaryScalingLlama3
		rp.scalingFactor = float32(p.RopeFactor)
		rp.lowFreq, rp.highFreq = float32(p.RopeLowFreq), float32(p.RopeHighFreq)
		rp.originalMaxPos = p.RopeOriginalMax
		rp.hasFactor, rp.hasOrigin = true, true
	default:
		return nil, fmt.Errorf("%s: %w: rope_scaling %q (the checkpoint runtime supports plain, linear and llama3 RoPE)", dir, ErrUnsupported, p.Rope)
	}
	linear := p.Rope == checkpoint.RopeLinear
	cfg.RotaryScalingType = rp.scalingType
	cfg.RotaryScalingFactor = rp.scalingFactor
	cfg.RotaryLowFreqFactor, cfg.RotaryHighFreqFactor = rp.lowFreq, rp.highFreq
	cfg.OriginalMaxPositionEmbeddings = rp.originalMaxPos

	m := &Model{dir: dir, weights: shardWeights{src.Checkpoint}}
	get := func(name string) checkpoint.Ref { return tm.Tensors[name] } // finish() guarantees presence and shapes
	mat := func(name string, rows, cols int) *matrix { return refMatrix(name, get(name), rows, cols) }
	H, I := p.Hidden, p.Intermediate
	nQ, nKV := p.Heads*p.HeadDim, p.KVHeads*p.HeadDim
	var err error
	m.layers = make([]layer, p.Layers)
	for i := range m.layers {
		l := &m.layers[i]
		pre := fmt.Sprintf("model.layers.%d.", i)
		if l.attnNorm, err = refVector(pre+"input_layernorm.weight", get(pre+"input_layernorm.weight"), H); err != nil {
			return nil, err
		}
		if l.ffnNorm, err = refVector(pre+"post_attention_layernorm.weight", get(pre+"post_attention_layernorm.weight"), H); err != nil {
			return nil, err
		}
		// q, k and v stay three views (no fused heap copy); forward writes
		// each into its column range of the qkv activations.
		l.q = mat(pre+"self_attn.q_proj.weight", nQ, H)
		l.k = mat(pre+"self_attn.k_proj.weight", nKV, H)
		l.v = mat(pre+"self_attn.v_proj.weight", nKV, H)
		l.out = mat(pre+"self_attn.o_proj.weight", H, nQ)
		l.gate = mat(pre+"mlp.gate_proj.weight", I, H)
		l.up = mat(pre+"mlp.up_proj.weight", I, H)
		l.down = mat(pre+"mlp.down_proj.weight", H, I)
	}
	if m.norm, err = refVector("model.norm.weight", get("model.norm.weight"), H); err != nil {
		return nil, err
	}
	// The embedding view covers the first vocab_size rows (Mllama's 8 extra
	// rows are never read); tied embeddings make lm_head the same view.
	m.embed = mat("model.embed_tokens.weight", p.Vocab, H)
	if get("lm_head.weight") == get("model.embed_tokens.weight") {
		m.proj = m.embed
	} else {
		m.proj = mat("lm_head.weight", p.Vocab, H)
	}
	cfg.WeightDType = m.proj.dtype

	threads := opts.Threads
	if threads <= 0 {
		threads = goruntime.NumCPU()
	}
	if err := checkFinite(tm, m.allMatrices(), threads); err != nil {
		return nil, err
	}
	if m.vocab, err = checkpointVocabulary(dir, p.Vocab); err != nil {
		return nil, err
	}
	if st, err := hf.ReadSpecialTokens(dir); err != nil {
		return nil, err
	} else {
		if st.Bos != nil {
			cfg.BOSToken = *st.Bos
		}
		if st.Eos != nil {
			cfg.EOSToken = *st.Eos
		}
		if st.Unk != nil {
			cfg.UNKToken = *st.Unk
		}
	}
	m.threads = threads
	m.pool = newPool(m.threads)
	m.rope = newRopeTable(rp, cfg.HeadDim)
	if linear {
		cfg.RotaryScalingType, cfg.RotaryScalingFactor = RotaryScalingLinear, float32(p.RopeFactor)
		for i := range m.rope.invFreq {
			m.rope.invFreq[i] /= cfg.RotaryScalingFactor // float32 tensor / scalar, as torch computes it
		}
	}
	m.cfg = cfg
	return m, nil
}

// refMatrix views the first rows of a checkpoint tensor as a [rows, cols]
// weight in its stored dtype (format/checkpoint has checked shape and dtype).
func refMatrix(name string, r checkpoint.Ref, rows, cols int) *matrix {
	b := r.T.Bytes()[:rows*cols*r.T.ItemSize()]
	w := &matrix{name: name, rows: rows, cols: cols}
	switch r.T.DType {
	case "BF16":
		w.dtype, w.u16 = ct2.BFloat16, viewU16(b)
	case "F16":
		w.dtype, w.u16 = ct2.Float16, viewU16(b)
	default: // F32
		w.dtype, w.f32 = ct2.Float32, viewF32(b)
	}
	return w
}

// refVector widens a gamma to float32 (exact for bf16/f16), refusing NaN/Inf.
func refVector(name string, r checkpoint.Ref, n int) ([]float32, error) {
	w := refMatrix(name, r, 1, n)
	out := make([]float32, n)
	w.rowF32(out, 0)
	for i, x := range out {
		if x-x != 0 {
			return nil, fmt.Errorf("%s: %w: tensor %s holds %v at element %d (canonical %s); the checkpoint is broken", r.T.File.Path, ErrNonFinite, r.T.Name, x, i, name)
		}
	}
	return out, nil
}

// allMatrices lists every weight view, the embedding included, each once
// (a tied lm_head is the embedding's view).
func (m *Model) allMatrices() []*matrix {
	var out []*matrix
	for i := range m.layers {
		l := &m.layers[i]
		out = append(out, l.q, l.k, l.v, l.out, l.gate, l.up, l.down)
	}
	return append(out, m.embed, m.proj)
}

// checkFinite scans every weight for NaN/±Inf (all-ones exponent) in
// parallel chunks and names the first offending tensor found.
func checkFinite(tm *checkpoint.TextModel, mats []*matrix, threads int) error {
	type chunk struct {
		w      *matrix
		r0, r1 int
	}
	var chunks []chunk
	seen := map[*matrix]bool{}
	for _, w := range mats {
		if seen[w] {
			continue
		}
		seen[w] = true
		step := max(1, (4<<20)/max(1, w.cols*w.dtype.Size())) // ~4 MB per chunk
		for r := 0; r < w.rows; r += step {
			chunks = append(chunks, chunk{w, r, min(w.rows, r+step)})
		}
	}
	var next atomic.Int64
	var mu sync.Mutex
	var bad *matrix
	badRow := -1
	var wg sync.WaitGroup
	for g := 0; g < threads; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(chunks) {
					return
				}
				c := chunks[i]
				if r := firstNonFiniteRow(c.w, c.r0, c.r1); r >= 0 {
					mu.Lock()
					if bad == nil {
						bad, badRow = c.w, r
					}
					mu.Unlock()
					next.Store(int64(len(chunks)))
					return
				}
			}
		}()
	}
	wg.Wait()
	if bad == nil {
		return nil
	}
	ref := tm.Tensors[bad.name]
	row := make([]float32, bad.cols)
	bad.rowF32(row, badRow)
	col := 0
	for j, x := range row {
		if x-x != 0 {
			col = j
			break
		}
	}
	return fmt.Errorf("%s: %w: tensor %s holds %v at [%d, %d] (canonical %s); the checkpoint is broken", ref.T.File.Path, ErrNonFinite, ref.T.Name, row[col], badRow, col, bad.name)
}

// firstNonFiniteRow returns the first row in [r0, r1) holding NaN or ±Inf, or -1.
func firstNonFiniteRow(w *matrix, r0, r1 int) int {
	c := w.cols
	for r := r0; r < r1; r++ {
		var bad bool
		switch w.dtype {
		case ct2.BFloat16:
			bad = anyExpOnes16(w.u16[r*c:(r+1)*c], 0x7f80)
		case ct2.Float16:
			bad = anyExpOnes16(w.u16[r*c:(r+1)*c], 0x7c00)
		default:
			for _, x := range w.f32[r*c : (r+1)*c] {
				if math.Float32bits(x)&0x7f800000 == 0x7f800000 {
					bad = true
					break
				}
			}
		}
		if bad {
			return r
		}
	}
	return -1
}

// anyExpOnes16 reports whether some 16-bit float in v has all exponent bits
// (mask) set, i.e. is NaN or ±Inf. Four lanes at a time: t = (x & M) ^ M is
// zero in a lane exactly for such a value, and (t + 0x7fff) sets the lane's
// top bit iff t != 0 (t <= 0x7f80 never carries into the next lane).
func anyExpOnes16(v []uint16, mask uint16) bool {
	n := len(v) / 4 * 4
	if n > 0 {
		words := unsafe.Slice((*uint64)(unsafe.Pointer(&v[0])), n/4)
		m := uint64(mask) * 0x0001000100010001
		const low, high = 0x7fff7fff7fff7fff, 0x8000800080008000
		for _, x := range words {
			t := (x & m) ^ m
			if (t+low)&high != high {
				return true
			}
		}
	}
	for _, h := range v[n:] {
		if h&mask == mask {
			return true
		}
	}
	return false
}

// checkpointVocabulary is tokenizer.json's vocabulary fitted to vocab_size as
// CTranslate2's converter fits it (padded with <extra_id_N>, or truncated:
// the Vision tokenizer's <|image|> has no lm_head row). Without a
// tokenizer.json the runtime still runs ids; the vocabulary is then empty.
func checkpointVocabulary(dir string, vocab int) ([]string, error) {
	toks, err := hf.Vocabulary(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for i := 0; len(toks) < vocab; i++ {
		toks = append(toks, fmt.Sprintf("<extra_id_%d>", i))
	}
	return toks[:vocab], nil
}
