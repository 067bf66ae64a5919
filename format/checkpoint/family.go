package checkpoint

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ct2go/ct2go/format/hf"
	"github.com/ct2go/ct2go/format/safetensors"
)

// Ref says where one tensor of the canonical Llama text model comes from:
// the first Rows rows of a checkpoint tensor (Rows < T.Shape[0] trims the
// Mllama embedding to the text vocabulary).
type Ref struct {
	T    *safetensors.Tensor
	Rows int
}

// Shape is the shape of the referenced rows.
func (r Ref) Shape() []int {
	s := append([]int(nil), r.T.Shape...)
	if len(s) > 0 {
		s[0] = r.Rows
	}
	return s
}

// TextModel is a checkpoint seen as a LlamaForCausalLM: canonical Hugging
// Face Llama tensor names (model.layers.N.self_attn.q_proj.weight, ...)
// mapped to where their values are.
type TextModel struct {
	Dir     string
	Family  string
	Config  *hf.Config
	Params  Params
	Tensors map[string]Ref
	// Dropped counts the checkpoint tensors left out (vision tower,
	// projector, cross-attention layers).
	Dropped      int
	DroppedBytes int64
	// Notes are the decisions a user should see (layers dropped, embedding trimmed).
	Notes []string
}

// Family maps one model family's checkpoint onto a TextModel (one small
// type per family, as ollama's convert/ does).
type Family interface {
	Name() string
	Text(dir string, cfg *hf.Config, ck *safetensors.Checkpoint) (*TextModel, error)
}

var families = map[string]Family{
	"llama":             llamaFamily{},
	"mllama":            mllamaFamily{},
	"mllama_text_model": mllamaFamily{causalLM: true},
}

// FamilyFor picks the family from config.json's model_type.
func FamilyFor(cfg *hf.Config) (Family, error) {
	if f, ok := families[cfg.ModelType]; ok {
		return f, nil
	}
	names := make([]string, 0, len(families))
	for k := range families {
		names = append(names, k)
	}
	sort.Strings(names)
	mt := cfg.ModelType
	if mt == "" {
		mt = "(missing)"
	}
	return nil, fmt.Errorf("%w: %s: model_type %s (supported: %s)", ErrUnsupported, cfg.Path, mt, strings.Join(names, ", "))
}

// layerTensors lists a Llama decoder layer's tensors and their shapes.
func layerTensors(p Params) map[string][]int {
	q, kv := p.Heads*p.HeadDim, p.KVHeads*p.HeadDim
	m := map[string][]int{
		"input_layernorm.weight":          {p.Hidden},
		"post_attention_layernorm.weight": {p.Hidden},
		"self_attn.q_proj.weight":         {q, p.Hidden},
		"self_attn.k_proj.weight":         {kv, p.Hidden},
		"self_attn.v_proj.weight":         {kv, p.Hidden},
		"self_attn.o_proj.weight":         {p.Hidden, q},
		"mlp.gate_proj.weight":            {p.Intermediate, p.Hidden},
		"mlp.up_proj.weight":              {p.Intermediate, p.Hidden},
		"mlp.down_proj.weight":            {p.Hidden, p.Intermediate},
	}
	if p.AttnBias {
		m["self_attn.q_proj.bias"] = []int{q}
		m["self_attn.k_proj.bias"] = []int{kv}
		m["self_attn.v_proj.bias"] = []int{kv}
		m["self_attn.o_proj.bias"] = []int{p.Hidden}
	}
	if p.MLPBias {
		m["mlp.gate_proj.bias"] = []int{p.Intermediate}
		m["mlp.up_proj.bias"] = []int{p.Intermediate}
		m["mlp.down_proj.bias"] = []int{p.Hidden}
	}
	return m
}

// ExpectedShapes is every canonical tensor of the text model with its shape.
func ExpectedShapes(p Params) map[string][]int {
	m := map[string][]int{
		"model.embed_tokens.weight": {p.Vocab, p.Hidden},
		"model.norm.weight":         {p.Hidden},
		"lm_head.weight":            {p.Vocab, p.Hidden},
	}
	lt := layerTensors(p)
	for i := 0; i < p.Layers; i++ {
		for k, s := range lt {
			m[fmt.Sprintf("model.layers.%d.%s", i, k)] = s
		}
	}
	return m
}

// splitLayer parses "layers.N.rest" → N, rest.
func splitLayer(s string) (int, string, bool) {
	rest, ok := strings.CutPrefix(s, "layers.")
	if !ok {
		return 0, "", false
	}
	num, tail, ok := strings.Cut(rest, ".")
	if !ok || num == "" || (len(num) > 1 && num[0] == '0') {
		return 0, "", false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return 0, "", false
	}
	return n, tail, true
}

// isBuffer reports non-parameter tensors old transformers versions saved
// (RoPE inverse frequencies): they carry no weights and are recomputed.
func isBuffer(name string) bool { return strings.HasSuffix(name, ".rotary_emb.inv_freq") }

// finish checks the mapped tensors against the expected set and shapes,
// dtype support, and collects every problem.
func (tm *TextModel) finish(probs []string) error {
	p := tm.Params
	want := ExpectedShapes(p)
	if p.Tied {
		if emb, ok := tm.Tensors["model.embed_tokens.weight"]; ok {
			// transformers ties lm_head to the embedding; a saved lm_head is ignored.
			tm.Tensors["lm_head.weight"] = emb
		}
	}
	var missing []string
	for name, shape := range want {
		ref, ok := tm.Tensors[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		if !slices.Equal(ref.Shape(), shape) {
			probs = append(probs, fmt.Sprintf("tensor %s%s has shape %v, config implies %v", srcName(ref), inFile(ref), ref.Shape(), shape))
		}
		switch ref.T.DType {
		case "BF16", "F16", "F32":
		default:
			probs = append(probs, fmt.Sprintf("tensor %s%s has dtype %s (supported: BF16, F16, F32; pre-quantized checkpoints cannot be converted)", ref.T.Name, inFile(ref), ref.T.DType))
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		probs = append(probs, fmt.Sprintf("missing tensor for %s", m))
	}
	for name := range tm.Tensors {
		if _, ok := want[name]; !ok {
			probs = append(probs, fmt.Sprintf("unexpected tensor %s", srcName(tm.Tensors[name])))
		}
	}
	if len(probs) > 0 {
		return &ProblemsError{Dir: tm.Dir, Problems: dedupe(probs)}
	}
	return nil
}

func srcName(r Ref) string { return r.T.Name }

// inFile names the shard holding r, so a user knows which file is wrong.
func inFile(r Ref) string {
	if r.T.File == nil {
		return ""
	}
	return " (" + filepath.Base(r.T.File.Path) + ")"
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
