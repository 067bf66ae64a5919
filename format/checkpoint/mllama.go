package checkpoint

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ct2go/ct2go/format/hf"
	"github.com/ct2go/ct2go/format/safetensors"
)

// mllamaFamily reads Llama-3.2-Vision checkpoints and keeps the text model:
// vision tower, projector and the cross-attention decoder layers are
// dropped, the remaining self-attention layers renumbered in order, and the
// embedding trimmed from vocab_size+8 rows to vocab_size
// (transformers modeling_mllama.py; shared/docs/mllama-checkpoint.md).
type mllamaFamily struct {
	// causalLM: MllamaForCausalLM, whose config is the text config itself
	// (model_type mllama_text_model) and whose names start with "model.".
	causalLM bool
}

var _ Family = mllamaFamily{}

func (mllamaFamily) Name() string { return "mllama" }

// mllamaLayout is one spelling of the checkpoint's key names.
type mllamaLayout struct {
	name string
	text string   // prefix of embed_tokens, layers.N, norm
	head string   // lm_head name
	drop []string // prefixes of the dropped vision parts
}

var mllamaLayouts = []mllamaLayout{
	// Hub and transformers 4.45-4.51 saves.
	{"hub", "language_model.model.", "language_model.lm_head.weight", []string{"vision_model.", "multi_modal_projector."}},
	// transformers >= 4.52 / 5 in-memory names (save_original_format=False or state_dict dumps).
	{"transformers-5", "model.language_model.", "lm_head.weight", []string{"model.vision_model.", "model.multi_modal_projector."}},
	// MllamaModel without a head.
	{"MllamaModel", "language_model.", "lm_head.weight", []string{"vision_model.", "multi_modal_projector."}},
}

var causalLayout = mllamaLayout{"MllamaForCausalLM", "model.", "lm_head.weight", nil}

// crossLayerTensors are the tensors of a cross-attention layer
// (MllamaCrossAttentionDecoderLayer), checked so a checkpoint with holes is
// reported as the broken download it is.
func crossLayerTensors(p Params, hidden int) map[string][]int {
	q, kv := p.Heads*p.HeadDim, p.KVHeads*p.HeadDim
	return map[string][]int{
		"cross_attn.q_proj.weight":        {q, hidden},
		"cross_attn.k_proj.weight":        {kv, hidden},
		"cross_attn.v_proj.weight":        {kv, hidden},
		"cross_attn.o_proj.weight":        {hidden, q},
		"cross_attn.q_norm.weight":        {p.HeadDim},
		"cross_attn.k_norm.weight":        {p.HeadDim},
		"cross_attn_attn_gate":            {1},
		"cross_attn_mlp_gate":             {1},
		"input_layernorm.weight":          {hidden},
		"post_attention_layernorm.weight": {hidden},
		"mlp.gate_proj.weight":            {p.Intermediate, hidden},
		"mlp.up_proj.weight":              {p.Intermediate, hidden},
		"mlp.down_proj.weight":            {hidden, p.Intermediate},
	}
}

func (f mllamaFamily) Text(dir string, cfg *hf.Config, ck *safetensors.Checkpoint) (*TextModel, error) {
	t := cfg.Text
	torchDType := cfg.TorchDType
	if torchDType == "" {
		torchDType = t.TorchDType
	}
	if !f.causalLM && cfg.Raw["text_config"] == nil {
		return nil, &ProblemsError{Dir: dir, Problems: []string{"config: model_type mllama without a text_config"}}
	}
	p, probs := ParamsFrom(&t, torchDType)
	total := t.NumHiddenLayers
	cross := map[int]bool{}
	for _, l := range t.CrossAttentionLayers {
		if l < 0 || l >= total {
			probs = append(probs, fmt.Sprintf("config: cross_attention_layers entry %d is outside 0..%d", l, total-1))
		} else if cross[l] {
			probs = append(probs, fmt.Sprintf("config: cross_attention_layers lists %d twice", l))
		}
		cross[l] = true
	}
	// The layer count is validated (and bounded) before it sizes anything.
	if len(probs) > 0 {
		return nil, &ProblemsError{Dir: dir, Problems: probs}
	}
	// Self-attention layers, renumbered in order.
	renumber := map[int]int{}
	for i := 0; i < total; i++ {
		if !cross[i] {
			renumber[i] = len(renumber)
		}
	}
	p.Layers = len(renumber)
	if p.Layers == 0 {
		return nil, &ProblemsError{Dir: dir, Problems: []string{fmt.Sprintf("config: all %d layers are cross_attention_layers: no text decoder layer is left", total)}}
	}

	layout := f.detect(ck)
	tm := &TextModel{Dir: dir, Family: "mllama", Config: cfg, Params: p, Tensors: map[string]Ref{}}
	selfT := layerTensors(p)
	crossT := crossLayerTensors(p, p.Hidden)
	seenCross := map[string]bool{}
	drop := func(t *safetensors.Tensor) { tm.Dropped++; tm.DroppedBytes += t.NBytes }
	for _, name := range ck.Names() {
		ten := ck.Tensors[name]
		if hasAnyPrefix(name, layout.drop) || isBuffer(name) {
			drop(ten)
			continue
		}
		if name == layout.head {
			if p.Tied {
				drop(ten)
				continue
			}
			tm.Tensors["lm_head.weight"] = Ref{T: ten, Rows: firstDim(ten)}
			continue
		}
		rest, ok := strings.CutPrefix(name, layout.text)
		if !ok {
			probs = append(probs, fmt.Sprintf("unexpected tensor %s", name))
			continue
		}
		switch rest {
		case "embed_tokens.weight":
			rows := firstDim(ten)
			// MllamaTextModel's embedding has vocab_size + 8 rows; the 8
			// extra rows (from 128256, <|image|>) are never produced by text
			// and have no lm_head row.
			if rows != p.Vocab+8 {
				probs = append(probs, fmt.Sprintf("tensor %s%s has %d rows, Mllama expects vocab_size+8 = %d", name, inFile(Ref{T: ten}), rows, p.Vocab+8))
				continue
			}
			tm.Tensors["model.embed_tokens.weight"] = Ref{T: ten, Rows: p.Vocab}
			continue
		case "norm.weight":
			tm.Tensors["model.norm.weight"] = Ref{T: ten, Rows: firstDim(ten)}
			continue
		}
		n, tail, ok := splitLayer(rest)
		switch {
		case !ok || n >= total:
			probs = append(probs, fmt.Sprintf("unexpected tensor %s", name))
		case cross[n]:
			if want, ok := crossT[tail]; !ok {
				probs = append(probs, fmt.Sprintf("unexpected tensor %s (layer %d is a cross-attention layer)", name, n))
			} else if !slices.Equal(ten.Shape, want) {
				probs = append(probs, fmt.Sprintf("tensor %s%s has shape %v, config implies %v", name, inFile(Ref{T: ten}), ten.Shape, want))
			} else {
				seenCross[fmt.Sprintf("%d.%s", n, tail)] = true
				drop(ten)
			}
		default:
			if _, ok := selfT[tail]; !ok {
				probs = append(probs, fmt.Sprintf("unexpected tensor %s (layer %d is a self-attention layer)", name, n))
				continue
			}
			tm.Tensors[fmt.Sprintf("model.layers.%d.%s", renumber[n], tail)] = Ref{T: ten, Rows: firstDim(ten)}
		}
	}
	var holes []string
	for l := range cross {
		for tail := range crossT {
			if !seenCross[fmt.Sprintf("%d.%s", l, tail)] {
				holes = append(holes, fmt.Sprintf("missing tensor %slayers.%d.%s (cross-attention layer; a checkpoint with holes is a broken download)", layout.text, l, tail))
			}
		}
	}
	sort.Strings(holes)
	probs = append(probs, holes...)

	layers := make([]int, 0, len(cross))
	for l := range cross {
		layers = append(layers, l)
	}
	sort.Ints(layers)
	tm.Notes = append(tm.Notes,
		fmt.Sprintf("mllama (%s key layout): kept %d self-attention layers, dropped cross-attention layers %v, the vision tower and the projector (%d tensors)", layout.name, p.Layers, layers, tm.Dropped),
		fmt.Sprintf("embedding trimmed from %d to vocab_size %d rows", p.Vocab+8, p.Vocab))
	if err := tm.finish(probs); err != nil {
		return nil, err
	}
	return tm, nil
}

// detect picks the key layout from the names present.
func (f mllamaFamily) detect(ck *safetensors.Checkpoint) mllamaLayout {
	if f.causalLM {
		return causalLayout
	}
	for _, l := range mllamaLayouts {
		for name := range ck.Tensors {
			if strings.HasPrefix(name, l.text+"layers.") || strings.HasPrefix(name, l.text+"embed_tokens.") {
				return l
			}
		}
	}
	return mllamaLayouts[0]
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
